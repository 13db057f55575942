// Everything that shapes one comparison run, picked from the seed alone, so that the three
// algorithms meet the same world: the same members, network, fault kinds and fault times.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/algos/contender.h"
#include "sim/algos/group.h"

namespace regent::sim::algos {

struct WorldOptions {
  uint64_t seed = 1;
  size_t members = 5;  // 3 or 5; ids 1..members.

  // Time. A member's tick is tick_us scaled by its clock's rate, which runs up to
  // max_skew_percent fast or slow: fixed timeouts then mean different things on different
  // members, which Bully's and Ring's synchronous assumptions ignore.
  Micros tick_us = 10'000;
  Timing timing;
  uint32_t max_skew_percent = 5;

  // Network: every message independently; a wide delay range reorders messages.
  uint32_t loss_percent = 0;
  Micros delay_min_us = 100;
  Micros delay_max_us = 5'000;

  // Faults, one decision every nemesis_interval_us during the fault phase.
  Micros fault_phase_us = 10'000'000;
  Micros nemesis_interval_us = 300'000;
  bool crashes = true;
  bool partitions = true;
  bool pauses = true;  // A member stops (a long GC, SIGSTOP, a stalled VM) and then resumes.
  Micros pause_max_us = 1'000'000;

  // Clients: one write every [write_min_us, write_max_us] to a member that believes it leads.
  Micros write_min_us = 10'000;
  Micros write_max_us = 60'000;

  // After the fault phase partitions heal and crashed members restart; the run goes on this long
  // (longer than any pause), and must end with one leader that every member follows.
  Micros settle_us = 5'000'000;

  static WorldOptions from_seed(uint64_t seed, size_t members = 0);
  std::string describe() const;
};

}  // namespace regent::sim::algos
