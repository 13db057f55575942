#include "raft/types.h"

namespace regent::raft {

uint64_t entries_size(const std::vector<Entry>& entries) {
  uint64_t total = 0;
  for (const auto& e : entries) total += e.size();
  return total;
}

uint64_t payload_size(const std::vector<Entry>& entries) {
  uint64_t total = 0;
  for (const auto& e : entries) total += e.data.size();
  return total;
}

}  // namespace regent::raft
