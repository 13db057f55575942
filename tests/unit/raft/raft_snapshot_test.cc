// Snapshots (§5): a follower that fell behind the leader's compaction point is caught up with a
// snapshot; the leader's Progress moves probe -> snapshot -> replicate, and the host's reports of
// success or failure steer it; stale and foreign snapshots are ignored; a restarted member
// recovers from its stored snapshot plus the log after it.
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
using Ids = std::set<NodeId>;

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += p + ";";
  return out;
}

// Three members, 1 leading; 3 was cut off while the leader committed `entries` more proposals,
// and the leader's host then snapshotted its applied state and compacted its log past
// everything 3 holds. The leader's host noticed 3 was unreachable, so the leader probes it.
struct Behind {
  Cluster c{{1, 2, 3}};
  Index snap = 0;           // Index of the leader's snapshot.
  Index follower_last = 0;  // Last index 3 held when it was cut off.
  std::string data;         // The snapshot's payload.

  explicit Behind(int entries = 20) {
    EXPECT_TRUE(c.elect(1));
    EXPECT_EQ(c.propose(1, "before"), Error::kOk);
    follower_last = c.raft(3).log().last_index();
    c.isolate(3);
    for (int i = 0; i < entries; ++i) EXPECT_EQ(c.propose(1, "e" + std::to_string(i)), Error::kOk);
    c.node(1).report_unreachable(3);
    const Status st = c.node(1).status();
    snap = st.applied;
    data = joined(c.applied_data(1));
    EXPECT_TRUE(c.storage(1).create_snapshot(snap, &st.conf_state, data).has_value());
    EXPECT_FALSE(c.storage(1).compact(snap).has_value());
    EXPECT_EQ(c.raft(1).log().first_index(), snap + 1);
    EXPECT_GT(c.raft(1).log().first_index(), follower_last + 1) << "3 cannot be caught up by log";
    EXPECT_EQ(c.raft(3).log().last_index(), follower_last);
  }

  const tracker::Progress& progress() const { return c.raft(1).tracker().progress.at(3); }

  std::vector<Message> snapshots_delivered_to_3() const {
    std::vector<Message> out;
    for (const Message& m : c.delivered()) {
      if (m.type == MessageType::kSnapshot && m.to == 3) out.push_back(m);
    }
    return out;
  }
};

TEST(RaftSnapshot, FollowerBehindCompactionIsCaughtUpWithASnapshot) {
  Behind b;
  ASSERT_EQ(b.progress().state, ProgressState::kProbe);
  b.c.heal();
  b.c.clear_delivered();

  // One heartbeat round tells the leader that 3 is back; record every state its Progress passes.
  b.c.tick(1);
  std::vector<ProgressState> states{b.progress().state};
  for (int round = 0; round < 100 && b.c.step_round(); ++round) {
    if (b.progress().state != states.back()) states.push_back(b.progress().state);
  }
  EXPECT_EQ(states, (std::vector{ProgressState::kProbe, ProgressState::kSnapshot,
                                 ProgressState::kReplicate}));

  const auto snaps = b.snapshots_delivered_to_3();
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(snaps[0].from, 1u);
  EXPECT_EQ(snaps[0].snapshot.metadata.index, b.snap);
  EXPECT_EQ(snaps[0].snapshot.metadata.conf_state.voters, (Ids{1, 2, 3}));
  EXPECT_EQ(snaps[0].snapshot.data, b.data);

  // 3 installed it: its log now starts after the snapshot, and its state covers it.
  EXPECT_EQ(b.c.storage(3).snapshot()->metadata.index, b.snap);
  EXPECT_EQ(b.c.storage(3).snapshot()->data, b.data);
  EXPECT_EQ(b.c.storage(3).first_index(), b.snap + 1);
  EXPECT_EQ(b.c.raft(3).log().first_index(), b.snap + 1);
  EXPECT_EQ(b.c.raft(3).log().committed(), b.snap);
  EXPECT_EQ(b.c.node(3).status().applied, b.snap);
  EXPECT_EQ(b.c.storage(3).hard_state().commit, b.snap);
  // The entries the snapshot covers were never applied one by one.
  EXPECT_EQ(b.c.applied_data(3), std::vector<std::string>{"before"});
  EXPECT_EQ(b.progress().match, b.snap);

  // Later entries reach 3 by ordinary replication and are applied.
  b.c.clear_delivered();
  ASSERT_EQ(b.c.propose(1, "after"), Error::kOk);
  EXPECT_TRUE(b.snapshots_delivered_to_3().empty());
  EXPECT_EQ(b.c.applied_data(3), (std::vector<std::string>{"before", "after"}));
  EXPECT_EQ(b.c.member(3).applied.back().index, b.c.raft(1).log().last_index());
  EXPECT_EQ(b.progress().state, ProgressState::kReplicate);
  EXPECT_EQ(b.progress().match, b.c.raft(1).log().last_index());
}

