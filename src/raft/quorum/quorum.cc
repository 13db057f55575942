#include "raft/quorum/quorum.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

namespace regent::raft::quorum {

std::string_view to_string(VoteResult r) {
  switch (r) {
    case VoteResult::kPending:
      return "VotePending";
    case VoteResult::kLost:
      return "VoteLost";
    case VoteResult::kWon:
      return "VoteWon";
  }
  return "VoteUnknown";
}

Index MajorityConfig::committed_index(const AckedIndexer& acked) const {
  if (ids_.empty()) return UINT64_MAX;
  // A voter that reported nothing counts as having acknowledged 0: it cannot help commit.
  std::vector<Index> indexes;
  indexes.reserve(ids_.size());
  for (NodeId id : ids_) indexes.push_back(acked(id).value_or(0));
  std::sort(indexes.begin(), indexes.end(), std::greater<Index>());
  // With the indexes sorted descending, the (n/2+1)-th is held by a majority (itself and every
  // voter before it), and no larger index is.
  const size_t quorum = ids_.size() / 2 + 1;
  return indexes[quorum - 1];
}

VoteResult MajorityConfig::vote_result(const std::map<NodeId, bool>& votes) const {
  if (ids_.empty()) return VoteResult::kWon;
  size_t granted = 0;
  size_t missing = 0;
  for (NodeId id : ids_) {
    auto it = votes.find(id);
    if (it == votes.end()) {
      ++missing;
    } else if (it->second) {
      ++granted;
    }
  }
  const size_t quorum = ids_.size() / 2 + 1;
  if (granted >= quorum) return VoteResult::kWon;
  // Outstanding voters could still make up a majority.
  if (granted + missing >= quorum) return VoteResult::kPending;
  return VoteResult::kLost;
}

std::string MajorityConfig::describe() const { return fmt::format("({})", fmt::join(ids_, " ")); }

std::set<NodeId> JointConfig::ids() const {
  std::set<NodeId> all = incoming.ids();
  all.insert(outgoing.ids().begin(), outgoing.ids().end());
  return all;
}

Index JointConfig::committed_index(const AckedIndexer& acked) const {
  // An empty half returns UINT64_MAX, so outside a joint config only the incoming half decides.
  return std::min(incoming.committed_index(acked), outgoing.committed_index(acked));
}

VoteResult JointConfig::vote_result(const std::map<NodeId, bool>& votes) const {
  const VoteResult in = incoming.vote_result(votes);
  const VoteResult out = outgoing.vote_result(votes);
  if (in == out) return in;
  if (in == VoteResult::kLost || out == VoteResult::kLost) return VoteResult::kLost;
  // One half won and the other is still pending.
  return VoteResult::kPending;
}

std::string JointConfig::describe() const {
  if (!joint()) return incoming.describe();
  return incoming.describe() + "&&" + outgoing.describe();
}

}  // namespace regent::raft::quorum
