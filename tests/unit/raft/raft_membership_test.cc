// Membership changes (§4) through whole clusters: learners, promotion, joint consensus (§4.3) with
// automatic and explicit leaving, removing followers and the leader itself, one change at a time,
// refusal of invalid changes, and new members catching up.
#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "support/raft_cluster.h"
#include "support/raft_printers.h"

namespace regent::raft {
namespace {

using testing::Cluster;
using tracker::ProgressState;
using Ids = std::set<NodeId>;

ConfChangeSingle add_voter(NodeId id) { return {ConfChangeType::kAddNode, id}; }
ConfChangeSingle add_learner(NodeId id) { return {ConfChangeType::kAddLearnerNode, id}; }
ConfChangeSingle remove_node(NodeId id) { return {ConfChangeType::kRemoveNode, id}; }

ConfChange change(std::vector<ConfChangeSingle> singles,
                  ConfChangeTransition transition = ConfChangeTransition::kAuto) {
  ConfChange cc;
  cc.transition = transition;
  cc.changes = std::move(singles);
  return cc;
}

ConfState conf(Ids voters, Ids learners = {}) {
  ConfState cs;
  cs.voters = std::move(voters);
  cs.learners = std::move(learners);
  return cs;
}

// Proposes a membership change on `id` and lets the cluster settle.
Error propose_change(Cluster& c, NodeId id, const ConfChange& cc) {
  const Error e = c.node(id).propose_conf_change(cc);
  EXPECT_TRUE(c.stabilize());
  return e;
}

// The membership changes `id` applied, in order.
std::vector<ConfChange> applied_changes(Cluster& c, NodeId id) {
  std::vector<ConfChange> out;
  for (const Entry& e : c.member(id).applied) {
    if (e.type != EntryType::kConfChange) continue;
    auto cc = decode_conf_change(e.data);
    EXPECT_TRUE(cc.has_value()) << "entry " << e.index;
    if (cc) out.push_back(*cc);
  }
  return out;
}

// Whether `from` sent any (pre-)vote request that was delivered.
bool sent_vote_request(const Cluster& c, NodeId from) {
  for (const Message& m : c.delivered()) {
    if (m.from == from && (m.type == MessageType::kVote || m.type == MessageType::kPreVote)) {
      return true;
    }
  }
  return false;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += p + ";";
  return out;
}

// Normal entries `id` applied with an index above `after`, as (index, data) for comparison.
std::vector<std::pair<Index, std::string>> applied_after(Cluster& c, NodeId id, Index after) {
  std::vector<std::pair<Index, std::string>> out;
  for (const Entry& e : c.member(id).applied) {
    if (e.index > after && e.type == EntryType::kNormal) out.emplace_back(e.index, e.data);
  }
  return out;
}

// What a leader's host does for members that need a snapshot: it snapshots its applied state
// (with the configuration in force) and reports the snapshot it was streaming before, which the
// new member could not use, as failed, so that the leader sends the fresh one. The cluster's
// bootstrap snapshot (index 1) predates the new members and does not name them, so they refuse it.
// Returns the index of the snapshot taken.
Index catch_up_by_snapshot(Cluster& c, NodeId leader, const std::vector<NodeId>& ids) {
  const Status st = c.node(leader).status();
  auto snap =
      c.storage(leader).create_snapshot(st.applied, &st.conf_state, joined(c.applied_data(leader)));
  EXPECT_TRUE(snap.has_value());
  for (NodeId id : ids) {
    if (c.raft(leader).tracker().progress.at(id).state == ProgressState::kSnapshot) {
      c.node(leader).report_snapshot(id, false);
    }
  }
  auto caught_up = [&] {
    for (NodeId id : ids) {
      if (c.raft(id).log().committed() < c.raft(leader).log().committed()) return false;
    }
    return true;
  };
  for (int i = 0; i < 50 && !caught_up(); ++i) {
    c.tick(leader);
    EXPECT_TRUE(c.stabilize());
  }
  EXPECT_TRUE(caught_up());
  return st.applied;
}

// --- Learners ---------------------------------------------------------------------------------

TEST(RaftMembership, LearnerReplicatesButDoesNotCountTowardCommit) {
  Cluster c({1, 2}, {}, {3});
  ASSERT_TRUE(c.elect(1));
  ASSERT_EQ(c.propose(1, "a"), Error::kOk);
  for (NodeId id : {1, 2, 3}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.applied_data(id), std::vector<std::string>{"a"});
  }

