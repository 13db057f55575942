// What the core does with messages it should not trust: unknown senders, stale terms,
// out-of-range and malformed indexes, misaddressed messages.
//
// The core checks its invariants after every input in Debug builds (RawNode::guarded), so these
// tests must run in a Debug build to mean what they say; they also call check_invariants()
// themselves where it matters.
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
using testing::of_type;
using testing::progress_of;
using testing::Solo;

// --- Unknown members -----------------------------------------------------------------------

TEST(RaftRobustness, LeaderIgnoresResponsesFromUnknownMembers) {
  struct Case {
    std::string name;
    Message msg;
  };
  const std::vector<Case> cases = {
      {"append ack", {.type = MessageType::kAppendResponse, .index = 2}},
      {"append ack far ahead", {.type = MessageType::kAppendResponse, .index = 1000}},
      {"append reject",
       {.type = MessageType::kAppendResponse, .index = 2, .reject = true, .reject_hint = 0}},
      {"heartbeat response", {.type = MessageType::kHeartbeatResponse}},
      {"heartbeat response with read context",
       {.type = MessageType::kHeartbeatResponse, .context = "ctx"}},
      {"vote response", {.type = MessageType::kVoteResponse}},
      {"pre-vote response", {.type = MessageType::kPreVoteResponse}},
      {"timeout-now", {.type = MessageType::kTimeoutNow}},
      {"append from a stranger", {.type = MessageType::kAppend, .log_term = 2, .index = 2}},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Solo s;
    ASSERT_NO_FATAL_FAILURE(s.lead(/*acked=*/false));
    const Term term = s.raft().term();
    const Index last = s.raft().log().last_index();
    const Index commit = s.raft().log().committed();
    const auto progress = progress_of(s.node());

    Message m = tc.msg;
    m.from = 9;
    m.term = term;
    EXPECT_EQ(s.step(m), Error::kOk);
    const std::vector<Message> out = s.drain();

    EXPECT_EQ(s.raft().role(), Role::kLeader);
    EXPECT_EQ(s.raft().term(), term);
    EXPECT_EQ(s.raft().log().last_index(), last);
    EXPECT_EQ(s.raft().log().committed(), commit);
    EXPECT_EQ(progress_of(s.node()), progress);
    EXPECT_FALSE(s.raft().tracker().progress.contains(9));
    for (const Message& o : out) EXPECT_NE(o.to, 9u) << to_string(o.type);
    s.raft().check_invariants();
  }
}

TEST(RaftRobustness, ClusterKeepsWorkingAfterTrafficFromUnknownMembers) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  const Term term = c.raft(1).term();
  for (NodeId stranger : {4, 9, 1000}) {
    for (MessageType type : {MessageType::kAppendResponse, MessageType::kHeartbeatResponse}) {
      Message m{.type = type, .to = 1, .from = stranger, .term = term, .index = 50};
      EXPECT_EQ(c.node(1).step(m), Error::kOk);
    }
  }
  ASSERT_TRUE(c.stabilize());
  EXPECT_EQ(c.leader(), 1u);
  EXPECT_EQ(c.propose(1, "still-works"), Error::kOk);
  for (NodeId id : c.ids()) {
    EXPECT_EQ(c.applied_data(id), std::vector<std::string>{"still-works"}) << id;
  }
}

// --- Stale terms -------------------------------------------------------------------------

