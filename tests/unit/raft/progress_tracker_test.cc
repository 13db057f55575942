#include "raft/tracker/progress_tracker.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace regent::raft::tracker {
namespace {

// A tracker with the given membership; every member gets a probing Progress at next=1.
ProgressTracker make_tracker(const std::set<NodeId>& incoming,
                             const std::set<NodeId>& outgoing = {},
                             const std::set<NodeId>& learners = {}) {
  ProgressTracker t(16, 0);
  t.config.voters.incoming = quorum::MajorityConfig(incoming);
  t.config.voters.outgoing = quorum::MajorityConfig(outgoing);
  t.config.learners = learners;
  for (NodeId id : t.config.voters.ids()) t.progress.try_emplace(id, 1, 16, 0, false);
  for (NodeId id : learners) t.progress.try_emplace(id, 1, 16, 0, true);
  return t;
}

void set_match(ProgressTracker& t, const std::map<NodeId, Index>& match) {
  for (const auto& [id, m] : match) {
    t.progress.at(id).match = m;
    t.progress.at(id).next = m + 1;
  }
}

TEST(ProgressTrackerTest, AFollowerCatchingUpAfterALostLogDoesNotCountTowardCommit) {
  ProgressTracker t = make_tracker({1, 2, 3});
  set_match(t, {{1, 10}, {2, 10}, {3, 4}});
  ASSERT_EQ(t.committed(), 10u);
  // 2 reported that its log ends at 6, below what it had acknowledged: the leader lowers its
  // match and marks it.
  t.progress.at(2).lost_log_until = 10;
  t.progress.at(2).match = 6;
  t.progress.at(2).next = 7;
  EXPECT_EQ(t.committed(), 4u) << "2 holds entries up to 6, yet does not count";
  t.progress.at(2).maybe_update(9);
  EXPECT_EQ(t.committed(), 4u) << "nor does its new one, until it is back where it was";
  t.progress.at(2).maybe_update(10);
  EXPECT_EQ(t.progress.at(2).lost_log_until, 0u);
  EXPECT_EQ(t.committed(), 10u);
}

TEST(ProgressTrackerTest, Committed) {
  struct Case {
    std::string name;
    std::set<NodeId> incoming;
    std::set<NodeId> outgoing;
    std::set<NodeId> learners;
    std::map<NodeId, Index> match;
    Index want;
  };
  const std::vector<Case> cases = {
      {"single voter", {1}, {}, {}, {{1, 5}}, 5},
      {"majority of three", {1, 2, 3}, {}, {}, {{1, 5}, {2, 3}, {3, 1}}, 3},
      {"learners do not count", {1, 2, 3}, {}, {4, 5}, {{1, 9}, {4, 9}, {5, 9}}, 0},
      {"joint: outgoing holds back",
       {1, 2, 3},
       {4, 5, 6},
       {},
       {{1, 9}, {2, 9}, {3, 9}, {4, 2}, {5, 2}},
       2},
      {"joint: both halves agree", {1, 2, 3}, {1, 2, 4}, {}, {{1, 7}, {2, 7}}, 7},
      {"no voters at all", {}, {}, {}, {}, UINT64_MAX},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ProgressTracker t = make_tracker(c.incoming, c.outgoing, c.learners);
    set_match(t, c.match);
    EXPECT_EQ(t.committed(), c.want);
  }
}

TEST(ProgressTrackerTest, CommittedTreatsVoterWithoutProgressAsZero) {
  ProgressTracker t = make_tracker({1, 2, 3});
  set_match(t, {{1, 5}, {2, 5}, {3, 5}});
  t.progress.erase(2);
  t.progress.erase(3);
  EXPECT_EQ(t.committed(), 0u);
}

TEST(ProgressTrackerTest, QuorumActive) {
  struct Case {
    std::string name;
    std::set<NodeId> incoming;
    std::set<NodeId> outgoing;
    std::set<NodeId> learners;
    std::set<NodeId> active;
    NodeId self;
    bool want;
  };
  const std::vector<Case> cases = {
      {"alone: the leader is its own quorum", {1}, {}, {}, {}, 1, true},
      {"self plus one of three", {1, 2, 3}, {}, {}, {2}, 1, true},
      {"self alone of three", {1, 2, 3}, {}, {}, {}, 1, false},
      {"another self: self 2 plus active 1", {1, 2, 3}, {}, {}, {1}, 2, true},
      {"learners do not count", {1, 2, 3}, {}, {4, 5}, {4, 5}, 1, false},
      {"self plus one of four is not enough", {1, 2, 3, 4}, {}, {}, {2}, 1, false},
      {"self plus two of four", {1, 2, 3, 4}, {}, {}, {2, 3}, 1, true},
      {"joint: outgoing inactive", {1, 2, 3}, {1, 4, 5}, {}, {2, 3}, 1, false},
      {"joint: both active", {1, 2, 3}, {1, 4, 5}, {}, {2, 4}, 1, true},
      {"self a learner counts for nothing", {1, 2, 3}, {}, {4}, {1}, 4, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ProgressTracker t = make_tracker(c.incoming, c.outgoing, c.learners);
    for (NodeId id : c.active) t.progress.at(id).recent_active = true;
    EXPECT_EQ(t.quorum_active(c.self), c.want);
  }
}

TEST(ProgressTrackerTest, ConfStateReflectsConfig) {
  ProgressTracker t = make_tracker({1, 2, 3}, {1, 2, 4}, {5});
  t.config.learners_next = {4};
  t.config.auto_leave = true;
  ConfState want;
  want.voters = {1, 2, 3};
  want.voters_outgoing = {1, 2, 4};
  want.learners = {5};
  want.learners_next = {4};
  want.auto_leave = true;
  EXPECT_EQ(t.conf_state(), want);
  EXPECT_EQ(ProgressTracker(1, 0).conf_state(), ConfState{});
}

TEST(ProgressTrackerTest, IsSingleton) {
  EXPECT_FALSE(ProgressTracker(1, 0).is_singleton());
  EXPECT_TRUE(make_tracker({1}).is_singleton());
  EXPECT_TRUE(make_tracker({1}, {}, {2, 3}).is_singleton());
  EXPECT_FALSE(make_tracker({1, 2}).is_singleton());
  EXPECT_FALSE(make_tracker({1}, {1, 2}).is_singleton());
}

TEST(ProgressTrackerTest, VoterAndLearnerNodesAreSorted) {
  ProgressTracker t = make_tracker({5, 1, 3}, {3, 2}, {9, 7});
  EXPECT_EQ(t.voter_nodes(), (std::vector<NodeId>{1, 2, 3, 5}));
  EXPECT_EQ(t.learner_nodes(), (std::vector<NodeId>{7, 9}));
}

TEST(ProgressTrackerTest, VisitGoesInIdOrderAndMayMutate) {
  ProgressTracker t = make_tracker({3, 1}, {}, {2});
  std::vector<NodeId> seen;
  t.visit([&](NodeId id, Progress& pr) {
    seen.push_back(id);
    pr.recent_active = true;
  });
  EXPECT_EQ(seen, (std::vector<NodeId>{1, 2, 3}));
  for (const auto& [id, pr] : t.progress) EXPECT_TRUE(pr.recent_active) << id;
}

TEST(ProgressTrackerTest, TallyVotes) {
  struct Vote {
    NodeId id;
    bool granted;
  };
  struct Case {
    std::string name;
    std::vector<Vote> votes;
    size_t want_granted;
    size_t want_rejected;
    quorum::VoteResult want;
  };
  // Voters (1 2 3), learner 4.
  const std::vector<Case> cases = {
      {"no votes", {}, 0, 0, quorum::VoteResult::kPending},
      {"one granted", {{1, true}}, 1, 0, quorum::VoteResult::kPending},
      {"two granted", {{1, true}, {2, true}}, 2, 0, quorum::VoteResult::kWon},
      {"two rejected", {{2, false}, {3, false}}, 0, 2, quorum::VoteResult::kLost},
      {"split", {{1, true}, {2, false}}, 1, 1, quorum::VoteResult::kPending},
      {"learner and stranger ignored",
       {{1, true}, {4, true}, {9, true}},
       1,
       0,
       quorum::VoteResult::kPending},
      {"second vote ignored",
       {{2, false}, {2, true}, {1, true}},
       1,
       1,
       quorum::VoteResult::kPending},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ProgressTracker t = make_tracker({1, 2, 3}, {}, {4});
    for (const Vote& v : c.votes) t.record_vote(v.id, v.granted);
    ProgressTracker::Tally tally = t.tally_votes();
    EXPECT_EQ(tally.granted, c.want_granted);
    EXPECT_EQ(tally.rejected, c.want_rejected);
    EXPECT_EQ(tally.result, c.want);
  }
}

TEST(ProgressTrackerTest, JointTallyNeedsBothHalves) {
  ProgressTracker t = make_tracker({1, 2, 3}, {3, 4, 5});
  t.record_vote(1, true);
  t.record_vote(2, true);
  EXPECT_EQ(t.tally_votes().result, quorum::VoteResult::kPending);
  t.record_vote(4, true);
  t.record_vote(3, true);
  ProgressTracker::Tally tally = t.tally_votes();
  EXPECT_EQ(tally.granted, 4u);
  EXPECT_EQ(tally.result, quorum::VoteResult::kWon);
}

TEST(ProgressTrackerTest, ResetVotes) {
  ProgressTracker t = make_tracker({1, 2, 3});
  t.record_vote(1, false);
  t.record_vote(2, false);
  ASSERT_EQ(t.tally_votes().result, quorum::VoteResult::kLost);
  t.reset_votes();
  ProgressTracker::Tally tally = t.tally_votes();
  EXPECT_EQ(tally.granted, 0u);
  EXPECT_EQ(tally.rejected, 0u);
  EXPECT_EQ(tally.result, quorum::VoteResult::kPending);
  t.record_vote(1, true);  // A new term's vote is recorded afresh.
  EXPECT_EQ(t.tally_votes().granted, 1u);
}

TEST(ProgressTrackerTest, InflightLimitsAreKept) {
  ProgressTracker t(7, 1024);
  EXPECT_EQ(t.max_inflight(), 7u);
  EXPECT_EQ(t.max_inflight_bytes(), 1024u);
}

TEST(ProgressTrackerTest, ConfigDescribe) {
  Config c;
  EXPECT_EQ(c.describe(), "voters=()");
  c.voters.incoming = quorum::MajorityConfig({1, 2, 3});
  EXPECT_EQ(c.describe(), "voters=(1 2 3)");
  c.voters.outgoing = quorum::MajorityConfig({1, 2});
  c.learners = {4};
  c.learners_next = {3};
  c.auto_leave = true;
  EXPECT_EQ(c.describe(), "voters=(1 2 3)&&(1 2) learners=(4) learners_next=(3) autoleave");
}

}  // namespace
}  // namespace regent::raft::tracker