  // With the other voter cut off, the leader and the learner hold the entry: two of three
  // members, but only one of two voters.
  c.cut(1, 2);
  const Index committed = c.raft(1).log().committed();
  ASSERT_EQ(c.propose(1, "b"), Error::kOk);
  const Index b_index = c.raft(1).log().last_index();
  EXPECT_EQ(c.storage(3).last_index(), b_index) << "the learner persisted the entry";
  EXPECT_EQ(c.raft(1).tracker().progress.at(3).match, b_index) << "and acknowledged it";
  EXPECT_EQ(c.raft(1).log().committed(), committed) << "but its acknowledgement does not count";
  for (NodeId id : {1, 3}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.applied_data(id), std::vector<std::string>{"a"});
  }

  // Once the voter is back the entry commits and everyone applies it.
  c.heal();
  for (int i = 0; i < 20 && c.raft(1).log().committed() < b_index; ++i) c.tick_all();
  for (NodeId id : {1, 2, 3}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.applied_data(id), (std::vector<std::string>{"a", "b"}));
  }
}

TEST(RaftMembership, LearnerNeverCampaigns) {
  Cluster c({1, 2}, {}, {3});
  ASSERT_TRUE(c.elect(1));
  const Term term = c.raft(3).term();

  // The learner loses its leader and ticks far past any election timeout.
  c.isolate(1);
  c.clear_delivered();
  for (int i = 0; i < 100; ++i) c.tick_all();
  EXPECT_EQ(c.raft(3).role(), Role::kFollower);
  EXPECT_EQ(c.raft(3).term(), term);
  EXPECT_FALSE(sent_vote_request(c, 3));
  // The remaining voter campaigns, but never asks the learner for a vote.
  for (const Message& m : c.delivered()) {
    EXPECT_FALSE(m.to == 3 && (m.type == MessageType::kVote || m.type == MessageType::kPreVote))
        << to_string(m.type) << " from " << m.from;
  }

  EXPECT_FALSE(c.raft(3).promotable());
  EXPECT_EQ(c.node(3).campaign(), Error::kNotPromotable);
  EXPECT_TRUE(c.stabilize());
  EXPECT_EQ(c.raft(3).role(), Role::kFollower);
  EXPECT_EQ(c.raft(3).term(), term);
}

TEST(RaftMembership, PromotedLearnerVotesCountsAndCanLead) {
  Cluster c({1, 2}, {}, {3});
  ASSERT_TRUE(c.elect(1));
  ASSERT_EQ(c.propose(1, "a"), Error::kOk);

  ASSERT_EQ(propose_change(c, 1, change({add_voter(3)})), Error::kOk);
  for (NodeId id : {1, 2, 3}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.node(id).status().conf_state, conf({1, 2, 3}));
  }
  EXPECT_FALSE(c.raft(1).tracker().progress.at(3).is_learner);

  // Its acknowledgement now counts: 1 and 3 commit without 2.
  c.isolate(2);
  ASSERT_EQ(c.propose(1, "b"), Error::kOk);
  EXPECT_EQ(c.applied_data(3), (std::vector<std::string>{"a", "b"}));

  // And it may lead. (The healthy leader's lease keeps a plain campaign from deposing it, so hand
  // leadership over instead.)
  c.heal();
  EXPECT_TRUE(c.raft(3).promotable());
  for (int i = 0; i < 20 && c.raft(2).log().committed() < c.raft(1).log().committed(); ++i) {
    c.tick_all();
  }
  ASSERT_EQ(c.node(1).transfer_leader(3), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  ASSERT_EQ(c.leader(), 3u);
  ASSERT_EQ(c.propose(3, "c"), Error::kOk);
  for (NodeId id : {1, 2, 3}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.applied_data(id), (std::vector<std::string>{"a", "b", "c"}));
  }
}

// --- Joint consensus ----------------------------------------------------------------------------

