// The leader changes this member saw, each with its cause as far as this member can tell, and
// the time it took to know a new leader after losing one, by that cause
// (regent_leader_gap_seconds).
//
// The causes come from evidence this member holds, never from guesses:
//  - "transfer": a leadership transfer was under way (this member received TimeoutNow, or a vote
//    request marked as a transfer's campaign, since the last leader it knew);
//  - "leader_process_gone": the transport reported the leader's peer port refusing connections
//    after its stream broke (transport::Handler::on_peer_down), before the loss or while the
//    next leader was still unknown;
//  - "lost_quorum": this member led and stepped down in the same term (check-quorum, the only
//    way Raft's core leaves leadership without a higher term: raft_leader.cc);
//  - "election_timeout": this member followed and lost its leader in the same term, with no
//    report of the leader's process gone: its own election timer fired (with pre-vote, a
//    follower drops its leader without changing term only then); or it granted another
//    member's pre-vote while following (Raft grants one only once its leader has been silent
//    for an election timeout, or was reported gone) and then lost its leader to that election;
//  - "unknown": anything else, with what is known (a member that called an election in a
//    higher term, whose reason for doing so this member cannot see).
//
// Invariants: the history holds at most kHistory entries, oldest first; every loss recorded
// has a cause; a gap is recorded only between a loss this member saw and the next leader (a
// leader replaced without a leaderless moment here records no gap); thread-safe (the loop
// thread reports leaders, the transport's threads report messages and dead peers).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "raft/message.h"
#include "server/host/latency_histogram.h"
#include "server/node/node_core.h"

namespace regent::server {

class LeaderChangeLog final : public NodeObserver {
 public:
  using SteadyClock = std::chrono::steady_clock;

  struct Change {
    std::chrono::system_clock::time_point at;
    raft::Term term = 0;
    raft::NodeId leader = raft::kNone;            // kNone: the leader was lost.
    raft::NodeId previous = raft::kNone;          // The leader before (kNone: none known).
    std::string cause;                            // A label: transfer, leader_process_gone, ...
    std::string detail;                           // The cause in words, with what is known.
    std::optional<double> elected_after_seconds;  // New leaders only: the gap before them.
  };
  static constexpr size_t kHistory = 20;
  explicit LeaderChangeLog(raft::NodeId self) : self_(self) {}

  // NodeObserver; the loop thread.
  void on_leader(raft::NodeId leader, bool is_self, raft::Term term) override;
  // Raft messages as they arrive, before the core sees them; any thread.
  void note_received(const std::vector<raft::Message>& messages);
  // Raft messages this member sends; any thread.
  void note_sent(const std::vector<raft::Message>& messages);
  // The transport's report that `peer`'s process is gone; any thread.
  void note_peer_down(raft::NodeId peer);

  std::vector<Change> history() const;
  // From losing the leader to knowing the next one, per cause label (only labels seen so far);
  // the histograms live as long as the log.
  std::vector<std::pair<std::string, const LatencyHistogram*>> gaps() const;

  // For tests: the loop's report with an explicit time.
  void on_leader_at(raft::NodeId leader, raft::Term term, SteadyClock::time_point now);

 private:
  struct Cause {
    std::string label;
    std::string detail;
  };
  Cause classify(raft::Term term) const;  // Under mu_: why known_leader_ was lost.
  void push(Change change);               // Under mu_.
  void forget_evidence();                 // Under mu_.

  const raft::NodeId self_;
  mutable std::mutex mu_;
  raft::NodeId known_leader_ = raft::kNone;
  raft::Term known_term_ = 0;
  bool ever_led_ = false;  // A leader was known at least once.
  // The loss not yet followed by a leader.
  struct Loss {
    SteadyClock::time_point at;
    raft::NodeId leader = raft::kNone;
    Cause cause;
  };
  std::optional<Loss> loss_;
  // Evidence since the last leader known.
  bool transfer_ = false;
  std::set<raft::NodeId> down_;
  std::optional<std::pair<raft::NodeId, raft::Term>> caller_;  // A vote request, higher term.
  bool granted_pre_vote_ = false;  // While following a leader: its silence, as Raft judged it.
  std::deque<Change> history_;
  std::map<std::string, std::unique_ptr<LatencyHistogram>> gaps_;
};

}  // namespace regent::server
