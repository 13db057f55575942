// Leadership transfer (§3.10): the leader catches the target up, then tells it to campaign at
// once (kTimeoutNow); proposals wait meanwhile; a transfer that does not land within an election
// timeout is abandoned; the target's vote request carries a marker that lets it past the other
// followers' leader lease.
#include <gtest/gtest.h>

#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "support/raft_cluster.h"
#include "support/raft_printers.h"

namespace regent::raft {
namespace {

using testing::Cluster;
using tracker::ProgressState;

// Messages of `type` that `from` has produced but the cluster has not yet picked up.
std::vector<Message> outbox(const Cluster& c, NodeId from, MessageType type) {
  std::vector<Message> out;
  for (const auto* queue : {&c.raft(from).msgs, &c.raft(from).msgs_after_persist}) {
    for (const Message& m : *queue) {
      if (m.type == type) out.push_back(m);
    }
  }
  return out;
}

size_t count_delivered(const Cluster& c, MessageType type, NodeId from = kNone) {
  size_t n = 0;
  for (const Message& m : c.delivered()) {
    if (m.type == type && (from == kNone || m.from == from)) ++n;
  }
  return n;
}

TEST(RaftTransfer, ToUpToDateFollowerSendsTimeoutNowAtOnce) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  ASSERT_EQ(c.propose(1, "a"), Error::kOk);
  const Term term = c.raft(1).term();
  ASSERT_EQ(c.raft(1).tracker().progress.at(2).match, c.raft(1).log().last_index());
  c.clear_delivered();

  ASSERT_EQ(c.node(1).transfer_leader(2), Error::kOk);
  EXPECT_EQ(c.raft(1).lead_transferee(), 2u);
  EXPECT_EQ(c.node(1).status().lead_transferee, 2u);
  const auto timeout_now = outbox(c, 1, MessageType::kTimeoutNow);
  ASSERT_EQ(timeout_now.size(), 1u) << "no catch-up round needed";
  EXPECT_EQ(timeout_now[0].to, 2u);
  EXPECT_TRUE(outbox(c, 1, MessageType::kAppend).empty());

  ASSERT_TRUE(c.stabilize());
  EXPECT_EQ(c.leader(), 2u);
  EXPECT_EQ(c.raft(2).term(), term + 1);
  EXPECT_EQ(count_delivered(c, MessageType::kPreVote), 0u) << "the target skips pre-vote";
  EXPECT_EQ(count_delivered(c, MessageType::kVote, 2), 2u);
  for (NodeId id : {1, 3}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.raft(id).role(), Role::kFollower);
    EXPECT_EQ(c.raft(id).lead(), 2u);
    EXPECT_EQ(c.raft(id).term(), term + 1);
  }
  EXPECT_EQ(c.raft(1).lead_transferee(), kNone);

  ASSERT_EQ(c.propose(2, "b"), Error::kOk);
  for (NodeId id : {1, 2, 3}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.applied_data(id), (std::vector<std::string>{"a", "b"}));
  }
}

TEST(RaftTransfer, ToLaggingFollowerCatchesItUpFirst) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  ASSERT_EQ(c.propose(1, "a"), Error::kOk);
  c.isolate(3);
  std::vector<std::string> committed{"a"};
  for (int i = 0; i < 5; ++i) {
    committed.push_back("e" + std::to_string(i));
    ASSERT_EQ(c.propose(1, committed.back()), Error::kOk);
  }
  c.heal();
  const Index last = c.raft(1).log().last_index();
  const Term term = c.raft(1).term();
  ASSERT_LT(c.raft(1).tracker().progress.at(3).match, last);
  c.clear_delivered();

  ASSERT_EQ(c.node(1).transfer_leader(3), Error::kOk);
  EXPECT_EQ(c.raft(1).lead_transferee(), 3u);
  EXPECT_TRUE(outbox(c, 1, MessageType::kTimeoutNow).empty()) << "3 is behind";
  EXPECT_FALSE(outbox(c, 1, MessageType::kAppend).empty());

  // Step by step: the leader may tell 3 to campaign only once 3 holds its whole log.
  bool sent_timeout_now = false;
  for (int round = 0; round < 100 && c.step_round(); ++round) {
    if (!sent_timeout_now && !outbox(c, 1, MessageType::kTimeoutNow).empty()) {
      sent_timeout_now = true;
      EXPECT_EQ(c.raft(1).tracker().progress.at(3).match, last);
      EXPECT_EQ(c.raft(1).log().last_index(), last);
    }
  }
  EXPECT_TRUE(sent_timeout_now);

  // The leader appended to 3 before it sent timeout-now, and sent it exactly once.
  bool seen_append = false;
  size_t timeout_nows = 0;
  for (const Message& m : c.delivered()) {
    if (m.from != 1 || m.to != 3) continue;
    if (m.type == MessageType::kAppend) seen_append = true;
    if (m.type == MessageType::kTimeoutNow) {
      EXPECT_TRUE(seen_append) << "timeout-now before any append";
      ++timeout_nows;
    }
  }
  EXPECT_EQ(timeout_nows, 1u);

  EXPECT_EQ(c.leader(), 3u);
  EXPECT_EQ(c.raft(3).term(), term + 1);
  EXPECT_EQ(c.applied_data(3), committed) << "the new leader has every committed entry";
  ASSERT_EQ(c.propose(3, "b"), Error::kOk);
  committed.push_back("b");
  for (NodeId id : {1, 2, 3}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.applied_data(id), committed);
  }
}