TEST(RaftMembership, AddingTwoVotersGoesThroughJointConfigAndLeavesIt) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  ASSERT_EQ(c.propose(1, "a"), Error::kOk);
  c.add_member(4);
  c.add_member(5);

  ASSERT_EQ(c.node(1).propose_conf_change(change({add_voter(4), add_voter(5)})), Error::kOk);
  // Watch the old members pass through the joint configuration.
  std::set<NodeId> saw_joint;
  for (int round = 0; round < 1000 && c.step_round(); ++round) {
    for (NodeId id : {1, 2, 3}) {
      const ConfState cs = c.node(id).status().conf_state;
      if (cs.voters_outgoing.empty()) continue;
      saw_joint.insert(id);
      EXPECT_EQ(cs.voters, (Ids{1, 2, 3, 4, 5})) << id;
      EXPECT_EQ(cs.voters_outgoing, (Ids{1, 2, 3})) << id;
      EXPECT_TRUE(cs.auto_leave) << id;
    }
  }
  EXPECT_EQ(saw_joint, (Ids{1, 2, 3}));

  // The leader left the joint configuration on its own, with an empty change.
  for (NodeId id : {1, 2, 3}) {
    SCOPED_TRACE(id);
    const auto changes = applied_changes(c, id);
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_EQ(changes[0].changes.size(), 2u);
    EXPECT_TRUE(changes[1].leave_joint());
  }

  // The new members catch up and see the same final configuration as everyone else.
  catch_up_by_snapshot(c, 1, {4, 5});
  for (NodeId id : {1, 2, 3, 4, 5}) {
    SCOPED_TRACE(id);
    const ConfState cs = c.node(id).status().conf_state;
    EXPECT_EQ(cs, conf({1, 2, 3, 4, 5}));
    EXPECT_TRUE(cs.voters_outgoing.empty());
    EXPECT_FALSE(cs.auto_leave);
  }

  // The new voters count: with two old members gone, 1, 4 and 5 still commit.
  c.isolate(2);
  c.isolate(3);
  ASSERT_EQ(c.propose(1, "b"), Error::kOk);
  for (NodeId id : {1, 4, 5}) {
    SCOPED_TRACE(id);
    ASSERT_FALSE(c.applied_data(id).empty());
    EXPECT_EQ(c.applied_data(id).back(), "b");
  }
}

TEST(RaftMembership, TransitionDecidesWhetherAndHowLongTheConfigIsJoint) {
  struct Case {
    const char* name;
    ConfChangeTransition transition;
    bool joint;       // Passes through a joint configuration.
    bool auto_leave;  // Leaves it without being asked.
  };
  const std::vector<Case> cases = {
      {"auto, one voter: direct", ConfChangeTransition::kAuto, false, false},
      {"implicit: joint, left automatically", ConfChangeTransition::kJointImplicit, true, true},
      {"explicit: joint until asked", ConfChangeTransition::kJointExplicit, true, false},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    // Promote learner 4: a single voter change.
    Cluster c({1, 2, 3}, {}, {4});
    ASSERT_TRUE(c.elect(1));
    ASSERT_EQ(c.node(1).propose_conf_change(change({add_voter(4)}, tc.transition)), Error::kOk);
    std::set<NodeId> saw_joint;
    for (int round = 0; round < 1000 && c.step_round(); ++round) {
      for (NodeId id : c.ids()) {
        const ConfState cs = c.node(id).status().conf_state;
        if (cs.voters_outgoing.empty()) continue;
        saw_joint.insert(id);
        EXPECT_EQ(cs.voters, (Ids{1, 2, 3, 4})) << id;
        EXPECT_EQ(cs.voters_outgoing, (Ids{1, 2, 3})) << id;
        EXPECT_EQ(cs.auto_leave, tc.auto_leave) << id;
      }
    }
    EXPECT_EQ(saw_joint, (tc.joint ? Ids{1, 2, 3, 4} : Ids{}));
    // Time passes: heartbeats retry an automatic leave, but never leave an explicit joint config.
    c.tick_all(3 * 10);

    for (NodeId id : c.ids()) {
      SCOPED_TRACE(id);
      const ConfState cs = c.node(id).status().conf_state;
      EXPECT_EQ(cs.voters, (Ids{1, 2, 3, 4}));
      EXPECT_TRUE(cs.learners.empty());
      if (tc.joint && !tc.auto_leave) {
        EXPECT_EQ(cs.voters_outgoing, (Ids{1, 2, 3}));
      } else {
        EXPECT_TRUE(cs.voters_outgoing.empty());
      }
    }
    if (!tc.joint || tc.auto_leave) continue;

    // While joint, only the empty change (leave) is valid.
    const Index last = c.raft(1).log().last_index();
    EXPECT_EQ(c.node(1).propose_conf_change(change({remove_node(3)})), Error::kInvalidConfChange);
    EXPECT_EQ(c.raft(1).log().last_index(), last);
    ASSERT_EQ(propose_change(c, 1, ConfChange{}), Error::kOk);
    for (NodeId id : c.ids()) {
      SCOPED_TRACE(id);
      EXPECT_EQ(c.node(id).status().conf_state, conf({1, 2, 3, 4}));
    }
  }
}

