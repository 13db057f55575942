// Quorum arithmetic: which index a majority has acknowledged and who won a vote, for a simple
// majority configuration and for a joint one (two majorities that must both agree).
//
// Pure functions of their inputs; the tracker and the protocol decide what to feed them.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "raft/types.h"

namespace regent::raft::quorum {

enum class VoteResult { kPending, kLost, kWon };

std::string_view to_string(VoteResult r);

// Reports the highest index a voter is known to hold, or nullopt if nothing is known for it
// (treated as 0).
using AckedIndexer = std::function<std::optional<Index>(NodeId)>;

class MajorityConfig {
 public:
  MajorityConfig() = default;
  explicit MajorityConfig(std::set<NodeId> ids) : ids_(std::move(ids)) {}

  const std::set<NodeId>& ids() const { return ids_; }
  std::set<NodeId>& ids() { return ids_; }
  bool empty() const { return ids_.empty(); }
  size_t size() const { return ids_.size(); }
  bool contains(NodeId id) const { return ids_.contains(id); }

  // The largest index that a majority has acknowledged. An empty configuration returns
  // UINT64_MAX so that, joined with a non-empty one, only the non-empty one decides.
  Index committed_index(const AckedIndexer& acked) const;

  // kWon once a majority granted, kLost once a majority can no longer grant, else kPending.
  // An empty configuration wins (by convention, as for committed_index).
  VoteResult vote_result(const std::map<NodeId, bool>& votes) const;

  // "(1 2 3)"
  std::string describe() const;

  bool operator==(const MajorityConfig&) const = default;

 private:
  std::set<NodeId> ids_;
};

// The incoming (new) and outgoing (old) voter sets. Outside a joint configuration the outgoing
// set is empty and only the incoming one decides.
struct JointConfig {
  MajorityConfig incoming;
  MajorityConfig outgoing;

  bool joint() const { return !outgoing.empty(); }
  std::set<NodeId> ids() const;  // Union of both halves.
  bool contains(NodeId id) const { return incoming.contains(id) || outgoing.contains(id); }

  // Minimum of both halves' committed indexes.
  Index committed_index(const AckedIndexer& acked) const;
  // Won only if both halves won; lost if either lost.
  VoteResult vote_result(const std::map<NodeId, bool>& votes) const;
  // "(1 2 3)" or "(1 2 4)&&(1 2 3)" (incoming first).
  std::string describe() const;

  bool operator==(const JointConfig&) const = default;
};

}  // namespace regent::raft::quorum
