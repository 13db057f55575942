// What the leader knows of one follower's log, and how it sends to it.
//
// States (Raft thesis §3.5 plus etcd's flow control):
//   kProbe     - the leader does not know where the follower's log matches; it sends one append
//                per heartbeat interval and waits for the answer (probe_sent pauses it).
//   kReplicate - the follower is in sync; appends are pipelined up to the inflight window and
//                next is advanced optimistically as they are sent.
//   kSnapshot  - the follower needs a snapshot (its next entry was compacted); nothing else is
//                sent until the snapshot is reported applied or failed.
// Invariant: 0 <= match < next.
#pragma once

#include <string>

#include "raft/tracker/inflights.h"
#include "raft/types.h"

namespace regent::raft::tracker {

enum class ProgressState { kProbe, kReplicate, kSnapshot };

std::string_view to_string(ProgressState s);

struct Progress {
  Progress(Index next_index, size_t max_inflight, uint64_t max_inflight_bytes, bool learner)
      : next(next_index), inflights(max_inflight, max_inflight_bytes), is_learner(learner) {}

  Index match = 0;
  Index next = 1;
  ProgressState state = ProgressState::kProbe;
  // In kSnapshot: the index of the snapshot being sent.
  Index pending_snapshot = 0;
  // Whether the follower answered since the last check-quorum round.
  bool recent_active = false;
  // In kProbe: an append was sent and its answer (or a heartbeat answer) is awaited.
  bool probe_sent = false;
  Inflights inflights;
  bool is_learner = false;
  // The follower reported losing entries it had acknowledged (raft.h, "Lost log"): its match
  // does not count toward commit until it reaches this index again. 0: it counts.
  Index lost_log_until = 0;

  void become_probe();
  void become_replicate();
  void become_snapshot(Index snapshot_index);

  // Records that appends up to `last` (weighing `bytes`) were sent. In kReplicate it advances
  // next and fills the window; in kProbe it pauses until an answer comes.
  void sent_entries(Index last, uint64_t bytes);
  // Records that an empty append (a probe with no entries, or a commit update) was sent.
  void sent_probe();

  // The follower acknowledged up to n. Returns whether match advanced. Unpauses a probe.
  bool maybe_update(Index n);

  // The follower rejected an append at index `rejected` and hinted its log matches at most up to
  // `match_hint`. Returns false if the rejection is stale (out of order) and was ignored.
  bool maybe_decrease_to(Index rejected, Index match_hint);

  // Whether the leader should hold back appends to this follower for now.
  bool is_paused() const;

  // "StateReplicate match=5 next=6 inflight=2"
  std::string describe() const;

 private:
  void reset_state(ProgressState s);
};

}  // namespace regent::raft::tracker