TEST(RaftTransfer, ToMemberBehindCompactionSendsSnapshotFirst) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  c.isolate(3);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(c.propose(1, "e" + std::to_string(i)), Error::kOk);
  const Status st = c.node(1).status();
  ASSERT_TRUE(c.storage(1).create_snapshot(st.applied, &st.conf_state, "state").has_value());
  ASSERT_FALSE(c.storage(1).compact(st.applied).has_value());
  c.heal();
  c.clear_delivered();

  ASSERT_EQ(c.node(1).transfer_leader(3), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  EXPECT_EQ(count_delivered(c, MessageType::kSnapshot, 1), 1u);
  EXPECT_EQ(count_delivered(c, MessageType::kTimeoutNow, 1), 1u);
  EXPECT_EQ(c.leader(), 3u);
  EXPECT_EQ(c.storage(3).snapshot()->metadata.index, st.applied);
  ASSERT_EQ(c.propose(3, "x"), Error::kOk);
  for (NodeId id : {1, 2, 3}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.applied_data(id).back(), "x");
  }
}

TEST(RaftTransfer, ProposalsAreRefusedWhileTransferring) {
  Cluster c({1, 2, 3}, {}, {4});
  ASSERT_TRUE(c.elect(1));
  c.isolate(3);  // Keeps the transfer from landing.
  ASSERT_EQ(c.node(1).transfer_leader(3), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  ASSERT_EQ(c.raft(1).lead_transferee(), 3u);
  const Index last = c.raft(1).log().last_index();

  EXPECT_EQ(c.node(1).propose("x"), Error::kTransferInProgress);
  EXPECT_EQ(c.node(1).propose_batch({"y", "z"}), Error::kTransferInProgress);
  ConfChange cc;
  cc.changes.push_back({ConfChangeType::kAddNode, 4});
  EXPECT_EQ(c.node(1).propose_conf_change(cc), Error::kTransferInProgress);
  // A follower forwards its proposal; the leader drops it.
  EXPECT_EQ(c.node(2).propose("w"), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  EXPECT_EQ(c.raft(1).log().last_index(), last) << "nothing appended";
  EXPECT_EQ(c.raft(1).uncommitted_size(), 0u);
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);
}

TEST(RaftTransfer, TransferThatCannotLandIsAbortedAfterAnElectionTimeout) {
  const int election_tick = 10;
  Cluster c({1, 2, 3}, [&](Config& cfg) { cfg.election_tick = election_tick; });
  ASSERT_TRUE(c.elect(1));
  const Term term = c.raft(1).term();
  c.isolate(3);
  ASSERT_EQ(c.node(1).transfer_leader(3), Error::kOk);
  ASSERT_TRUE(c.stabilize());

  // Only the leader's clock runs, so nobody else starts an election meanwhile.
  for (int i = 1; i < election_tick; ++i) {
    c.tick(1);
    ASSERT_TRUE(c.stabilize());
    ASSERT_EQ(c.raft(1).lead_transferee(), 3u) << "after " << i << " ticks";
    EXPECT_EQ(c.node(1).propose("x"), Error::kTransferInProgress);
  }
  c.tick(1);
  ASSERT_TRUE(c.stabilize());
  EXPECT_EQ(c.raft(1).lead_transferee(), kNone);
  EXPECT_EQ(c.node(1).status().lead_transferee, kNone);
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);
  EXPECT_EQ(c.raft(1).term(), term);

  // Proposals are accepted again, and commit without 3.
  ASSERT_EQ(c.propose(1, "y"), Error::kOk);
  EXPECT_EQ(c.applied_data(2), std::vector<std::string>{"y"});

  // 3 coming back later does not take over: the timeout-now it never got is not resent.
  c.heal();
  for (int i = 0; i < 3 * election_tick; ++i) c.tick_all();
  EXPECT_EQ(c.leader(), 1u);
  EXPECT_EQ(c.raft(1).term(), term);
  EXPECT_EQ(c.applied_data(3), std::vector<std::string>{"y"});
}

