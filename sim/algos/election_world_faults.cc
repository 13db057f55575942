// The nemesis of the comparison world: crashes, restarts, partitions, pauses, and the end of
// the fault phase. Every decision draws the same numbers from the fault stream whatever the
// algorithm did, so that the three algorithms meet the same fault schedule.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "common/assert.h"
#include "sim/algos/election_world.h"

namespace regent::sim::algos {

size_t ElectionWorld::members_down() const {
  return static_cast<size_t>(
      std::ranges::count_if(ids_, [&](MemberId id) { return !nodes_.at(id).up; }));
}

void ElectionWorld::on_nemesis() {
  if (!faults_on_) return;
  // Every draw is made every time (see above); which of them matter depends on the action.
  const uint64_t action = fault_prng_.uniform(100);
  const bool at_leader = fault_prng_.chance(1, 2);
  const MemberId picked = ids_[fault_prng_.uniform(ids_.size())];
  const uint64_t side_mask = fault_prng_.between(1, (uint64_t{1} << ids_.size()) - 2);
  const Micros pause_us = fault_prng_.between(options_.pause_max_us / 4, options_.pause_max_us);
  const auto leader = sole_acting_leader();
  const MemberId target = at_leader && leader ? *leader : picked;
  if (action < 30) {
    if (options_.crashes) crash(target);
  } else if (action < 50) {
    // The first member down at or after the picked one, in id order, wrapping.
    for (size_t i = 0; i < ids_.size(); ++i) {
      const MemberId id = ids_[(picked - 1 + i) % ids_.size()];
      if (!nodes_.at(id).up) {
        restart(id);
        break;
      }
    }
  } else if (action < 75) {
    if (options_.partitions) cut_.empty() ? partition(side_mask) : heal();
  } else if (action < 90) {
    if (options_.pauses) pause(target, pause_us);
  }
}

void ElectionWorld::crash(MemberId id) {
  Node& n = nodes_.at(id);
  // A majority stays up, so Raft can elect at all and failover times compare.
  if (!n.up || members_down() + 1 > (ids_.size() - 1) / 2) return;
  const bool was_leader = sole_acting_leader() == id;
  n.up = false;
  n.paused_until = 0;
  ++n.incarnation;
  n.contender->crash();
  if (was_leader) card_.leader_crashed(now_);
  card_.disturbed();
  narrate(fmt::format("crash {}{}", id, was_leader ? " (the leader)" : ""));
}

void ElectionWorld::restart(MemberId id) {
  Node& n = nodes_.at(id);
  REGENT_ASSERT(!n.up, "restart of running member {}", id);
  n.up = true;
  n.contender->restart();
  card_.disturbed();
  narrate(fmt::format("restart {}", id));
  flush(id);
  schedule(now_ + n.tick_period_us, {.member = id, .incarnation = n.incarnation});
}

void ElectionWorld::partition(uint64_t side_mask) {
  std::vector<MemberId> a, b;
  for (size_t i = 0; i < ids_.size(); ++i) ((side_mask >> i) & 1 ? a : b).push_back(ids_[i]);
  REGENT_ASSERT(!a.empty() && !b.empty(), "a partition needs two sides");
  for (MemberId x : a) {
    for (MemberId y : b) {
      cut_.insert({x, y});
      cut_.insert({y, x});
    }
  }
  card_.disturbed();
  narrate(fmt::format("partition {{{}}} | {{{}}}", fmt::join(a, ","), fmt::join(b, ",")));
}

void ElectionWorld::heal() {
  cut_.clear();
  card_.healed(now_);
  narrate("heal the partition");
}

void ElectionWorld::pause(MemberId id, Micros duration) {
  Node& n = nodes_.at(id);
  if (!available(id)) return;
  n.paused_until = now_ + duration;
  schedule(n.paused_until, {.kind = EventKind::kResume, .member = id});
  card_.disturbed();
  narrate(fmt::format("pause {} for {:.0f} ms{}", id, static_cast<double>(duration) / 1e3,
                      n.contender->believes_leader() ? " (it believes it leads)" : ""));
}

void ElectionWorld::stop_faults() {
  faults_on_ = false;
  if (!cut_.empty()) heal();
  for (MemberId id : ids_) {
    if (!nodes_.at(id).up) restart(id);
  }
  card_.healed(now_);
  narrate("faults stop: partitions healed, crashed members restarted");
}

}  // namespace regent::sim::algos
