#include "sim/algos/group.h"

#include <algorithm>

#include "common/assert.h"

namespace regent::sim::algos {

void check_group(const GroupConfig& group) {
  REGENT_ASSERT(group.id != kNoMember, "a member needs an id");
  Members sorted = group.members;
  std::ranges::sort(sorted);
  REGENT_ASSERT(std::ranges::adjacent_find(sorted) == sorted.end(), "ids must be distinct");
  REGENT_ASSERT(std::ranges::binary_search(sorted, group.id), "member {} must be in its group",
                group.id);
  REGENT_ASSERT(group.heartbeat_ticks > 0 && group.heartbeat_ticks < group.failure_ticks,
                "heartbeats must come more often than a failure is suspected");
}

}  // namespace regent::sim::algos
