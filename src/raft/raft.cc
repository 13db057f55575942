// Construction, role transitions, time, and the top of message dispatch. Elections, replication,
// leader duties and membership live in raft_election.cc, raft_replication.cc, raft_leader.cc and
// raft_membership.cc; the invariants they keep are listed once, in raft.h.
#include "raft/raft.h"

#include "common/assert.h"
#include "raft/confchange/changer.h"

namespace regent::raft {

std::string_view to_string(Role r) {
  switch (r) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "unknown";
}

namespace {
const Config& validated(const Config& c) {
  const std::string problem = c.validate();
  REGENT_ASSERT(problem.empty(), "invalid raft config: {}", problem);
  return c;
}
}  // namespace

Raft::Raft(const Config& config)
    : id_(validated(config).id),
      logger_(config.logger != nullptr ? config.logger : &null_logger_),
      log_(config.storage, logger_, config.max_committed_size_per_ready),
      trk_(config.max_inflight_msgs, config.max_inflight_bytes),
      // Mix the id in so that members given the same seed still draw different timeouts.
      prng_(config.seed ^ (config.id * 0x9e3779b97f4a7c15ULL)),
      election_timeout_(config.election_tick),
      heartbeat_timeout_(config.heartbeat_tick),
      check_quorum_(config.check_quorum),
      pre_vote_(config.pre_vote),
      campaign_on_leader_down_(config.campaign_on_leader_down),
      read_only_option_(config.read_only_option),
      disable_proposal_forwarding_(config.disable_proposal_forwarding),
      max_msg_size_(config.max_size_per_msg),
      max_uncommitted_size_(config.max_uncommitted_entries_size),
      max_pending_reads_(config.max_pending_reads) {
  auto [hs, cs] = config.storage->initial_state();
  auto outcome = confchange::restore(trk_, log_.last_index(), cs);
  REGENT_ASSERT(outcome.has_value(), "cannot restore configuration: {}",
                outcome.has_value() ? "" : outcome.error());
  const ConfState restored = switch_to_config(*outcome);
  REGENT_ASSERT(restored == cs, "restored configuration differs from the stored one");
  if (!hs.empty()) load_state(hs);
  if (config.lost_entries_up_to > 0) {
    note_lost_log(config.lost_entries_up_to, "its host reports lost entries");
  }
  if (config.applied > 0) log_.applied_to(config.applied);
  become_follower(term_, kNone);
  logger_->info("raft {:x} [{}] started at term {}: voters={}", id_, log_.describe(), term_,
                trk_.config.describe());
}

void Raft::load_state(const HardState& hs) {
  REGENT_ASSERT(hs.commit >= log_.committed(), "{:x} stored commit {} is below the snapshot's {}",
                id_, hs.commit, log_.committed());
  if (hs.commit > log_.last_index()) {
    // The disk lost synced entries (or they were cut as a torn tail): this member may have
    // acknowledged them, so it must not help elect a leader that lacks them.
    note_lost_log(hs.commit, fmt::format("its stored commit {} is past its log, which ends at {}",
                                         hs.commit, log_.last_index()));
  }
  log_.commit_to(std::min(hs.commit, log_.last_index()));
  term_ = hs.term;
  vote_ = hs.vote;
}

bool Raft::promotable() const {
  auto it = trk_.progress.find(id_);
  return it != trk_.progress.end() && !it->second.is_learner && !log_.unstable_snapshot() &&
         catch_up_to_ == 0;
}

Index Raft::persisted_index() const {
  // Conservative: while anything is still unstable, count only what precedes it. Too low only
  // delays this member's own acknowledgement until on_persisted() reports the write.
  if (log_.unstable_snapshot()) return 0;
  const auto& unstable = log_.unstable_entries();
  return unstable.empty() ? log_.last_index() : unstable.front().index - 1;
}

void Raft::reset(Term term) {
  if (term_ != term) {
    REGENT_ASSERT(term > term_, "{:x} term would go back from {} to {}", id_, term_, term);
    term_ = term;
    vote_ = kNone;
  }
  lead_ = kNone;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  reset_randomized_election_timeout();
  lead_transferee_ = kNone;
  trk_.reset_votes();
  const Index last = log_.last_index();
  const Index persisted = persisted_index();
  trk_.visit([&](NodeId id, tracker::Progress& pr) {
    pr = tracker::Progress(last + 1, trk_.max_inflight(), trk_.max_inflight_bytes(), pr.is_learner);
    if (id == id_) pr.match = persisted;
  });
  pending_conf_index_ = 0;
  uncommitted_size_ = 0;
  read_only_.clear();
  pending_reads_.clear();
}

void Raft::reset_randomized_election_timeout() {
  randomized_election_timeout_ =
      election_timeout_ + static_cast<int>(prng_.uniform(static_cast<uint64_t>(election_timeout_)));
}

void Raft::become_follower(Term term, NodeId lead) {
  reset(term);
  lead_ = lead;
  role_ = Role::kFollower;
  logger_->debug("{:x} became follower at term {} (leader {:x})", id_, term_, lead_);
}

void Raft::become_pre_candidate() {
  REGENT_ASSERT(role_ != Role::kLeader, "{:x} leader cannot become pre-candidate", id_);
  // Pre-vote changes neither term nor vote: losing it must leave no trace.
  trk_.reset_votes();
  lead_ = kNone;
  role_ = Role::kPreCandidate;
  logger_->info("{:x} became pre-candidate at term {}", id_, term_);
}

void Raft::become_candidate() {
  REGENT_ASSERT(role_ != Role::kLeader, "{:x} leader cannot become candidate", id_);
  reset(term_ + 1);
  vote_ = id_;
  role_ = Role::kCandidate;
  logger_->info("{:x} became candidate at term {}", id_, term_);
}

void Raft::become_leader() {
  REGENT_ASSERT(role_ == Role::kCandidate, "{:x} only a candidate can become leader", id_);
  reset(term_);
  lead_ = id_;
  role_ = Role::kLeader;
  trk_.progress.at(id_).become_replicate();
  // Conservatively assume the tail may hold an unapplied membership change (§4.1): no new one is
  // accepted until everything up to here is applied.
  pending_conf_index_ = log_.last_index();
  // The no-op of §6.4/§8: commits the previous terms' entries and lets reads proceed.
  const bool appended = append_entries({Entry{}});
  REGENT_ASSERT(appended, "{:x} empty entry was dropped", id_);
  logger_->info("{:x} became leader at term {}", id_, term_);
}

void Raft::tick() {
  if (role_ == Role::kLeader) {
    tick_heartbeat();
  } else {
    tick_election();
  }
}

void Raft::tick_election() {
  ++election_elapsed_;
  if (promotable() && past_election_timeout()) {
    election_elapsed_ = 0;
    hup(false);
  }
}

void Raft::tick_heartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= election_timeout_) {
    election_elapsed_ = 0;
    if (check_quorum_) check_quorum_on_election_timeout();
    if (role_ != Role::kLeader) return;
    // A transfer that did not land within an election timeout is abandoned (§3.10).
    if (lead_transferee_ != kNone) abort_leader_transfer();
  }
  if (heartbeat_elapsed_ >= heartbeat_timeout_) {
    heartbeat_elapsed_ = 0;
    bcast_heartbeat();
    // Retry leaving a joint configuration if an earlier attempt was refused (e.g. during a
    // leadership transfer); otherwise only an apply would trigger it.
    maybe_auto_leave_joint();
  }
}

