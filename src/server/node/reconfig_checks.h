// The checks etcd makes on the leader before it proposes a membership change, from what the
// leader knows of its followers: with --strict-reconfig-check (on by default, as etcd), adding
// or promoting a voter is refused unless the members active now would still be a quorum of the
// larger cluster, and removing a voter unless the active ones left are a quorum of the smaller
// one ("etcdserver: unhealthy cluster"); a learner is promoted only once its log is within 10% of
// the leader's (etcd's readyPercent: "... which is in sync with leader").
//
// "Active" is a member the leader heard from within the last election timeout (the leader
// itself always): etcd asks its transport the same question (isConnectedToQuorumSince).
#pragma once

#include <map>
#include <set>

#include "common/expected.h"
#include "raft/types.h"
#include "regentpb/request.pb.h"
#include "server/node/failure.h"

namespace regent::server {

struct LeaderView {
  std::set<raft::NodeId> voters;
  std::set<raft::NodeId> learners;
  std::set<raft::NodeId> active;              // The leader included.
  std::map<raft::NodeId, raft::Index> match;  // Each follower's confirmed log end.
  raft::Index leader_last_index = 0;
};

// A learner's log must reach this share of the leader's to be promoted (etcd's 0.9).
inline constexpr double kLearnerReadyShare = 0.9;

Expected<void, Failure> check_reconfig(const LeaderView& view, const regentpb::MemberChange& change,
                                       bool strict);

}  // namespace regent::server
