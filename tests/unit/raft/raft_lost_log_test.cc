// A member whose disk lost entries it had acknowledged (a damaged sector, an emptied data dir):
// Raft assumes this never happens, so the core must notice it and keep it from turning into a
// lost committed write (see "Lost log" in raft.h):
//  - the leader learns the follower's real log end and sends it what it lost, instead of
//    heartbeating forever a follower it believes is in sync;
//  - until the member has caught up, it neither votes nor campaigns, so it cannot help elect a
//    leader that lacks the entries its lost acknowledgements helped commit.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "raft/log/memory_storage.h"
#include "raft/raw_node.h"
#include "support/raft_cluster.h"

namespace regent::raft {
namespace {

using testing::Cluster;

// Replaces a crashed member's storage by a copy that keeps its snapshot and its entries up to
// keep_up_to only, with the given hard state: what a disk that lost the rest would recover.
void lose_log_after(Cluster& c, NodeId id, Index keep_up_to, HardState hs) {
  const MemoryStorage& old = c.storage(id);
  auto kept = std::make_unique<MemoryStorage>();
  auto snap = old.snapshot();
  ASSERT_TRUE(snap.has_value());
  if (snap->metadata.index > 0) {
    ASSERT_FALSE(kept->apply_snapshot(*snap).has_value());
  }
  auto entries = old.entries(old.first_index(), keep_up_to + 1, UINT64_MAX);
  ASSERT_TRUE(entries.has_value());
  kept->append(*entries);
  kept->set_hard_state(hs);
  c.member(id).storage = std::move(kept);
}

// Crashes member id, loses its log after keep_up_to (lose_log_after) and restarts it.
void crash_losing_log_after(Cluster& c, NodeId id, Index keep_up_to, HardState hs) {
  c.crash(id);
  lose_log_after(c, id, keep_up_to, hs);
  c.restart(id);
}

Cluster three() {
  return Cluster({1, 2, 3}, [](Config& c) {
    c.pre_vote = true;
    c.check_quorum = true;
  });
}

TEST(RaftLostLog, AFollowerThatLostItsTailUnnoticedIsProbedBackAndCatchesUp) {
  Cluster c = three();
  ASSERT_TRUE(c.elect(1));
  for (int i = 0; i < 8; ++i) ASSERT_EQ(c.propose(1, "v" + std::to_string(i)), Error::kOk);
  const Index last = c.raft(1).log().last_index();
  ASSERT_EQ(c.raft(3).log().last_index(), last);

  // The damage took the hard state with the entries, so member 3 cannot tell by itself.
  const Index kept = last - 6;
  crash_losing_log_after(c, 3, kept,
                         HardState{.term = c.raft(1).term(), .vote = 1, .commit = kept});
  c.tick_all(5);

  EXPECT_EQ(c.raft(1).lost_log_reports(), 1u);
  EXPECT_EQ(c.raft(3).log().last_index(), last);
  EXPECT_EQ(c.raft(3).log().committed(), c.raft(1).log().committed());
  EXPECT_EQ(c.raft(3).catching_up_to(), 0u) << "caught up, it votes again";
  ASSERT_EQ(c.propose(1, "after"), Error::kOk);
  EXPECT_EQ(c.raft(3).log().last_index(), last + 1);
}

TEST(RaftLostLog, AMemberThatLostCommittedEntriesDoesNotHelpElectALeaderWithoutThem) {
  Cluster c = three();
  ASSERT_TRUE(c.elect(1));
  ASSERT_EQ(c.propose(1, "a"), Error::kOk);
  const Index before = c.raft(1).log().last_index();
  // "b" and "c" are committed by 1 and 3 while 2 is cut off.
  c.isolate(2);
  ASSERT_EQ(c.propose(1, "b"), Error::kOk);
  ASSERT_EQ(c.propose(1, "c"), Error::kOk);
  c.tick_all(2);
  const Index committed = c.raft(1).log().committed();
  ASSERT_EQ(committed, before + 2);
  ASSERT_EQ(c.raft(3).log().committed(), committed);

  // Member 3 loses b and c but keeps the hard state that says they were committed; then the
  // leader dies and 2 comes back, with a log that lacks them.
  crash_losing_log_after(c, 3, before, c.storage(3).hard_state());
  EXPECT_EQ(c.raft(3).catching_up_to(), committed);
  c.crash(1);
  c.heal();
  c.tick_all(200);
  EXPECT_FALSE(c.leader().has_value())
      << "member " << *c.leader() << " leads without the committed entries b and c";
  EXPECT_EQ(c.raft(3).role(), Role::kFollower) << "a member catching up never campaigns";

  // The old leader returns: it is elected with its complete log, and everyone ends with a, b, c.
  c.restart(1);
  c.tick_all(200);
  ASSERT_TRUE(c.leader().has_value());
  ASSERT_EQ(c.propose(*c.leader(), "d"), Error::kOk);
  c.tick_all(5);
  const std::vector<std::string> want = {"a", "b", "c", "d"};
  for (NodeId id : {1, 2}) EXPECT_EQ(c.applied_data(id), want) << "member " << id;
  EXPECT_EQ(c.raft(3).catching_up_to(), 0u);
  EXPECT_GE(c.raft(3).log().committed(), committed + 1);
}

TEST(RaftLostLog, AMemberCatchingUpRefusesVotesAndPreVotes) {
  Cluster c = three();
  ASSERT_TRUE(c.elect(1));
  ASSERT_EQ(c.propose(1, "a"), Error::kOk);
  const Index last = c.raft(1).log().last_index();
  crash_losing_log_after(c, 3, last - 1,
                         HardState{.term = c.raft(1).term(), .vote = 1, .commit = last});
  ASSERT_EQ(c.raft(3).catching_up_to(), last);
  c.clear_delivered();
  for (MessageType type : {MessageType::kPreVote, MessageType::kVote}) {
    SCOPED_TRACE(to_string(type));
    Message m{.type = type, .to = 3, .from = 2, .term = c.raft(3).term() + 1};
    m.index = last + 10;  // A candidate whose log is more up to date than ours.
    m.log_term = m.term;
    ASSERT_EQ(c.node(3).step(m), Error::kOk);
    ASSERT_TRUE(c.node(3).has_ready());
    Ready rd = c.node(3).ready();
    std::vector<Message> out = rd.messages;
    out.insert(out.end(), rd.messages_after_persist.begin(), rd.messages_after_persist.end());
    c.storage(3).append(rd.entries);
    if (rd.hard_state) c.storage(3).set_hard_state(*rd.hard_state);
    c.node(3).advance();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].reject);
    EXPECT_NE(c.raft(3).vote(), 2u) << "no vote for the candidate";
  }
}

}  // namespace
}  // namespace regent::raft
