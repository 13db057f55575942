#include "server/node/fault_points.h"

#include <array>
#include <utility>

namespace regent::server {

namespace {
constexpr std::array<std::pair<NodeFault, std::string_view>, 6> kNames{{
    {NodeFault::kNone, "none"},
    {NodeFault::kLeaderCountsBeforeDurable, "leader-counts-before-durable"},
    {NodeFault::kAckBeforeDurable, "ack-before-durable"},
    {NodeFault::kApplyBeforeCommit, "apply-before-commit"},
    {NodeFault::kImageAtWrongIndex, "image-at-wrong-index"},
    {NodeFault::kReadBeforeApplied, "read-before-applied"},
}};
}  // namespace

std::string_view to_string(NodeFault f) {
  for (const auto& [fault, name] : kNames) {
    if (fault == f) return name;
  }
  return "unknown";
}

std::optional<NodeFault> node_fault_from_string(std::string_view name) {
  for (const auto& [fault, n] : kNames) {
    if (n == name) return fault;
  }
  return std::nullopt;
}

bool node_fault_points_built() {
#ifdef REGENT_NODE_FAULT_POINTS
  return true;
#else
  return false;
#endif
}

}  // namespace regent::server
