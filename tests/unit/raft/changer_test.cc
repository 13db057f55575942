#include "raft/confchange/changer.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace regent::raft::confchange {
namespace {

using tracker::Progress;
using tracker::ProgressTracker;

constexpr size_t kMaxInflight = 4;
constexpr Index kLastIndex = 10;

ConfChangeSingle add(NodeId id) { return {ConfChangeType::kAddNode, id}; }
ConfChangeSingle remove(NodeId id) { return {ConfChangeType::kRemoveNode, id}; }
ConfChangeSingle learner(NodeId id) { return {ConfChangeType::kAddLearnerNode, id}; }

// A valid tracker with the given membership; each member's match is its id, so tests can tell
// whether a Progress was kept or replaced.
ProgressTracker build(const std::set<NodeId>& incoming, const std::set<NodeId>& outgoing = {},
                      const std::set<NodeId>& learners = {},
                      const std::set<NodeId>& learners_next = {}) {
  ProgressTracker t(kMaxInflight, 0);
  t.config.voters.incoming = quorum::MajorityConfig(incoming);
  t.config.voters.outgoing = quorum::MajorityConfig(outgoing);
  t.config.learners = learners;
  t.config.learners_next = learners_next;
  for (NodeId id : t.config.voters.ids())
    t.progress.try_emplace(id, id + 1, kMaxInflight, 0, false);
  for (NodeId id : learners) t.progress.try_emplace(id, id + 1, kMaxInflight, 0, true);
  for (auto& [id, pr] : t.progress) pr.match = id;
  return t;
}

ProgressTracker adopt(const ProgressTracker& base, const Outcome& out) {
  ProgressTracker t = base;
  t.config = out.config;
  t.progress = out.progress;
  return t;
}

// Progress has no operator==; its description covers what the changer may touch.
std::map<NodeId, std::string> describe(const tracker::ProgressMap& m) {
  std::map<NodeId, std::string> out;
  for (const auto& [id, pr] : m) out[id] = pr.describe();
  return out;
}

void expect_new_member(const Outcome& out, NodeId id, bool is_learner) {
  SCOPED_TRACE(testing::Message() << "new member " << id);
  ASSERT_TRUE(out.progress.contains(id));
  const Progress& pr = out.progress.at(id);
  EXPECT_EQ(pr.match, 0u);
  EXPECT_EQ(pr.next, kLastIndex);
  EXPECT_EQ(pr.state, tracker::ProgressState::kProbe);
  EXPECT_TRUE(pr.recent_active);
  EXPECT_EQ(pr.is_learner, is_learner);
  // The window is sized from the tracker.
  Progress probe = pr;
  for (Index i = 1; i <= kMaxInflight; ++i) probe.inflights.add(i, 1);
  EXPECT_TRUE(probe.inflights.full());
}

TEST(ChangerTest, AddFirstVoterToEmptyConfig) {
  ProgressTracker t(kMaxInflight, 0);
  Result r = Changer(t, kLastIndex).simple({add(1)});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config.describe(), "voters=(1)");
  expect_new_member(*r, 1, false);
}

TEST(ChangerTest, NewMemberNextIsAtLeastOne) {
  ProgressTracker t(kMaxInflight, 0);
  Result r = Changer(t, 0).simple({add(1)});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->progress.at(1).next, 1u);
}

TEST(ChangerTest, AddVoterKeepsExistingProgress) {
  ProgressTracker t = build({1, 2, 3});
  Result r = Changer(t, kLastIndex).simple({add(4)});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config.describe(), "voters=(1 2 3 4)");
  expect_new_member(*r, 4, false);
  for (NodeId id : {1, 2, 3}) EXPECT_EQ(r->progress.at(id).match, id);
}

TEST(ChangerTest, InputTrackerIsNeverModified) {
  ProgressTracker t = build({1, 2, 3}, {}, {4});
  const tracker::Config config_before = t.config;
  const auto progress_before = describe(t.progress);
  Changer c(t, kLastIndex);
  ASSERT_TRUE(c.simple({add(5)}));
  ASSERT_TRUE(c.simple({remove(1)}));
  ASSERT_TRUE(c.enter_joint(true, {remove(1), learner(3), add(6)}));
  ASSERT_FALSE(c.simple({remove(1), remove(2)}));
  EXPECT_EQ(t.config, config_before);
  EXPECT_EQ(describe(t.progress), progress_before);
}

TEST(ChangerTest, AddLearner) {
  ProgressTracker t = build({1});
  Result r = Changer(t, kLastIndex).simple({learner(2)});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config.describe(), "voters=(1) learners=(2)");
  expect_new_member(*r, 2, true);
}

