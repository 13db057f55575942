// The membership configuration and every member's Progress, as the leader (or a candidate,
// for votes) sees it.
//
// Invariants: every voter (either half) and every learner has a Progress and nothing else has;
// learners and voters are disjoint; learners_next is a subset of the outgoing voters.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <vector>

#include "raft/quorum/quorum.h"
#include "raft/tracker/progress.h"
#include "raft/types.h"

namespace regent::raft::tracker {

struct Config {
  quorum::JointConfig voters;
  // Leave the joint configuration on our own once it is applied (see ConfChangeTransition).
  bool auto_leave = false;
  std::set<NodeId> learners;
  // Voters of the outgoing half that become learners when the joint configuration is left
  // (a node cannot be both a voter and a learner at once, so the demotion waits).
  std::set<NodeId> learners_next;

  // "voters=(1 2 3)&&(1 2) learners=(4) learners_next=(3) autoleave"
  std::string describe() const;
  bool operator==(const Config&) const = default;
};

using ProgressMap = std::map<NodeId, Progress>;

class ProgressTracker {
 public:
  ProgressTracker(size_t max_inflight, uint64_t max_inflight_bytes);

  Config config;
  ProgressMap progress;

  ConfState conf_state() const;
  // Exactly one voter and not joint: this node decides alone.
  bool is_singleton() const;

  // The largest index a quorum of voters has acknowledged (match), honouring joint configs.
  Index committed() const;
  // Whether a quorum of voters was recently active (recent_active), the leader counting itself.
  bool quorum_active(NodeId self) const;

  // Sorted ids.
  std::vector<NodeId> voter_nodes() const;
  std::vector<NodeId> learner_nodes() const;
  // Calls f for every tracked member in id order.
  void visit(const std::function<void(NodeId, Progress&)>& f);

  void reset_votes();
  // Records a member's vote; a second vote from the same member is ignored.
  void record_vote(NodeId id, bool granted);
  struct Tally {
    size_t granted = 0;
    size_t rejected = 0;
    quorum::VoteResult result = quorum::VoteResult::kPending;
  };
  Tally tally_votes() const;

  size_t max_inflight() const { return max_inflight_; }
  uint64_t max_inflight_bytes() const { return max_inflight_bytes_; }

 private:
  size_t max_inflight_;
  uint64_t max_inflight_bytes_;
  std::map<NodeId, bool> votes_;
};

}  // namespace regent::raft::tracker
