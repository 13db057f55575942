// Flow control on the leader: the uncommitted-size limit (backpressure to proposers), the
// per-follower inflight window, append batching up to max_size_per_msg, probing, and fast
// backtracking of a diverged follower (§3.5: one round trip per diverging term, not per entry).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support/raft_cluster.h"
#include "support/raft_printers.h"

namespace regent::raft {
namespace {

using testing::Cluster;

void cut_off_followers(Cluster& c, NodeId leader) {
  for (NodeId id : c.ids()) {
    if (id != leader) c.cut(leader, id);
  }
}

bool is_append_to(const Message& m, NodeId to) {
  return m.type == MessageType::kAppend && m.to == to;
}

std::string progress_of(Cluster& c, NodeId leader, NodeId follower) {
  return c.node(leader).status().progress.at(follower);
}

// --- Uncommitted-size limit ----------------------------------------------------------------

TEST(RaftFlowControl, UncommittedSizeLimitRejectsProposalsUntilEntriesCommit) {
  constexpr uint64_t kLimit = 10;  // Payload bytes.
  Cluster c({1, 2, 3}, [](Config& cfg) { cfg.max_uncommitted_entries_size = kLimit; });
  ASSERT_TRUE(c.elect(1));
  cut_off_followers(c, 1);  // Nothing can commit.

  struct Step {
    std::string data;
    Error want;
  };
  const std::vector<Step> steps = {
      {"aaaa", Error::kOk},                  // 4
      {"bbbb", Error::kOk},                  // 8
      {"cccc", Error::kTooManyUncommitted},  // 12 > 10
      {"dd", Error::kOk},                    // 10: exactly at the limit is fine
      {"e", Error::kTooManyUncommitted},     // 11
      {"", Error::kOk},                      // An empty payload costs nothing.
  };
  const Index last_before = c.raft(1).log().last_index();
  for (size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE(steps[i].data);
    EXPECT_EQ(c.propose(1, steps[i].data), steps[i].want);
  }
  EXPECT_EQ(c.raft(1).uncommitted_size(), kLimit);
  // Rejected proposals left no trace in the log.
  EXPECT_EQ(c.raft(1).log().last_index(), last_before + 4);
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);

