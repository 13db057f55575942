// Byte limits on runs of entries, shared by MemoryStorage and RaftLog (internal to raft/log/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "raft/types.h"

namespace regent::raft {

// How many leading entries of `ents` fit in max_bytes (by Entry::size()). At least one if `ents`
// is not empty: a single entry larger than the limit must still make progress, or a follower
// could never catch up past it.
inline size_t count_within_bytes(std::span<const Entry> ents, uint64_t max_bytes) {
  if (ents.empty()) return 0;
  uint64_t total = ents[0].size();
  size_t n = 1;
  for (; n < ents.size(); ++n) {
    total += ents[n].size();
    if (total > max_bytes) break;
  }
  return n;
}

}  // namespace regent::raft