TEST(RaftTransfer, InvalidRequestsAreRefused) {
  struct Case {
    const char* name;
    NodeId on;      // Where transfer_leader is called.
    NodeId target;  // To whom.
    Error want;
  };
  const std::vector<Case> cases = {
      {"to a learner", 1, 4, Error::kNotPromotable},
      {"to an unknown member", 1, 9, Error::kUnknownPeer},
      {"on a follower", 2, 3, Error::kNotLeader},
      {"on a learner", 4, 3, Error::kNotLeader},
      {"to the leader itself", 1, 1, Error::kOk},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Cluster c({1, 2, 3}, {}, {4});
    ASSERT_TRUE(c.elect(1));
    const Term term = c.raft(1).term();
    c.clear_delivered();

    EXPECT_EQ(c.node(tc.on).transfer_leader(tc.target), tc.want);
    EXPECT_EQ(c.raft(tc.on).lead_transferee(), kNone);
    EXPECT_TRUE(outbox(c, tc.on, MessageType::kTimeoutNow).empty());
    ASSERT_TRUE(c.stabilize());
    EXPECT_EQ(count_delivered(c, MessageType::kTimeoutNow), 0u);
    EXPECT_EQ(c.leader(), 1u);
    EXPECT_EQ(c.raft(1).term(), term);
    // Nothing is left half-started: the leader takes proposals.
    EXPECT_EQ(c.propose(1, "x"), Error::kOk);
    EXPECT_EQ(c.applied_data(4), std::vector<std::string>{"x"});
  }
}

