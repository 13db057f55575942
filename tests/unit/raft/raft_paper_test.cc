// The claims of the Raft paper's safety argument, one test each: the figure-8 commit rule, log
// repair in few round trips, and the five properties of Figure 3 under randomized faults.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/prng.h"
#include "sim/safety_checker.h"
#include "support/raft_cluster.h"

namespace regent::raft {
namespace {

using testing::Cluster;

// The simulator's safety checker, fed from the in-memory cluster.
class Safety {
 public:
  std::string observe(Cluster& c) {
    std::vector<sim::MemberView> views;
    for (NodeId id : c.ids()) {
      views.push_back({id, &c.raft(id), !c.member(id).down, &c.member(id).applied});
    }
    return checker_.observe(views);
  }

 private:
  sim::SafetyChecker checker_;
};

bool carries_index_at_least(const Message& m, Index index) {
  return m.type == MessageType::kAppend && !m.entries.empty() && m.entries.back().index >= index;
}

// Raft paper Figure 8: an entry of an earlier term stored on a majority is not committed by
// counting replicas, because a later leader may still overwrite it.
TEST(RaftPaper, Figure8EntryOfEarlierTermIsNotCommittedByReplicaCount) {
  Cluster c({1, 2, 3, 4, 5}, [](Config& cfg) {
    cfg.pre_vote = false;
    cfg.check_quorum = false;
    cfg.max_size_per_msg = 1;  // One entry per append, so the test can let some through.
  });
  Safety safety;
  // (a) 1 leads and stores "A" on itself and 2 only.
  ASSERT_TRUE(c.elect(1));
  c.add_filter([](const Message& m) { return m.type == MessageType::kAppend && m.to > 2; });
  ASSERT_EQ(c.node(1).propose("A"), Error::kOk);
  c.stabilize();
  const Index a_index = c.raft(1).log().last_index();
  const Term a_term = c.raft(1).term();
  ASSERT_EQ(c.raft(2).log().zero_term_on_error(a_index), a_term);
  // (b) 1 crashes; 5 wins with votes from 3 and 4 and stores "B" only on itself.
  c.crash(1);
  c.heal();
  c.add_filter([](const Message& m) { return m.type == MessageType::kAppend && m.from == 5; });
  c.node(5).campaign();
  c.stabilize();
  ASSERT_EQ(c.leader(), 5u);
  ASSERT_EQ(c.node(5).propose("B"), Error::kOk);
  c.stabilize();
  // (c) 5 crashes; 1 restarts and wins; it replicates "A" (old term) to 3 but its own term's
  // no-op reaches only 1 and 2: no majority.
  c.crash(5);
  c.heal();
  c.restart(1);
  c.add_filter([&c, a_index](const Message& m) {
    if (m.from != 1) return false;
    if (m.to == 4) return true;
    // 3 may see probes (it rejects them) until it holds "A"; after that, nothing newer.
    return m.to == 3 && carries_index_at_least(m, a_index + 1) &&
           c.raft(3).log().last_index() >= a_index;
  });
  for (int attempt = 0; attempt < 3 && c.leader() != 1u; ++attempt) {
    c.node(1).campaign();
    c.stabilize();
  }
  ASSERT_EQ(c.leader(), 1u);
  c.stabilize();
  ASSERT_EQ(c.raft(3).log().zero_term_on_error(a_index), a_term);  // 1, 2, 3: a majority.
  EXPECT_LT(c.raft(1).log().committed(), a_index) << "committed an old-term entry by counting";
  EXPECT_EQ(safety.observe(c), "");
  // (d) 1 crashes, 5 restarts and is elected (its last term is higher): it overwrites "A".
  c.crash(1);
  c.heal();
  c.restart(5);
  for (int attempt = 0; attempt < 3 && c.leader() != 5u; ++attempt) {
    c.node(5).campaign();
    c.stabilize();
  }
  ASSERT_EQ(c.leader(), 5u);
  EXPECT_EQ(c.propose(5, "C"), Error::kOk);
  EXPECT_EQ(safety.observe(c), "");
  c.restart(1);
  c.tick_all(3);
  for (NodeId id : c.ids()) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.applied_data(id), (std::vector<std::string>{"B", "C"}));
    EXPECT_EQ(safety.observe(c), "");
  }
}

