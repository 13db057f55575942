#include "raft/quorum/quorum.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>

namespace regent::raft::quorum {
namespace {

// Acked indexes by id; ids without an entry acknowledged nothing.
AckedIndexer indexer(std::map<NodeId, Index> acked) {
  return [acked = std::move(acked)](NodeId id) -> std::optional<Index> {
    auto it = acked.find(id);
    if (it == acked.end()) return std::nullopt;
    return it->second;
  };
}

TEST(QuorumTest, MajorityCommittedIndex) {
  struct Case {
    std::string name;
    std::set<NodeId> ids;
    std::map<NodeId, Index> acked;
    Index want;
  };
  const std::vector<Case> cases = {
      {"empty config commits everything", {}, {}, UINT64_MAX},
      {"single voter decides alone", {1}, {{1, 7}}, 7},
      {"single voter that acked nothing", {1}, {}, 0},
      {"three voters, all acked", {1, 2, 3}, {{1, 5}, {2, 7}, {3, 9}}, 7},
      {"three voters, one silent", {1, 2, 3}, {{1, 5}, {3, 9}}, 5},
      {"three voters, two silent", {1, 2, 3}, {{3, 9}}, 0},
      {"acks from non-members do not count", {1, 2, 3}, {{3, 9}, {4, 9}, {5, 9}}, 0},
      {"four voters need three", {1, 2, 3, 4}, {{1, 10}, {2, 8}, {3, 6}, {4, 4}}, 6},
      {"four voters, equal pairs", {1, 2, 3, 4}, {{1, 9}, {2, 9}, {3, 1}, {4, 1}}, 1},
      {"five voters need three", {1, 2, 3, 4, 5}, {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}}, 3},
      {"duplicates", {1, 2, 3}, {{1, 4}, {2, 4}, {3, 2}}, 4},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(MajorityConfig(c.ids).committed_index(indexer(c.acked)), c.want);
  }
}

// The committed index is the largest index that a majority holds: a majority acked at least it,
// and no majority acked anything larger. Checked against random acks with a fixed seed.
TEST(QuorumTest, MajorityCommittedIndexIsLargestMajorityIndex) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 2000; ++round) {
    SCOPED_TRACE(round);
    const size_t n = 1 + rng() % 7;
    std::set<NodeId> ids;
    std::map<NodeId, Index> acked;
    for (NodeId id = 1; id <= n; ++id) {
      ids.insert(id);
      if (rng() % 4 != 0) acked[id] = rng() % 10;  // Some voters acked nothing.
    }
    const Index got = MajorityConfig(ids).committed_index(indexer(acked));
    auto holders = [&](Index at_least) {
      size_t k = 0;
      for (NodeId id : ids) k += (acked.contains(id) ? acked[id] : 0) >= at_least ? 1 : 0;
      return k;
    };
    EXPECT_GE(holders(got), n / 2 + 1);
    EXPECT_LT(holders(got + 1), n / 2 + 1);
  }
}

TEST(QuorumTest, MajorityVoteResult) {
  struct Case {
    std::string name;
    std::set<NodeId> ids;
    std::map<NodeId, bool> votes;
    VoteResult want;
  };
  const std::vector<Case> cases = {
      {"empty config wins", {}, {}, VoteResult::kWon},
      {"single voter, no vote", {1}, {}, VoteResult::kPending},
      {"single voter, granted", {1}, {{1, true}}, VoteResult::kWon},
      {"single voter, rejected", {1}, {{1, false}}, VoteResult::kLost},
      {"three, one granted", {1, 2, 3}, {{1, true}}, VoteResult::kPending},
      {"three, two granted", {1, 2, 3}, {{1, true}, {2, true}}, VoteResult::kWon},
      {"three, split with one missing", {1, 2, 3}, {{1, true}, {2, false}}, VoteResult::kPending},
      {"three, two rejected", {1, 2, 3}, {{1, false}, {2, false}}, VoteResult::kLost},
      {"four, two granted two rejected",
       {1, 2, 3, 4},
       {{1, true}, {2, true}, {3, false}, {4, false}},
       VoteResult::kLost},
      {"four, two granted one rejected",
       {1, 2, 3, 4},
       {{1, true}, {2, true}, {3, false}},
       VoteResult::kPending},
      {"four, three granted", {1, 2, 3, 4}, {{1, true}, {2, true}, {3, true}}, VoteResult::kWon},
      {"votes from non-members ignored",
       {1, 2, 3},
       {{4, true}, {5, true}, {1, true}},
       VoteResult::kPending},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(MajorityConfig(c.ids).vote_result(c.votes), c.want);
  }
}

