// The Ready contract's ordering rules (raw_node.h): promises (votes, append acknowledgements) wait
// for persistence, must_sync is set exactly when it must be, and the leader counts itself toward
// commit only after advance() while sending its entries before writing them.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/prng.h"
#include "raft/log/memory_storage.h"
#include "raft/raw_node.h"
#include "solo_node.h"
#include "support/raft_cluster.h"
#include "support/raft_printers.h"

namespace regent::raft {
namespace {

using testing::Cluster;
using testing::describe;
using testing::expect_ready_ordering;
using testing::of_type;
using testing::progress_of;
using testing::Solo;

// --- Ready ordering ------------------------------------------------------------------------

TEST(RaftReadyOrdering, VoteAndAppendAcknowledgementsWaitForPersistence) {
  Solo s;
  ASSERT_EQ(
      s.step(Message{.type = MessageType::kVote, .from = 2, .term = 2, .log_term = 1, .index = 1}),
      Error::kOk);
  Ready rd = s.cycle();
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->vote, 2u);
  EXPECT_TRUE(rd.must_sync);
  EXPECT_TRUE(of_type(rd.messages, MessageType::kVoteResponse).empty());
  ASSERT_EQ(of_type(rd.messages_after_persist, MessageType::kVoteResponse).size(), 1u);
  EXPECT_FALSE(rd.messages_after_persist[0].reject);
  expect_ready_ordering(rd);

  Message app{.type = MessageType::kAppend, .from = 2, .term = 2, .log_term = 1, .index = 1};
  app.entries = {Entry{.term = 2, .index = 2, .data = "x"}};
  ASSERT_EQ(s.step(app), Error::kOk);
  rd = s.cycle();
  EXPECT_EQ(rd.entries.size(), 1u);
  EXPECT_TRUE(rd.must_sync);
  EXPECT_TRUE(of_type(rd.messages, MessageType::kAppendResponse).empty());
  ASSERT_EQ(of_type(rd.messages_after_persist, MessageType::kAppendResponse).size(), 1u);
  EXPECT_EQ(rd.messages_after_persist[0].index, 2u);
  expect_ready_ordering(rd);