TEST(ChangerTest, PromoteLearnerKeepsProgress) {
  ProgressTracker t = build({1, 2}, {}, {3});
  Result r = Changer(t, kLastIndex).simple({add(3)});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config.describe(), "voters=(1 2 3)");
  EXPECT_FALSE(r->progress.at(3).is_learner);
  EXPECT_EQ(r->progress.at(3).match, 3u);
}

TEST(ChangerTest, DemoteVoterDirectlyOutsideJoint) {
  ProgressTracker t = build({1, 2, 3});
  Result r = Changer(t, kLastIndex).simple({learner(3)});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config.describe(), "voters=(1 2) learners=(3)");
  EXPECT_TRUE(r->progress.at(3).is_learner);
  EXPECT_EQ(r->progress.at(3).match, 3u);
}

TEST(ChangerTest, DemoteVoterThroughJointUsesLearnersNext) {
  ProgressTracker t = build({1, 2, 3});
  Result joint = Changer(t, kLastIndex).enter_joint(false, {learner(3)});
  ASSERT_TRUE(joint) << joint.error();
  EXPECT_EQ(joint->config.describe(), "voters=(1 2)&&(1 2 3) learners_next=(3)");
  // Still a voter of the outgoing half, so not yet a learner.
  EXPECT_FALSE(joint->progress.at(3).is_learner);
  EXPECT_EQ(joint->progress.at(3).match, 3u);

  ProgressTracker mid = adopt(t, *joint);
  Result left = Changer(mid, kLastIndex).leave_joint();
  ASSERT_TRUE(left) << left.error();
  EXPECT_EQ(left->config.describe(), "voters=(1 2) learners=(3)");
  EXPECT_TRUE(left->progress.at(3).is_learner);
  EXPECT_EQ(left->progress.at(3).match, 3u);
}

TEST(ChangerTest, ReplaceVoterThroughJoint) {
  ProgressTracker t = build({1, 2, 3});
  Result joint = Changer(t, kLastIndex).enter_joint(true, {remove(3), add(4)});
  ASSERT_TRUE(joint) << joint.error();
  EXPECT_EQ(joint->config.describe(), "voters=(1 2 4)&&(1 2 3) autoleave");
  // The outgoing majority still needs 3's Progress.
  EXPECT_EQ(joint->progress.at(3).match, 3u);
  expect_new_member(*joint, 4, false);

  Result left = Changer(adopt(t, *joint), kLastIndex).leave_joint();
  ASSERT_TRUE(left) << left.error();
  EXPECT_EQ(left->config.describe(), "voters=(1 2 4)");
  EXPECT_FALSE(left->config.auto_leave);
  EXPECT_FALSE(left->progress.contains(3));
  EXPECT_EQ(left->progress.size(), 3u);
}

TEST(ChangerTest, LaterChangeInTheSameJointChangeWins) {
  // Demoting 3 stages it in learners_next; adding it back in the same change un-stages it.
  ProgressTracker t = build({1, 2, 3});
  Result r = Changer(t, kLastIndex).enter_joint(false, {learner(3), add(3)});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config.describe(), "voters=(1 2 3)&&(1 2 3)");
  EXPECT_FALSE(r->progress.at(3).is_learner);
  EXPECT_EQ(r->progress.at(3).match, 3u);
}

TEST(ChangerTest, RemoveUnknownNodeIsANoOp) {
  ProgressTracker t = build({1, 2});
  Result r = Changer(t, kLastIndex).simple({remove(9)});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config, t.config);
  EXPECT_EQ(describe(r->progress), describe(t.progress));
}

TEST(ChangerTest, RepeatedAddIsIdempotent) {
  ProgressTracker t = build({1, 2});
  Result r = Changer(t, kLastIndex).simple({add(2), add(2), learner(3), learner(3)});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config.describe(), "voters=(1 2) learners=(3)");
  EXPECT_EQ(r->progress.at(2).match, 2u);
}

TEST(ChangerTest, NodeIdZeroIsIgnored) {
  ProgressTracker t = build({1});
  Result r = Changer(t, kLastIndex).simple({add(kNone), remove(kNone)});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config, t.config);
}

TEST(ChangerTest, SimpleCountsOnlyVoterChanges) {
  ProgressTracker t = build({1, 2, 3});
  Result r = Changer(t, kLastIndex).simple({add(4), learner(5), learner(6)});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config.describe(), "voters=(1 2 3 4) learners=(5 6)");
}

