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

CheckResult LockWorkload::check() {
  CheckResult out;
  std::lock_guard lock(mu_);
  std::map<int64_t, const Hold*> by_token;
  for (const auto& h : holds_) {
    auto [it, fresh] = by_token.emplace(h.token, &h);
    if (!fresh) {
      out.violations.push_back(
          {name(),
           fmt::format("fencing token {} was handed to two holders", h.token),
           {fmt::format("worker {} acquired with token {}", it->second->worker, h.token),
            fmt::format("worker {} acquired with token {}", h.worker, h.token)}});
    }
  }
  // Ok fenced writes that succeeded, by token descending: none may be invoked after a write
  // with a larger token completed.
  std::vector<const Hold*> wins;
  for (const auto& h : holds_) {
    if (h.write == Outcome::kOk && h.succeeded) wins.push_back(&h);
  }
  std::sort(wins.begin(), wins.end(), [](auto* a, auto* b) { return a->token > b->token; });
  const Hold* earliest_larger = nullptr;
  for (const Hold* h : wins) {
    if (earliest_larger && earliest_larger->write_complete_us < h->write_invoke_us) {
      out.violations.push_back(
          {name(),
           fmt::format("fenced write with token {} succeeded after one with token {} completed",
                       h->token, earliest_larger->token),
           {fmt::format("worker {} fenced write token {} [{}, {}] ok", earliest_larger->worker,
                        earliest_larger->token, earliest_larger->write_invoke_us,
                        earliest_larger->write_complete_us),
            fmt::format("worker {} fenced write token {} [{}, {}] ok", h->worker, h->token,
                        h->write_invoke_us, h->write_complete_us)}});
    }
    if (!earliest_larger || h->write_complete_us < earliest_larger->write_complete_us) {
      earliest_larger = h;
    }
  }
  // Tokens grow in real time: by token descending, no acquisition with a smaller token may be
  // invoked after one with a larger token completed.
  std::vector<const Hold*> all;
  for (const auto& h : holds_) all.push_back(&h);
  std::sort(all.begin(), all.end(), [](auto* a, auto* b) { return a->token > b->token; });
  const Hold* first_larger = nullptr;
  for (const Hold* h : all) {
    if (first_larger && first_larger->lock_complete_us < h->lock_invoke_us) {
      out.violations.push_back(
          {name(),
           fmt::format("token {} acquired after token {} had been", h->token, first_larger->token),
           {fmt::format("worker {} lock -> token {} [{}, {}] ok", first_larger->worker,
                        first_larger->token, first_larger->lock_invoke_us,
                        first_larger->lock_complete_us),
            fmt::format("worker {} lock -> token {} [{}, {}] ok", h->worker, h->token,
                        h->lock_invoke_us, h->lock_complete_us)}});
      break;
    }
    if (!first_larger || h->lock_complete_us < first_larger->lock_complete_us) first_larger = h;
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