TEST(RaftTransfer, TargetWinsThoughOtherFollowersHoldALeaderLease) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  ASSERT_EQ(c.propose(1, "a"), Error::kOk);
  const Term term = c.raft(1).term();

  // A plain campaign cannot depose a leader the others heard from recently.
  ASSERT_EQ(c.node(2).campaign(), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  c.tick_all();
  EXPECT_EQ(c.leader(), 1u);
  EXPECT_EQ(c.raft(1).term(), term);

  // A transfer can: 2's vote request says it was asked to campaign.
  c.clear_delivered();
  ASSERT_EQ(c.node(1).transfer_leader(2), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  EXPECT_EQ(c.leader(), 2u);
  EXPECT_EQ(c.raft(2).term(), term + 1);

  size_t requests = 0;
  size_t grants = 0;
  for (const Message& m : c.delivered()) {
    if (m.type == MessageType::kVote && m.from == 2) {
      ++requests;
      EXPECT_EQ(m.context, kCampaignTransfer);
      EXPECT_EQ(m.term, term + 1);
    }
    if (m.type == MessageType::kVoteResponse && m.to == 2) {
      EXPECT_FALSE(m.reject) << "from " << m.from;
      if (!m.reject) ++grants;
    }
  }
  EXPECT_EQ(requests, 2u);
  EXPECT_GE(grants, 1u);
  // 3 was within its lease of 1 (it heard from it a tick ago) and still voted for 2.
  EXPECT_EQ(c.raft(3).vote(), 2u);
  EXPECT_EQ(c.raft(3).lead(), 2u);
}

TEST(RaftTransfer, NewTargetReplacesAPendingTransfer) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  c.isolate(3);
  ASSERT_EQ(c.node(1).transfer_leader(3), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  ASSERT_EQ(c.raft(1).lead_transferee(), 3u);
  // Asking again for the same target is not an error and changes nothing.
  EXPECT_EQ(c.node(1).transfer_leader(3), Error::kOk);
  EXPECT_EQ(c.raft(1).lead_transferee(), 3u);

  ASSERT_EQ(c.node(1).transfer_leader(2), Error::kOk);
  EXPECT_EQ(c.raft(1).lead_transferee(), 2u);
  ASSERT_TRUE(c.stabilize());
  EXPECT_EQ(c.leader(), 2u);
}

TEST(RaftTransfer, TransferStartedWithAMembershipChangeInFlightLands) {
  // The leader enters a joint configuration that it should leave on its own, and a transfer
  // starts before the change commits. The target learns the commit and gets timeout-now in the
  // same batch, before it has applied the change. The transfer must still land (the target is
  // reachable and up to date), and the new leader must leave the joint configuration.
  Cluster c({1, 2, 3}, {}, {4});
  ASSERT_TRUE(c.elect(1));
  const Term term = c.raft(1).term();
  ConfChange cc;
  cc.transition = ConfChangeTransition::kJointImplicit;
  cc.changes.push_back({ConfChangeType::kAddNode, 4});
  ASSERT_EQ(c.node(1).propose_conf_change(cc), Error::kOk);
  ASSERT_EQ(c.node(1).transfer_leader(2), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  // A heartbeat or two is fine; an abandoned transfer (an election timeout later) is not.
  for (int i = 0; i < 3 && c.leader() != 2u; ++i) c.tick_all();
  EXPECT_EQ(c.leader(), 2u);
  EXPECT_EQ(c.raft(2).term(), term + 1);

  for (int i = 0; i < 20; ++i) c.tick_all();
  for (NodeId id : {1, 2, 3, 4}) {
    SCOPED_TRACE(id);
    const ConfState cs = c.node(id).status().conf_state;
    EXPECT_EQ(cs.voters, (std::set<NodeId>{1, 2, 3, 4}));
    EXPECT_TRUE(cs.voters_outgoing.empty());
  }
}

TEST(RaftTransfer, RemovingTheTargetAbortsTheTransfer) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  // Propose the removal of 3 first (it is still pending when the transfer starts).
  ConfChange cc;
  cc.changes.push_back({ConfChangeType::kRemoveNode, 3});
  c.isolate(3);
  c.isolate(2);
  ASSERT_EQ(c.node(1).propose_conf_change(cc), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  c.heal();
  c.isolate(3);
  ASSERT_EQ(c.node(1).transfer_leader(3), Error::kOk);
  ASSERT_EQ(c.raft(1).lead_transferee(), 3u);
  // 2 acknowledges the removal; once applied, 3 is no voter and the transfer is moot.
  for (int i = 0; i < 5 && c.raft(1).lead_transferee() != kNone; ++i) {
    c.tick(1);
    ASSERT_TRUE(c.stabilize());
  }
  EXPECT_EQ(c.node(1).status().conf_state.voters, (std::set<NodeId>{1, 2}));
  EXPECT_EQ(c.raft(1).lead_transferee(), kNone);
  EXPECT_EQ(c.propose(1, "x"), Error::kOk);
  EXPECT_EQ(c.applied_data(2), std::vector<std::string>{"x"});
}

}  // namespace
}  // namespace regent::raft

namespace regent::raft {
namespace {

TEST(RaftTransfer, TimeoutNowFromAMemberThatIsNotOurLeaderIsIgnored) {
  testing::Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  const Term term = c.raft(2).term();
  // 3 is a follower: it may not hand leadership to 2 (nor let 2 past the others' leases).
  Message forged{.type = MessageType::kTimeoutNow, .to = 2, .from = 3, .term = term};
  EXPECT_EQ(c.node(2).step(forged), Error::kOk);
  c.stabilize();
  EXPECT_EQ(c.leader(), 1u);
  EXPECT_EQ(c.raft(2).term(), term);
  EXPECT_EQ(c.raft(2).role(), Role::kFollower);
  // From the leader itself, the same message starts the election at once.
  forged.from = 1;
  EXPECT_EQ(c.node(2).step(forged), Error::kOk);
  c.stabilize();
  EXPECT_EQ(c.leader(), 2u);
  EXPECT_EQ(c.raft(2).term(), term + 1);
}

}  // namespace
}  // namespace regent::raft