// (e): once the leader's own-term entry is on a majority, the old entry commits with it.
TEST(RaftPaper, Figure8EntryCommitsOnceCurrentTermEntryIsOnMajority) {
  Cluster c({1, 2, 3, 4, 5}, [](Config& cfg) {
    cfg.pre_vote = false;
    cfg.check_quorum = false;
  });
  ASSERT_TRUE(c.elect(1));
  c.add_filter([](const Message& m) { return m.type == MessageType::kAppend && m.to > 2; });
  ASSERT_EQ(c.propose(1, "A"), Error::kOk);
  c.crash(1);
  c.heal();
  c.restart(1);
  c.isolate(4);
  c.isolate(5);
  for (int attempt = 0; attempt < 3 && c.leader() != 1u; ++attempt) {
    c.node(1).campaign();
    c.stabilize();
  }
  ASSERT_EQ(c.leader(), 1u);
  // 1, 2, 3 hold the new term's no-op: "A" commits with it, on all three.
  for (NodeId id : {1, 2, 3}) EXPECT_EQ(c.applied_data(id), std::vector<std::string>{"A"});
}

// §5.3: a follower with a long divergent tail is repaired in a few round trips (one per
// diverging term), not one per entry.
TEST(RaftPaper, DivergentFollowerRepairedInFewRoundTrips) {
  Cluster c({1, 2, 3}, [](Config& cfg) {
    cfg.pre_vote = false;
    cfg.check_quorum = false;
  });
  ASSERT_TRUE(c.elect(1));
  // 1 is cut off and appends 100 entries that never commit.
  c.isolate(1);
  for (int i = 0; i < 100; ++i) c.node(1).propose("stale-" + std::to_string(i));
  c.stabilize();
  // 2 leads the others and commits 50 entries of its own; then 3 takes over, so that the
  // leader's probe starts past the point where 1's log forked.
  c.node(2).campaign();
  c.stabilize();
  ASSERT_EQ(c.leader(), 2u);
  for (int i = 0; i < 50; ++i) c.node(2).propose("new-" + std::to_string(i));
  c.stabilize();
  c.node(3).campaign();
  c.stabilize();
  ASSERT_EQ(c.leader(), 3u);
  c.heal();
  c.clear_delivered();
  c.tick_all(3);
  size_t rejections = 0;
  for (const Message& m : c.delivered()) {
    if (m.type == MessageType::kAppendResponse && m.reject && m.from == 1) ++rejections;
  }
  EXPECT_GE(rejections, 1u);
  EXPECT_LE(rejections, 3u);
  EXPECT_EQ(c.applied_data(1), c.applied_data(3));
  EXPECT_EQ(c.applied_data(1).size(), 50u);
}

// The five properties of Figure 3, checked after every round of randomized elections, crashes,
// partitions and message loss. Each seed is a different schedule; a failure names it.
TEST(RaftPaper, FivePropertiesHoldUnderRandomFaults) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed=" << seed);
    Prng prng(seed);
    const bool pre_vote = seed % 2 == 0;
    const bool check_quorum = seed % 3 != 0;
    const size_t members = seed % 4 == 0 ? 3 : 5;
    std::vector<NodeId> ids;
    for (NodeId id = 1; id <= members; ++id) ids.push_back(id);
    Cluster c(ids, [&](Config& cfg) {
      cfg.pre_vote = pre_vote;
      cfg.check_quorum = check_quorum;
      cfg.seed = seed * 131 + cfg.id;
    });
    Safety safety;
    Prng loss(seed * 7);
    c.add_filter([&loss](const Message&) { return loss.chance(1, 10); });
    size_t down = 0;
    int proposals = 0;
    for (int round = 0; round < 1500; ++round) {
      const NodeId target = ids[prng.uniform(ids.size())];
      switch (prng.uniform(20)) {
        case 0:  // Crash one member, keeping a majority up.
          if (!c.member(target).down && down + 1 < (members + 1) / 2 + (members % 2 == 0)) {
            c.crash(target);
            ++down;
          }
          break;
        case 1:
          if (c.member(target).down) {
            c.restart(target);
            --down;
          }
          break;
        case 2:
          c.isolate(target);
          break;
        case 3:
          c.heal();
          c.add_filter([&loss](const Message&) { return loss.chance(1, 10); });
          break;
        default:
          if (auto lead = c.leader(); lead && prng.chance(1, 2)) {
            c.node(*lead).propose(fmt::format("p{}", ++proposals));
          }
          c.tick(target);
      }
      c.step_round();
      c.clear_delivered();
      const std::string problem = safety.observe(c);
      ASSERT_EQ(problem, "") << "round " << round;
    }
    // Liveness after faults stop: heal, restart everyone, and the cluster commits again.
    c.heal();
    for (NodeId id : ids) {
      if (c.member(id).down) c.restart(id);
    }
    c.tick_all(60);
    ASSERT_TRUE(c.leader().has_value());
    EXPECT_EQ(c.propose(*c.leader(), "final"), Error::kOk);
    c.tick_all(5);
    for (NodeId id : ids) EXPECT_EQ(c.applied_data(id).back(), "final");
    EXPECT_EQ(safety.observe(c), "");
  }
}

}  // namespace
}  // namespace regent::raft