TEST(RaftRobustness, StaleTermMessagesAreIgnoredOrAnsweredWithOurTerm) {
  struct Case {
    std::string name;
    Message msg;
    // Whether exactly one answer is expected, of which type, and whether it must refuse (unset:
    // either; what matters is that it names our term).
    bool answered;
    MessageType answer_type;
    std::optional<bool> answer_rejects;
  };
  const Term kStale = 3;
  const std::vector<Case> cases = {
      {"append",
       {.type = MessageType::kAppend,
        .term = kStale,
        .log_term = 2,
        .index = 6,
        .entries = {Entry{.term = kStale, .index = 7}},
        .commit = 7},
       true,
       MessageType::kAppendResponse,
       std::nullopt},
      {"heartbeat",
       {.type = MessageType::kHeartbeat, .term = kStale, .commit = 6},
       true,
       MessageType::kAppendResponse,
       std::nullopt},
      {"pre-vote",
       {.type = MessageType::kPreVote, .term = kStale + 1, .log_term = 9, .index = 99},
       true,
       MessageType::kPreVoteResponse,
       true},
      {"vote", {.type = MessageType::kVote, .term = kStale, .log_term = 9, .index = 99}, false},
      {"append response",
       {.type = MessageType::kAppendResponse, .term = kStale, .index = 6},
       false},
      {"heartbeat response", {.type = MessageType::kHeartbeatResponse, .term = kStale}, false},
      {"timeout-now", {.type = MessageType::kTimeoutNow, .term = kStale}, false},
      {"snapshot",
       {.type = MessageType::kSnapshot,
        .term = kStale,
        .snapshot = {.metadata = {.conf_state = {.voters = {1, 2, 3}}, .index = 50, .term = 3}}},
       false},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Solo s;
    ASSERT_NO_FATAL_FAILURE(s.follow(/*leader=*/2, /*term=*/5, /*last=*/6, /*commit=*/3));
    const HardState hs = s.raft().hard_state();
    const std::vector<Entry> log = s.log_entries();

    Message m = tc.msg;
    m.from = 3;
    ASSERT_EQ(s.step(m), Error::kOk);
    ASSERT_TRUE(s.node().has_ready() || !tc.answered);
    std::vector<Message> out;
    if (s.node().has_ready()) {
      const Ready rd = s.cycle();
      out = rd.messages;
      out.insert(out.end(), rd.messages_after_persist.begin(), rd.messages_after_persist.end());
    }

    EXPECT_EQ(s.raft().hard_state(), hs);
    EXPECT_EQ(s.raft().lead(), 2u);
    EXPECT_EQ(s.raft().role(), Role::kFollower);
    EXPECT_EQ(s.log_entries(), log);
    if (!tc.answered) {
      EXPECT_TRUE(out.empty()) << to_string(out.front().type);
      continue;
    }
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].type, tc.answer_type);
    EXPECT_EQ(out[0].to, 3u);
    EXPECT_EQ(out[0].term, 5u) << "the answer must carry the higher term";
    if (tc.answer_rejects) {
      EXPECT_EQ(out[0].reject, *tc.answer_rejects);
    }
  }
}

TEST(RaftRobustness, StaleLeaderStepsDownWhenAnsweredWithTheHigherTerm) {
  // Without check-quorum the cut-off leader never steps down on its own: only the answer to its
  // stale heartbeat can tell it about the new term.
  Cluster c({1, 2, 3}, [](Config& cfg) { cfg.check_quorum = false; });
  ASSERT_TRUE(c.elect(1));
  const Term old_term = c.raft(1).term();
  c.isolate(1);
  ASSERT_EQ(c.propose(1, "never-committed"), Error::kOk);
  for (int i = 0; i < 100 && c.leader().value_or(1) == 1; ++i) {
    c.tick(2);
    c.tick(3);
    ASSERT_TRUE(c.stabilize());
  }
  ASSERT_TRUE(c.leader().has_value());
  const NodeId new_leader = *c.leader();
  ASSERT_NE(new_leader, 1u);
  const Term new_term = c.raft(new_leader).term();
  ASSERT_GT(new_term, old_term);
  ASSERT_EQ(c.raft(1).role(), Role::kLeader) << "the old leader should still believe it leads";

  c.heal();
  c.clear_delivered();
  c.tick(1);  // Its stale heartbeat is answered with the new term.
  ASSERT_TRUE(c.stabilize());
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  EXPECT_EQ(c.raft(1).term(), new_term);
  bool answered = false;
  for (const Message& m : c.delivered()) {
    answered |= m.to == 1 && m.type == MessageType::kAppendResponse && m.term == new_term;
  }
  EXPECT_TRUE(answered);

  // The new leader's next heartbeat reaches the deposed one, which then catches up, dropping
  // its uncommitted entry.
  c.tick(new_leader);
  ASSERT_TRUE(c.stabilize());
  EXPECT_EQ(c.raft(1).lead(), new_leader);
  ASSERT_EQ(c.propose(new_leader, "after"), Error::kOk);
  for (NodeId id : c.ids()) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.applied_data(id), std::vector<std::string>{"after"});
    EXPECT_EQ(c.raft(id).log().last_index(), c.raft(new_leader).log().last_index());
  }
}

