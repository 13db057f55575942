#include "set_workload.h"

#include <fmt/format.h>

#include <map>
#include <thread>

#include "client/kv.h"

namespace regent::chaos {

namespace {
const std::string kSetPrefix = "rgchaos/set/";
}

void SetWorkload::step(int /*worker*/, Prng& rng) {
  Add add{.element = next_.fetch_add(1)};
  const int member = static_cast<int>(rng.uniform(static_cast<uint64_t>(cluster_.size())));
  client::KV kv(cluster_.client(member));
  add.invoke_us = run_micros();
  auto r = kv.put(fmt::format("{}{:08}", kSetPrefix, add.element), std::to_string(add.element));
  add.outcome = outcome_of_write(r);
  add.complete_us = run_micros();
  log_.record(name(), add.invoke_us, add.complete_us, add.outcome, error_of(r));
  std::lock_guard lock(mu_);
  adds_.push_back(add);
}

void SetWorkload::finish() {
  client::KV kv(cluster_.any_client());
  // Bounded: the cluster was healed and waited for; a minute covers a slow election.
  for (int attempt = 0; attempt < 30; ++attempt) {
    const uint64_t invoke = run_micros();
    auto r = kv.get(kSetPrefix, client::GetOptions{.prefix = true});
    if (r) {
      std::set<uint64_t> elements;
      for (const auto& item : r->kvs) elements.insert(std::stoull(item.value));
      final_read_ = std::move(elements);
      final_read_us_ = invoke;
      log_.record(name(), invoke, run_micros(), Outcome::kOk);
      return;
    }
    final_read_error_ = r.error().describe();
    log_.record(name(), invoke, run_micros(), Outcome::kFailed, final_read_error_);
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
}

CheckResult SetWorkload::check() {
  CheckResult out;
  std::lock_guard lock(mu_);
  if (!final_read_) {
    out.violations.push_back({name(), "the final read never succeeded: " + final_read_error_, {}});
    return out;
  }
  std::map<uint64_t, const Add*> attempted;
  for (const auto& a : adds_) attempted[a.element] = &a;
  auto show = [](const Add& a) {
    return fmt::format("add {} [{}, {}] {}", a.element, a.invoke_us, a.complete_us,
                       to_string(a.outcome));
  };
  uint64_t unknown_present = 0;
  for (const auto& a : adds_) {
    const bool present = final_read_->count(a.element) > 0;
    if (a.outcome == Outcome::kOk && !present) {
      ++out.acknowledged_lost;
      out.violations.push_back(
          {name(),
           fmt::format("acknowledged add {} is missing from the final read", a.element),
           {show(a), fmt::format("final read [{}, ...] ok: {} elements, without {}", final_read_us_,
                                 final_read_->size(), a.element)},
           true,
           out.acknowledged_lost <= 5});
    } else if (a.outcome == Outcome::kFailed && present) {
      out.violations.push_back(
          {name(),
           fmt::format("add {} failed, yet the final read holds it", a.element),
           {show(a), fmt::format("final read [{}, ...] ok: holds {}", final_read_us_, a.element)}});
    } else if (a.outcome == Outcome::kUnknown && present) {
      ++unknown_present;
    }
  }
  for (uint64_t e : *final_read_) {
    if (attempted.count(e) == 0) {
      out.violations.push_back(
          {name(),
           fmt::format("the final read holds {}, which no client added", e),
           {fmt::format("final read [{}, ...] ok: holds {}", final_read_us_, e)}});
    }
  }
  out.notes.push_back(fmt::format("set: {} elements read back; {} adds of unknown outcome present",
                                  final_read_->size(), unknown_present));
  return out;
}

}  // namespace regent::chaos