  // Once the followers are back and the entries commit and apply, the budget is free again.
  c.heal();
  c.tick(1);
  ASSERT_TRUE(c.stabilize());
  EXPECT_EQ(c.applied_data(1), (std::vector<std::string>{"aaaa", "bbbb", "dd"}));
  EXPECT_EQ(c.raft(1).uncommitted_size(), 0u);
  EXPECT_EQ(c.propose(1, "ffff"), Error::kOk);
  EXPECT_EQ(c.propose(1, "gggggg"), Error::kOk);
  for (NodeId id : c.ids()) {
    EXPECT_EQ(c.applied_data(id),
              (std::vector<std::string>{"aaaa", "bbbb", "dd", "ffff", "gggggg"}))
        << id;
  }
}

TEST(RaftFlowControl, FirstProposalIsAcceptedEvenIfLargerThanTheLimit) {
  struct Case {
    std::string name;
    std::vector<std::string> first;  // One batch.
    Error want_first;
    Error want_second;  // A one-byte proposal right after.
  };
  const std::vector<Case> cases = {
      {"single oversized entry", {std::string(100, 'x')}, Error::kOk, Error::kTooManyUncommitted},
      {"oversized batch",
       {std::string(6, 'x'), std::string(6, 'y')},
       Error::kOk,
       Error::kTooManyUncommitted},
      {"entry exactly at the limit",
       {std::string(10, 'x')},
       Error::kOk,
       Error::kTooManyUncommitted},
      {"small entry", {std::string(3, 'x')}, Error::kOk, Error::kOk},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Cluster c({1, 2, 3}, [](Config& cfg) { cfg.max_uncommitted_entries_size = 10; });
    ASSERT_TRUE(c.elect(1));
    cut_off_followers(c, 1);
    const Index last = c.raft(1).log().last_index();
    EXPECT_EQ(c.node(1).propose_batch(tc.first), tc.want_first);
    EXPECT_EQ(c.raft(1).log().last_index(), last + tc.first.size());
    EXPECT_EQ(c.node(1).propose("z"), tc.want_second);
    ASSERT_TRUE(c.stabilize());
  }
}

TEST(RaftFlowControl, BatchOverTheLimitIsRejectedWhole) {
  Cluster c({1, 2, 3}, [](Config& cfg) { cfg.max_uncommitted_entries_size = 10; });
  ASSERT_TRUE(c.elect(1));
  cut_off_followers(c, 1);
  ASSERT_EQ(c.propose(1, "aaaa"), Error::kOk);
  const Index last = c.raft(1).log().last_index();
  EXPECT_EQ(c.node(1).propose_batch({"bbb", "cc", "dd"}), Error::kTooManyUncommitted);  // 4 + 7
  EXPECT_EQ(c.raft(1).log().last_index(), last) << "no part of a rejected batch is appended";
  EXPECT_EQ(c.raft(1).uncommitted_size(), 4u);
  EXPECT_EQ(c.node(1).propose_batch({"bb", "cc", "d"}), Error::kOk);  // 4 + 5
  EXPECT_EQ(c.raft(1).log().last_index(), last + 3);
}

TEST(RaftFlowControl, ForwardedProposalsOverTheLimitAreDropped) {
  Cluster c({1, 2, 3}, [](Config& cfg) { cfg.max_uncommitted_entries_size = 10; });
  ASSERT_TRUE(c.elect(1));
  // 2 stays connected so that it can forward, but nothing commits: 3 is cut off and 2's
  // acknowledgements are lost.
  c.cut(1, 3);
  c.add_filter([](const Message& m) {
    return m.from == 2 && m.to == 1 && m.type == MessageType::kAppendResponse;
  });
  ASSERT_EQ(c.propose(1, "0123456789"), Error::kOk);
  // The follower cannot know about the leader's budget: it accepts and forwards.
  EXPECT_EQ(c.propose(2, "forwarded"), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  c.heal();
  c.tick(1);
  ASSERT_TRUE(c.stabilize());
  for (NodeId id : c.ids()) {
    EXPECT_EQ(c.applied_data(id), std::vector<std::string>{"0123456789"}) << id;
  }
}

// --- Inflight window -----------------------------------------------------------------------

TEST(RaftFlowControl, InflightWindowPausesAFollowerThatDoesNotAcknowledge) {
  struct Case {
    size_t window;
    int proposals;
  };
  for (const Case& tc : std::vector<Case>{{1, 5}, {3, 10}, {8, 20}}) {
    SCOPED_TRACE(::testing::Message() << "window " << tc.window);
    Cluster c({1, 2, 3}, [&](Config& cfg) { cfg.max_inflight_msgs = tc.window; });
    ASSERT_TRUE(c.elect(1));
    ASSERT_EQ(c.propose(1, "warm-up"), Error::kOk);
    ASSERT_NE(progress_of(c, 1, 2).find("StateReplicate"), std::string::npos);

    size_t appends_to_2 = 0;  // Appends with entries the leader sent to 2 (all delivered).
    c.add_filter([&](const Message& m) {
      if (is_append_to(m, 2) && !m.entries.empty()) ++appends_to_2;
      return m.from == 2 && m.type == MessageType::kAppendResponse;  // 2's acks are lost.
    });
    for (int i = 0; i < tc.proposals; ++i) {
      ASSERT_EQ(c.propose(1, "p" + std::to_string(i)), Error::kOk);
    }
    EXPECT_EQ(appends_to_2, tc.window);
    EXPECT_NE(progress_of(c, 1, 2).find("paused"), std::string::npos) << progress_of(c, 1, 2);
    // Member 3 still acknowledges, so the cluster keeps committing.
    EXPECT_EQ(c.applied_data(3).size(), static_cast<size_t>(tc.proposals) + 1);

    // A heartbeat response shows 2 is alive: one slot frees and exactly one append goes out,
    // carrying what was proposed since.
    for (size_t beat = 1; beat <= 3; ++beat) {
      ASSERT_EQ(c.propose(1, "more" + std::to_string(beat)), Error::kOk);
      ASSERT_EQ(c.propose(1, "again" + std::to_string(beat)), Error::kOk);
      EXPECT_EQ(appends_to_2, tc.window + beat - 1) << "paused: proposals send nothing to 2";
      c.tick(1);
      ASSERT_TRUE(c.stabilize());
      EXPECT_EQ(appends_to_2, tc.window + beat);
    }

    // Once acknowledgements flow again, 2 catches up.
    c.heal();
    c.tick(1);
    ASSERT_TRUE(c.stabilize());
    EXPECT_EQ(c.applied_data(2), c.applied_data(1));
  }
}

TEST(RaftFlowControl, InflightByteLimitPausesAFollower) {
  // 4 entries of 26 bytes (2 payload + 24 overhead) fill a 100-byte window.
  Cluster c({1, 2, 3}, [](Config& cfg) {
    cfg.max_inflight_bytes = 100;
    cfg.max_size_per_msg = 100;
  });
  ASSERT_TRUE(c.elect(1));
  ASSERT_EQ(c.propose(1, "warm-up"), Error::kOk);
  size_t appends_to_2 = 0;
  c.add_filter([&](const Message& m) {
    if (is_append_to(m, 2) && !m.entries.empty()) ++appends_to_2;
    return m.from == 2 && m.type == MessageType::kAppendResponse;
  });
  for (int i = 0; i < 10; ++i) ASSERT_EQ(c.propose(1, "p" + std::to_string(i)), Error::kOk);
  EXPECT_EQ(appends_to_2, 4u);
  EXPECT_NE(progress_of(c, 1, 2).find("paused"), std::string::npos) << progress_of(c, 1, 2);
}

// --- Batching ------------------------------------------------------------------------------

TEST(RaftFlowControl, AppendsToACatchingUpFollowerAreBatchedWithinMaxSizePerMsg) {
  constexpr uint64_t kMaxMsg = 100;
  struct Case {
    std::string name;
    size_t payload;  // Each entry weighs payload + Entry::kOverheadBytes.
    size_t per_msg;  // Entries expected in a full message.
  };
  const std::vector<Case> cases = {
      {"small entries, two per message", 10, 2},  // 34 bytes each: 68 <= 100 < 102
      {"tiny entries, four per message", 1, 4},   // 25 bytes each: 100 <= 100 < 125
      {"oversized entries, one per message", 150, 1},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Cluster c({1, 2, 3}, [](Config& cfg) { cfg.max_size_per_msg = kMaxMsg; });
    ASSERT_TRUE(c.elect(1));
    c.cut(1, 2);  // 2 falls behind while 3 keeps the cluster committing.
    constexpr int kProposals = 12;
    std::vector<std::string> want;
    for (int i = 0; i < kProposals; ++i) {
      std::string data(tc.payload, static_cast<char>('a' + i));
      ASSERT_EQ(c.propose(1, data), Error::kOk);
      want.push_back(data);
    }
    ASSERT_EQ(c.applied_data(1), want);

    c.heal();
    c.clear_delivered();
    c.tick(1);
    ASSERT_TRUE(c.stabilize());
    ASSERT_EQ(c.applied_data(2), want);

    size_t carrying = 0;
    size_t full = 0;
    std::set<Index> sent;
    for (const Message& m : c.delivered()) {
      if (!is_append_to(m, 2) || m.entries.empty()) continue;
      ++carrying;
      const uint64_t bytes = entries_size(m.entries);
      EXPECT_TRUE(bytes <= kMaxMsg || m.entries.size() == 1)
          << m.entries.size() << " entries weighing " << bytes << " bytes";
      EXPECT_LE(m.entries.size(), tc.per_msg);
      full += m.entries.size() == tc.per_msg ? 1 : 0;
      for (const Entry& e : m.entries) sent.insert(e.index);
    }
    EXPECT_GE(sent.size(), static_cast<size_t>(kProposals)) << "every missing entry was sent";
    EXPECT_GE(full, static_cast<size_t>(kProposals) / tc.per_msg - 1) << "messages were filled";
    EXPECT_LE(carrying, static_cast<size_t>(kProposals) / tc.per_msg + 2);
  }
}

// --- Probing -------------------------------------------------------------------------------

TEST(RaftFlowControl, ProbedFollowerGetsOneAppendPerHeartbeatInterval) {
  for (int heartbeat_tick : {1, 3}) {
    SCOPED_TRACE(::testing::Message() << "heartbeat_tick " << heartbeat_tick);
    Cluster c({1, 2, 3}, [&](Config& cfg) { cfg.heartbeat_tick = heartbeat_tick; });
    size_t appends_to_2 = 0;
    // Every append to 2 is lost, so the leader never learns where 2's log matches; heartbeats
    // (and their answers) still get through.
    c.add_filter([&](const Message& m) {
      if (!is_append_to(m, 2)) return false;
      ++appends_to_2;
      return true;
    });
    ASSERT_EQ(c.node(1).campaign(), Error::kOk);
    ASSERT_TRUE(c.stabilize());
    ASSERT_EQ(c.leader(), 1u);
    ASSERT_NE(progress_of(c, 1, 2).find("StateProbe"), std::string::npos);
    EXPECT_EQ(appends_to_2, 1u) << "the first probe";

    // Proposals while the probe is unanswered send nothing more to 2.
    for (int i = 0; i < 5; ++i) ASSERT_EQ(c.propose(1, "p" + std::to_string(i)), Error::kOk);
    EXPECT_EQ(appends_to_2, 1u);
    EXPECT_EQ(c.applied_data(3).size(), 5u);

    constexpr int kTicks = 12;
    for (int t = 1; t <= kTicks; ++t) {
      c.tick(1);
      ASSERT_TRUE(c.stabilize());
      EXPECT_EQ(appends_to_2, 1u + static_cast<size_t>(t / heartbeat_tick)) << "tick " << t;
      EXPECT_NE(progress_of(c, 1, 2).find("StateProbe"), std::string::npos);
    }
    EXPECT_EQ(c.raft(1).role(), Role::kLeader);
  }
}

// --- Fast backtracking ---------------------------------------------------------------------

// Ticks members 2 and 3 (1 is cut off) until one of them leads.
std::optional<NodeId> elect_without_1(Cluster& c) {
  for (int i = 0; i < 200; ++i) {
    const auto lead = c.leader();
    if (lead && *lead != 1) return lead;
    c.tick_all(1);
  }
  return std::nullopt;
}

TEST(RaftFlowControl, DivergedFollowerConvergesInOneRoundTripPerTerm) {
  struct Case {
    std::string name;
    int stale_entries;  // Appended by the cut-off old leader at its term, never committed.
    int newer_entries;  // Appended by the new leader meanwhile.
    size_t max_rejections;
  };
  const std::vector<Case> cases = {
      {"100-entry tail of one term behind a longer log", 100, 150, 3},
      {"100-entry tail of one term ahead of a shorter log", 100, 5, 3},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Cluster c({1, 2, 3});
    ASSERT_TRUE(c.elect(1));
    ASSERT_EQ(c.propose(1, "base"), Error::kOk);

    // The old leader, cut off, keeps appending entries that can never commit.
    c.isolate(1);
    std::vector<std::string> stale;
    for (int i = 0; i < tc.stale_entries; ++i) stale.push_back("stale" + std::to_string(i));
    ASSERT_EQ(c.node(1).propose_batch(stale), Error::kOk);
    ASSERT_TRUE(c.stabilize());
    const Index stale_last = c.raft(1).log().last_index();

    // The others elect a new leader and write at the new term...
    const auto second = elect_without_1(c);
    ASSERT_TRUE(second.has_value());
    std::vector<std::string> newer;
    for (int i = 0; i < tc.newer_entries; ++i) newer.push_back("new" + std::to_string(i));
    ASSERT_EQ(c.node(*second).propose_batch(newer), Error::kOk);
    ASSERT_TRUE(c.stabilize());
    // ...then hand leadership over, so that the leader that meets 1 starts probing it from the
    // end of its long log rather than from where the logs last agreed.
    const NodeId third = *second == 2 ? 3 : 2;
    ASSERT_EQ(c.node(*second).transfer_leader(third), Error::kOk);
    ASSERT_TRUE(c.stabilize());
    ASSERT_EQ(c.leader(), third);
    ASSERT_EQ(c.raft(1).log().last_index(), stale_last);

    c.heal();
    c.clear_delivered();
    for (int i = 0; i < 20 && c.applied_data(1) != c.applied_data(third); ++i) {
      c.tick(third);
      ASSERT_TRUE(c.stabilize());
    }
    ASSERT_EQ(c.applied_data(1), c.applied_data(third));
    EXPECT_EQ(c.raft(1).log().last_index(), c.raft(third).log().last_index());
    const std::vector<std::string> applied = c.applied_data(1);
    EXPECT_EQ(std::count(applied.begin(), applied.end(), "stale0"), 0);

    size_t rejections = 0;
    size_t probes = 0;
    for (const Message& m : c.delivered()) {
      if (m.from == 1 && m.type == MessageType::kAppendResponse && m.reject) ++rejections;
      if (m.to == 1 && m.type == MessageType::kAppend) ++probes;
    }
    EXPECT_GE(rejections, 1u) << "the follower's log did diverge";
    EXPECT_LE(rejections, tc.max_rejections);
    EXPECT_LE(probes, tc.max_rejections + 4);
  }
}

TEST(RaftFlowControl, DivergedTailOfSeveralTermsConvergesInAtMostOneRoundTripPerTerm) {
  // No pre-vote and no lease, so that failed campaigns can move terms on without entries.
  Cluster c({1, 2, 3}, [](Config& cfg) {
    cfg.pre_vote = false;
    cfg.check_quorum = false;
  });
  ASSERT_TRUE(c.elect(2));
  ASSERT_EQ(c.propose(2, "base"), Error::kOk);
  const Index base = c.raft(2).log().last_index();
  const Term base_term = c.raft(2).term();

  // Member 1's disk gets a tail of several later terms that nobody else ever wrote (as if it had
  // been a leader of each that reached no one), written while it was down.
  constexpr Term kStaleTerms = 4;
  constexpr Index kPerTerm = 30;
  c.isolate(1);
  c.crash(1);
  std::vector<Entry> tail;
  for (Term t = 1; t <= kStaleTerms; ++t) {
    for (Index i = 0; i < kPerTerm; ++i) {
      tail.push_back(Entry{.term = base_term + t,
                           .index = base + 1 + tail.size(),
                           .data = "old-term-" + std::to_string(t)});
    }
  }
  c.storage(1).append(tail);
  c.storage(1).set_hard_state(HardState{.term = base_term + kStaleTerms, .commit = base});
  c.restart(1);
  ASSERT_EQ(c.raft(1).log().last_index(), base + kStaleTerms * kPerTerm);

  // Member 3 burns those terms in failed campaigns (no entries), then wins the next one.
  c.isolate(3);
  for (Term t = 1; t <= kStaleTerms; ++t) {
    ASSERT_EQ(c.node(3).campaign(), Error::kOk);
    ASSERT_TRUE(c.stabilize());
  }
  ASSERT_EQ(c.raft(3).term(), base_term + kStaleTerms);
  c.heal();
  c.isolate(1);
  ASSERT_TRUE(c.elect(3));
  ASSERT_GT(c.raft(3).term(), base_term + kStaleTerms);
  ASSERT_EQ(c.node(3).propose_batch(std::vector<std::string>(200, "new")), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  // Hand over, so that the leader meeting 1 probes from the end of its long log.
  ASSERT_EQ(c.node(3).transfer_leader(2), Error::kOk);
  ASSERT_TRUE(c.stabilize());
  ASSERT_EQ(c.leader(), 2u);

  c.heal();
  c.clear_delivered();
  for (int i = 0; i < 20 && c.applied_data(1) != c.applied_data(2); ++i) {
    c.tick(2);
    ASSERT_TRUE(c.stabilize());
  }
  ASSERT_EQ(c.applied_data(1), c.applied_data(2));
  EXPECT_EQ(c.raft(1).log().last_index(), c.raft(2).log().last_index());
  size_t rejections = 0;
  for (const Message& m : c.delivered()) {
    rejections += m.from == 1 && m.type == MessageType::kAppendResponse && m.reject ? 1 : 0;
  }
  EXPECT_GE(rejections, 1u) << "the follower's log did diverge";
  EXPECT_LE(rejections, static_cast<size_t>(kStaleTerms));
}

}  // namespace
}  // namespace regent::raft