TEST(ChangerTest, SimpleAddThenRemoveSameVoterIsNoChange) {
  ProgressTracker t = build({1, 2, 3});
  Result r = Changer(t, kLastIndex).simple({add(4), remove(4)});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config, t.config);
  EXPECT_FALSE(r->progress.contains(4));
}

TEST(ChangerTest, RemoveOutgoingVoterInJointKeepsProgressUntilLeave) {
  ProgressTracker t = build({1, 2, 3});
  Result joint = Changer(t, kLastIndex).enter_joint(false, {remove(2), remove(3), add(4)});
  ASSERT_TRUE(joint) << joint.error();
  EXPECT_EQ(joint->config.describe(), "voters=(1 4)&&(1 2 3)");
  EXPECT_TRUE(joint->progress.contains(2));
  EXPECT_TRUE(joint->progress.contains(3));
  Result left = Changer(adopt(t, *joint), kLastIndex).leave_joint();
  ASSERT_TRUE(left) << left.error();
  EXPECT_EQ(left->config.describe(), "voters=(1 4)");
  EXPECT_EQ(left->progress.size(), 2u);
}

enum class Op { kSimple, kEnterJoint, kLeaveJoint };

struct RefusedCase {
  std::string name;
  ProgressTracker tracker;
  Op op;
  std::vector<ConfChangeSingle> changes;
  std::string want_error;
};

RefusedCase refused(std::string name, ProgressTracker tracker, Op op,
                    std::vector<ConfChangeSingle> changes, std::string want_error) {
  return {std::move(name), std::move(tracker), op, std::move(changes), std::move(want_error)};
}

std::vector<RefusedCase> refused_cases() {
  return {
      refused("enter joint twice", build({1, 2}, {1, 2, 3}), Op::kEnterJoint, {add(4)},
              "config is already joint"),
      refused("enter joint from zero voters", ProgressTracker(kMaxInflight, 0), Op::kEnterJoint,
              {add(1)}, "can't make a zero-voter config joint"),
      refused("leave a non-joint config", build({1, 2, 3}), Op::kLeaveJoint, {},
              "can't leave a non-joint config"),
      refused("leave the empty config", ProgressTracker(kMaxInflight, 0), Op::kLeaveJoint, {},
              "can't leave a non-joint config"),
      refused("simple in joint", build({1, 2}, {1, 2, 3}), Op::kSimple, {add(4)},
              "can't apply simple config change in joint config"),
      refused("simple adds two voters", build({1, 2, 3}), Op::kSimple, {add(4), add(5)},
              "more than one voter changed without entering joint config"),
      refused("simple swaps a voter", build({1, 2, 3}), Op::kSimple, {remove(3), add(4)},
              "more than one voter changed without entering joint config"),
      refused("simple removes two voters", build({1, 2, 3}), Op::kSimple, {remove(1), remove(2)},
              "more than one voter changed without entering joint config"),
      refused("simple promotes two learners", build({1}, {}, {2, 3}), Op::kSimple, {add(2), add(3)},
              "more than one voter changed without entering joint config"),
      refused("simple removes the last voter", build({1}), Op::kSimple, {remove(1)},
              "removed all voters"),
      refused("simple demotes the last voter", build({1}, {}, {2}), Op::kSimple, {learner(1)},
              "removed all voters"),
      refused("simple adds only a learner to empty", ProgressTracker(kMaxInflight, 0), Op::kSimple,
              {learner(1)}, "removed all voters"),
      refused("joint removes all voters", build({1, 2, 3}), Op::kEnterJoint,
              {remove(1), remove(2), remove(3)}, "removed all voters"),
      refused("joint demotes all voters", build({1, 2}), Op::kEnterJoint, {learner(1), learner(2)},
              "removed all voters"),
  };
}

// Every refused change names why, and leaves nothing changed (the input is const).
TEST(ChangerTest, RefusedChanges) {
  for (const RefusedCase& c : refused_cases()) {
    SCOPED_TRACE(c.name);
    Changer changer(c.tracker, kLastIndex);
    Result r = c.op == Op::kSimple       ? changer.simple(c.changes)
               : c.op == Op::kEnterJoint ? changer.enter_joint(false, c.changes)
                                         : changer.leave_joint();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), c.want_error);
  }
}

