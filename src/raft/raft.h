// The Raft protocol state machine of one member.
//
// Pure: no threads, no I/O, no clock, no ambient randomness. Inputs are tick(), step(message) and
// the local node's requests; outputs accumulate in the public output buffers that RawNode turns
// into a Ready. Section numbers refer to Ongaro's thesis ("Consensus: Bridging Theory and
// Practice", 2014).
//
// Invariants (checked by check_invariants() after every input in debug builds):
//  - Election safety: a member grants at most one vote per term (vote_ is persisted before the
//    grant is sent: kVoteResponse is sent only after the Ready that holds the vote is durable).
//  - Leader append-only: a leader never truncates or rewrites its own log; only a follower's
//    maybe_append truncates, and never at or below its commit index.
//  - Commit rule (§3.6.2, the figure-8 case): the leader advances commit only to an entry of its
//    own term that a quorum has persisted; the leader counts itself only after its own entries
//    are durable (on_persisted), so it may send them to followers while still writing them.
//  - applied <= committed <= last index; terms never decrease.
//  - Role data: lead_transferee, the read-only queue and pending reads exist only while leader;
//    votes are only meaningful while (pre-)candidate.
//  - Lost log (Protocol-Aware Recovery, FAST 2018): a member that knows it lost entries it may
//    have acknowledged — its stored commit is past its recovered log, or a leader names a commit
//    beyond its log — neither grants (pre-)votes nor campaigns until it holds, durably and known
//    committed, every index any leader told it was committed since (catching_up_to()). A leader
//    told so lowers that follower's match (the one place a match goes down), probes it again,
//    and does not count it toward commit until it is back at the larger of its old match and
//    the commit index (Progress::lost_log_until).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/logger.h"
#include "common/prng.h"
#include "raft/conf_change.h"
#include "raft/confchange/changer.h"
#include "raft/config.h"
#include "raft/errors.h"
#include "raft/log/raft_log.h"
#include "raft/message.h"
#include "raft/read_only.h"
#include "raft/tracker/progress_tracker.h"

namespace regent::raft {

enum class Role { kFollower, kPreCandidate, kCandidate, kLeader };

std::string_view to_string(Role r);

// Volatile state the host may want to observe (who leads, our role). Not persisted.
struct SoftState {
  NodeId lead = kNone;
  Role role = Role::kFollower;
  bool operator==(const SoftState&) const = default;
};

class Raft {
 public:
  explicit Raft(const Config& config);

  // --- Inputs ---------------------------------------------------------------------------------
  void tick();
  // Handles a message from a peer. Messages with stale terms, from unknown members or with
  // out-of-range indexes are ignored or answered; they never break an invariant.
  Error step(const Message& m);
  // Starts an election (pre-vote first when enabled). kNotPromotable for learners/removed members.
  Error campaign();
  // Appends entries as leader, or forwards them to the leader. Entries carry only type and data;
  // term and index are assigned here.
  Error propose(std::vector<Entry> entries);
  // Requests a linearizable read; the answer comes as a ReadState with the same context.
  Error read_index(std::string context);
  Error transfer_leader(NodeId target);
  void report_unreachable(NodeId id);
  // The host has evidence that member `id`'s process is gone. If it is our leader and
  // Config::campaign_on_leader_down is set, we drop the lease and campaign (pre-vote) within
  // 1..2*heartbeat_tick+1 ticks. Otherwise, or if the report is false, nothing changes.
  void report_leader_down(NodeId id);
  void report_snapshot(NodeId id, bool success);
  // Applies a committed membership change to the tracker; returns the resulting configuration.
  // Panics if the change is invalid for the current configuration (it was validated when
  // proposed; an invalid committed change means the logs diverged).
  ConfState apply_conf_change(const ConfChange& cc);
  // A Ready handed out the unstable entries and snapshot to persist, and the committed entries
  // up to `applying` (0: none) to apply: later Readys hand out only what comes after.
  void handed_out(Index applying) {
    log_.accept_unstable();
    if (applying > 0) log_.accept_applying(applying);
  }
  // The host made entries up to (index, term) durable (and the snapshot, if snapshot_index > 0).
  void on_persisted(Index index, Term term, Index snapshot_index);
  // The host applied committed entries up to `index`; their payload weighed `payload_bytes`
  // (released from the uncommitted-size budget).
  void on_applied(Index index, uint64_t payload_bytes);

  // --- Outputs, drained by RawNode ----------------------------------------------------------
  std::vector<Message> msgs;                // May be sent at once.
  std::vector<Message> msgs_after_persist;  // Only after this round's writes are durable.
  std::vector<ReadState> read_states;

  // --- Observation --------------------------------------------------------------------------
  NodeId id() const { return id_; }
  Term term() const { return term_; }
  NodeId vote() const { return vote_; }
  NodeId lead() const { return lead_; }
  Role role() const { return role_; }
  NodeId lead_transferee() const { return lead_transferee_; }
  HardState hard_state() const { return {term_, vote_, log_.committed()}; }
  SoftState soft_state() const { return {lead_, role_}; }
  RaftLog& log() { return log_; }
  const RaftLog& log() const { return log_; }
  const tracker::ProgressTracker& tracker() const { return trk_; }
  uint64_t uncommitted_size() const { return uncommitted_size_; }
  bool promotable() const;
  // Non-zero while this member lost entries it may have acknowledged and has not caught up past
  // this index (see the invariants above); it refuses votes meanwhile.
  Index catching_up_to() const { return catch_up_to_; }
  // Leader: how many times a follower reported a log shorter than what it had acknowledged.
  uint64_t lost_log_reports() const { return lost_log_reports_; }
  // Aborts with a description if an internal invariant does not hold.
  void check_invariants() const;

