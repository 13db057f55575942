// Queues of keys under a prefix, as elections and locks use them (etcd's concurrency recipes,
// served by the member itself): each candidate holds one key `<prefix><lease in hex>` attached
// to its lease, and the candidate whose key has the lowest create revision is at the head (the
// leader, the lock holder). Everyone else waits for the key just before its own to go.
//
// Invariants:
//  - A waiter is answered exactly once: its turn came, its own key vanished (its lease expired
//    or someone resigned it), it was cancelled, or the member stopped.
//  - A waiter looks for a new predecessor only when the one it waits for is gone (a delete or an
//    expired lease); in between, each apply costs it two single-key lookups (its own key and the
//    predecessor's), never a scan of the prefix: no thundering herd, even server-side.
//  - Head watchers are told about every change of the head's key or value, in order, and never
//    twice about the same one.
//  - Checks read the state machine between two applies, under the queue's own lock, and every
//    apply runs the checks after it, so no turn can be missed between a check and a wait.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "kv/types.h"
#include "server/host/raft_node.h"
#include "server/node/failure.h"
#include "server/node/state_machine.h"

namespace regent::server {

// The first key after every key that starts with `prefix` (etcd's GetPrefixRangeEnd).
std::string prefix_end(std::string prefix);

class CandidateQueues final : public NodeObserver {
 public:
  using TurnDone = std::function<void(Expected<void, Failure>)>;
  // Called with the head's key-value (nullopt: the queue is empty).
  using HeadChanged = std::function<void(const std::optional<kv::KeyValue>&)>;

  explicit CandidateQueues(const StateMachine& machine) : machine_(machine) {}

  // Calls done once `key` (created at `create_revision`) heads the queue under `prefix`. Returns
  // a handle for cancel(). `done` may run before wait_turn returns, or on the Raft loop.
  uint64_t wait_turn(std::string prefix, std::string key, int64_t create_revision, TurnDone done);
  // Calls on_change with the current head at once, then after every change of it.
  uint64_t watch_head(std::string prefix, HeadChanged on_change);
  // Forgets a waiter or a head watcher without calling it. False if it already completed.
  bool cancel(uint64_t handle);
  // Fails every waiter (the member stops).
  void fail_all(const Failure& f);

  // The head of the queue under `prefix`, as the store holds it now.
  std::optional<kv::KeyValue> head(const std::string& prefix) const;

  void on_applied(raft::Index applied, int64_t revision) override;

 private:
  struct Waiter {
    std::string prefix;
    std::string key;
    int64_t create_revision = 0;
    TurnDone done;
    // The key just before ours, with its create revision; empty when not yet known.
    std::string predecessor;
    int64_t predecessor_revision = 0;
  };
  struct HeadWatch {
    std::string prefix;
    HeadChanged on_change;
    std::optional<std::pair<std::string, int64_t>> last;  // key, mod revision last reported
  };

  // nullopt: keep waiting; else the outcome.
  std::optional<Expected<void, Failure>> examine(const kv::Store& s, Waiter& w) const;
  bool notify_if_changed(const kv::Store& s, HeadWatch& h, bool always) const;

  const StateMachine& machine_;
  std::mutex mu_;
  uint64_t next_handle_ = 0;
  std::map<uint64_t, Waiter> waiters_;
  std::map<uint64_t, HeadWatch> heads_;
};

}  // namespace regent::server