TEST(RaftSnapshot, FailedSnapshotIsReportedAndSentAgain) {
  Behind b;
  b.c.heal();
  // The snapshot is lost on the way (the host's stream fails).
  b.c.add_filter([](const Message& m) { return m.type == MessageType::kSnapshot; });
  b.c.tick(1);
  ASSERT_TRUE(b.c.stabilize());
  ASSERT_EQ(b.progress().state, ProgressState::kSnapshot);
  EXPECT_EQ(b.progress().pending_snapshot, b.snap);

  // While a snapshot is in flight nothing else is sent to 3, however long it takes.
  b.c.clear_delivered();
  for (int i = 0; i < 5; ++i) {
    b.c.tick(1);
    ASSERT_TRUE(b.c.stabilize());
  }
  for (const Message& m : b.c.delivered()) {
    EXPECT_FALSE(m.to == 3 && m.type == MessageType::kAppend) << "append while snapshotting";
  }
  EXPECT_EQ(b.progress().state, ProgressState::kSnapshot);

  // The host reports the failure: back to probing, the pending snapshot forgotten.
  b.c.node(1).report_snapshot(3, false);
  EXPECT_EQ(b.progress().state, ProgressState::kProbe);
  EXPECT_EQ(b.progress().pending_snapshot, 0u);
  EXPECT_EQ(b.progress().next, b.progress().match + 1);

  // The next heartbeat answer makes the leader try again; this time it arrives.
  b.c.heal();
  b.c.clear_delivered();
  for (int i = 0; i < 10 && b.progress().state != ProgressState::kReplicate; ++i) {
    b.c.tick(1);
    ASSERT_TRUE(b.c.stabilize());
  }
  EXPECT_EQ(b.progress().state, ProgressState::kReplicate);
  EXPECT_EQ(b.snapshots_delivered_to_3().size(), 1u);
  EXPECT_EQ(b.c.storage(3).snapshot()->metadata.index, b.snap);
  ASSERT_EQ(b.c.propose(1, "after"), Error::kOk);
  EXPECT_EQ(b.c.applied_data(3).back(), "after");
}

TEST(RaftSnapshot, SucceededSnapshotIsReportedAndReplicationResumesAfterIt) {
  Behind b;
  b.c.heal();
  // 3 installs the snapshot, but its acknowledgement is lost.
  b.c.add_filter(
      [](const Message& m) { return m.from == 3 && m.type == MessageType::kAppendResponse; });
  b.c.tick(1);
  ASSERT_TRUE(b.c.stabilize());
  ASSERT_EQ(b.c.storage(3).snapshot()->metadata.index, b.snap);
  ASSERT_EQ(b.progress().state, ProgressState::kSnapshot);

  // A report for a member that is not being sent a snapshot changes nothing.
  const std::string before = b.c.raft(1).tracker().progress.at(2).describe();
  b.c.node(1).report_snapshot(2, false);
  EXPECT_EQ(b.c.raft(1).tracker().progress.at(2).describe(), before);

  // The host reports success: the leader probes from just after the snapshot.
  b.c.node(1).report_snapshot(3, true);
  EXPECT_EQ(b.progress().state, ProgressState::kProbe);
  EXPECT_EQ(b.progress().pending_snapshot, 0u);
  EXPECT_EQ(b.progress().next, b.snap + 1);

  b.c.heal();
  b.c.clear_delivered();
  ASSERT_EQ(b.c.propose(1, "after"), Error::kOk);
  for (int i = 0; i < 10 && b.c.applied_data(3).back() != "after"; ++i) b.c.tick_all();
  EXPECT_EQ(b.c.applied_data(3).back(), "after");
  EXPECT_EQ(b.progress().state, ProgressState::kReplicate);
  EXPECT_TRUE(b.snapshots_delivered_to_3().empty()) << "not sent a second time";
}

