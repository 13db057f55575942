// Several Readys outstanding (raw_node.h): what one Ready handed out is never handed out again,
// a leader replicates a later round while an earlier one is still being written and counts
// itself only when its write is acknowledged, and entries replaced while being written are
// written again.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "raft/raw_node.h"
#include "solo_node.h"
#include "support/raft_printers.h"

namespace regent::raft {
namespace {

using testing::of_type;
using testing::Solo;

void persist(Solo& s, const Ready& rd) {
  if (rd.snapshot) s.storage().apply_snapshot(*rd.snapshot);
  s.storage().append(rd.entries);
  if (rd.hard_state) s.storage().set_hard_state(*rd.hard_state);
}

Message append_response(NodeId from, Term term, Index index) {
  return Message{.type = MessageType::kAppendResponse, .from = from, .term = term, .index = index};
}

TEST(RaftPipeline, ALeaderSendsTheNextRoundWhileTheFirstIsWrittenAndCountsItselfOnlyOnceDurable) {
  Solo s;
  s.lead(/*acked=*/true);
  const Term term = s.raft().term();
  const Index base = s.raft().log().last_index();

  ASSERT_EQ(s.node().propose("a"), Error::kOk);
  Ready first = s.node().ready();
  ASSERT_EQ(first.entries.size(), 1u);
  EXPECT_EQ(first.entries[0].index, base + 1);

  // The first round is not written yet; the next proposal still goes out at once, alone.
  ASSERT_EQ(s.node().propose("b"), Error::kOk);
  ASSERT_TRUE(s.node().has_ready());
  Ready second = s.node().ready();
  ASSERT_EQ(second.entries.size(), 1u);
  EXPECT_EQ(second.entries[0].index, base + 2);
  EXPECT_EQ(second.entries[0].data, "b");
  EXPECT_FALSE(of_type(second.messages, MessageType::kAppend).empty());
  EXPECT_EQ(s.node().outstanding(), 2u);

  // One follower has both; without the leader's own durable write that is not a majority.
  s.step(append_response(2, term, base + 2));
  EXPECT_EQ(s.raft().log().committed(), base);
  std::vector<Ready> rounds;
  rounds.push_back(std::move(first));
  rounds.push_back(std::move(second));
  if (s.node().has_ready()) {
    rounds.push_back(s.node().ready());
    EXPECT_TRUE(rounds.back().entries.empty()) << "entries handed out twice";
    EXPECT_TRUE(rounds.back().committed_entries.empty());
  }

  persist(s, rounds[0]);
  s.node().advance();
  EXPECT_EQ(s.raft().log().committed(), base + 1) << "the leader counts its first round";
  for (size_t i = 1; i < rounds.size(); ++i) {
    persist(s, rounds[i]);
    s.node().advance();
  }
  EXPECT_EQ(s.node().outstanding(), 0u);
  EXPECT_EQ(s.raft().log().committed(), base + 2);

  Ready apply = s.node().ready();
  ASSERT_EQ(apply.committed_entries.size(), 2u);
  EXPECT_EQ(apply.committed_entries[0].data, "a");
  EXPECT_EQ(apply.committed_entries[1].data, "b");
  s.node().advance();
  EXPECT_EQ(s.raft().log().applied(), base + 2);
}

TEST(RaftPipeline, AMajorityOfFollowersCommitsWhileTheLeadersOwnWriteIsInProgress) {
  Solo s;
  s.lead(/*acked=*/true);
  const Term term = s.raft().term();
  const Index base = s.raft().log().last_index();
  ASSERT_EQ(s.node().propose("a"), Error::kOk);
  Ready written = s.node().ready();  // Being written; not acknowledged in this test until last.

  s.step(append_response(2, term, base + 1));
  s.step(append_response(3, term, base + 1));
  EXPECT_EQ(s.raft().log().committed(), base + 1);
  Ready next = s.node().ready();
  ASSERT_EQ(next.committed_entries.size(), 1u) << "committed on two followers: applied at once";
  EXPECT_EQ(next.committed_entries[0].data, "a");
  EXPECT_TRUE(next.entries.empty());
  EXPECT_FALSE(s.node().has_ready()) << "the committed entry handed out twice";

  persist(s, written);
  s.node().advance();
  s.node().advance();
  EXPECT_EQ(s.raft().log().applied(), base + 1);
}

TEST(RaftPipeline, EntriesReplacedWhileBeingWrittenAreWrittenAgainAndOnlyTheNewOnesCountStable) {
  Solo s;
  Message old_leader{.type = MessageType::kAppend, .from = 2, .term = 2, .log_term = 1, .index = 1};
  old_leader.entries = {Entry{.term = 2, .index = 2, .data = "old2"},
                        Entry{.term = 2, .index = 3, .data = "old3"}};
  ASSERT_EQ(s.step(old_leader), Error::kOk);
  Ready first = s.node().ready();
  ASSERT_EQ(first.entries.size(), 2u);

  // A newer leader overwrites index 2 while the first write is in progress.
  Message new_leader{.type = MessageType::kAppend, .from = 3, .term = 3, .log_term = 1, .index = 1};
  new_leader.entries = {Entry{.term = 3, .index = 2, .data = "new2"}};
  ASSERT_EQ(s.step(new_leader), Error::kOk);
  Ready second = s.node().ready();
  ASSERT_EQ(second.entries.size(), 1u);
  EXPECT_EQ(second.entries[0].term, 3u);
  EXPECT_EQ(second.entries[0].data, "new2");

  // The old write completing must not mark the replacement stable.
  persist(s, first);
  s.node().advance();
  EXPECT_EQ(s.raft().log().unstable_entries().size(), 1u);
  EXPECT_EQ(s.raft().log().last_index(), 2u);
  EXPECT_EQ(s.raft().log().zero_term_on_error(2), 3u);

  persist(s, second);
  s.node().advance();
  EXPECT_TRUE(s.raft().log().unstable_entries().empty());
  EXPECT_EQ(s.raft().log().last_index(), 2u);
  EXPECT_EQ(s.raft().log().zero_term_on_error(2), 3u);
  EXPECT_EQ(s.storage().last_index(), 2u);
  EXPECT_FALSE(s.node().has_ready());
}

}  // namespace
}  // namespace regent::raft
