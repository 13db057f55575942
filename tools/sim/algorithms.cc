#include "algorithms.h"

#include <fmt/format.h>

#include <vector>

#include "sim/algos/compare.h"
#include "sim/algos/world_options.h"

namespace regent::sim::tool {

using algos::Algorithm;

namespace {

// One seed, spelled out: the world, and with --verbose every fault and every moment split
// brain begins, as it happens.
int run_one_seed(Algorithm a, const AlgorithmRun& run) {
  const auto options = algos::WorldOptions::from_seed(run.first_seed, run.members);
  fmt::print("world: {}\n", options.describe());
  algos::ElectionWorld::Narrator narrator;
  if (run.verbose) narrator = [](const std::string& line) { fmt::print("  {}\n", line); };
  const algos::RunResult r = algos::run_seed(a, run.first_seed, run.members, narrator);
  fmt::print("{}", algos::describe(r));
  const bool raft_failed =
      a == Algorithm::kRaft && (r.split_brain_us > 0 || r.acked_lost > 0 || !r.agreed_at_end);
  return raft_failed ? 1 : 0;
}

}  // namespace

int run_algorithms(const AlgorithmRun& run) {
  std::vector<Algorithm> algorithms;
  if (run.compare) {
    algorithms = {Algorithm::kRaft, Algorithm::kBully, Algorithm::kRing};
  } else if (auto a = algos::algorithm_from_string(run.algorithm)) {
    algorithms = {*a};
  } else {
    fmt::print(stderr, "regent-sim: --algorithm wants raft, bully or ring, got '{}'\n",
               run.algorithm);
    return 2;
  }
  if (!run.compare && run.first_seed == run.last_seed) return run_one_seed(algorithms[0], run);
  std::vector<algos::Summary> rows;
  for (Algorithm a : algorithms) {
    rows.push_back(algos::run_seeds(a, run.first_seed, run.last_seed, run.members));
  }
  fmt::print("seeds {}..{}, members {}\n{}", run.first_seed, run.last_seed,
             run.members == 0 ? std::string("as each seed picks") : std::to_string(run.members),
             algos::format_table(rows));
  for (const algos::Summary& s : rows) {
    if (s.algorithm == Algorithm::kRaft &&
        (s.split_brain_us > 0 || s.acked_lost > 0 || s.unsettled > 0)) {
      fmt::print("regent-sim: Raft showed split brain, a lost acknowledged write or no leader\n");
      return 1;
    }
  }
  return 0;
}

}  // namespace regent::sim::tool