TEST(ChangerTest, InconsistentInputTrackerIsRefused) {
  struct Case {
    std::string name;
    ProgressTracker tracker;
    std::string want_error;
  };
  std::vector<Case> cases;
  {
    ProgressTracker t = build({1, 2});
    t.progress.erase(2);
    cases.push_back({"voter without progress", t, "no progress for 2"});
  }
  {
    ProgressTracker t = build({1});
    t.progress.try_emplace(7, 1, kMaxInflight, 0, false);
    cases.push_back({"progress for a stranger", t, "7 has a progress but is not a member"});
  }
  {
    ProgressTracker t = build({1, 2}, {}, {3});
    t.config.learners.insert(2);
    cases.push_back({"learner and voter", t, "2 is in learners and in the incoming voters"});
  }
  {
    ProgressTracker t = build({1}, {}, {2});
    t.progress.at(2).is_learner = false;
    cases.push_back({"learner not flagged", t, "2 is in learners, but is not marked as learner"});
  }
  {
    ProgressTracker t = build({1, 2});
    t.progress.at(2).is_learner = true;
    cases.push_back({"voter flagged as learner", t, "2 is a voter, but is marked as learner"});
  }
  {
    ProgressTracker t = build({1, 2});
    t.config.learners_next = {2};
    cases.push_back({"learners_next outside outgoing", t,
                     "2 is in learners_next, but not in the outgoing voters"});
  }
  {
    ProgressTracker t = build({1});
    t.config.auto_leave = true;
    cases.push_back({"auto_leave when not joint", t, "auto_leave must be false when not joint"});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Changer changer(c.tracker, kLastIndex);
    for (const Result& r :
         {changer.simple({add(9)}), changer.enter_joint(false, {add(9)}), changer.leave_joint()}) {
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error(), c.want_error);
    }
  }
}

TEST(ChangerTest, UnknownChangeTypeIsRefused) {
  ProgressTracker t = build({1});
  ConfChangeSingle bad{static_cast<ConfChangeType>(7), 2};
  Result r = Changer(t, kLastIndex).simple({bad});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "unexpected conf change type 7");
}

// --- restore ---

ConfState conf_state(std::set<NodeId> voters, std::set<NodeId> learners = {},
                     std::set<NodeId> outgoing = {}, std::set<NodeId> learners_next = {},
                     bool auto_leave = false) {
  ConfState cs;
  cs.voters = std::move(voters);
  cs.learners = std::move(learners);
  cs.voters_outgoing = std::move(outgoing);
  cs.learners_next = std::move(learners_next);
  cs.auto_leave = auto_leave;
  return cs;
}

TEST(RestoreTest, RoundTripsConfState) {
  struct Case {
    std::string name;
    ConfState cs;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"empty", ConfState{}, "voters=()"},
      {"single voter", conf_state({1}), "voters=(1)"},
      {"voters and learners", conf_state({1, 2, 3}, {4, 5}), "voters=(1 2 3) learners=(4 5)"},
      {"joint", conf_state({1, 2, 3}, {}, {1, 2, 4}), "voters=(1 2 3)&&(1 2 4)"},
      {"joint with disjoint halves", conf_state({1, 2}, {}, {3, 4, 5}), "voters=(1 2)&&(3 4 5)"},
      {"joint, everything", conf_state({1, 2, 3}, {5}, {1, 2, 4, 6}, {4}, true),
       "voters=(1 2 3)&&(1 2 4 6) learners=(5) learners_next=(4) autoleave"},
      {"joint, demoted voter", conf_state({1, 2}, {}, {1, 2, 3}, {3}),
       "voters=(1 2)&&(1 2 3) learners_next=(3)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result r = restore(ProgressTracker(kMaxInflight, 0), kLastIndex, c.cs);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->config.describe(), c.want);
    ProgressTracker t = adopt(ProgressTracker(kMaxInflight, 0), *r);
    EXPECT_EQ(t.conf_state(), c.cs);
    // Every member, and nothing else, is tracked, as a fresh member.
    std::set<NodeId> members = t.config.voters.ids();
    members.insert(c.cs.learners.begin(), c.cs.learners.end());
    EXPECT_EQ(r->progress.size(), members.size());
    for (NodeId id : members) {
      expect_new_member(*r, id, c.cs.learners.contains(id));
    }
  }
}

TEST(RestoreTest, RestoredJointConfigCanBeLeft) {
  ConfState cs = conf_state({1, 2, 3}, {5}, {1, 2, 4, 6}, {4}, true);
  Result r = restore(ProgressTracker(kMaxInflight, 0), kLastIndex, cs);
  ASSERT_TRUE(r) << r.error();
  Result left = Changer(adopt(ProgressTracker(kMaxInflight, 0), *r), kLastIndex).leave_joint();
  ASSERT_TRUE(left) << left.error();
  EXPECT_EQ(left->config.describe(), "voters=(1 2 3) learners=(4 5)");
  EXPECT_FALSE(left->progress.contains(6));
}