TEST(RaftSnapshot, StaleOrForeignSnapshotIsIgnored) {
  enum Expect { kIgnored, kRestored };
  struct Case {
    const char* name;
    // Snapshot index relative to the follower's commit index (negative: older).
    int offset;
    ConfState conf;
    Expect expect;
  };
  const std::vector<Case> cases = {
      {"older than the follower's commit", -1, ConfState{.voters = {1, 2, 3}}, kIgnored},
      {"at the follower's commit", 0, ConfState{.voters = {1, 2, 3}}, kIgnored},
      {"configuration without the follower", 3, ConfState{.voters = {1, 2}}, kIgnored},
      {"configuration without the follower, learners", 3,
       ConfState{.voters = {1, 2}, .learners = {4}}, kIgnored},
      {"follower is a voter", 3, ConfState{.voters = {1, 2, 3}}, kRestored},
      {"follower is a learner", 3, ConfState{.voters = {1, 2}, .learners = {3}}, kRestored},
      {"follower is only an outgoing voter", 3,
       ConfState{.voters = {1, 2}, .voters_outgoing = {1, 2, 3}}, kRestored},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Cluster c({1, 2, 3});
    ASSERT_TRUE(c.elect(1));
    for (int i = 0; i < 3; ++i) ASSERT_EQ(c.propose(1, "a" + std::to_string(i)), Error::kOk);
    // 3 stops hearing from the leader (its answers still arrive) while more commits.
    c.add_filter([](const Message& m) { return m.to == 3; });
    for (int i = 0; i < 5; ++i) ASSERT_EQ(c.propose(1, "b" + std::to_string(i)), Error::kOk);
    const Index commit = c.raft(3).log().committed();
    const Index last = c.raft(3).log().last_index();
    ASSERT_GT(c.raft(1).log().committed(), commit + 3);

    Message m{.type = MessageType::kSnapshot, .to = 3, .from = 1, .term = c.raft(1).term()};
    m.snapshot.metadata.index = commit + tc.offset;
    m.snapshot.metadata.term = c.raft(1).log().term(m.snapshot.metadata.index).value();
    m.snapshot.metadata.conf_state = tc.conf;
    m.snapshot.data = "snap";
    c.clear_delivered();
    ASSERT_EQ(c.node(3).step(m), Error::kOk);
    ASSERT_TRUE(c.stabilize());

    // 3 answers either way, with where its log now stands.
    std::vector<Message> answers;
    for (const Message& d : c.delivered()) {
      if (d.from == 3 && d.type == MessageType::kAppendResponse) answers.push_back(d);
    }
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_FALSE(answers[0].reject);
    if (tc.expect == kIgnored) {
      EXPECT_EQ(answers[0].index, commit);
      EXPECT_TRUE(c.storage(3).snapshot()->data.empty()) << "only the bootstrap snapshot";
      EXPECT_EQ(c.storage(3).snapshot()->metadata.index, 1u);
      EXPECT_EQ(c.raft(3).log().last_index(), last);
      EXPECT_EQ(c.raft(3).log().committed(), commit);
      EXPECT_EQ(c.node(3).status().conf_state, (ConfState{.voters = {1, 2, 3}}));
    } else {
      const Index index = m.snapshot.metadata.index;
      EXPECT_EQ(answers[0].index, index);
      EXPECT_EQ(c.storage(3).snapshot()->metadata, m.snapshot.metadata);
      EXPECT_EQ(c.storage(3).snapshot()->data, "snap");
      EXPECT_EQ(c.raft(3).log().first_index(), index + 1);
      EXPECT_EQ(c.raft(3).log().committed(), index);
      EXPECT_EQ(c.node(3).status().applied, index);
      EXPECT_EQ(c.node(3).status().conf_state, tc.conf);
    }
  }
}

TEST(RaftSnapshot, RestartedMemberRecoversFromStoredSnapshotAndLog) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  for (int i = 0; i < 10; ++i) ASSERT_EQ(c.propose(1, "a" + std::to_string(i)), Error::kOk);

  // 2's host snapshots and compacts its own log, then more is written after the snapshot.
  const Status st = c.node(2).status();
  const Index snap = st.applied;
  ASSERT_TRUE(c.storage(2).create_snapshot(snap, &st.conf_state, "state").has_value());
  ASSERT_FALSE(c.storage(2).compact(snap).has_value());
  for (int i = 0; i < 5; ++i) ASSERT_EQ(c.propose(1, "b" + std::to_string(i)), Error::kOk);
  const Index last = c.raft(2).log().last_index();
  const HardState hs = c.storage(2).hard_state();
  const size_t applied_count = c.member(2).applied.size();

  c.crash(2);
  // The others go on without it.
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.propose(1, "c" + std::to_string(i)), Error::kOk);
  c.restart(2);

  // Before hearing from anyone, it holds exactly what it stored.
  EXPECT_EQ(c.raft(2).log().first_index(), snap + 1);
  EXPECT_EQ(c.raft(2).log().last_index(), last);
  EXPECT_EQ(c.raft(2).hard_state(), hs);
  EXPECT_EQ(c.node(2).status().conf_state, (ConfState{.voters = {1, 2, 3}}));
  EXPECT_EQ(c.raft(2).role(), Role::kFollower);

  // Then it catches up by log (the leader never compacted) and applies each entry once.
  for (int i = 0; i < 20 && c.raft(2).log().committed() < c.raft(1).log().committed(); ++i) {
    c.tick_all();
  }
  EXPECT_EQ(c.applied_data(2), c.applied_data(1));
  EXPECT_GT(c.member(2).applied.size(), applied_count);
  Index prev = 0;
  for (const Entry& e : c.member(2).applied) {
    EXPECT_GT(e.index, prev) << "applied twice";
    prev = e.index;
  }
  ASSERT_EQ(c.propose(1, "d"), Error::kOk);
  EXPECT_EQ(c.applied_data(2).back(), "d");
}

