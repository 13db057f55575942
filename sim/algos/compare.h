// The side-by-side comparison: each algorithm over the same seeds, summed into one table row.
//
// Invariant: a Summary holds runs of its own algorithm only (asserted in add()), so a row never
// mixes two algorithms' figures.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/algos/election_world.h"

namespace regent::sim::algos {

struct Summary {
  Algorithm algorithm = Algorithm::kRaft;
  size_t seeds = 0;
  Micros split_brain_us = 0;  // Summed over the seeds.
  size_t seeds_with_split_brain = 0;
  size_t max_acting = 0;
  Micros stale_leader_us = 0;
  std::vector<Micros> failovers;
  uint64_t elections = 0;
  uint64_t election_messages = 0;
  std::vector<Micros> heals;  // Pooled over the seeds.
  uint64_t writes = 0;
  uint64_t acked = 0;
  uint64_t acked_lost = 0;
  size_t seeds_with_loss = 0;
  size_t unsettled = 0;  // Seeds that ended without one leader followed by all.

  void add(const RunResult& r);
};

// One world. members 0: as the seed picks.
RunResult run_seed(Algorithm a, uint64_t seed, size_t members = 0,
                   ElectionWorld::Narrator narrator = {});
Summary run_seeds(Algorithm a, uint64_t first, uint64_t last, size_t members = 0);

// The p-th percentile (0..1) in ms, or nullopt with no samples.
std::optional<double> percentile_ms(std::vector<Micros> samples, double p);
// One row per summary, under a header naming the columns.
std::string format_table(const std::vector<Summary>& rows);
// One run, spelled out: what it measured and, for lost writes, which.
std::string describe(const RunResult& r);

}  // namespace regent::sim::algos
