// Early campaigns on a report that the leader's process is gone (Config::campaign_on_leader_down):
// a dead leader is replaced within a few heartbeats, and a false report never deposes a live one.
#include <gtest/gtest.h>

#include "raft/log/memory_storage.h"
#include "support/raft_cluster.h"

namespace regent::raft {
namespace {

using testing::Cluster;

void early_campaigns(Config& c) { c.campaign_on_leader_down = true; }

// Ticks the members in `ids` (stabilizing after each tick) until one of them leads; returns the
// number of ticks taken, or max_ticks + 1 if none did.
int ticks_until_leader_among(Cluster& c, const std::vector<NodeId>& ids, int max_ticks) {
  for (int t = 1; t <= max_ticks; ++t) {
    for (NodeId id : ids) c.tick(id);
    c.stabilize();
    for (NodeId id : ids) {
      if (c.raft(id).role() == Role::kLeader) return t;
    }
  }
  return max_ticks + 1;
}

TEST(RaftLeaderDown, ReportedDeadLeaderIsReplacedWithinThreeTicks) {
  // Several seeds: the random delay differs, the bound must hold for each.
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Cluster c({1, 2, 3}, [seed](Config& cfg) {
      early_campaigns(cfg);
      cfg.seed = seed * 7919 + cfg.id;
    });
    ASSERT_TRUE(c.elect(1));
    const Term term = c.raft(2).term();
    c.isolate(1);  // Dead: nothing in or out.
    c.node(2).report_leader_down(1);
    c.node(3).report_leader_down(1);
    // Election timeout is 10 ticks (randomized to [10, 20)); the early campaign starts within
    // 2 * heartbeat_tick + 1 = 3 ticks and a split vote would cost another 10 or more.
    EXPECT_LE(ticks_until_leader_among(c, {2, 3}, 40), 3);
    EXPECT_EQ(c.raft(2).term(), term + 1);
  }
}

TEST(RaftLeaderDown, OneFollowersReportIsEnoughWhenTheOtherTimesOut) {
  Cluster c({1, 2, 3}, early_campaigns);
  ASSERT_TRUE(c.elect(1));
  c.isolate(1);
  c.node(2).report_leader_down(1);
  // 3 still holds the lease until its own election timeout; then it grants 2's pre-vote or
  // campaigns itself, and 2 (leaderless) grants it.
  EXPECT_LE(ticks_until_leader_among(c, {2, 3}, 60), 40);
}

TEST(RaftLeaderDown, AFollowerThatIgnoredAnEarlyPreVoteElectsTheOtherAtOnce) {
  // 2 learns first and campaigns while 3 still holds its lease (3 ignores the pre-vote). Then 3
  // learns and campaigns; 2, the lower id with an equal log, refuses 3's pre-vote and asks 3
  // again for its own, which 3 now grants.
  Cluster c({1, 2, 3}, early_campaigns);
  ASSERT_TRUE(c.elect(1));
  c.isolate(1);
  c.node(2).report_leader_down(1);
  for (int i = 0; i < 3 && c.raft(2).role() != Role::kPreCandidate; ++i) {
    c.tick(2);
    c.stabilize();
  }
  ASSERT_EQ(c.raft(2).role(), Role::kPreCandidate);
  c.node(3).report_leader_down(1);
  int ticks = 0;
  while (c.raft(2).role() != Role::kLeader && c.raft(3).role() != Role::kLeader && ticks < 40) {
    c.tick(3);  // Only 3: 2's own election timeout must not be what ends the wait.
    c.stabilize();
    ++ticks;
  }
  EXPECT_LE(ticks, 3);
  EXPECT_EQ(c.raft(2).role(), Role::kLeader);
}

TEST(RaftLeaderDown, WithoutTheOptionAReportChangesNothing) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  c.isolate(1);
  c.node(2).report_leader_down(1);
  c.node(3).report_leader_down(1);
  EXPECT_EQ(c.raft(2).lead(), 1u);
  // No one campaigns before the ordinary election timeout (at least 10 ticks).
  EXPECT_GE(ticks_until_leader_among(c, {2, 3}, 40), 10);
}

TEST(RaftLeaderDown, FalseReportToOneFollowerDoesNotDeposeALiveLeader) {
  Cluster c({1, 2, 3}, early_campaigns);
  ASSERT_TRUE(c.elect(1));
  const Term term = c.raft(1).term();
  // 2's connection to 1 broke, but 1 is alive and 3 still hears it. Cut 1 and 2 apart so 1's
  // heartbeats cannot undo the report before 2 campaigns.
  c.cut(1, 2);
  c.node(2).report_leader_down(1);
  for (int i = 0; i < 5; ++i) {
    c.tick_all();
    c.stabilize();
  }
  EXPECT_EQ(c.raft(2).role(), Role::kPreCandidate);  // It tried, and 3 refused.
  c.heal();
  for (int i = 0; i < 30; ++i) {
    c.tick_all();
    c.stabilize();
  }
  EXPECT_EQ(c.leader(), 1u);
  EXPECT_EQ(c.raft(1).term(), term);
  EXPECT_EQ(c.raft(2).lead(), 1u);
  EXPECT_EQ(c.raft(3).lead(), 1u);
  EXPECT_EQ(c.propose(1, "after"), Error::kOk);
  EXPECT_EQ(c.applied_data(2).back(), "after");
}

TEST(RaftLeaderDown, FalseReportToEveryFollowerOfAReachableLeaderChangesNothing) {
  // Both connections broke and healed at once: the leader's next heartbeat reaches both
  // followers before their delayed campaigns, and they follow it again.
  Cluster c({1, 2, 3}, early_campaigns);
  ASSERT_TRUE(c.elect(1));
  const Term term = c.raft(1).term();
  c.node(2).report_leader_down(1);
  c.node(3).report_leader_down(1);
  for (int i = 0; i < 30; ++i) {
    c.tick_all();
    c.stabilize();
  }
  EXPECT_EQ(c.leader(), 1u);
  EXPECT_EQ(c.raft(1).term(), term);
}

TEST(RaftLeaderDown, ReportAboutAFollowerIsIgnored) {
  Cluster c({1, 2, 3}, early_campaigns);
  ASSERT_TRUE(c.elect(1));
  c.node(2).report_leader_down(3);
  EXPECT_EQ(c.raft(2).lead(), 1u);
  c.node(1).report_leader_down(2);  // Not even a follower.
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);
}

TEST(RaftLeaderDown, ConfigRefusesUnsafeCombinations) {
  Config c;
  c.id = 1;
  MemoryStorage storage;
  c.storage = &storage;
  c.campaign_on_leader_down = true;
  EXPECT_EQ(c.validate(), "");
  c.read_only_option = ReadOnlyOption::kLeaseBased;
  EXPECT_NE(c.validate().find("lease-based reads"), std::string::npos);
  c.read_only_option = ReadOnlyOption::kSafe;
  c.pre_vote = false;
  EXPECT_NE(c.validate().find("pre-vote"), std::string::npos);
}

}  // namespace
}  // namespace regent::raft
