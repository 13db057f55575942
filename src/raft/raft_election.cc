// Leader election (§3.4), pre-vote (§9.6), the leader lease that check-quorum gives followers
// (§6.4.1, §9.6), and how messages of other terms are treated (§3.3).
#include <algorithm>

#include "common/assert.h"
#include "raft/raft.h"

namespace regent::raft {

Error Raft::campaign() { return hup(false); }

Error Raft::hup(bool transfer) {
  if (role_ == Role::kLeader) return Error::kOk;
  if (!promotable()) {
    logger_->warn("{:x} is not promotable and cannot campaign", id_);
    return Error::kNotPromotable;
  }
  // A member that would lead with a membership change committed but not applied could not tell
  // which configuration its votes must come from.
  if (has_unapplied_conf_change()) {
    logger_->warn("{:x} cannot campaign at term {}: unapplied configuration change", id_, term_);
    return Error::kConfChangePending;
  }
  start_election(pre_vote_ && !transfer, transfer);
  return Error::kOk;
}

void Raft::report_leader_down(NodeId id) {
  if (!campaign_on_leader_down_ || role_ != Role::kFollower || id == kNone || lead_ != id) return;
  logger_->info("{:x} [term {}] leader {:x} is down: dropping its lease, campaigning early", id_,
                term_, id);
  // Without a leader we answer other members' pre-votes (see step_higher_term): the followers
  // that saw the same break can elect one of them at once.
  lead_ = kNone;
  // Not at once: followers that saw the same break at the same moment would each win the other's
  // pre-vote, then split the vote. A random 1..2*heartbeat_tick+1 ticks spreads them out.
  const int delay =
      1 + static_cast<int>(prng_.uniform(static_cast<uint64_t>(2 * heartbeat_timeout_ + 1)));
  election_elapsed_ = std::max(election_elapsed_, randomized_election_timeout_ - delay);
}

bool Raft::has_unapplied_conf_change() const {
  Index lo = log_.applied() + 1;
  const Index hi = log_.committed() + 1;
  // Bounded: each page advances lo by at least one entry.
  while (lo < hi) {
    auto page = log_.slice(lo, hi, max_msg_size_);
    REGENT_ASSERT(page.has_value() && !page->empty(), "{:x} cannot read committed entries {}..{}",
                  id_, lo, hi);
    for (const Entry& e : *page) {
      if (e.type == EntryType::kConfChange) return true;
    }
    lo = page->back().index + 1;
  }
  return false;
}

void Raft::start_election(bool pre_vote, bool transfer) {
  MessageType type;
  Term term;
  if (pre_vote) {
    become_pre_candidate();
    type = MessageType::kPreVote;
    term = term_ + 1;  // The term we would campaign in; ours stays unchanged.
  } else {
    become_candidate();
    type = MessageType::kVote;
    term = term_;
  }
  trk_.record_vote(id_, true);
  if (trk_.tally_votes().result == quorum::VoteResult::kWon) {
    // A single voter wins at once.
    if (pre_vote) {
      start_election(false, transfer);
    } else {
      become_leader();
    }
    return;
  }
  for (NodeId id : trk_.config.voters.ids()) {
    if (id != id_) send_vote_request(type, id, term, transfer);
  }
}

void Raft::send_vote_request(MessageType type, NodeId to, Term term, bool transfer) {
  Message m{.type = type, .to = to, .term = term};
  m.index = log_.last_index();
  m.log_term = log_.last_term();
  if (transfer) m.context = std::string(kCampaignTransfer);
  logger_->info("{:x} [logterm {}, index {}] sent {} to {:x} at term {}", id_, m.log_term, m.index,
                to_string(type), to, term);
  send(std::move(m));
}

void Raft::send_pre_vote(NodeId to) {
  send_vote_request(MessageType::kPreVote, to, term_ + 1, false);
}

void Raft::handle_vote_request(const Message& m) {
  const bool pre_vote = m.type == MessageType::kPreVote;
  const MessageType response =
      pre_vote ? MessageType::kPreVoteResponse : MessageType::kVoteResponse;
  // We may vote again for whom we already voted for (a retransmission), or for anyone if we have
  // neither voted nor heard from a leader in this term, or in a pre-vote for a later term.
  const bool can_vote =
      vote_ == m.from || (vote_ == kNone && lead_ == kNone) || (pre_vote && m.term > term_);
  const bool yield = yield_pre_vote_to_self(m);
  if (catch_up_to_ > 0) {
    logger_->info("{:x} [term {}] rejected {} from {:x}: it lost entries and is catching up to {}",
                  id_, term_, to_string(m.type), m.from, catch_up_to_);
    send(Message{.type = response, .to = m.from, .term = term_, .reject = true});
    return;
  }
  if (can_vote && log_.is_up_to_date(m.index, m.log_term) && !yield) {
    logger_->info("{:x} [term {}] granted {} to {:x} at term {}", id_, term_, to_string(m.type),
                  m.from, m.term);
    // A granted pre-vote answers in the term asked about, so the pre-candidate can count it.
    send(Message{.type = response, .to = m.from, .term = m.term});
    if (!pre_vote) {
      election_elapsed_ = 0;
      vote_ = m.from;
    }
  } else {
    logger_->info("{:x} [term {}, vote {:x}] rejected {} from {:x} at term {}", id_, term_, vote_,
                  to_string(m.type), m.from, m.term);
    send(Message{.type = response, .to = m.from, .term = term_, .reject = true});
    // It may have ignored our pre-vote while it still heard from the leader; it campaigns now,
    // so it will not ignore it again.
    if (yield) send_pre_vote(m.from);
  }
}

bool Raft::yield_pre_vote_to_self(const Message& m) const {
  // Followers that saw their leader die at the same moment campaign at nearly the same moment;
  // if each granted the other's pre-vote, both would go on to split the real vote and wait out
  // an election timeout. Between two pre-candidates for the same term with equal logs, the lower
  // id gets the grant, and asks the other again for its own (send_pre_vote). Pre-votes bind
  // nothing, so refusing one never affects safety.
  return campaign_on_leader_down_ && m.type == MessageType::kPreVote &&
         role_ == Role::kPreCandidate && m.term == term_ + 1 && m.from > id_ &&
         m.index == log_.last_index() && m.log_term == log_.last_term();
}

void Raft::handle_vote_response(const Message& m) {
  const MessageType expected =
      role_ == Role::kPreCandidate ? MessageType::kPreVoteResponse : MessageType::kVoteResponse;
  if (m.type != expected) return;
  trk_.record_vote(m.from, !m.reject);
  const auto tally = trk_.tally_votes();
  switch (tally.result) {
    case quorum::VoteResult::kWon:
      if (role_ == Role::kPreCandidate) {
        start_election(false, false);
      } else {
        become_leader();
        bcast_append();
      }
      break;
    case quorum::VoteResult::kLost:
      // Back to follower in the same term; a rejection with a higher term already moved us.
      become_follower(term_, kNone);
      break;
    case quorum::VoteResult::kPending:
      break;
  }
}

// Returns false if the message must be ignored.
bool Raft::step_higher_term(const Message& m) {
  const bool vote_request = m.type == MessageType::kVote || m.type == MessageType::kPreVote;
  if (vote_request) {
    const bool forced = m.context == kCampaignTransfer;
    // The leader lease: having heard from a leader within the minimum election timeout, we do not
    // help depose it. This is what makes lease-based reads safe and stops a member that rejoins
    // from disrupting a healthy cluster even without pre-vote.
    const bool in_lease = check_quorum_ && lead_ != kNone && election_elapsed_ < election_timeout_;
    if (!forced && in_lease) {
      logger_->info("{:x} [term {}] ignored {} from {:x} at term {}: lease not expired", id_, term_,
                    to_string(m.type), m.from, m.term);
      return false;
    }
  }
  if (m.type == MessageType::kPreVote) return true;  // Pre-votes never change our term.
  if (m.type == MessageType::kPreVoteResponse && !m.reject) {
    return true;  // A granted pre-vote carries the term we asked about; we move there on winning.
  }
  logger_->info("{:x} [term {}] received {} from {:x} at higher term {}", id_, term_,
                to_string(m.type), m.from, m.term);
  const bool from_leader = m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat ||
                           m.type == MessageType::kSnapshot;
  become_follower(m.term, from_leader ? m.from : kNone);
  return true;
}

void Raft::step_lower_term(const Message& m) {
  const bool from_leader = m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat;
  if ((check_quorum_ || pre_vote_) && from_leader) {
    // A stale leader (cut off while we moved on) would otherwise never learn the new term: our
    // lease and pre-vote keep us from voting it out. The answer carries our term and deposes it.
    // It is a rejection of index 0, which any leader discards as stale: if the current leader
    // sent the old message in an earlier term, it must not read this as "I hold nothing".
    send(Message{.type = MessageType::kAppendResponse, .to = m.from, .reject = true});
  } else if (m.type == MessageType::kPreVote) {
    // Answer, so a pre-candidate stuck at an old term learns ours and can catch up.
    send(Message{
        .type = MessageType::kPreVoteResponse, .to = m.from, .term = term_, .reject = true});
  } else {
    logger_->debug("{:x} [term {}] ignored {} from {:x} at lower term {}", id_, term_,
                   to_string(m.type), m.from, m.term);
  }
}

}  // namespace regent::raft
