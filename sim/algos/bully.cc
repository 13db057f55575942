#include "sim/algos/bully.h"

#include <algorithm>
#include <utility>

#include "common/assert.h"

namespace regent::sim::algos::bully {

bool counts_as_election(const Message& m) { return m.kind != Kind::kHeartbeat; }

Bully::Bully(Config config) : config_(std::move(config)) {
  check_group(config_.group);
  REGENT_ASSERT(config_.answer_ticks > 0 && config_.coordinator_ticks > 0, "timeouts must be set");
}

bool Bully::has_higher_member() const {
  return std::ranges::any_of(config_.group.members,
                             [&](MemberId m) { return m > config_.group.id; });
}

void Bully::start_election() {
  leader_ = kNoMember;
  elapsed_ = 0;
  if (!has_higher_member()) {
    become_leader();
    return;
  }
  phase_ = Phase::kElecting;
  for (MemberId m : config_.group.members) {
    if (m > config_.group.id) send(Kind::kElection, m);
  }
}

void Bully::tick() {
  ++elapsed_;
  switch (phase_) {
    case Phase::kLeading:
      if (elapsed_ >= config_.group.heartbeat_ticks) {
        elapsed_ = 0;
        send_to_all_others(Kind::kHeartbeat);
      }
      break;
    case Phase::kFollowing:
      if (elapsed_ >= config_.group.failure_ticks) start_election();
      break;
    case Phase::kElecting:
      // No higher member answered: they are all taken for dead, so this one is the highest alive.
      if (elapsed_ >= config_.answer_ticks) become_leader();
      break;
    case Phase::kAwaitingCoordinator:
      // A higher member answered but never announced itself: it died meanwhile; start over.
      if (elapsed_ >= config_.coordinator_ticks) start_election();
      break;
  }
}

void Bully::step(const Message& m) {
  if (m.to != config_.group.id || m.from == config_.group.id) return;
  switch (m.kind) {
    case Kind::kElection:
      on_election(m.from);
      break;
    case Kind::kAnswer:
      if (phase_ == Phase::kElecting && m.from > config_.group.id) {
        phase_ = Phase::kAwaitingCoordinator;
        elapsed_ = 0;
      }
      break;
    case Kind::kCoordinator:
      on_coordinator(m.from);
      break;
    case Kind::kHeartbeat:
      on_heartbeat(m.from);
      break;
  }
}

void Bully::on_election(MemberId from) {
  // Only lower members ask; a higher one never needs this member's answer.
  if (from > config_.group.id) return;
  send(Kind::kAnswer, from);
  if (phase_ == Phase::kLeading) {
    // Already the coordinator: tell the asker directly instead of electing again.
    send(Kind::kCoordinator, from);
  } else if (phase_ == Phase::kFollowing) {
    start_election();
  }
}

void Bully::on_coordinator(MemberId from) {
  if (from > config_.group.id) {
    follow(from);
  } else if (phase_ == Phase::kLeading) {
    send(Kind::kCoordinator, from);  // The lower one yields once it hears of a higher leader.
  } else {
    start_election();  // Bully it: this member outranks the announced coordinator.
  }
}

void Bully::on_heartbeat(MemberId from) {
  if (from == leader_) {
    elapsed_ = 0;
    return;
  }
  if (from > config_.group.id) {
    // A higher coordinator outranks whatever this member followed or led.
    if (leader_ == kNoMember || from > leader_ || phase_ != Phase::kFollowing) follow(from);
  } else if (phase_ == Phase::kLeading) {
    send(Kind::kCoordinator, from);
  } else if (phase_ == Phase::kFollowing && leader_ == kNoMember) {
    start_election();
  }
}

void Bully::become_leader() {
  phase_ = Phase::kLeading;
  leader_ = config_.group.id;
  elapsed_ = 0;
  send_to_all_others(Kind::kCoordinator);
}

void Bully::follow(MemberId leader) {
  phase_ = Phase::kFollowing;
  leader_ = leader;
  elapsed_ = 0;
}

void Bully::send(Kind kind, MemberId to) {
  outbox_.push_back(Message{.kind = kind, .from = config_.group.id, .to = to});
}

void Bully::send_to_all_others(Kind kind) {
  for (MemberId m : config_.group.members) {
    if (m != config_.group.id) send(kind, m);
  }
}

std::vector<Message> Bully::take_messages() { return std::exchange(outbox_, {}); }

void Bully::check_invariants() const {
  REGENT_ASSERT((leader_ == config_.group.id) == (phase_ == Phase::kLeading),
                "member {}: leader {} in phase {}", config_.group.id, leader_,
                static_cast<int>(phase_));
  if (phase_ == Phase::kElecting || phase_ == Phase::kAwaitingCoordinator) {
    REGENT_ASSERT(leader_ == kNoMember, "member {} elects while following {}", config_.group.id,
                  leader_);
  }
  const int bound = std::max({config_.group.failure_ticks, config_.answer_ticks,
                              config_.coordinator_ticks, config_.group.heartbeat_ticks});
  REGENT_ASSERT(elapsed_ <= bound, "member {}: timer {} past every timeout", config_.group.id,
                elapsed_);
}

}  // namespace regent::sim::algos::bully
