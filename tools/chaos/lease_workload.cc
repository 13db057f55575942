#include "lease_workload.h"

#include <fmt/format.h>

#include <thread>

#include "client/kv.h"
#include "client/lease.h"

namespace regent::chaos {

namespace {
constexpr int64_t kTtlSeconds = 2;
constexpr auto kWatchFor = std::chrono::seconds(6);
}  // namespace

void LeaseWorkload::step(int worker, Prng& rng) {
  auto pick = [&] { return static_cast<int>(rng.uniform(static_cast<uint64_t>(cluster_.size()))); };
  client::Lease lease(cluster_.client(pick()));
  uint64_t invoke = run_micros();
  auto granted = lease.grant(kTtlSeconds);
  log_.record(name(), invoke, run_micros(), outcome_of_write(granted), error_of(granted));
  if (!granted) return;
  LeasedKey k{.key = fmt::format("rgchaos/lease/{}-{:x}", worker, granted->id),
              .lease = granted->id};
  client::KV kv(cluster_.client(pick()));
  invoke = run_micros();
  auto put = kv.put(k.key, "leased", client::PutOptions{.lease = k.lease});
  k.put_complete_us = run_micros();
  log_.record(name(), invoke, k.put_complete_us, outcome_of_write(put), error_of(put));
  // Only an acknowledged put gives the reads a meaning: before it, absence proves nothing.
  if (!put) return;
  const auto until = std::chrono::steady_clock::now() + kWatchFor;
  while (std::chrono::steady_clock::now() < until) {
    Read r{.member = pick()};
    client::KV reader(cluster_.client(r.member));
    r.invoke_us = run_micros();
    auto got = reader.get(k.key);
    r.complete_us = run_micros();
    log_.record(name(), r.invoke_us, r.complete_us, got ? Outcome::kOk : Outcome::kFailed,
                error_of(got));
    if (got) {
      r.present = !got->kvs.empty();
      k.reads.push_back(r);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::lock_guard lock(mu_);
  keys_.push_back(std::move(k));
}

CheckResult LeaseWorkload::check() {
  CheckResult out;
  std::lock_guard lock(mu_);
  uint64_t expired_seen = 0;
  for (const auto& k : keys_) {
    // The earliest completion of a read that saw the key gone.
    const Read* gone = nullptr;
    for (const auto& r : k.reads) {
      if (!r.present && (gone == nullptr || r.complete_us < gone->complete_us)) gone = &r;
    }
    if (gone == nullptr) continue;
    ++expired_seen;
    for (const auto& r : k.reads) {
      if (!r.present || r.invoke_us <= gone->complete_us) continue;
      out.violations.push_back(
          {name(),
           fmt::format("{} (lease {:x}) seen again after a read had seen it gone", k.key, k.lease),
           {fmt::format("put {} with lease {:x} ok, completed at {}", k.key, k.lease,
                        k.put_complete_us),
            fmt::format("get via n{} [{}, {}] ok: absent", gone->member + 1, gone->invoke_us,
                        gone->complete_us),
            fmt::format("get via n{} [{}, {}] ok: present", r.member + 1, r.invoke_us,
                        r.complete_us)}});
      break;  // One per key is enough to show it.
    }
  }
  out.notes.push_back(
      fmt::format("lease: {} leased keys, {} seen expired by a read", keys_.size(), expired_seen));
  return out;
}

}  // namespace regent::chaos