TEST(RaftMembership, JointConfigNeedsBothMajoritiesToCommit) {
  // Explicit transition: stay joint with incoming (1 2 3 4 5) and outgoing (1 2 3).
  Cluster c({1, 2, 3}, {}, {4, 5});
  ASSERT_TRUE(c.elect(1));
  ASSERT_EQ(propose_change(
                c, 1, change({add_voter(4), add_voter(5)}, ConfChangeTransition::kJointExplicit)),
            Error::kOk);
  ASSERT_EQ(c.node(1).status().conf_state.voters_outgoing, (Ids{1, 2, 3}));

  // 1, 4 and 5 are a majority of the incoming config but not of the outgoing one.
  c.isolate(2);
  c.isolate(3);
  const Index committed = c.raft(1).log().committed();
  ASSERT_EQ(c.propose(1, "x"), Error::kOk);
  EXPECT_EQ(c.raft(1).log().committed(), committed);
  EXPECT_TRUE(c.applied_data(4).empty());

  // With 2 back, both halves have a majority.
  c.heal();
  c.isolate(3);
  for (int i = 0; i < 20 && c.raft(1).log().committed() == committed; ++i) {
    c.tick(1);
    ASSERT_TRUE(c.stabilize());
  }
  EXPECT_EQ(c.applied_data(1), std::vector<std::string>{"x"});
  EXPECT_EQ(c.applied_data(4), std::vector<std::string>{"x"});
}

// --- Removal ------------------------------------------------------------------------------------

TEST(RaftMembership, RemovedFollowerIsNoLongerContactedNorCounted) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  ASSERT_EQ(c.propose(1, "a"), Error::kOk);
  ASSERT_EQ(propose_change(c, 1, change({remove_node(3)})), Error::kOk);

  for (NodeId id : {1, 2, 3}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.node(id).status().conf_state, conf({1, 2}));
  }
  EXPECT_FALSE(c.raft(1).tracker().progress.contains(3));

  // The leader no longer talks to 3, and 3 (no longer a member) never campaigns.
  c.clear_delivered();
  ASSERT_EQ(c.propose(1, "b"), Error::kOk);
  for (int i = 0; i < 50; ++i) c.tick_all();
  for (const Message& m : c.delivered()) {
    EXPECT_NE(m.to, 3u) << to_string(m.type);
    EXPECT_NE(m.from, 3u) << to_string(m.type);
  }
  EXPECT_EQ(c.node(3).campaign(), Error::kNotPromotable);
  EXPECT_EQ(c.leader(), 1u);
  EXPECT_EQ(c.applied_data(2), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.applied_data(3), std::vector<std::string>{"a"});

  // Two voters: both are needed now.
  c.cut(1, 2);
  const Index committed = c.raft(1).log().committed();
  ASSERT_EQ(c.propose(1, "c"), Error::kOk);
  EXPECT_EQ(c.raft(1).log().committed(), committed);
}

