#include "sim/algos/world_options.h"

#include <fmt/format.h>

#include "common/prng.h"

namespace regent::sim::algos {

WorldOptions WorldOptions::from_seed(uint64_t seed, size_t members) {
  // A stream of its own, so the options do not shift when the world's draws change.
  Prng prng(seed ^ 0xa160ULL);
  WorldOptions o;
  o.seed = seed;
  o.members = members != 0 ? members : (prng.chance(1, 2) ? 3 : 5);
  o.max_skew_percent = static_cast<uint32_t>(prng.between(0, 20));
  o.loss_percent = static_cast<uint32_t>(prng.chance(1, 2) ? prng.between(1, 10) : 0);
  o.delay_max_us = prng.chance(1, 2) ? prng.between(1'000, 40'000) : 5'000;
  o.nemesis_interval_us = prng.between(100'000, 600'000);
  o.crashes = prng.chance(3, 4);
  o.partitions = prng.chance(3, 4);
  o.pauses = prng.chance(1, 2);
  o.pause_max_us = prng.between(200'000, 2'000'000);
  return o;
}

std::string WorldOptions::describe() const {
  return fmt::format(
      "seed={} members={} tick={}us heartbeat={} election={} ticks skew<={}% loss={}% "
      "delay={}-{}us nemesis_every={}us crashes={} partitions={} pauses={} pause<={}us "
      "writes_every={}-{}us fault_phase={}us settle={}us",
      seed, members, tick_us, timing.heartbeat_ticks, timing.election_ticks, max_skew_percent,
      loss_percent, delay_min_us, delay_max_us, nemesis_interval_us, crashes, partitions, pauses,
      pause_max_us, write_min_us, write_max_us, fault_phase_us, settle_us);
}

}  // namespace regent::sim::algos