Error Raft::step(const Message& m) {
  if (m.term == 0 && m.type != MessageType::kPropose && m.type != MessageType::kReadIndex) {
    // Only forwarded requests are term-less; anything else without a term is malformed.
    logger_->warn("{:x} dropped {} from {:x} without a term", id_, to_string(m.type), m.from);
    return Error::kOk;
  }
  if (m.term > term_) {
    if (!step_higher_term(m)) return Error::kOk;
  } else if (m.term < term_ && m.term != 0) {
    step_lower_term(m);
    return Error::kOk;
  }
  switch (m.type) {
    case MessageType::kVote:
    case MessageType::kPreVote:
      handle_vote_request(m);
      return Error::kOk;
    default:
      break;
  }
  switch (role_) {
    case Role::kLeader:
      step_leader(m);
      break;
    case Role::kCandidate:
    case Role::kPreCandidate:
      step_candidate(m);
      break;
    case Role::kFollower:
      step_follower(m);
      break;
  }
  maybe_finish_catch_up();
  return Error::kOk;
}

void Raft::send(Message m) {
  m.from = id_;
  switch (m.type) {
    case MessageType::kVote:
    case MessageType::kVoteResponse:
    case MessageType::kPreVote:
    case MessageType::kPreVoteResponse:
      // The term of a (pre)vote is set by the caller: a pre-vote carries the term we would have.
      REGENT_ASSERT(m.term != 0, "{:x} {} without term", id_, to_string(m.type));
      break;
    case MessageType::kPropose:
    case MessageType::kReadIndex:
      // Forwarded requests are term-less, as if the leader's own node had made them.
      m.term = 0;
      break;
    default:
      m.term = term_;
  }
  if (must_persist_before_sending(m.type)) {
    msgs_after_persist.push_back(std::move(m));
  } else {
    msgs.push_back(std::move(m));
  }
}

void Raft::on_persisted(Index index, Term term, Index snapshot_index) {
  if (snapshot_index > 0) log_.stable_snapshot_to(snapshot_index);
  if (index > 0) log_.stable_to(index, term);
  maybe_finish_catch_up();
  if (role_ != Role::kLeader || index == 0 || !log_.match_term(index, term)) return;
  auto it = trk_.progress.find(id_);
  if (it == trk_.progress.end()) return;  // Removed from the configuration; not a voter.
  if (it->second.maybe_update(index) && maybe_commit()) {
    release_pending_reads();
    bcast_append();
  }
}

void Raft::on_applied(Index index, uint64_t payload_bytes) {
  if (index > log_.applied()) log_.applied_to(index);
  reduce_uncommitted_size(payload_bytes);
  maybe_auto_leave_joint();
}

void Raft::check_invariants() const {
  REGENT_ASSERT(log_.applied() <= log_.committed(), "{:x} applied {} > committed {}", id_,
                log_.applied(), log_.committed());
  REGENT_ASSERT(log_.committed() <= log_.last_index(), "{:x} committed {} > last {}", id_,
                log_.committed(), log_.last_index());
  if (role_ == Role::kLeader) {
    REGENT_ASSERT(lead_ == id_ && vote_ == id_, "{:x} leads without having voted for itself", id_);
  } else {
    REGENT_ASSERT(lead_transferee_ == kNone && read_only_.pending() == 0 && pending_reads_.empty(),
                  "{:x} holds leader-only state as {}", id_, to_string(role_));
  }
  REGENT_ASSERT(catch_up_to_ == 0 || role_ == Role::kFollower,
                "{:x} is {} while catching up to {} after losing entries", id_, to_string(role_),
                catch_up_to_);
  for (const auto& [id, pr] : trk_.progress) {
    REGENT_ASSERT(pr.match < pr.next, "{:x} progress of {:x}: match {} >= next {}", id_, id,
                  pr.match, pr.next);
  }
}

}  // namespace regent::raft