TEST(RaftMembership, RemovedOrDemotedLeaderStepsDownAndTheRestElectANewOne) {
  struct Case {
    const char* name;
    ConfChangeSingle single;
    ConfState after;
  };
  const std::vector<Case> cases = {
      {"removed", remove_node(1), conf({2, 3})},
      {"demoted to learner", add_learner(1), conf({2, 3}, {1})},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Cluster c({1, 2, 3});
    ASSERT_TRUE(c.elect(1));
    ASSERT_EQ(c.propose(1, "a"), Error::kOk);
    const Term term = c.raft(1).term();

    // The leader proposes its own removal.
    ASSERT_EQ(propose_change(c, 1, change({tc.single})), Error::kOk);
    for (NodeId id : {1, 2, 3}) {
      SCOPED_TRACE(id);
      EXPECT_EQ(c.node(id).status().conf_state, tc.after);
    }
    EXPECT_EQ(c.raft(1).role(), Role::kFollower) << "a leader that is not a voter steps down";
    EXPECT_EQ(c.node(1).propose("stray"), Error::kNoLeader);

    // The remaining two elect a new leader; the old one stays out of it.
    c.clear_delivered();
    for (int i = 0; i < 100 && !(c.leader() == 2u || c.leader() == 3u); ++i) c.tick_all();
    const auto leader = c.leader();
    ASSERT_TRUE(leader == 2u || leader == 3u);
    EXPECT_GT(c.raft(*leader).term(), term);
    EXPECT_EQ(c.raft(1).role(), Role::kFollower);
    EXPECT_FALSE(sent_vote_request(c, 1));
    EXPECT_EQ(c.node(1).campaign(), Error::kNotPromotable);

    // And they keep committing without the old leader (which, as a learner, still follows).
    ASSERT_EQ(c.propose(*leader, "b"), Error::kOk);
    for (NodeId id : {2, 3}) {
      SCOPED_TRACE(id);
      EXPECT_EQ(c.applied_data(id), (std::vector<std::string>{"a", "b"}));
    }
    const std::vector<std::string> old_leader_applied = tc.after.learners.contains(1)
                                                            ? std::vector<std::string>{"a", "b"}
                                                            : std::vector<std::string>{"a"};
    EXPECT_EQ(c.applied_data(1), old_leader_applied);
    for (int i = 0; i < 30; ++i) c.tick_all();
    EXPECT_EQ(c.leader(), leader);
    EXPECT_FALSE(sent_vote_request(c, 1));
  }
}

TEST(RaftMembership, LeaderRemovedThroughJointConfigLeadsUntilItIsLeft) {
  // Replace the leader 1 by learner 4 in one step: incoming (2 3 4), outgoing (1 2 3).
  Cluster c({1, 2, 3}, {}, {4});
  ASSERT_TRUE(c.elect(1));
  ASSERT_EQ(c.node(1).propose_conf_change(change({remove_node(1), add_voter(4)})), Error::kOk);
  bool led_while_joint = false;
  for (int round = 0; round < 1000 && c.step_round(); ++round) {
    const ConfState cs = c.node(1).status().conf_state;
    if (!cs.voters_outgoing.empty()) {
      EXPECT_EQ(cs.voters, (Ids{2, 3, 4}));
      EXPECT_EQ(cs.voters_outgoing, (Ids{1, 2, 3}));
      // Still a voter of the outgoing half: it keeps leading, and drives the leave.
      led_while_joint |= c.raft(1).role() == Role::kLeader;
    }
  }
  EXPECT_TRUE(led_while_joint);
  for (NodeId id : {1, 2, 3, 4}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.node(id).status().conf_state, conf({2, 3, 4}));
  }
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);

  for (int i = 0; i < 100 && !c.leader(); ++i) c.tick_all();
  const auto leader = c.leader();
  ASSERT_TRUE(leader.has_value());
  EXPECT_NE(*leader, 1u);
  ASSERT_EQ(c.propose(*leader, "x"), Error::kOk);
  for (NodeId id : {2, 3, 4}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.applied_data(id), std::vector<std::string>{"x"});
  }
}

TEST(RaftMembership, NewLeaderFinishesLeavingAnAutoLeaveJointConfig) {
  Cluster c({1, 2, 3}, {}, {4});
  ASSERT_TRUE(c.elect(1));
  ASSERT_EQ(
      c.node(1).propose_conf_change(change({add_voter(4)}, ConfChangeTransition::kJointImplicit)),
      Error::kOk);
  // The leader is lost as soon as it has applied the joint configuration, before its proposal
  // to leave it reaches anyone.
  for (int round = 0; round < 1000 && c.node(1).status().conf_state.voters_outgoing.empty();
       ++round) {
    ASSERT_TRUE(c.step_round());
  }
  ASSERT_EQ(c.node(1).status().conf_state.voters_outgoing, (Ids{1, 2, 3}));
  c.isolate(1);

  for (int i = 0; i < 100 && !(c.leader() && c.leader() != 1u); ++i) c.tick_all();
  const auto leader = c.leader();
  ASSERT_TRUE(leader.has_value() && *leader != 1u);
  for (int i = 0; i < 10; ++i) c.tick_all();
  for (NodeId id : {2, 3, 4}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.node(id).status().conf_state, conf({1, 2, 3, 4}))
        << "the new leader left the joint configuration";
  }
  // The old leader learns it all once it is back.
  c.heal();
  for (int i = 0; i < 20 && c.raft(1).log().committed() < c.raft(*leader).log().committed(); ++i) {
    c.tick_all();
  }
  EXPECT_EQ(c.node(1).status().conf_state, conf({1, 2, 3, 4}));
}

