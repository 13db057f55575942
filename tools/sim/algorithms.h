// regent-sim's election-algorithm modes (sim/algos/): one algorithm over one seed or a range,
// or all three side by side in one table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace regent::sim::tool {

struct AlgorithmRun {
  std::string algorithm;  // raft, bully or ring; empty with compare
  bool compare = false;   // every algorithm over the same seeds
  uint64_t first_seed = 1;
  uint64_t last_seed = 1;
  size_t members = 0;  // 0: as the seed picks
  bool verbose = false;
};

// Prints the results; returns the exit status: 2 for a bad request, 1 if Raft (which must show
// neither) shows split brain, a lost acknowledged write, or no single leader at the end.
int run_algorithms(const AlgorithmRun& run);

}  // namespace regent::sim::tool
