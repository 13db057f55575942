#include "server/node/reconfig_checks.h"

#include "server/node/member_table.h"

namespace regent::server {

namespace {

size_t majority(size_t n) { return n / 2 + 1; }

size_t active_among(const LeaderView& view, const std::set<raft::NodeId>& ids) {
  size_t n = 0;
  for (raft::NodeId id : ids) n += view.active.contains(id) ? 1 : 0;
  return n;
}

}  // namespace

Expected<void, Failure> check_reconfig(const LeaderView& view, const regentpb::MemberChange& change,
                                       bool strict) {
  const raft::NodeId id = change.member().id();
  switch (change.kind()) {
    case regentpb::MemberChange::ADD:
      // A new voter is not running yet: the voters active now must be a quorum of the cluster
      // with it, or one more failure would stop the cluster. Except, as etcd, the second member
      // of a cluster of one: the only way to grow one (after --force-new-cluster, a restore).
      if (strict && !change.member().is_learner() && view.voters.size() != 1 &&
          active_among(view, view.voters) < majority(view.voters.size() + 1)) {
        return unexpected(unhealthy_cluster());
      }
      return {};
    case regentpb::MemberChange::REMOVE: {
      if (!strict || !view.voters.contains(id)) return {};  // A learner counts toward nothing.
      std::set<raft::NodeId> left = view.voters;
      left.erase(id);
      if (left.empty() || active_among(view, left) < majority(left.size())) {
        return unexpected(unhealthy_cluster());
      }
      return {};
    }
    case regentpb::MemberChange::PROMOTE: {
      if (!view.learners.contains(id)) return {};  // check_member_change answers that.
      auto it = view.match.find(id);
      const raft::Index match = it == view.match.end() ? 0 : it->second;
      if (static_cast<double>(match) <
          kLearnerReadyShare * static_cast<double>(view.leader_last_index)) {
        return unexpected(learner_not_ready());
      }
      std::set<raft::NodeId> after = view.voters;
      after.insert(id);
      if (strict && active_among(view, after) < majority(after.size())) {
        return unexpected(unhealthy_cluster());
      }
      return {};
    }
    default:
      return {};
  }
}

}  // namespace regent::server