TEST(RaftMembership, MemberThatMissedItsRemovalCannotDisruptTheCluster) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  c.isolate(3);
  ASSERT_EQ(propose_change(c, 1, change({remove_node(3)})), Error::kOk);
  ASSERT_EQ(c.node(1).status().conf_state, conf({1, 2}));
  const Term term = c.raft(1).term();

  // 3 still believes it is a voter; it times out and campaigns, over and over.
  c.heal();
  c.clear_delivered();
  for (int i = 0; i < 100; ++i) c.tick_all();
  EXPECT_EQ(c.node(3).status().conf_state, conf({1, 2, 3}));
  EXPECT_TRUE(sent_vote_request(c, 3));
  EXPECT_EQ(c.leader(), 1u);
  EXPECT_EQ(c.raft(1).term(), term);
  EXPECT_EQ(c.raft(2).term(), term);
  EXPECT_EQ(c.propose(1, "x"), Error::kOk);
  EXPECT_EQ(c.applied_data(2), std::vector<std::string>{"x"});
}

TEST(RaftMembership, LearnerDoesNotKeepALeaderWithoutAQuorumInPower) {
  Cluster c({1, 2}, {}, {3});
  ASSERT_TRUE(c.elect(1));
  // The leader hears only from the learner.
  c.cut(1, 2);
  for (int i = 0; i < 2 * 10 && c.raft(1).role() == Role::kLeader; ++i) {
    c.tick(1);
    ASSERT_TRUE(c.stabilize());
  }
  EXPECT_EQ(c.raft(1).role(), Role::kFollower) << "check-quorum does not count learners";
}

// --- Refused changes ----------------------------------------------------------------------------

TEST(RaftMembership, SecondChangeWhileOneIsPendingIsRefused) {
  Cluster c({1, 2, 3}, {}, {4});
  ASSERT_TRUE(c.elect(1));

  // The followers are unreachable, so the first change cannot commit.
  c.isolate(2);
  c.isolate(3);
  ASSERT_EQ(propose_change(c, 1, change({add_voter(4)})), Error::kOk);
  const Index last = c.raft(1).log().last_index();
  EXPECT_EQ(c.node(1).propose_conf_change(change({remove_node(4)})), Error::kConfChangePending);
  EXPECT_EQ(c.node(1).propose_conf_change(ConfChange{}), Error::kConfChangePending);
  EXPECT_EQ(c.raft(1).log().last_index(), last) << "nothing appended";
  // Ordinary proposals are not held up.
  EXPECT_EQ(c.node(1).propose("data"), Error::kOk);
  EXPECT_TRUE(c.stabilize());

  // Once the first change is applied, the next one is accepted.
  c.heal();
  for (int i = 0; i < 20 && c.node(1).status().applied < last; ++i) c.tick_all();
  ASSERT_GE(c.node(1).status().applied, last);
  EXPECT_EQ(c.node(1).status().conf_state, conf({1, 2, 3, 4}));
  EXPECT_EQ(propose_change(c, 1, change({remove_node(4)})), Error::kOk);
  for (NodeId id : {1, 2, 3}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.node(id).status().conf_state, conf({1, 2, 3}));
  }
}