  // Even a rejection and an ack of nothing new wait: they are acks all the same.
  app.index = 50;
  app.log_term = 2;
  app.entries.clear();
  ASSERT_EQ(s.step(app), Error::kOk);
  rd = s.cycle();
  EXPECT_TRUE(rd.messages.empty());
  ASSERT_EQ(of_type(rd.messages_after_persist, MessageType::kAppendResponse).size(), 1u);
  EXPECT_TRUE(rd.messages_after_persist[0].reject);
}

TEST(RaftReadyOrdering, CandidateVoteRequestsWaitForPersistenceButPreVotesDoNot) {
  {
    SCOPED_TRACE("vote");
    Solo s({1, 2, 3}, [](Config& cfg) { cfg.pre_vote = false; });
    ASSERT_EQ(s.node().campaign(), Error::kOk);
    const Ready rd = s.cycle();
    ASSERT_TRUE(rd.hard_state.has_value());
    EXPECT_EQ(rd.hard_state->term, 2u);
    EXPECT_EQ(rd.hard_state->vote, 1u);
    EXPECT_TRUE(rd.must_sync);
    EXPECT_TRUE(of_type(rd.messages, MessageType::kVote).empty());
    const auto votes = of_type(rd.messages_after_persist, MessageType::kVote);
    ASSERT_EQ(votes.size(), 2u);
    EXPECT_EQ(std::set<NodeId>({votes[0].to, votes[1].to}), (std::set<NodeId>{2, 3}));
    expect_ready_ordering(rd);
  }
  {
    SCOPED_TRACE("pre-vote");
    Solo s;
    ASSERT_EQ(s.node().campaign(), Error::kOk);
    Ready rd = s.cycle();
    EXPECT_FALSE(rd.hard_state.has_value()) << "a pre-vote changes neither term nor vote";
    EXPECT_FALSE(rd.must_sync);
    EXPECT_EQ(of_type(rd.messages, MessageType::kPreVote).size(), 2u);
    EXPECT_TRUE(rd.messages_after_persist.empty());
    expect_ready_ordering(rd);

    // Winning the pre-vote moves on to the real vote, whose requests wait again.
    ASSERT_EQ(s.step(Message{.type = MessageType::kPreVoteResponse, .from = 2, .term = 2}),
              Error::kOk);
    rd = s.cycle();
    EXPECT_TRUE(rd.must_sync);
    EXPECT_EQ(of_type(rd.messages_after_persist, MessageType::kVote).size(), 2u);
    EXPECT_TRUE(of_type(rd.messages, MessageType::kVote).empty());
    expect_ready_ordering(rd);
  }
}

TEST(RaftReadyOrdering, MustSyncExactlyWhenEntriesTermOrVoteChange) {
  struct Case {
    std::string name;
    Message msg;
    bool want_sync;
  };
  // The follower holds [2, 6] of term 2 with 3 committed; its leader is 2.
  const std::vector<Case> cases = {
      {"new entries",
       {.type = MessageType::kAppend,
        .term = 2,
        .log_term = 2,
        .index = 6,
        .entries = {Entry{.term = 2, .index = 7}},
        .commit = 3},
       true},
      {"term change only",
       {.type = MessageType::kHeartbeat, .from = 3, .term = 4, .commit = 3},
       true},
      {"vote", {.type = MessageType::kVote, .from = 3, .term = 4, .log_term = 2, .index = 6}, true},
      {"commit only", {.type = MessageType::kHeartbeat, .term = 2, .commit = 5}, false},
      {"nothing changes", {.type = MessageType::kHeartbeat, .term = 2, .commit = 3}, false},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Solo s({1, 2, 3}, [](Config& cfg) { cfg.check_quorum = false; });  // No lease: votes count.
    ASSERT_NO_FATAL_FAILURE(s.follow(/*leader=*/2, /*term=*/2, /*last=*/6, /*commit=*/3));
    Message m = tc.msg;
    if (m.from == kNone) m.from = 2;
    ASSERT_EQ(s.step(m), Error::kOk);
    ASSERT_TRUE(s.node().has_ready());
    const Ready rd = s.cycle();
    EXPECT_EQ(rd.must_sync, tc.want_sync);
    expect_ready_ordering(rd);
  }
}

TEST(RaftReadyOrdering, LeaderCountsItselfTowardCommitOnlyAfterAdvance) {
  Solo s({1});
  ASSERT_EQ(s.node().campaign(), Error::kOk);
  Ready rd = s.cycle();
  ASSERT_EQ(s.raft().role(), Role::kLeader);
  ASSERT_EQ(rd.entries.size(), 1u) << "the no-op";
  EXPECT_TRUE(rd.committed_entries.empty());
  rd = s.cycle();
  ASSERT_EQ(rd.committed_entries.size(), 1u);
  EXPECT_EQ(rd.committed_entries[0].index, 2u);
  ASSERT_FALSE(s.node().has_ready());

  ASSERT_EQ(s.node().propose("x"), Error::kOk);
  ASSERT_TRUE(s.node().has_ready());
  rd = s.node().ready();
  ASSERT_EQ(rd.entries.size(), 1u);
  EXPECT_EQ(rd.entries[0].data, "x");
  EXPECT_TRUE(rd.committed_entries.empty()) << "committed before it was durable";
  EXPECT_TRUE(!rd.hard_state || rd.hard_state->commit == 2u);
  EXPECT_EQ(s.raft().log().committed(), 2u);
  s.storage().append(rd.entries);
  if (rd.hard_state) s.storage().set_hard_state(*rd.hard_state);
  s.node().advance();

  ASSERT_TRUE(s.node().has_ready());
  rd = s.cycle();
  EXPECT_TRUE(rd.entries.empty());
  ASSERT_EQ(rd.committed_entries.size(), 1u);
  EXPECT_EQ(rd.committed_entries[0].data, "x");
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->commit, 3u);
  EXPECT_FALSE(rd.must_sync) << "a commit-only change may be written lazily";
}

TEST(RaftReadyOrdering, LeaderSendsEntriesWhileWritingThem) {
  Solo s;
  ASSERT_NO_FATAL_FAILURE(s.lead(/*acked=*/true));
  ASSERT_EQ(s.node().propose("y"), Error::kOk);
  const Ready rd = s.cycle();
  ASSERT_EQ(rd.entries.size(), 1u);
  const auto appends = of_type(rd.messages, MessageType::kAppend);
  bool carried = false;
  for (const Message& m : appends) {
    carried |= m.to == 2 && m.entries.size() == 1 && m.entries[0] == rd.entries[0];
  }
  EXPECT_TRUE(carried) << "the append may go out before the leader's own write completes";
  EXPECT_TRUE(rd.committed_entries.empty());
  expect_ready_ordering(rd);
}

}  // namespace
}  // namespace regent::raft
