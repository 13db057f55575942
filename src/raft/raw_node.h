// The synchronous API of one member's consensus core, for the host that owns threads, disks and
// sockets.
//
// The host's loop:
//   1. Feed inputs: tick() on a timer, step() for every peer message, propose()/read_index()/...
//   2. If has_ready(), take ready() and, in this order:
//      a. send `messages` (they do not depend on this round's writes and may go out at once,
//         even while b is in progress: the leader replicates while it writes, §10.2.1);
//      b. persist `snapshot`, `entries` and `hard_state` (durably if must_sync), after every
//         earlier Ready's;
//      c. send `messages_after_persist` (votes and append acknowledgements: promises that hold
//         only once b is durable);
//      d. install `snapshot` into the state machine, then apply `committed_entries` in order
//         (calling apply_conf_change for configuration entries) and answer `read_states` once
//         the applied index reaches their index; committed entries are durable on a majority
//         already, so they may be applied before b completes, unless a snapshot comes first;
//      e. call advance() once b is durable and d done.
//   Inputs may come at any time, and several Readys may be outstanding (a pipeline: the next
//   round's messages go out while the previous round's write is syncing); advance()
//   acknowledges the oldest. A leader counts its own entries toward commit only at advance().
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "common/assert.h"
#include "raft/raft.h"

namespace regent::raft {

struct Ready {
  std::optional<SoftState> soft_state;  // Set if leader or role changed.
  std::optional<HardState> hard_state;  // Set if term, vote or commit changed.
  std::vector<ReadState> read_states;
  std::vector<Entry> entries;            // To append to stable storage.
  std::optional<Snapshot> snapshot;      // To persist and install (a follower catching up).
  std::vector<Entry> committed_entries;  // To apply.
  std::vector<Message> messages;
  std::vector<Message> messages_after_persist;
  // Entries or a term/vote change must reach the disk before messages_after_persist go out.
  // A commit-only change may be written lazily.
  bool must_sync = false;
};

struct Status {
  NodeId id = kNone;
  HardState hard_state;
  SoftState soft_state;
  Index applied = 0;
  Index last_index = 0;
  NodeId lead_transferee = kNone;
  ConfState conf_state;
  // Leader only: each member's match and state, for status pages and tests.
  std::map<NodeId, std::string> progress;
};

class RawNode {
  // Runs an input and, in debug builds, checks the core's invariants afterwards. (Defined first:
  // the inline inputs below deduce their return types from it.)
  template <class F>
  auto guarded(F&& f) {
    if constexpr (std::is_void_v<decltype(f())>) {
      f();
      debug_check();
    } else {
      auto result = f();
      debug_check();
      return result;
    }
  }
  void debug_check() const {
#ifndef NDEBUG
    raft_.check_invariants();
#endif
  }

 public:
  explicit RawNode(const Config& config);

  void tick() {
    guarded([&] { raft_.tick(); });
  }
  Error campaign() {
    return guarded([&] { return raft_.campaign(); });
  }
  Error propose(std::string data);
  // Proposes several entries as one batch (one append, one round of messages).
  Error propose_batch(std::vector<std::string> data);
  Error propose_conf_change(const ConfChange& cc);
  // Messages not addressed to this member, or claiming to be from it, are ignored.
  Error step(const Message& m);
  Error read_index(std::string context) {
    return guarded([&] { return raft_.read_index(std::move(context)); });
  }
  Error transfer_leader(NodeId target) {
    return guarded([&] { return raft_.transfer_leader(target); });
  }
  void report_unreachable(NodeId id) {
    guarded([&] { raft_.report_unreachable(id); });
  }
  void report_leader_down(NodeId id) {
    guarded([&] { raft_.report_leader_down(id); });
  }
  void report_snapshot(NodeId id, bool success) {
    guarded([&] { raft_.report_snapshot(id, success); });
  }
  ConfState apply_conf_change(const ConfChange& cc);

  bool has_ready() const;
  Ready ready();
  // The oldest outstanding Ready was persisted and its committed entries applied.
  void advance();
  size_t outstanding() const { return outstanding_.size(); }

  Status status() const;
  const Raft& raft() const { return raft_; }

 private:
  Raft raft_;
  SoftState prev_soft_;
  HardState prev_hard_;

  // What each outstanding Ready handed out, oldest first, acknowledged by advance().
  struct Outstanding {
    Index last_index = 0;
    Term last_term = 0;
    Index snapshot_index = 0;
    Index applied = 0;
    uint64_t applied_payload = 0;
  };
  std::deque<Outstanding> outstanding_;
};

}  // namespace regent::raft