TEST(RaftMembership, RefusedChangeLeavesNothingPending) {
  // A change that is refused after it was checked (here: the batch it came in was dropped) must
  // not hold up the next change: nothing was appended, so nothing is pending.
  struct Case {
    const char* name;
    // Makes leader 1 refuse a membership change and returns what it answered.
    std::function<Error(Cluster&)> refuse;
    Error want;
  };
  const std::vector<Case> cases = {
      {"uncommitted-size limit",
       [](Cluster& c) {
         // Followers unreachable: a 60-byte proposal stays uncommitted, so the change's bytes
         // would exceed the 64-byte budget.
         c.isolate(2);
         c.isolate(3);
         EXPECT_EQ(c.propose(1, std::string(60, 'x')), Error::kOk);
         const Error e = c.node(1).propose_conf_change(change({add_learner(4)}));
         c.heal();
         return e;
       },
       Error::kTooManyUncommitted},
      {"forwarded batch with an invalid second change",
       [](Cluster& c) {
         Message m{.type = MessageType::kPropose, .to = 1, .from = 2};
         m.entries.push_back(Entry{.type = EntryType::kConfChange,
                                   .data = encode_conf_change(change({add_learner(4)}))});
         // Leaving a joint configuration when not joint: invalid, so the batch is dropped.
         m.entries.push_back(
             Entry{.type = EntryType::kConfChange, .data = encode_conf_change(ConfChange{})});
         return c.node(1).step(m);
       },
       Error::kOk},
      {"forwarded batch with two valid changes",
       [](Cluster& c) {
         Message m{.type = MessageType::kPropose, .to = 1, .from = 2};
         for (NodeId id : {4, 5}) {
           m.entries.push_back(Entry{.type = EntryType::kConfChange,
                                     .data = encode_conf_change(change({add_learner(id)}))});
         }
         return c.node(1).step(m);
       },
       Error::kOk},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Cluster c({1, 2, 3}, [](Config& cfg) { cfg.max_uncommitted_entries_size = 64; });
    ASSERT_TRUE(c.elect(1));
    const Index last = c.raft(1).log().last_index();
    EXPECT_EQ(tc.refuse(c), tc.want);
    EXPECT_TRUE(c.stabilize());
    for (int i = 0; i < 20 && c.node(1).status().applied < c.raft(1).log().last_index(); ++i) {
      c.tick_all();
    }
    ASSERT_EQ(c.node(1).status().applied, c.raft(1).log().last_index());
    for (const Entry& e : c.raft(1).log().all_entries()) {
      EXPECT_FALSE(e.index > last && e.type == EntryType::kConfChange) << "appended " << e.index;
    }
    EXPECT_EQ(c.node(1).status().conf_state, conf({1, 2, 3}));

    // Everything is applied and no change is in the log: the next change must be accepted.
    EXPECT_EQ(propose_change(c, 1, change({add_learner(4)})), Error::kOk);
    EXPECT_EQ(c.node(1).status().conf_state, conf({1, 2, 3}, {4}));
  }
}

TEST(RaftMembership, InvalidChangeIsRefusedAndNothingIsAppended) {
  struct Case {
    const char* name;
    ConfChange cc;
  };
  const std::vector<Case> cases = {
      {"remove all voters", change({remove_node(1), remove_node(2), remove_node(3)})},
      {"remove all voters, explicit joint", change({remove_node(1), remove_node(2), remove_node(3)},
                                                   ConfChangeTransition::kJointExplicit)},
      {"demote all voters",
       change({add_learner(1), add_learner(2), add_learner(3)}, ConfChangeTransition::kAuto)},
      {"leave joint when not joint", ConfChange{}},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Cluster c({1, 2, 3});
    ASSERT_TRUE(c.elect(1));
    const Index last = c.raft(1).log().last_index();
    const size_t applied = c.member(1).applied.size();

    EXPECT_EQ(c.node(1).propose_conf_change(tc.cc), Error::kInvalidConfChange);
    EXPECT_EQ(c.raft(1).log().last_index(), last);
    EXPECT_FALSE(c.node(1).has_ready()) << "nothing to persist or send";
    EXPECT_TRUE(c.stabilize());
    for (NodeId id : {1, 2, 3}) {
      SCOPED_TRACE(id);
      EXPECT_EQ(c.node(id).status().conf_state, conf({1, 2, 3}));
      EXPECT_EQ(c.raft(id).log().last_index(), last);
    }
    EXPECT_EQ(c.member(1).applied.size(), applied);
    // A refused change leaves nothing pending: a valid one goes through next.
    EXPECT_EQ(propose_change(c, 1, change({add_learner(4)})), Error::kOk);
    EXPECT_EQ(c.node(1).status().conf_state, conf({1, 2, 3}, {4}));
  }
}