TEST(QuorumTest, JointCommittedIndexIsMinimumOfHalves) {
  struct Case {
    std::string name;
    std::set<NodeId> incoming;
    std::set<NodeId> outgoing;
    std::map<NodeId, Index> acked;
    Index want;
  };
  const std::vector<Case> cases = {
      {"not joint: incoming decides", {1, 2, 3}, {}, {{1, 5}, {2, 6}, {3, 7}}, 6},
      {"both empty", {}, {}, {}, UINT64_MAX},
      {"outgoing lags", {1, 2, 3}, {4, 5, 6}, {{1, 9}, {2, 9}, {3, 9}, {4, 2}, {5, 3}}, 2},
      {"incoming lags", {1, 2, 3}, {1, 4, 5}, {{1, 9}, {4, 8}, {5, 8}, {2, 1}}, 1},
      {"overlapping halves agree", {1, 2, 3}, {1, 2, 4}, {{1, 4}, {2, 4}, {3, 1}, {4, 1}}, 4},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    JointConfig jc{MajorityConfig(c.incoming), MajorityConfig(c.outgoing)};
    EXPECT_EQ(jc.committed_index(indexer(c.acked)), c.want);
  }
}

TEST(QuorumTest, JointVoteResultNeedsBothHalves) {
  struct Case {
    std::string name;
    std::map<NodeId, bool> votes;
    VoteResult want;
  };
  // incoming (1 2 3), outgoing (3 4 5)
  const std::vector<Case> cases = {
      {"nothing yet", {}, VoteResult::kPending},
      {"incoming won, outgoing pending", {{1, true}, {2, true}}, VoteResult::kPending},
      {"both won through the shared voter", {{1, true}, {3, true}, {4, true}}, VoteResult::kWon},
      {"incoming won, outgoing lost",
       {{1, true}, {2, true}, {4, false}, {5, false}},
       VoteResult::kLost},
      {"incoming lost, outgoing won",
       {{1, false}, {2, false}, {4, true}, {5, true}},
       VoteResult::kLost},
      {"incoming pending, outgoing lost", {{4, false}, {5, false}}, VoteResult::kLost},
      {"both lost", {{1, false}, {3, false}, {5, false}}, VoteResult::kLost},
  };
  JointConfig jc{MajorityConfig({1, 2, 3}), MajorityConfig({3, 4, 5})};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(jc.vote_result(c.votes), c.want);
  }
}

TEST(QuorumTest, NonJointVoteResultIgnoresEmptyOutgoing) {
  JointConfig jc{MajorityConfig({1, 2, 3}), MajorityConfig()};
  EXPECT_FALSE(jc.joint());
  EXPECT_EQ(jc.vote_result({{1, true}, {2, true}}), VoteResult::kWon);
  EXPECT_EQ(jc.vote_result({{1, false}, {2, false}}), VoteResult::kLost);
  EXPECT_EQ(jc.vote_result({{1, true}}), VoteResult::kPending);
}

TEST(QuorumTest, JointIdsAndContains) {
  JointConfig jc{MajorityConfig({1, 2, 3}), MajorityConfig({3, 4})};
  EXPECT_TRUE(jc.joint());
  EXPECT_EQ(jc.ids(), (std::set<NodeId>{1, 2, 3, 4}));
  EXPECT_TRUE(jc.contains(1));
  EXPECT_TRUE(jc.contains(4));
  EXPECT_FALSE(jc.contains(5));
  EXPECT_FALSE(jc.contains(kNone));
}

TEST(QuorumTest, Describe) {
  EXPECT_EQ(MajorityConfig().describe(), "()");
  EXPECT_EQ(MajorityConfig({7}).describe(), "(7)");
  EXPECT_EQ(MajorityConfig({3, 1, 2}).describe(), "(1 2 3)");
  EXPECT_EQ((JointConfig{MajorityConfig({1, 2, 3}), MajorityConfig()}).describe(), "(1 2 3)");
  EXPECT_EQ((JointConfig{MajorityConfig({1, 2, 4}), MajorityConfig({1, 2, 3})}).describe(),
            "(1 2 4)&&(1 2 3)");
}

TEST(QuorumTest, VoteResultToString) {
  EXPECT_EQ(to_string(VoteResult::kPending), "VotePending");
  EXPECT_EQ(to_string(VoteResult::kLost), "VoteLost");
  EXPECT_EQ(to_string(VoteResult::kWon), "VoteWon");
}

}  // namespace
}  // namespace regent::raft::quorum
