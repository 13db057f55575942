// Orderings of the node core broken on purpose, to prove that the simulator catches each one.
//
// The code that breaks them is compiled only into the test variant of the core (the
// `regent-sim-node-faults` program, built with REGENT_NODE_FAULT_POINTS); the node core of
// regentd and of regent-sim refuses to start with any fault but kNone.
#pragma once

#include <optional>
#include <string_view>

namespace regent::server {

enum class NodeFault {
  kNone,
  // The round is acknowledged to the Raft core when written, not when synced: a leader counts
  // its own entries toward commit before they are durable on its disk.
  kLeaderCountsBeforeDurable,
  // Votes and append acknowledgements leave before the round that they promise is synced.
  kAckBeforeDurable,
  // The round's new log entries are applied at once, before they are committed.
  kApplyBeforeCommit,
  // A snapshot image claims the index before the one it was taken at.
  kImageAtWrongIndex,
  // A linearizable read is answered once its read index is known, before applied reaches it.
  kReadBeforeApplied,
};

std::string_view to_string(NodeFault f);
std::optional<NodeFault> node_fault_from_string(std::string_view name);
// Whether this build carries the faulty orderings (REGENT_NODE_FAULT_POINTS).
bool node_fault_points_built();

}  // namespace regent::server