TEST(RaftRobustness, RedeliveredStaleHeartbeatDoesNotDerailANewLeader) {
  // A network may deliver an old message late or twice. Here member 2 receives, at term 4, a
  // heartbeat that member 1 sent as leader of term 2, while 1 leads again at term 4. 2 answers
  // the stale heartbeat with its term; 1 must not take that answer for an acknowledgement that
  // tells it where 2's log matches (it is not), and must keep replicating to 2 with appends:
  // nothing was compacted, so a snapshot is never needed.
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.elect(1));
  ASSERT_EQ(c.propose(1, "a"), Error::kOk);
  c.clear_delivered();
  c.tick(1);
  ASSERT_TRUE(c.stabilize());
  std::optional<Message> old_heartbeat;
  for (const Message& m : c.delivered()) {
    if (m.type == MessageType::kHeartbeat && m.to == 2) old_heartbeat = m;
  }
  ASSERT_TRUE(old_heartbeat.has_value());

  // Leadership goes to 2 and comes back to 1, two terms later.
  ASSERT_EQ(c.node(1).transfer_leader(2), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  ASSERT_EQ(c.leader(), 2u);
  // While 1 takes over again, its appends to 2 are delayed, so 1 does not know 2's log yet.
  c.add_filter(
      [](const Message& m) { return m.from == 1 && m.to == 2 && m.type == MessageType::kAppend; });
  ASSERT_EQ(c.node(2).transfer_leader(1), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  ASSERT_EQ(c.leader(), 1u);
  ASSERT_GT(c.raft(1).term(), old_heartbeat->term);
  ASSERT_NE(progress_of(c.node(1)).at(2).find("StateProbe"), std::string::npos);

  c.clear_delivered();
  ASSERT_EQ(c.node(2).step(*old_heartbeat), Error::kOk);  // The late copy arrives.
  ASSERT_TRUE(c.stabilize());
  EXPECT_EQ(progress_of(c.node(1)).at(2).find("StateSnapshot"), std::string::npos)
      << progress_of(c.node(1)).at(2);

  c.heal();
  ASSERT_EQ(c.propose(1, "b"), Error::kOk);
  for (int i = 0; i < 5; ++i) c.tick_all(1);
  EXPECT_EQ(c.applied_data(2), (std::vector<std::string>{"a", "b"}));
  for (const Message& m : c.delivered()) {
    EXPECT_NE(m.type, MessageType::kSnapshot) << describe(m);
  }
}

// --- Out-of-range indexes ------------------------------------------------------------------

TEST(RaftRobustness, FollowerAnswersOutOfRangeAppendsSafely) {
  // The follower holds [2, 6] of term 2 with 3 committed; its leader is 2.
  struct Case {
    std::string name;
    Message msg;
    std::function<void(const Solo&, const std::vector<Message>&)> check;
  };
  const std::vector<Case> cases = {
      {"append far beyond the last index is rejected with a usable hint",
       {.type = MessageType::kAppend,
        .log_term = 2,
        .index = 1000,
        .entries = {Entry{.term = 2, .index = 1001}},
        .commit = 1001},
       [](const Solo& s, const std::vector<Message>& out) {
         auto resp = of_type(out, MessageType::kAppendResponse);
         ASSERT_EQ(resp.size(), 1u);
         EXPECT_TRUE(resp[0].reject);
         EXPECT_EQ(resp[0].index, 1000u);
         EXPECT_LE(resp[0].reject_hint, 6u);
         EXPECT_EQ(resp[0].log_term, 2u);
         EXPECT_EQ(s.raft().log().committed(), 3u);
       }},
      {"append at a huge index is dropped or rejected",
       {.type = MessageType::kAppend, .log_term = 2, .index = UINT64_MAX - 1, .commit = 10},
       [](const Solo& s, const std::vector<Message>& out) {
         auto resp = of_type(out, MessageType::kAppendResponse);
         ASSERT_LE(resp.size(), 1u);
         if (!resp.empty()) {
           EXPECT_TRUE(resp[0].reject);
           EXPECT_LE(resp[0].reject_hint, 6u);
         }
         EXPECT_EQ(s.raft().log().committed(), 3u);
         EXPECT_EQ(s.raft().log().last_index(), 6u);
       }},
      {"append below the commit index is answered with the commit index",
       {.type = MessageType::kAppend,
        .log_term = 2,
        .index = 2,
        .entries = {Entry{.term = 2, .index = 3}, Entry{.term = 2, .index = 4}},
        .commit = 3},
       [](const Solo& s, const std::vector<Message>& out) {
         auto resp = of_type(out, MessageType::kAppendResponse);
         ASSERT_EQ(resp.size(), 1u);
         EXPECT_FALSE(resp[0].reject);
         EXPECT_EQ(resp[0].index, 3u);
         EXPECT_EQ(s.raft().log().last_index(), 6u);
       }},
      // A leader never sends a commit beyond what the follower acknowledged (send_heartbeat
      // clamps it to match). One beyond our log means we lost acknowledged entries: its commit
      // is ignored (committing up to our last index could commit a divergent tail), the answer
      // tells the leader where our log ends, and we stop voting until caught up past it.
      {"heartbeat commit beyond the log is refused with our last index",
       {.type = MessageType::kHeartbeat, .commit = 1000},
       [](const Solo& s, const std::vector<Message>& out) {
         auto resp = of_type(out, MessageType::kHeartbeatResponse);
         ASSERT_EQ(resp.size(), 1u);
         EXPECT_TRUE(resp[0].reject);
         EXPECT_EQ(resp[0].reject_hint, 6u);
         EXPECT_EQ(s.raft().log().committed(), 3u);
         EXPECT_EQ(s.raft().log().last_index(), 6u);
         EXPECT_EQ(s.raft().catching_up_to(), 1000u);
       }},
      {"heartbeat commit below ours does not move commit back",
       {.type = MessageType::kHeartbeat, .commit = 1},
       [](const Solo& s, const std::vector<Message>&) {
         EXPECT_EQ(s.raft().log().committed(), 3u);
       }},
      {"append commit beyond its own entries commits only what it carried",
       {.type = MessageType::kAppend,
        .log_term = 2,
        .index = 4,
        .entries = {Entry{.term = 2, .index = 5}},
        .commit = 1000},
       [](const Solo& s, const std::vector<Message>& out) {
         auto resp = of_type(out, MessageType::kAppendResponse);
         ASSERT_EQ(resp.size(), 1u);
         EXPECT_FALSE(resp[0].reject);
         EXPECT_EQ(resp[0].index, 5u);
         EXPECT_EQ(s.raft().log().committed(), 5u);
         EXPECT_EQ(s.raft().log().last_index(), 6u) << "a matching stale append must not truncate";
       }},
      {"append at index 0",
       {.type = MessageType::kAppend, .log_term = 0, .index = 0, .commit = 0},
       [](const Solo& s, const std::vector<Message>& out) {
         auto resp = of_type(out, MessageType::kAppendResponse);
         ASSERT_EQ(resp.size(), 1u);
         EXPECT_FALSE(resp[0].reject);
         EXPECT_EQ(resp[0].index, 3u);
         EXPECT_EQ(s.raft().log().last_index(), 6u);
       }},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Solo s;
    ASSERT_NO_FATAL_FAILURE(s.follow(/*leader=*/2, /*term=*/2, /*last=*/6, /*commit=*/3));
    Message m = tc.msg;
    m.from = 2;
    m.term = 2;
    ASSERT_EQ(s.step(m), Error::kOk);
    const std::vector<Message> out = s.drain();
    EXPECT_EQ(s.raft().term(), 2u);
    EXPECT_EQ(s.raft().lead(), 2u);
    tc.check(s, out);
    s.raft().check_invariants();
  }
}

TEST(RaftRobustness, LeaderIgnoresAcknowledgementsBeyondItsLog) {
  // A follower cannot hold what the leader never had; such an ack is stale garbage or a forgery.
  // It must not move the follower's match past the leader's log (the leader would then look for
  // entries it does not have, or try to commit them).
  struct Case {
    std::string name;
    bool replicating;  // The follower was acknowledged once (replicate) or is still probed.
    Index ack;         // Added to the leader's last index, or an absolute huge index.
    bool absolute;
  };
  const std::vector<Case> cases = {
      {"probe, one past the end", false, 1, false},
      {"probe, far past the end", false, 1000, false},
      {"replicate, one past the end", true, 1, false},
      {"replicate, far past the end", true, 1000, false},
      {"replicate, largest index", true, UINT64_MAX, true},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Solo s;
    ASSERT_NO_FATAL_FAILURE(s.lead(tc.replicating));
    const Index last = s.raft().log().last_index();
    const Index commit = s.raft().log().committed();
    const Index match_before = s.raft().tracker().progress.at(2).match;

    const Index ack = tc.absolute ? tc.ack : last + tc.ack;
    s.step(Message{
        .type = MessageType::kAppendResponse, .from = 2, .term = s.raft().term(), .index = ack});
    s.drain();
    s.raft().check_invariants();
    ASSERT_EQ(s.raft().role(), Role::kLeader);
    const auto& pr = s.raft().tracker().progress.at(2);
    EXPECT_LE(pr.match, last) << pr.describe();
    EXPECT_GE(pr.match, match_before) << pr.describe();
    EXPECT_LE(pr.next, last + 1) << pr.describe();
    EXPECT_EQ(s.raft().log().committed(), commit);

    // The leader keeps replicating real entries to the follower (a probed one waits for an
    // answer first), and never mistakes it for one that needs a snapshot.
    ASSERT_EQ(s.node().propose("after"), Error::kOk);
    const std::vector<Message> out = s.drain();
    EXPECT_TRUE(of_type(out, MessageType::kSnapshot).empty());
    bool carried = false;
    for (const Message& m : of_type(out, MessageType::kAppend)) {
      EXPECT_LE(m.index, s.raft().log().last_index());
      carried |= m.to == 2 && !m.entries.empty() && m.entries.back().data == "after";
    }
    EXPECT_EQ(carried, tc.replicating);
    s.raft().check_invariants();
  }
}

TEST(RaftRobustness, MalformedAppendsAreDroppedAndChangeNothing) {
  // The follower holds [2, 6] of term 2 with 3 committed; its leader is 2 at term 2.
  struct Case {
    std::string name;
    Message msg;
  };
  auto append = [](Term log_term, Index index, std::vector<Entry> entries) {
    return Message{.type = MessageType::kAppend,
                   .log_term = log_term,
                   .index = index,
                   .entries = std::move(entries),
                   .commit = 6};
  };
  const std::vector<Case> cases = {
      {"entries skip an index", append(2, 6, {{.term = 2, .index = 8}})},
      {"entries with a gap", append(2, 6, {{.term = 2, .index = 7}, {.term = 2, .index = 9}})},
      {"entries out of order", append(2, 6, {{.term = 2, .index = 8}, {.term = 2, .index = 7}})},
      {"entries overlapping the previous index", append(2, 6, {{.term = 2, .index = 6}})},
      {"entry term above the message term", append(2, 6, {{.term = 3, .index = 7}})},
      {"entry term above the message term replacing the tail",
       append(2, 4, {{.term = 7, .index = 5}, {.term = 7, .index = 6}})},
      {"previous term above the message term", append(3, 6, {{.term = 3, .index = 7}})},
      {"entry terms decreasing", append(2, 4, {{.term = 2, .index = 5}, {.term = 1, .index = 6}})},
      {"entry term below the previous term", append(2, 6, {{.term = 1, .index = 7}})},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Solo s;
    ASSERT_NO_FATAL_FAILURE(s.follow(/*leader=*/2, /*term=*/2, /*last=*/6, /*commit=*/3));
    const std::vector<Entry> log = s.log_entries();
    const HardState hs = s.raft().hard_state();
    Message m = tc.msg;
    m.from = 2;
    m.term = 2;
    ASSERT_EQ(s.step(m), Error::kOk);
    EXPECT_FALSE(s.node().has_ready()) << "a malformed append must not be answered";
    const std::vector<Message> out = s.drain();
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(s.log_entries(), log);
    EXPECT_EQ(s.raft().hard_state(), hs);
    EXPECT_EQ(s.raft().lead(), 2u);
  }
}

TEST(RaftRobustness, MalformedSnapshotsAreDroppedAndChangeNothing) {
  struct Case {
    std::string name;
    ConfState cs;
  };
  const std::vector<Case> cases = {
      {"no voters, only us as learner", {.learners = {1}}},
      {"a voter that is also a learner", {.voters = {1, 2}, .learners = {2}}},
      {"learners_next outside a joint config", {.voters = {1, 2, 3}, .learners_next = {3}}},
      {"auto_leave outside a joint config", {.voters = {1, 2, 3}, .auto_leave = true}},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Solo s;
    ASSERT_NO_FATAL_FAILURE(s.follow(/*leader=*/2, /*term=*/2, /*last=*/6, /*commit=*/3));
    const std::vector<Entry> log = s.log_entries();
    const ConfState cs_before = s.node().status().conf_state;
    Message m{.type = MessageType::kSnapshot, .from = 2, .term = 2};
    m.snapshot.metadata = SnapshotMetadata{.conf_state = tc.cs, .index = 20, .term = 2};
    ASSERT_EQ(s.step(m), Error::kOk);
    s.drain();
    s.raft().check_invariants();
    EXPECT_EQ(s.log_entries(), log);
    EXPECT_EQ(s.raft().log().committed(), 3u);
    EXPECT_EQ(s.node().status().conf_state, cs_before);
  }
}

TEST(RaftRobustness, PeerMessagesWithoutATermChangeNothing) {
  // Only forwarded proposals and reads travel without a term (Raft::send clears it); every
  // other message from a peer names the sender's term. One without it is malformed: it must not
  // be taken for a message of our own term (a vote granted "at term 0", a candidate stepping
  // down to term 0, a stranger becoming our leader and moving our commit index).
  enum class Start { kNoLeader, kFollower, kCandidate };
  struct Case {
    std::string name;
    Start start;
    Message msg;
  };
  const Message vote{.type = MessageType::kVote, .log_term = 9, .index = 99};
  const Message pre_vote{.type = MessageType::kPreVote, .log_term = 9, .index = 99};
  const Message heartbeat{.type = MessageType::kHeartbeat, .commit = 6};
  const std::vector<Case> cases = {
      {"vote to a member without leader", Start::kNoLeader, vote},
      {"pre-vote to a member without leader", Start::kNoLeader, pre_vote},
      {"vote to a follower", Start::kFollower, vote},
      {"pre-vote to a follower", Start::kFollower, pre_vote},
      {"vote to a candidate", Start::kCandidate, vote},
      {"heartbeat to a follower", Start::kFollower, heartbeat},
      {"heartbeat to a candidate", Start::kCandidate, heartbeat},
      {"append to a candidate",
       Start::kCandidate,
       {.type = MessageType::kAppend, .log_term = 2, .index = 6, .commit = 6}},
      {"snapshot to a candidate",
       Start::kCandidate,
       {.type = MessageType::kSnapshot,
        .snapshot = {.metadata = {.conf_state = {.voters = {1, 2, 3}}, .index = 20, .term = 2}}}},
      {"timeout-now to a follower", Start::kFollower, {.type = MessageType::kTimeoutNow}},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Solo s({1, 2, 3}, [](Config& cfg) { cfg.pre_vote = false; });
    if (tc.start != Start::kNoLeader) {
      ASSERT_NO_FATAL_FAILURE(s.follow(/*leader=*/2, /*term=*/2, /*last=*/6, /*commit=*/3));
    }
    if (tc.start == Start::kCandidate) {
      ASSERT_EQ(s.node().campaign(), Error::kOk);
      s.drain();
      ASSERT_EQ(s.raft().role(), Role::kCandidate);
    }
    const HardState hs = s.raft().hard_state();
    const SoftState ss = s.raft().soft_state();
    const std::vector<Entry> log = s.log_entries();
    Message m = tc.msg;
    m.from = 3;
    m.term = 0;
    ASSERT_EQ(s.step(m), Error::kOk);
    const std::vector<Message> out = s.drain();
    s.raft().check_invariants();
    // Dropping it is simplest; a refusal is fine too, if it names our real term.
    for (const Message& o : out) {
      EXPECT_EQ(o.term, hs.term) << to_string(o.type);
      if (o.type == MessageType::kVoteResponse || o.type == MessageType::kPreVoteResponse) {
        EXPECT_TRUE(o.reject);
      }
    }
    EXPECT_EQ(s.raft().hard_state(), hs);
    EXPECT_EQ(s.raft().soft_state(), ss);
    EXPECT_EQ(s.log_entries(), log);
  }
}

TEST(RaftRobustness, SnapshotAtTheLargestIndexIsRejected) {
  // A log ending at UINT64_MAX has no index for its next entry: progress (next = last + 1)
  // would wrap to 0 once the member campaigns.
  Solo s({1, 2, 3}, [](Config& cfg) { cfg.pre_vote = false; });
  ASSERT_NO_FATAL_FAILURE(s.follow(/*leader=*/2, /*term=*/2, /*last=*/6, /*commit=*/3));
  Message m{.type = MessageType::kSnapshot, .from = 2, .term = 2};
  m.snapshot.metadata =
      SnapshotMetadata{.conf_state = {.voters = {1, 2, 3}}, .index = UINT64_MAX, .term = 2};
  ASSERT_EQ(s.step(m), Error::kOk);
  s.drain();
  s.raft().check_invariants();
  EXPECT_EQ(s.raft().log().last_index(), 6u);
  EXPECT_EQ(s.raft().log().committed(), 3u);
  // Whatever it decided, it can still campaign without breaking an invariant.
  s.node().campaign();
  s.drain();
  s.raft().check_invariants();
}

TEST(RaftRobustness, RawNodeRejectsMisaddressedMessages) {
  struct Case {
    std::string name;
    NodeId to;
    NodeId from;
  };
  const std::vector<Case> cases = {
      {"addressed to another member", 2, 3},
      {"addressed to nobody", kNone, 2},
      {"from itself", 1, 1},
      {"from nobody", 1, kNone},
  };
  for (MessageType type : {MessageType::kAppend, MessageType::kHeartbeat, MessageType::kVote,
                           MessageType::kTimeoutNow, MessageType::kReadIndexResponse}) {
    for (const Case& tc : cases) {
      SCOPED_TRACE(std::string(to_string(type)) + ": " + tc.name);
      Solo s;
      ASSERT_NO_FATAL_FAILURE(s.follow(/*leader=*/2, /*term=*/2, /*last=*/6, /*commit=*/3));
      const HardState hs = s.raft().hard_state();
      Message m{.type = type, .to = tc.to, .from = tc.from, .term = 9, .log_term = 2, .index = 6};
      m.commit = 6;
      m.entries = {Entry{.term = 9, .index = 7}};
      // RawNode::step is called directly: Solo::step would fill in a missing `to`.
      EXPECT_EQ(s.node().step(m), Error::kUnknownPeer);
      EXPECT_FALSE(s.node().has_ready());
      EXPECT_EQ(s.raft().hard_state(), hs);
      EXPECT_EQ(s.raft().log().last_index(), 6u);
      EXPECT_EQ(s.raft().role(), Role::kFollower);
    }
  }
}

}  // namespace
}  // namespace regent::raft