 private:
  // Role transitions (§3.3-3.4).
  void become_follower(Term term, NodeId lead);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void reset(Term term);
  void reset_randomized_election_timeout();

  // Time.
  void tick_election();
  void tick_heartbeat();
  bool past_election_timeout() const { return election_elapsed_ >= randomized_election_timeout_; }

  // Elections (raft_election.cc).
  Error hup(bool transfer);
  void start_election(bool pre_vote, bool transfer);
  void send_vote_request(MessageType type, NodeId to, Term term, bool transfer);
  void send_pre_vote(NodeId to);
  bool has_unapplied_conf_change() const;
  void handle_vote_request(const Message& m);
  bool yield_pre_vote_to_self(const Message& m) const;
  void handle_vote_response(const Message& m);
  bool step_higher_term(const Message& m);
  void step_lower_term(const Message& m);

  // Replication (raft_replication.cc).
  void send_append(NodeId to);
  bool maybe_send_append(NodeId to, bool send_if_empty);
  bool maybe_send_snapshot(NodeId to, tracker::Progress& pr);
  void send_heartbeat(NodeId to, const std::string& context);
  void bcast_append();
  void bcast_heartbeat();
  void bcast_heartbeat_with_context(const std::string& context);
  void handle_append(const Message& m);
  void handle_heartbeat(const Message& m);
  void handle_snapshot(const Message& m);
  bool restore(const Snapshot& snap);
  void handle_append_response(const Message& m, tracker::Progress& pr);
  void handle_heartbeat_response(const Message& m, tracker::Progress& pr);
  void handle_lost_log_report(const Message& m, tracker::Progress& pr);
  // Lost-log recovery (raft_replication.cc).
  void note_lost_log(Index promised, std::string_view why);
  void report_lost_log(NodeId leader);
  // An append or snapshot from a leader: its whole commit index (a heartbeat's is clamped).
  void heard_leader_commit(Index commit);
  void maybe_finish_catch_up();
  bool maybe_commit();

  // Leader duties (raft_leader.cc).
  void step_leader(const Message& m);
  void step_candidate(const Message& m);
  void step_follower(const Message& m);
  Error append_proposal(std::vector<Entry> entries, NodeId origin);
  bool append_entries(std::vector<Entry> entries);
  bool increase_uncommitted_size(const std::vector<Entry>& entries);
  void reduce_uncommitted_size(uint64_t payload);
  bool committed_entry_in_current_term() const;
  void serve_read(Index index, NodeId from, std::string context);
  void handle_read_index(const Message& m);
  void release_pending_reads();
  Error handle_transfer_leader(NodeId target);
  void abort_leader_transfer();
  void send_timeout_now(NodeId to);
  void check_quorum_on_election_timeout();

  // Membership (raft_membership.cc).
  ConfState switch_to_config(const confchange::Outcome& outcome);
  void maybe_auto_leave_joint();

  void send(Message m);
  void load_state(const HardState& hs);
  // Highest index known durable in this member's own log (its own vote toward commit).
  Index persisted_index() const;
  bool valid_append(const Message& m) const;

  const NodeId id_;
  Term term_ = 0;
  NodeId vote_ = kNone;
  NodeId lead_ = kNone;
  Role role_ = Role::kFollower;

  NullLogger null_logger_;
  Logger* logger_;
  RaftLog log_;
  tracker::ProgressTracker trk_;
  Prng prng_;

  const int election_timeout_;
  const int heartbeat_timeout_;
  int randomized_election_timeout_ = 0;
  // Ticks since the last election timeout reset (followers: since hearing from a leader;
  // leader: since the last check-quorum round).
  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;

  const bool check_quorum_;
  const bool pre_vote_;
  const bool campaign_on_leader_down_;
  const ReadOnlyOption read_only_option_;
  const bool disable_proposal_forwarding_;
  const uint64_t max_msg_size_;
  const uint64_t max_uncommitted_size_;
  const size_t max_pending_reads_;

  // See "Lost log" above. 0: this member holds everything it may have promised.
  Index catch_up_to_ = 0;
  // Whether a leader's append (which carries its whole commit index, unlike a heartbeat, whose
  // commit is clamped to what the leader believes we hold) reached us since the loss was known.
  bool catch_up_heard_append_ = false;
  uint64_t lost_log_reports_ = 0;

  // Leader only.
  NodeId lead_transferee_ = kNone;
  Index pending_conf_index_ = 0;  // Index of the latest conf change not yet known applied.
  uint64_t uncommitted_size_ = 0;
  ReadOnly read_only_;
  std::vector<Message> pending_reads_;  // Held until an entry of this term commits.
};

}  // namespace regent::raft