TEST(RestoreTest, InvalidConfStatesAreRefused) {
  struct Case {
    std::string name;
    ConfState cs;
    std::string want_error;
  };
  const std::vector<Case> cases = {
      {"learners without voters", conf_state({}, {1}), "removed all voters"},
      {"joint without incoming voters", conf_state({}, {}, {1, 2}), "removed all voters"},
      {"learner that is also a voter", conf_state({1, 2}, {2}), "2 is both a learner and a voter"},
      {"learner that is also an outgoing voter", conf_state({1}, {2}, {1, 2}),
       "2 is both a learner and a voter"},
      {"learners_next that is an incoming voter", conf_state({1, 2}, {}, {1, 2}, {2}),
       "2 is in learners_next and in the incoming voters"},
      {"learners_next when not joint", conf_state({1}, {}, {}, {2}),
       "learners_next in a non-joint conf state"},
      {"auto_leave when not joint", conf_state({1}, {}, {}, {}, true),
       "auto_leave in a non-joint conf state"},
      {"learners_next not outgoing", conf_state({1, 2}, {}, {1, 3}, {2}),
       "2 is in learners_next, but not in the outgoing voters"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result r = restore(ProgressTracker(kMaxInflight, 0), kLastIndex, c.cs);
    ASSERT_FALSE(r) << r->config.describe();
    EXPECT_EQ(r.error(), c.want_error);
  }
}

// Whatever configuration a sequence of accepted changes reaches, restoring its ConfState yields
// the same configuration and the same members (etcd's quick test, with a fixed seed).
TEST(RestoreTest, RandomChangeSequencesRestoreToTheSameConfig) {
  std::mt19937_64 rng(7);
  auto random_changes = [&rng](size_t max) {
    std::vector<ConfChangeSingle> out(1 + rng() % max);
    for (ConfChangeSingle& c : out) {
      c.type = static_cast<ConfChangeType>(rng() % 3);
      c.node_id = 1 + rng() % 6;
    }
    return out;
  };
  ProgressTracker t = build({1});
  size_t accepted = 0;
  for (int step = 0; step < 3000; ++step) {
    SCOPED_TRACE(testing::Message() << "step " << step << " from " << t.config.describe());
    Changer changer(t, kLastIndex);
    const uint64_t pick = rng() % 3;
    Result r = pick == 0   ? changer.simple(random_changes(2))
               : pick == 1 ? changer.enter_joint(rng() % 2 == 0, random_changes(4))
                           : changer.leave_joint();
    if (!r) continue;
    ++accepted;
    t = adopt(t, *r);
    Result restored = restore(ProgressTracker(kMaxInflight, 0), kLastIndex, t.conf_state());
    ASSERT_TRUE(restored) << restored.error();
    EXPECT_EQ(restored->config, t.config);
    std::set<NodeId> want_ids;
    std::set<NodeId> got_ids;
    for (const auto& [id, pr] : t.progress) want_ids.insert(id);
    for (const auto& [id, pr] : restored->progress) {
      got_ids.insert(id);
      EXPECT_EQ(pr.is_learner, t.progress.at(id).is_learner) << id;
    }
    EXPECT_EQ(got_ids, want_ids);
  }
  EXPECT_GT(accepted, 500u);  // The walk really explored configurations.
}

// Restoring accepts a ConfState only if the result describes exactly that ConfState.
TEST(RestoreTest, RandomConfStatesRoundTripOrAreRefused) {
  std::mt19937_64 rng(11);
  size_t accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    ConfState cs;
    for (NodeId id = 1; id <= 5; ++id) {
      if (rng() % 2) cs.voters.insert(id);
      if (rng() % 4 == 0) cs.learners.insert(id);
      if (rng() % 3 == 0) cs.voters_outgoing.insert(id);
      if (rng() % 5 == 0) cs.learners_next.insert(id);
    }
    cs.auto_leave = rng() % 2 == 0;
    Result r = restore(ProgressTracker(kMaxInflight, 0), kLastIndex, cs);
    if (!r) continue;
    ++accepted;
    SCOPED_TRACE(r->config.describe());
    EXPECT_EQ(adopt(ProgressTracker(kMaxInflight, 0), *r).conf_state(), cs);
  }
  EXPECT_GT(accepted, 50u);
}

TEST(RestoreTest, NonEmptyTrackerIsRefused) {
  Result r = restore(build({1}), kLastIndex, conf_state({1, 2}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "can't restore into a non-empty tracker");
}

}  // namespace
}  // namespace regent::raft::confchange
