#include "server/election/candidate_queue.h"

#include <vector>

namespace regent::server {

namespace {

Failure session_expired() {
  // etcd's concurrency package reports a candidate whose key vanished this way.
  return Failure{StatusCode::FAILED_PRECONDITION, "election: session expired"};
}

}  // namespace

std::string prefix_end(std::string prefix) {
  while (!prefix.empty()) {
    if (static_cast<unsigned char>(prefix.back()) < 0xff) {
      prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');  // Every key.
}

std::optional<kv::KeyValue> CandidateQueues::head(const std::string& prefix) const {
  return machine_.read([&](const kv::Store& s) -> std::optional<kv::KeyValue> {
    kv::RangeRequest r{.key = prefix, .range_end = prefix_end(prefix), .limit = 1};
    r.sort_order = kv::RangeRequest::SortOrder::kAscend;
    r.sort_target = kv::RangeRequest::SortTarget::kCreate;
    auto got = s.range(r);
    if (!got || got->kvs.empty()) return std::nullopt;
    return got->kvs.front();
  });
}

std::optional<Expected<void, Failure>> CandidateQueues::examine(const kv::Store& s,
                                                                Waiter& w) const {
  auto own = s.range({.key = w.key});
  if (!own || own->kvs.empty() || own->kvs[0].create_revision != w.create_revision) {
    return Expected<void, Failure>(unexpected(session_expired()));
  }
  if (!w.predecessor.empty()) {
    auto pred = s.range({.key = w.predecessor});
    if (pred && !pred->kvs.empty() && pred->kvs[0].create_revision == w.predecessor_revision) {
      return std::nullopt;  // Still there: nothing else can have changed our turn.
    }
  }
  // The latest-created key before ours, if any, is the one to wait for.
  kv::RangeRequest r{.key = w.prefix, .range_end = prefix_end(w.prefix), .limit = 1};
  r.sort_order = kv::RangeRequest::SortOrder::kDescend;
  r.sort_target = kv::RangeRequest::SortTarget::kCreate;
  r.max_create_revision = w.create_revision - 1;
  auto pred = s.range(r);
  if (!pred || pred->kvs.empty()) return Expected<void, Failure>{};
  w.predecessor = pred->kvs[0].key;
  w.predecessor_revision = pred->kvs[0].create_revision;
  return std::nullopt;
}

bool CandidateQueues::notify_if_changed(const kv::Store& s, HeadWatch& h, bool always) const {
  kv::RangeRequest r{.key = h.prefix, .range_end = prefix_end(h.prefix), .limit = 1};
  r.sort_order = kv::RangeRequest::SortOrder::kAscend;
  r.sort_target = kv::RangeRequest::SortTarget::kCreate;
  auto got = s.range(r);
  std::optional<kv::KeyValue> now;
  if (got && !got->kvs.empty()) now = got->kvs.front();
  std::optional<std::pair<std::string, int64_t>> id;
  if (now) id = std::make_pair(now->key, now->mod_revision);
  if (id == h.last && !always) return false;
  h.last = id;
  h.on_change(now);
  return true;
}

uint64_t CandidateQueues::wait_turn(std::string prefix, std::string key, int64_t create_revision,
                                    TurnDone done) {
  std::optional<Expected<void, Failure>> outcome;
  uint64_t handle = 0;
  {
    std::lock_guard lock(mu_);
    handle = ++next_handle_;
    Waiter w{std::move(prefix), std::move(key), create_revision, {}, {}, 0};
    outcome = machine_.read([&](const kv::Store& s) { return examine(s, w); });
    if (!outcome) {
      w.done = std::move(done);
      waiters_.emplace(handle, std::move(w));
    }
  }
  if (outcome) done(std::move(*outcome));
  return handle;
}

uint64_t CandidateQueues::watch_head(std::string prefix, HeadChanged on_change) {
  std::lock_guard lock(mu_);
  const uint64_t handle = ++next_handle_;
  HeadWatch& h = heads_[handle];
  h.prefix = std::move(prefix);
  h.on_change = std::move(on_change);
  machine_.read([&](const kv::Store& s) { return notify_if_changed(s, h, /*always=*/true); });
  return handle;
}

bool CandidateQueues::cancel(uint64_t handle) {
  std::lock_guard lock(mu_);
  return waiters_.erase(handle) + heads_.erase(handle) > 0;
}

void CandidateQueues::fail_all(const Failure& f) {
  std::map<uint64_t, Waiter> failed;
  {
    std::lock_guard lock(mu_);
    failed.swap(waiters_);
    heads_.clear();
  }
  for (auto& [handle, w] : failed) w.done(unexpected(f));
}

void CandidateQueues::on_applied(raft::Index, int64_t) {
  std::vector<std::pair<TurnDone, Expected<void, Failure>>> finished;
  {
    std::lock_guard lock(mu_);
    if (waiters_.empty() && heads_.empty()) return;
    machine_.read([&](const kv::Store& s) {
      for (auto it = waiters_.begin(); it != waiters_.end();) {
        if (auto outcome = examine(s, it->second)) {
          finished.emplace_back(std::move(it->second.done), std::move(*outcome));
          it = waiters_.erase(it);
        } else {
          ++it;
        }
      }
      // Under the lock, so that watchers hear of heads in the order they changed.
      for (auto& [handle, h] : heads_) notify_if_changed(s, h, /*always=*/false);
      return 0;
    });
  }
  for (auto& [done, outcome] : finished) done(std::move(outcome));
}

}  // namespace regent::server
