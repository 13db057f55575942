// A linearizability checker for histories of a key-value map (Herlihy & Wing's definition; the
// search is Wing & Gong's with Lowe's memoization of (linearized set, state) pairs).
//
// Keys are independent objects, so the history is partitioned per key and each key is checked on
// its own (linearizability is compositional). Operations with Outcome::kFailed are dropped;
// kUnknown operations may be linearized anywhere after their invocation, or not at all. Reads
// that failed or timed out have no effect and are dropped.
#pragma once

#include <cstddef>
#include <string>

#include "sim/history.h"

namespace regent::sim {

struct LinearizabilityResult {
  bool linearizable = true;
  // When not linearizable: the key and a readable account of the operations that could not be
  // ordered (enough for a person to see the violation).
  std::string key;
  std::string explanation;
  // True if the search gave up (budget exhausted) without deciding; `linearizable` is then true
  // but means "not disproven".
  bool inconclusive = false;
};

// `max_steps_per_key` bounds the search (states explored per key) so that a pathological history
// cannot hang a test; exceeding it yields inconclusive.
LinearizabilityResult check_linearizable(const History& history,
                                         size_t max_steps_per_key = 1'000'000);

}  // namespace regent::sim
