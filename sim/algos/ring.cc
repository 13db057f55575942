#include "sim/algos/ring.h"

#include <algorithm>
#include <utility>

#include "common/assert.h"

namespace regent::sim::algos::ring {

bool counts_as_election(const Message& m) { return m.kind != Kind::kHeartbeat; }

Ring::Ring(Config config) : config_(std::move(config)), ring_(config_.group.members) {
  check_group(config_.group);
  std::ranges::sort(ring_);
  self_ = static_cast<size_t>(std::ranges::find(ring_, config_.group.id) - ring_.begin());
  REGENT_ASSERT(config_.ack_ticks > 0 && config_.round_ticks > config_.ack_ticks,
                "timeouts must be set");
}

MemberId Ring::successor(size_t distance) const { return ring_[(self_ + distance) % ring_.size()]; }

void Ring::start_election() {
  leader_ = kNoMember;
  participant_ = true;
  forwarded_ = config_.group.id;
  elapsed_ = 0;
  pass_on(Kind::kElection, config_.group.id);
}

void Ring::tick() {
  retry_unacknowledged();
  if (is_leader()) {
    if (++elapsed_ >= config_.group.heartbeat_ticks) {
      elapsed_ = 0;
      for (MemberId m : ring_) {
        if (m != config_.group.id)
          outbox_.push_back({.kind = Kind::kHeartbeat, .from = config_.group.id, .to = m});
      }
    }
    return;
  }
  ++elapsed_;
  if (participant_ ? elapsed_ >= config_.round_ticks : elapsed_ >= config_.group.failure_ticks) {
    start_election();
  }
}

void Ring::retry_unacknowledged() {
  // Bounded: pending_ never holds more than max_pending() messages.
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (++it->waited < config_.ack_ticks) {
      ++it;
      continue;
    }
    it->distance += 1;
    it->waited = 0;
    if (it->distance < ring_.size()) {
      it->message.to = successor(it->distance);
      outbox_.push_back(it->message);
      ++it;
      continue;
    }
    // Nobody else answers: this member is, as far as it can tell, the whole ring. An election
    // of a ring of one elects this member; an announcement has nobody left to reach.
    const bool election = it->message.kind == Kind::kElection;
    it = pending_.erase(it);
    if (election && participant_ && !is_leader()) {
      become_leader();
      return;  // become_leader() may have changed pending_.
    }
  }
}

void Ring::step(const Message& m) {
  if (m.to != config_.group.id || m.from == config_.group.id) return;
  switch (m.kind) {
    case Kind::kAck:
      std::erase_if(pending_, [&](const Pending& p) { return p.message.seq == m.seq; });
      return;
    case Kind::kHeartbeat:
      on_heartbeat(m.from);
      return;
    case Kind::kElection:
    case Kind::kElected:
      outbox_.push_back({.kind = Kind::kAck, .from = config_.group.id, .to = m.from, .seq = m.seq});
      if (m.kind == Kind::kElection) {
        on_election(m.candidate);
      } else {
        on_elected(m.candidate);
      }
      return;
  }
}

void Ring::on_election(MemberId candidate) {
  if (candidate > config_.group.id) {
    // A copy resent past a slow successor comes round twice; one is enough.
    if (participant_ && candidate <= forwarded_) return;
    participant_ = true;
    forwarded_ = candidate;
    pass_on(Kind::kElection, candidate);
  } else if (candidate < config_.group.id) {
    if (participant_) return;  // This member's own, higher, id is already on its way round.
    participant_ = true;
    forwarded_ = config_.group.id;
    elapsed_ = 0;
    pass_on(Kind::kElection, config_.group.id);
  } else if (!is_leader()) {
    become_leader();  // Its own id came back round: no member outranks it.
  }
}

void Ring::on_elected(MemberId winner) {
  if (winner == config_.group.id) return;          // The announcement went round the ring.
  if (leader_ == winner && !participant_) return;  // A second copy: passed on already.
  follow(winner);
  pass_on(Kind::kElected, winner);
}

void Ring::on_heartbeat(MemberId from) {
  if (from == leader_) {
    elapsed_ = 0;
    return;
  }
  // Two leaders after a partition heals: everyone settles on the higher one, as an election
  // round would.
  if (leader_ == kNoMember || from > leader_) follow(from);
}

void Ring::become_leader() {
  leader_ = config_.group.id;
  participant_ = false;
  elapsed_ = 0;
  pass_on(Kind::kElected, config_.group.id);
}

void Ring::follow(MemberId leader) {
  leader_ = leader;
  participant_ = false;
  elapsed_ = 0;
  // A leader is known: this member's unanswered election messages are moot, and must not make
  // it take itself for a ring of one when they run out of successors.
  std::erase_if(pending_, [](const Pending& p) { return p.message.kind == Kind::kElection; });
}

void Ring::pass_on(Kind kind, MemberId candidate) {
  if (ring_.size() == 1) {
    if (kind == Kind::kElection && !is_leader()) become_leader();
    return;
  }
  // Bounded: under a storm of elections the oldest unacknowledged message is given up.
  if (pending_.size() >= max_pending()) pending_.pop_front();
  Message m{.kind = kind,
            .from = config_.group.id,
            .to = successor(1),
            .candidate = candidate,
            .seq = next_seq_++};
  pending_.push_back(Pending{.message = m});
  outbox_.push_back(m);
}

std::vector<Message> Ring::take_messages() { return std::exchange(outbox_, {}); }

void Ring::check_invariants() const {
  REGENT_ASSERT(pending_.size() <= max_pending(), "member {}: {} pending", config_.group.id,
                pending_.size());
  for (const Pending& p : pending_) {
    REGENT_ASSERT(p.distance >= 1 && p.distance < ring_.size() && p.message.to != config_.group.id,
                  "member {}: ring message aimed at distance {}", config_.group.id, p.distance);
  }
  REGENT_ASSERT(elapsed_ <= std::max(config_.round_ticks, config_.group.failure_ticks),
                "member {}: timer {} past every timeout", config_.group.id, elapsed_);
}

}  // namespace regent::sim::algos::ring
