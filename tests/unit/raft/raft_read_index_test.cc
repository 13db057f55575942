// Linearizable reads (Raft thesis §6.4): ReadIndex confirmed by a heartbeat round, reads
// forwarded by followers, a new leader holding reads until it commits an entry of its term, and
// lease-based reads (§6.4.1) that skip the heartbeat round.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "support/raft_cluster.h"
#include "support/raft_printers.h"

namespace regent::raft {
namespace {

using testing::Cluster;

size_t count_delivered(const Cluster& c, const std::function<bool(const Message&)>& pred) {
  size_t n = 0;
  for (const Message& m : c.delivered()) n += pred(m) ? 1 : 0;
  return n;
}

bool heartbeat_with(const Message& m, const std::string& context) {
  return m.type == MessageType::kHeartbeat && m.context == context;
}

bool carries_read(const Message& m, MessageType type, const std::string& context) {
  return m.type == type && m.entries.size() == 1 && m.entries[0].data == context;
}

std::vector<std::string> contexts(const std::vector<ReadState>& reads) {
  std::vector<std::string> out;
  for (const ReadState& r : reads) out.push_back(r.context);
  return out;
}

void cut_off_followers(Cluster& c, NodeId leader) {
  for (NodeId id : c.ids()) {
    if (id != leader) c.cut(leader, id);
  }
}

TEST(RaftReadIndex, LeaderAnswersAfterAQuorumAcknowledgesAHeartbeat) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  const Index commit = c.raft(1).log().committed();
  c.clear_delivered();

  ASSERT_EQ(c.node(1).read_index("ctx-1"), Error::kOk);
  ASSERT_TRUE(c.stabilize());

  ASSERT_EQ(c.member(1).reads.size(), 1u);
  EXPECT_EQ(c.member(1).reads[0], (ReadState{commit, "ctx-1"}));
  // The read was confirmed by a heartbeat round carrying its context, and the followers answered.
  EXPECT_EQ(count_delivered(c, [](const Message& m) { return heartbeat_with(m, "ctx-1"); }), 2u);
  EXPECT_GE(count_delivered(c,
                            [](const Message& m) {
                              return m.type == MessageType::kHeartbeatResponse &&
                                     m.context == "ctx-1" && m.to == 1;
                            }),
            1u);
  // Followers see no ReadState for a read they did not ask for.
  EXPECT_TRUE(c.member(2).reads.empty());
  EXPECT_TRUE(c.member(3).reads.empty());
}

TEST(RaftReadIndex, LeaderCutOffFromFollowersNeverAnswers) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  cut_off_followers(c, 1);

  ASSERT_EQ(c.node(1).read_index("lonely"), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  EXPECT_TRUE(c.member(1).reads.empty());

  // Heartbeats keep carrying the context but nobody answers them. Stay below the election
  // timeout so that check-quorum does not depose the leader yet.
  for (int i = 0; i < 5; ++i) {
    c.tick(1);
    ASSERT_TRUE(c.stabilize());
  }
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);
  EXPECT_TRUE(c.member(1).reads.empty());

  // Once the followers answer a heartbeat again, the read is released.
  c.heal();
  c.tick(1);
  ASSERT_TRUE(c.stabilize());
  EXPECT_EQ(contexts(c.member(1).reads), std::vector<std::string>{"lonely"});
}

TEST(RaftReadIndex, ReadIsDroppedWhenTheLeaderStepsDownBeforeConfirming) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  cut_off_followers(c, 1);
  ASSERT_EQ(c.node(1).read_index("doomed"), Error::kOk);
  // Check-quorum deposes the leader after an election timeout without answers.
  for (int i = 0; i < 30 && c.raft(1).role() == Role::kLeader; ++i) {
    c.tick(1);
    ASSERT_TRUE(c.stabilize());
  }
  ASSERT_NE(c.raft(1).role(), Role::kLeader);

  c.heal();
  c.tick_all(3);
  ASSERT_TRUE(c.stabilize());
  // A deposed leader can no longer prove the read linearizable; it is never answered.
  for (NodeId id : c.ids()) {
    SCOPED_TRACE(id);
    EXPECT_TRUE(c.member(id).reads.empty());
  }
}

