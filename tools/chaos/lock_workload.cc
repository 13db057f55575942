#include "lock_workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "client/kv.h"
#include "client/mutex.h"
#include "client/session.h"

namespace regent::chaos {

namespace {
const std::string kLockName = "rgchaos/lock";
const std::string kFence = "rgchaos/lock-fence";
// Zero-padded, so that etcd's byte-wise value comparison orders tokens as numbers.
std::string pad(int64_t token) { return fmt::format("{:020}", token); }
}  // namespace

void LockWorkload::step(int worker, Prng& /*rng*/) {
  std::shared_ptr<client::Session> session;
  {
    std::lock_guard lock(mu_);
    session = sessions_[worker];
  }
  if (!session || session->lost()) {
    const uint64_t invoke = run_micros();
    auto created = client::Session::create(cluster_.any_client(),
                                           client::SessionOptions{.ttl = std::chrono::seconds(3)},
                                           client::Context::with_timeout(std::chrono::seconds(3)));
    log_.record(name(), invoke, run_micros(), outcome_of_write(created), error_of(created));
    if (!created) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      return;
    }
    session = *created;
    std::lock_guard lock(mu_);
    sessions_[worker] = session;
  }
  client::KV kv(cluster_.any_client());
  // The fence starts at zero; creating it is idempotent.
  client::Txn init;
  init.compare.push_back(client::Compare::version(kFence, client::Compare::Relation::kEqual, 0));
  init.success.push_back(client::Op::put_op(kFence, pad(0)));
  (void)kv.txn(init);

  client::Mutex mutex(session, kLockName);
  uint64_t invoke = run_micros();
  auto locked = mutex.lock(client::Context::with_timeout(std::chrono::seconds(4)));
  log_.record(name(), invoke, run_micros(), locked ? Outcome::kOk : Outcome::kFailed,
              error_of(locked));
  if (!locked) return;
  Hold hold{.worker = worker,
            .lease = session->lease(),
            .token = mutex.revision(),
            .lock_invoke_us = invoke,
            .lock_complete_us = run_micros()};
  client::Txn fenced;
  fenced.compare.push_back(
      client::Compare::value_of(kFence, client::Compare::Relation::kLess, pad(hold.token)));
  fenced.success.push_back(client::Op::put_op(kFence, pad(hold.token)));
  hold.write_invoke_us = run_micros();
  auto wrote = kv.txn(fenced);
  hold.write_complete_us = run_micros();
  hold.write = outcome_of_write(wrote);
  hold.succeeded = wrote && wrote->succeeded;
  log_.record(name(), hold.write_invoke_us, hold.write_complete_us, hold.write, error_of(wrote));
  invoke = run_micros();
  auto unlocked = mutex.unlock(client::Context::with_timeout(std::chrono::seconds(3)));
  log_.record(name(), invoke, run_micros(), outcome_of_write(unlocked), error_of(unlocked));
  std::lock_guard lock(mu_);
  holds_.push_back(hold);
}

void LockWorkload::finish() {
  std::map<int, std::shared_ptr<client::Session>> sessions;
  {
    std::lock_guard lock(mu_);
    sessions.swap(sessions_);
  }
  for (auto& [worker, s] : sessions) {
    (void)s->close(client::Context::with_timeout(std::chrono::seconds(2)));
  }
  client::KV kv(cluster_.any_client());
  for (int attempt = 0; attempt < 20 && !final_fence_; ++attempt) {
    auto r = kv.get(kFence);
    if (r) {
      final_fence_ = r->kvs.empty() ? 0 : std::stoll(r->kvs.front().value);
    } else {
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
}

namespace {

// Tokens must agree with real time: by token descending, no hold whose interval (its lock, or
// its fenced write) began after a strictly larger token's interval ended. Equal tokens are one
// key held again by its own session (its unlock failed and the key survived), never compared.
// Returns the first such pair (larger, smaller), if any.
template <class Begin, class End>
std::optional<std::pair<const LockWorkload::Hold*, const LockWorkload::Hold*>> against_real_time(
    std::vector<const LockWorkload::Hold*> holds, Begin begin, End end) {
  std::sort(holds.begin(), holds.end(), [](auto* a, auto* b) { return a->token > b->token; });
  const LockWorkload::Hold* earliest_larger = nullptr;  // Among tokens above the current one.
  for (size_t i = 0; i < holds.size();) {
    size_t j = i;  // [i, j): one token.
    for (; j < holds.size() && holds[j]->token == holds[i]->token; ++j) {
      if (earliest_larger && end(*earliest_larger) < begin(*holds[j])) {
        return std::make_pair(earliest_larger, holds[j]);
      }
    }
    for (; i < j; ++i) {
      if (!earliest_larger || end(*holds[i]) < end(*earliest_larger)) earliest_larger = holds[i];
    }
  }
  return std::nullopt;
}

std::string show_lock(const LockWorkload::Hold& h) {
  return fmt::format("worker {} (lease {:x}) lock -> token {} [{}, {}] ok", h.worker, h.lease,
                     h.token, h.lock_invoke_us, h.lock_complete_us);
}

std::string show_write(const LockWorkload::Hold& h) {
  return fmt::format("worker {} fenced write token {} [{}, {}] ok", h.worker, h.token,
                     h.write_invoke_us, h.write_complete_us);
}

}  // namespace

CheckResult LockWorkload::check() {
  CheckResult out;
  std::lock_guard lock(mu_);
  std::map<int64_t, const Hold*> by_token;
  std::vector<const Hold*> all, wins;  // Wins: ok fenced writes whose guard held.
  for (const auto& h : holds_) {
    all.push_back(&h);
    if (h.write == Outcome::kOk && h.succeeded) wins.push_back(&h);
    auto [it, fresh] = by_token.emplace(h.token, &h);
    // The same token again for the same session is its own key, still there (a failed unlock):
    // etcd's lock recipe hands a session its existing key back. Another session may never get it.
    if (!fresh && it->second->lease != h.lease) {
      out.violations.push_back({name(),
                                fmt::format("fencing token {} was handed to two holders", h.token),
                                {show_lock(*it->second), show_lock(h)}});
    }
  }
  if (auto pair = against_real_time(
          wins, [](const Hold& h) { return h.write_invoke_us; },
          [](const Hold& h) { return h.write_complete_us; })) {
    out.violations.push_back(
        {name(),
         fmt::format("fenced write with token {} succeeded after one with token {} completed",
                     pair->second->token, pair->first->token),
         {show_write(*pair->first), show_write(*pair->second)}});
  }
  if (auto pair = against_real_time(
          all, [](const Hold& h) { return h.lock_invoke_us; },
          [](const Hold& h) { return h.lock_complete_us; })) {
    out.violations.push_back({name(),
                              fmt::format("token {} acquired after token {} had been",
                                          pair->second->token, pair->first->token),
                              {show_lock(*pair->first), show_lock(*pair->second)}});
  }
  int64_t largest = 0;
  for (const Hold* h : wins) largest = std::max(largest, h->token);
  if (!final_fence_) {
    out.notes.push_back("lock: the fence could not be read at the end");
  } else if (*final_fence_ < largest) {
    out.violations.push_back(
        {name(),
         fmt::format("the fence ends at {}, below token {} whose write was acknowledged",
                     *final_fence_, largest),
         {},
         true});
    ++out.acknowledged_lost;
  }
  out.notes.push_back(
      fmt::format("lock: {} acquisitions, {} fenced writes succeeded", holds_.size(), wins.size()));
  return out;
}

}  // namespace regent::chaos
