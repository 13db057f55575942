// Leader election (§3.4), pre-vote (§9.6), check-quorum (§6.2) and the leader lease, through
// whole in-memory clusters.
#include <gtest/gtest.h>

#include "support/raft_cluster.h"

namespace regent::raft {
namespace {

using testing::Cluster;

Cluster::Tweak with(bool pre_vote, bool check_quorum) {
  return [=](Config& c) {
    c.pre_vote = pre_vote;
    c.check_quorum = check_quorum;
  };
}

// Isolates `id` and lets `ticks` ticks pass for it alone: it times out again and again.
void cut_off_for(Cluster& c, NodeId id, int ticks) {
  c.isolate(id);
  for (int i = 0; i < ticks; ++i) {
    c.tick(id);
    c.stabilize();
  }
}

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

TEST(RaftElection, TimeoutElectsSomeoneWithinTwoElectionTimeouts) {
  struct Case {
    bool pre_vote;
    size_t members;
  };
  for (const Case& tc : {Case{false, 3}, Case{true, 3}, Case{false, 5}, Case{true, 5}}) {
    SCOPED_TRACE(::testing::Message() << "pre_vote=" << tc.pre_vote << " members=" << tc.members);
    std::vector<NodeId> ids;
    for (NodeId id = 1; id <= tc.members; ++id) ids.push_back(id);
    Cluster c(ids, with(tc.pre_vote, true));
    int ticks = 0;
    while (!c.leader() && ticks < 40) {
      c.tick_all(1);
      ++ticks;
    }
    ASSERT_TRUE(c.leader().has_value());
    // Randomized timeouts lie in [10, 20) ticks; a split vote costs at most one more round.
    EXPECT_LE(ticks, 40);
    const NodeId lead = *c.leader();
    for (NodeId id : ids) EXPECT_EQ(c.raft(id).lead(), lead);
  }
}

TEST(RaftElection, CandidateWithoutMajorityDoesNotWin) {
  Cluster c({1, 2, 3}, with(false, false));
  c.isolate(1);
  c.node(1).campaign();
  c.stabilize();
  EXPECT_EQ(c.raft(1).role(), Role::kCandidate);
  EXPECT_EQ(c.raft(1).term(), 2u);
  EXPECT_FALSE(c.leader().has_value());
}

TEST(RaftElection, VoteIsGrantedOncePerTerm) {
  // Election safety hinges on this: a second candidate of the same term gets a rejection.
  Cluster c({1, 2, 3}, with(false, false));
  c.cut(1, 3);
  c.cut(2, 3);
  c.node(1).campaign();  // Term 2: 2 grants, 1 wins.
  c.stabilize();
  ASSERT_EQ(c.leader(), 1u);
  c.heal();
  c.cut(1, 2);
  c.cut(1, 3);
  // 3 campaigns at term 2 as well (it never heard of 1's election): 2 already voted for 1.
  c.node(3).campaign();
  c.stabilize();
  EXPECT_EQ(c.raft(2).vote(), 1u);
  EXPECT_NE(c.raft(3).role(), Role::kLeader);
}

TEST(RaftElection, LessUpToDateCandidateIsRejected) {
  Cluster c({1, 2, 3}, with(false, false));
  ASSERT_TRUE(c.elect(1));
  c.isolate(3);
  ASSERT_EQ(c.propose(1, "only-on-1-and-2"), Error::kOk);
  c.heal();
  c.isolate(1);
  // 3 misses the entry; 2 has it and must refuse 3 (§5.4.1).
  c.node(3).campaign();
  c.stabilize();
  EXPECT_NE(c.raft(3).role(), Role::kLeader);
  c.node(2).campaign();
  c.stabilize();
  EXPECT_EQ(c.leader(), 2u);
  EXPECT_EQ(c.applied_data(2), std::vector<std::string>{"only-on-1-and-2"});
}

TEST(RaftElection, PreVotePartitionedMemberRejoiningDoesNotDeposeLeader) {
  Cluster c({1, 2, 3}, with(true, false));
  ASSERT_TRUE(c.elect(1));
  const Term term = c.raft(1).term();
  // Cut off, 3 keeps timing out; with pre-vote it never raises its term.
  cut_off_for(c, 3, 100);
  EXPECT_EQ(c.raft(3).term(), term);
  EXPECT_EQ(c.raft(3).role(), Role::kPreCandidate);
  c.heal();
  c.tick_all(5);
  EXPECT_EQ(c.leader(), 1u);
  EXPECT_EQ(c.raft(1).term(), term);
  EXPECT_EQ(c.raft(3).lead(), 1u);
}

TEST(RaftElection, WithoutPreVoteOrLeaseRejoiningMemberDisruptsLeader) {
  // The counterpart of the test above: it shows that the property is the mechanism's doing.
  Cluster c({1, 2, 3}, with(false, false));
  ASSERT_TRUE(c.elect(1));
  const Term term = c.raft(1).term();
  cut_off_for(c, 3, 100);
  EXPECT_GT(c.raft(3).term(), term);
  c.heal();
  c.node(3).campaign();
  c.stabilize();
  EXPECT_GT(c.raft(1).term(), term);  // Deposed by a member that had nothing to offer.
  EXPECT_NE(c.raft(1).role(), Role::kLeader);
}

TEST(RaftElection, LeaseMakesFollowersIgnoreVotesWhileLeaderIsHealthy) {
  // Check-quorum without pre-vote: the rejoining member's term is higher, but followers that
  // heard from the leader within the election timeout ignore its vote requests.
  Cluster c({1, 2, 3}, with(false, true));
  ASSERT_TRUE(c.elect(1));
  cut_off_for(c, 3, 100);
  c.heal();
  c.node(3).campaign();
  c.stabilize();
  EXPECT_EQ(c.raft(2).lead(), 1u);
  EXPECT_NE(c.raft(3).role(), Role::kLeader);
  // 3 catches up with the cluster rather than staying out: the leader's appends reach it, its
  // answers carry the higher term, the leader steps down, and a leader with the log is elected.
  c.tick_all(60);
  ASSERT_TRUE(c.leader().has_value());
  EXPECT_EQ(c.propose(*c.leader(), "after"), Error::kOk);
  for (NodeId id : {1, 2, 3}) EXPECT_EQ(c.applied_data(id), std::vector<std::string>{"after"});
}

TEST(RaftElection, CheckQuorumLeaderStepsDownWithoutMajority) {
  Cluster c({1, 2, 3}, with(true, true));
  ASSERT_TRUE(c.elect(1));
  c.isolate(1);
  int ticks = 0;
  while (c.raft(1).role() == Role::kLeader && ticks < 100) {
    c.tick(1);
    c.stabilize();
    ++ticks;
  }
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  // Within two election timeouts: at most one full timeout passes before the check that fails.
  EXPECT_LE(ticks, 20);
  EXPECT_EQ(c.raft(1).lead(), kNone);
}

TEST(RaftElection, WithoutCheckQuorumIsolatedLeaderStaysLeader) {
  Cluster c({1, 2, 3}, with(true, false));
  ASSERT_TRUE(c.elect(1));
  c.isolate(1);
  for (int i = 0; i < 100; ++i) {
    c.tick(1);
    c.stabilize();
  }
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);
}

TEST(RaftElection, CheckQuorumLeaderWithMajorityStaysLeader) {
  Cluster c({1, 2, 3, 4, 5}, with(true, true));
  ASSERT_TRUE(c.elect(1));
  c.isolate(4);
  c.isolate(5);
  for (int i = 0; i < 100; ++i) {
    c.tick(1);
    c.tick(2);
    c.tick(3);
    c.stabilize();
  }
  EXPECT_EQ(c.leader(), 1u);
}

TEST(RaftElection, NewLeaderCommitsNoOpOfItsTerm) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  const auto& applied = c.member(2).applied;
  ASSERT_FALSE(applied.empty());
  EXPECT_EQ(applied.back().term, c.raft(1).term());
  EXPECT_TRUE(applied.back().data.empty());
}

TEST(RaftElection, RestartedMemberKeepsTermAndVote) {
  Cluster c({1, 2, 3}, with(false, false));
  c.isolate(1);
  c.node(2).campaign();
  c.stabilize();
  ASSERT_EQ(c.leader(), 2u);
  const Term term = c.raft(3).term();
  ASSERT_EQ(c.raft(3).vote(), 2u);
  c.crash(3);
  c.restart(3);
  EXPECT_EQ(c.raft(3).term(), term);
  EXPECT_EQ(c.raft(3).vote(), 2u);
}

}  // namespace
}  // namespace regent::raft