TEST(RaftMembership, ChangeWhileAlreadyJointIsRefused) {
  Cluster c({1, 2, 3}, {}, {4});
  ASSERT_TRUE(c.elect(1));
  ASSERT_EQ(propose_change(c, 1, change({add_voter(4)}, ConfChangeTransition::kJointExplicit)),
            Error::kOk);
  ASSERT_FALSE(c.node(1).status().conf_state.voters_outgoing.empty());
  const Index last = c.raft(1).log().last_index();
  for (const ConfChangeTransition t :
       {ConfChangeTransition::kAuto, ConfChangeTransition::kJointImplicit,
        ConfChangeTransition::kJointExplicit}) {
    SCOPED_TRACE(static_cast<int>(t));
    EXPECT_EQ(c.node(1).propose_conf_change(change({add_learner(5)}, t)),
              Error::kInvalidConfChange);
  }
  EXPECT_EQ(c.raft(1).log().last_index(), last);
}

// --- New members --------------------------------------------------------------------------------

TEST(RaftMembership, NewMemberCatchesUpAndAppliesWhatOthersApply) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  for (int i = 0; i < 5; ++i) ASSERT_EQ(c.propose(1, "a" + std::to_string(i)), Error::kOk);

  // The safe way to grow: add as a learner, let it catch up, then promote it.
  c.add_member(4);
  ASSERT_EQ(propose_change(c, 1, change({add_learner(4)})), Error::kOk);
  EXPECT_EQ(c.node(1).status().conf_state, conf({1, 2, 3}, {4}));
  const Index snap = catch_up_by_snapshot(c, 1, {4});
  EXPECT_EQ(c.storage(4).snapshot()->metadata.index, snap);
  EXPECT_EQ(c.storage(4).snapshot()->data, joined(c.applied_data(1)))
      << "the learner holds the leader's state as of the snapshot";
  EXPECT_EQ(c.node(4).status().conf_state, conf({1, 2, 3}, {4}));

  ASSERT_EQ(propose_change(c, 1, change({add_voter(4)})), Error::kOk);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(c.propose(1, "b" + std::to_string(i)), Error::kOk);
  for (NodeId id : {1, 2, 3, 4}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.node(id).status().conf_state, conf({1, 2, 3, 4}));
    EXPECT_EQ(c.node(id).status().applied, c.raft(1).log().last_index());
  }
  // Everything after the snapshot was applied by the new member exactly as by the others.
  const auto expected = applied_after(c, 1, snap);
  ASSERT_EQ(expected.size(), 5u);
  for (NodeId id : {2, 3, 4}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(applied_after(c, id, snap), expected);
  }
  // And it counts toward commit: without 3, the voters 1, 2 and 4 are a majority of four.
  c.isolate(3);
  ASSERT_EQ(c.propose(1, "c"), Error::kOk);
  EXPECT_EQ(c.applied_data(4).back(), "c");
}

TEST(RaftMembership, NewMemberRefusesSnapshotThatDoesNotNameIt) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  ASSERT_EQ(c.propose(1, "a"), Error::kOk);
  c.add_member(4);
  c.clear_delivered();
  ASSERT_EQ(propose_change(c, 1, change({add_learner(4)})), Error::kOk);

  // The only snapshot the leader has is the bootstrap one, which predates member 4.
  bool snapshot_sent = false;
  for (const Message& m : c.delivered()) {
    if (m.type == MessageType::kSnapshot && m.to == 4) {
      snapshot_sent = true;
      EXPECT_FALSE(m.snapshot.metadata.conf_state.learners.contains(4));
    }
  }
  ASSERT_TRUE(snapshot_sent);
  EXPECT_EQ(c.storage(4).last_index(), 0u) << "the snapshot was not installed";
  EXPECT_TRUE(c.storage(4).snapshot()->empty());
  EXPECT_EQ(c.node(4).status().conf_state, ConfState{});
  EXPECT_EQ(c.raft(1).tracker().progress.at(4).state, ProgressState::kSnapshot)
      << "the leader waits for the host to report the snapshot";
}

}  // namespace
}  // namespace regent::raft