TEST(RaftReadIndex, LearnerAcknowledgementsDoNotConfirmARead) {
  Cluster c({1, 2, 3}, {}, /*learners=*/{4});
  ASSERT_TRUE(c.elect(1));
  c.cut(1, 2);
  c.cut(1, 3);
  c.clear_delivered();
  ASSERT_EQ(c.node(1).read_index("learner-only"), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  // The learner answered the heartbeat, but the leader plus a learner is no quorum of voters.
  EXPECT_EQ(count_delivered(c,
                            [](const Message& m) {
                              return m.type == MessageType::kHeartbeatResponse && m.from == 4 &&
                                     m.context == "learner-only";
                            }),
            1u);
  EXPECT_TRUE(c.member(1).reads.empty());
  // A learner's own read goes through the leader like any follower's.
  c.heal();
  ASSERT_EQ(c.node(4).read_index("from-learner"), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  EXPECT_EQ(contexts(c.member(4).reads), std::vector<std::string>{"from-learner"});
}

TEST(RaftReadIndex, FollowerReadIsForwardedAndAnsweredOnTheFollower) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  ASSERT_EQ(c.propose(1, "w"), Error::kOk);
  const Index commit = c.raft(1).log().committed();
  c.clear_delivered();

  ASSERT_EQ(c.node(2).read_index("from-2"), Error::kOk);
  ASSERT_TRUE(c.stabilize());

  ASSERT_EQ(c.member(2).reads.size(), 1u);
  EXPECT_EQ(c.member(2).reads[0], (ReadState{commit, "from-2"}));
  EXPECT_TRUE(c.member(1).reads.empty());
  EXPECT_TRUE(c.member(3).reads.empty());
  EXPECT_EQ(count_delivered(c,
                            [](const Message& m) {
                              return m.from == 2 && m.to == 1 &&
                                     carries_read(m, MessageType::kReadIndex, "from-2");
                            }),
            1u);
  EXPECT_EQ(count_delivered(c,
                            [](const Message& m) {
                              return m.from == 1 && m.to == 2 &&
                                     carries_read(m, MessageType::kReadIndexResponse, "from-2");
                            }),
            1u);
  // The leader confirmed it with a heartbeat round before answering.
  EXPECT_EQ(count_delivered(c, [](const Message& m) { return heartbeat_with(m, "from-2"); }), 2u);
}

TEST(RaftReadIndex, FollowerReadIsLostWhenTheLeaderIsUnreachable) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  c.cut(1, 2);
  // The follower still believes in its leader, so it accepts the read and forwards it...
  ASSERT_EQ(c.node(2).read_index("lost"), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  // ...but no answer comes back: the client must time out and retry.
  EXPECT_TRUE(c.member(2).reads.empty());
  EXPECT_TRUE(c.member(1).reads.empty());
}

TEST(RaftReadIndex, NewLeaderHoldsReadsUntilItCommitsAnEntryOfItsTerm) {
  Cluster c({1, 2, 3});
  // The new leader's appends are lost, so its no-op cannot commit.
  c.add_filter([](const Message& m) { return m.from == 1 && m.type == MessageType::kAppend; });
  ASSERT_EQ(c.node(1).campaign(), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  ASSERT_EQ(c.leader(), 1u);
  const Index noop = c.raft(1).log().last_index();
  ASSERT_EQ(c.raft(1).log().term(noop).value_or(0), c.raft(1).term());
  ASSERT_LT(c.raft(1).log().committed(), noop);
  // A heartbeat lets the followers learn who leads (heartbeats are not filtered).
  c.tick(1);
  ASSERT_TRUE(c.stabilize());
  ASSERT_EQ(c.raft(2).lead(), 1u);
  c.clear_delivered();

  EXPECT_EQ(c.node(1).read_index("local"), Error::kOk);
  EXPECT_EQ(c.node(2).read_index("remote"), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  for (int i = 0; i < 3; ++i) {
    c.tick(1);
    ASSERT_TRUE(c.stabilize());
  }
  ASSERT_EQ(c.raft(1).role(), Role::kLeader);
  EXPECT_TRUE(c.member(1).reads.empty());
  EXPECT_TRUE(c.member(2).reads.empty());
  // Held back entirely: not even a heartbeat round was started for them.
  EXPECT_EQ(count_delivered(c,
                            [](const Message& m) {
                              return heartbeat_with(m, "local") || heartbeat_with(m, "remote");
                            }),
            0u);

  // Once the no-op commits, both reads are served at an index that includes it.
  c.heal();
  c.tick(1);
  ASSERT_TRUE(c.stabilize());
  ASSERT_GE(c.raft(1).log().committed(), noop);
  ASSERT_EQ(c.member(1).reads.size(), 1u);
  EXPECT_EQ(c.member(1).reads[0].context, "local");
  EXPECT_GE(c.member(1).reads[0].index, noop);
  ASSERT_EQ(c.member(2).reads.size(), 1u);
  EXPECT_EQ(c.member(2).reads[0].context, "remote");
  EXPECT_GE(c.member(2).reads[0].index, noop);
}

TEST(RaftReadIndex, HeldReadsBeyondMaxPendingReadsAreDropped) {
  Cluster c({1, 2, 3}, [](Config& cfg) { cfg.max_pending_reads = 2; });
  c.add_filter([](const Message& m) { return m.from == 1 && m.type == MessageType::kAppend; });
  ASSERT_EQ(c.node(1).campaign(), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  ASSERT_EQ(c.leader(), 1u);

  for (const char* ctx : {"a", "b", "c", "d"}) EXPECT_EQ(c.node(1).read_index(ctx), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  c.heal();
  c.tick(1);
  ASSERT_TRUE(c.stabilize());
  // The first two were held and are now answered; the rest were dropped (clients retry).
  EXPECT_EQ(contexts(c.member(1).reads), (std::vector<std::string>{"a", "b"}));
}

TEST(RaftReadIndex, MemberWithoutLeaderRefusesReads) {
  struct Case {
    std::string name;
    std::function<void(Cluster&)> setup;
    Role want_role;
  };
  const std::vector<Case> cases = {
      {"fresh follower", [](Cluster&) {}, Role::kFollower},
      {"pre-candidate",
       [](Cluster& c) {
         c.isolate(2);
         ASSERT_EQ(c.node(2).campaign(), Error::kOk);
         ASSERT_TRUE(c.stabilize());
       },
       Role::kPreCandidate},
      {"candidate",
       [](Cluster& c) {
         c.isolate(2);
         ASSERT_EQ(c.node(2).campaign(), Error::kOk);
         ASSERT_TRUE(c.stabilize());
       },
       Role::kCandidate},
      {"follower whose leader stepped down",
       [](Cluster& c) {
         ASSERT_TRUE(c.elect(2));
         cut_off_followers(c, 2);
         for (int i = 0; i < 30 && c.raft(2).role() == Role::kLeader; ++i) {
           c.tick(2);
           ASSERT_TRUE(c.stabilize());
         }
       },
       Role::kFollower},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Cluster c({1, 2, 3}, [&](Config& cfg) { cfg.pre_vote = tc.want_role != Role::kCandidate; });
    tc.setup(c);
    ASSERT_EQ(c.raft(2).role(), tc.want_role);
    ASSERT_EQ(c.raft(2).lead(), kNone);
    c.clear_delivered();
    EXPECT_EQ(c.node(2).read_index("nobody-leads"), Error::kNoLeader);
    c.heal();
    ASSERT_TRUE(c.stabilize());
    EXPECT_TRUE(c.member(2).reads.empty());
    EXPECT_EQ(
        count_delivered(c, [](const Message& m) { return m.type == MessageType::kReadIndex; }), 0u);
  }
}

TEST(RaftReadIndex, SingleVoterAnswersAtOnceWithoutMessages) {
  Cluster c({1});
  ASSERT_TRUE(c.elect(1));
  ASSERT_EQ(c.propose(1, "x"), Error::kOk);
  const Index commit = c.raft(1).log().committed();
  c.clear_delivered();
  ASSERT_EQ(c.node(1).read_index("solo"), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  ASSERT_EQ(c.member(1).reads.size(), 1u);
  EXPECT_EQ(c.member(1).reads[0], (ReadState{commit, "solo"}));
  EXPECT_TRUE(c.delivered().empty());
}

Cluster::Tweak lease_based() {
  return [](Config& cfg) {
    cfg.read_only_option = ReadOnlyOption::kLeaseBased;
    cfg.check_quorum = true;
  };
}

TEST(RaftReadIndex, LeaseBasedReadsSkipTheHeartbeatRound) {
  Cluster c({1, 2, 3}, lease_based());
  ASSERT_TRUE(c.elect(1));
  const Index commit = c.raft(1).log().committed();
  c.clear_delivered();

  ASSERT_EQ(c.node(1).read_index("lease-local"), Error::kOk);
  ASSERT_EQ(c.node(3).read_index("lease-remote"), Error::kOk);
  ASSERT_TRUE(c.stabilize());

  ASSERT_EQ(c.member(1).reads.size(), 1u);
  EXPECT_EQ(c.member(1).reads[0], (ReadState{commit, "lease-local"}));
  ASSERT_EQ(c.member(3).reads.size(), 1u);
  EXPECT_EQ(c.member(3).reads[0], (ReadState{commit, "lease-remote"}));
  // No heartbeat at all: the leader answered on its lease alone.
  EXPECT_EQ(count_delivered(c,
                            [](const Message& m) {
                              return m.type == MessageType::kHeartbeat ||
                                     m.type == MessageType::kHeartbeatResponse;
                            }),
            0u);
  // The remote read costs one round trip: request and answer, nothing else.
  EXPECT_EQ(c.delivered().size(), 2u);
}

TEST(RaftReadIndex, LeaseBasedReadIsAnsweredEvenWhenTheLeaseMustBeReconfirmed) {
  // Right after a check-quorum round the leader has not yet heard from anyone in the new window.
  // Whether it then serves on its lease or confirms with a heartbeat round first, the read must
  // be answered once the followers respond.
  Cluster c({1, 2, 3}, lease_based());
  ASSERT_TRUE(c.elect(1));
  bool lapsed = false;
  for (int i = 0; i < 30 && !lapsed; ++i) {
    c.tick(1);  // Not stabilized yet: nobody has answered this tick's heartbeats.
    lapsed = !c.raft(1).tracker().quorum_active(1);
    if (!lapsed) {
      ASSERT_TRUE(c.stabilize());
    }
  }
  ASSERT_TRUE(lapsed) << "check-quorum never started a new window";
  ASSERT_EQ(c.raft(1).role(), Role::kLeader);
  ASSERT_EQ(c.node(1).read_index("fresh-window"), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  for (int i = 0; i < 3 && c.member(1).reads.empty(); ++i) {
    c.tick(1);
    ASSERT_TRUE(c.stabilize());
  }
  EXPECT_EQ(contexts(c.member(1).reads), std::vector<std::string>{"fresh-window"});
  // Later reads are not stuck behind it either.
  ASSERT_EQ(c.node(1).read_index("next"), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  EXPECT_EQ(contexts(c.member(1).reads), (std::vector<std::string>{"fresh-window", "next"}));
}

TEST(RaftReadIndex, LeaseBasedLeaderStopsServingOnceCheckQuorumDeposesIt) {
  Cluster c({1, 2, 3}, lease_based());
  ASSERT_TRUE(c.elect(1));
  cut_off_followers(c, 1);
  for (int i = 0; i < 30 && c.raft(1).role() == Role::kLeader; ++i) {
    c.tick(1);
    ASSERT_TRUE(c.stabilize());
  }
  ASSERT_NE(c.raft(1).role(), Role::kLeader);
  EXPECT_EQ(c.node(1).read_index("expired"), Error::kNoLeader);
  ASSERT_TRUE(c.stabilize());
  EXPECT_TRUE(c.member(1).reads.empty());
}

TEST(RaftReadIndex, LeaseBasedNewLeaderStillWaitsForItsNoOp) {
  Cluster c({1, 2, 3}, lease_based());
  c.add_filter([](const Message& m) { return m.from == 1 && m.type == MessageType::kAppend; });
  ASSERT_EQ(c.node(1).campaign(), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  ASSERT_EQ(c.leader(), 1u);
  const Index noop = c.raft(1).log().last_index();
  ASSERT_EQ(c.node(1).read_index("early"), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  EXPECT_TRUE(c.member(1).reads.empty());

  c.heal();
  c.tick(1);
  ASSERT_TRUE(c.stabilize());
  ASSERT_EQ(c.member(1).reads.size(), 1u);
  EXPECT_GE(c.member(1).reads[0].index, noop);
}

TEST(RaftReadIndex, ConfigRejectsLeaseBasedReadsWithoutCheckQuorum) {
  struct Case {
    ReadOnlyOption option;
    bool check_quorum;
    bool valid;
  };
  const std::vector<Case> cases = {
      {ReadOnlyOption::kSafe, true, true},
      {ReadOnlyOption::kSafe, false, true},
      {ReadOnlyOption::kLeaseBased, true, true},
      {ReadOnlyOption::kLeaseBased, false, false},
  };
  MemoryStorage storage;
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    Config cfg;
    cfg.id = 1;
    cfg.storage = &storage;
    cfg.read_only_option = cases[i].option;
    cfg.check_quorum = cases[i].check_quorum;
    const std::string problem = cfg.validate();
    EXPECT_EQ(problem.empty(), cases[i].valid) << problem;
    if (!cases[i].valid) {
      EXPECT_NE(problem.find("check quorum"), std::string::npos) << problem;
    }
  }
}

TEST(RaftReadIndex, QueuedReadsAreAllReleasedInOrderByOneQuorumAck) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  const Index commit = c.raft(1).log().committed();
  cut_off_followers(c, 1);
  const std::vector<std::string> ctxs = {"r1", "r2", "r3", "r4"};
  for (const std::string& ctx : ctxs) ASSERT_EQ(c.node(1).read_index(ctx), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  ASSERT_TRUE(c.member(1).reads.empty());

  c.heal();
  c.clear_delivered();
  c.tick(1);  // One heartbeat round, carrying only the newest context.
  ASSERT_TRUE(c.stabilize());

  EXPECT_EQ(contexts(c.member(1).reads), ctxs);
  for (const ReadState& r : c.member(1).reads) EXPECT_EQ(r.index, commit) << r.context;
  EXPECT_EQ(count_delivered(c, [](const Message& m) { return m.type == MessageType::kHeartbeat; }),
            2u);
  EXPECT_EQ(count_delivered(c, [](const Message& m) { return heartbeat_with(m, "r4"); }), 2u);
}

TEST(RaftReadIndex, ReadRecordsTheCommitIndexAtArrival) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  ASSERT_EQ(c.node(1).read_index("before"), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  ASSERT_EQ(c.propose(1, "w1"), Error::kOk);
  ASSERT_EQ(c.propose(1, "w2"), Error::kOk);
  ASSERT_EQ(c.node(1).read_index("after"), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  ASSERT_EQ(c.member(1).reads.size(), 2u);
  EXPECT_EQ(c.member(1).reads[1].index, c.member(1).reads[0].index + 2);
  EXPECT_EQ(c.member(1).reads[1].index, c.raft(1).log().committed());
}

}  // namespace
}  // namespace regent::raft
