// Leader election (§3.4), pre-vote (§9.6) and check-quorum (§6.2) through whole clusters.
#include <gtest/gtest.h>

#include "support/raft_cluster.h"

namespace regent::raft {
namespace {

using testing::Cluster;

TEST(RaftElection, SingleMemberElectsItselfAndCommits) {
  Cluster c({1});
  ASSERT_TRUE(c.elect(1));
  EXPECT_EQ(c.propose(1, "a"), Error::kOk);
  EXPECT_EQ(c.applied_data(1), std::vector<std::string>{"a"});
}

TEST(RaftElection, ThreeMembersElectOneLeaderAndReplicate) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  EXPECT_EQ(c.raft(2).lead(), 1u);
  EXPECT_EQ(c.raft(3).lead(), 1u);
  EXPECT_EQ(c.propose(1, "x"), Error::kOk);
  for (NodeId id : {1, 2, 3}) EXPECT_EQ(c.applied_data(id), std::vector<std::string>{"x"});
}
}  // namespace
}  // namespace regent::raft