TEST(RaftSnapshot, RestartedMemberRecoversConfigurationChangedAfterItsSnapshot) {
  // The storage's snapshot (the bootstrap one) names voters 1 2 3; the log after it removes 3.
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  ConfChange cc;
  cc.changes.push_back({ConfChangeType::kRemoveNode, 3});
  ASSERT_EQ(c.node(1).propose_conf_change(cc), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  ASSERT_EQ(c.node(2).status().conf_state, (ConfState{.voters = {1, 2}}));
  ASSERT_EQ(c.propose(1, "a"), Error::kOk);

  c.crash(2);
  c.restart(2);
  // Until it has replayed the committed removal it must not campaign: as leader it would count 3
  // toward its quorum.
  EXPECT_EQ(c.node(2).campaign(), Error::kConfChangePending);
  // Its first Ready replays the log after the snapshot, removal included.
  c.stabilize();
  EXPECT_EQ(c.node(2).status().conf_state, (ConfState{.voters = {1, 2}}));
  for (int i = 0; i < 20; ++i) c.tick_all();
  EXPECT_EQ(c.node(2).status().conf_state, (ConfState{.voters = {1, 2}}));
  EXPECT_EQ(c.applied_data(2), std::vector<std::string>{"a"});
}

TEST(RaftSnapshot, MemberRestoredFromLeaderSnapshotSurvivesRestart) {
  Behind b;
  b.c.heal();
  for (int i = 0; i < 10 && b.c.raft(3).log().committed() < b.snap; ++i) b.c.tick_all();
  ASSERT_EQ(b.c.storage(3).snapshot()->metadata.index, b.snap);

  b.c.crash(3);
  b.c.restart(3);
  EXPECT_EQ(b.c.raft(3).log().first_index(), b.snap + 1);
  EXPECT_EQ(b.c.raft(3).log().committed(), b.snap);
  EXPECT_EQ(b.c.node(3).status().applied, b.snap) << "what the snapshot covers is applied";
  EXPECT_EQ(b.c.node(3).status().conf_state, (ConfState{.voters = {1, 2, 3}}));

  ASSERT_EQ(b.c.propose(1, "after"), Error::kOk);
  for (int i = 0; i < 10 && b.c.applied_data(3).back() != "after"; ++i) b.c.tick_all();
  EXPECT_EQ(b.c.applied_data(3), (std::vector<std::string>{"before", "after"}));
  EXPECT_EQ(b.c.raft(1).tracker().progress.at(3).state, ProgressState::kReplicate);
}

TEST(RaftSnapshot, WholeClusterRestartsFromCompactedStorage) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  for (int i = 0; i < 6; ++i) ASSERT_EQ(c.propose(1, "a" + std::to_string(i)), Error::kOk);
  for (NodeId id : c.ids()) {
    const Status st = c.node(id).status();
    ASSERT_TRUE(c.storage(id).create_snapshot(st.applied - 2, &st.conf_state, "s").has_value());
    ASSERT_FALSE(c.storage(id).compact(st.applied - 2).has_value());
  }
  for (NodeId id : c.ids()) c.crash(id);
  for (NodeId id : c.ids()) c.restart(id);

  for (int i = 0; i < 100 && !c.leader(); ++i) c.tick_all();
  const auto leader = c.leader();
  ASSERT_TRUE(leader.has_value());
  ASSERT_EQ(c.propose(*leader, "b"), Error::kOk);
  for (NodeId id : c.ids()) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.applied_data(id).back(), "b");
    EXPECT_EQ(c.applied_data(id).size(), 7u) << "nothing applied twice";
  }
}

}  // namespace
}  // namespace regent::raft
