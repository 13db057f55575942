#include "raft/tracker/progress.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "raft/tracker/inflights.h"

namespace regent::raft::tracker {
namespace {

// --- Inflights ---

TEST(InflightsTest, FullByCount) {
  Inflights in(3, 0);
  EXPECT_FALSE(in.full());
  in.add(1, 100);
  in.add(2, 100);
  EXPECT_FALSE(in.full());
  in.add(5, 100);
  EXPECT_TRUE(in.full());
  EXPECT_EQ(in.count(), 3u);
  EXPECT_EQ(in.bytes(), 300u);
}

TEST(InflightsTest, ZeroMaxBytesMeansNoByteLimit) {
  Inflights in(2, 0);
  in.add(1, UINT64_MAX / 2);
  EXPECT_FALSE(in.full());
}

TEST(InflightsTest, FullByBytes) {
  Inflights in(10, 100);
  in.add(1, 60);
  EXPECT_FALSE(in.full());
  in.add(2, 40);  // Exactly at the limit: full.
  EXPECT_TRUE(in.full());
  in.free_le(1);
  EXPECT_FALSE(in.full());
  EXPECT_EQ(in.bytes(), 40u);
}

TEST(InflightsTest, OneAppendMayOvershootTheByteLimit) {
  Inflights in(10, 100);
  in.add(1, 500);
  EXPECT_TRUE(in.full());
  EXPECT_EQ(in.count(), 1u);
}

TEST(InflightsTest, FreeLe) {
  struct Case {
    std::string name;
    Index free_to;
    size_t want_count;
    uint64_t want_bytes;
  };
  // Window holds appends ending at 2, 4, 6, 8 weighing 1, 10, 100, 1000 bytes.
  const std::vector<Case> cases = {
      {"below everything frees nothing", 1, 4, 1111},  {"exact index frees through it", 4, 2, 1100},
      {"between indexes frees the lower", 5, 2, 1100}, {"the last frees all", 8, 0, 0},
      {"beyond the last frees all", 100, 0, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Inflights in(10, 0);
    in.add(2, 1);
    in.add(4, 10);
    in.add(6, 100);
    in.add(8, 1000);
    in.free_le(c.free_to);
    EXPECT_EQ(in.count(), c.want_count);
    EXPECT_EQ(in.bytes(), c.want_bytes);
  }
}

TEST(InflightsTest, FreeLeThenAddContinues) {
  Inflights in(2, 0);
  in.add(1, 1);
  in.add(2, 1);
  EXPECT_TRUE(in.full());
  in.free_le(1);
  in.add(3, 1);
  EXPECT_TRUE(in.full());
  in.free_le(3);
  EXPECT_EQ(in.count(), 0u);
}

TEST(InflightsTest, FreeFirstOne) {
  Inflights in(3, 0);
  in.add(5, 7);
  in.add(9, 3);
  in.free_first_one();
  EXPECT_EQ(in.count(), 1u);
  EXPECT_EQ(in.bytes(), 3u);
  in.free_first_one();
  EXPECT_EQ(in.count(), 0u);
  in.free_first_one();  // Empty: nothing to free, and no harm.
  EXPECT_EQ(in.count(), 0u);
  EXPECT_EQ(in.bytes(), 0u);
}

TEST(InflightsTest, Reset) {
  Inflights in(2, 10);
  in.add(1, 5);
  in.add(2, 5);
  in.reset();
  EXPECT_EQ(in.count(), 0u);
  EXPECT_EQ(in.bytes(), 0u);
  EXPECT_FALSE(in.full());
  in.add(1, 1);  // After a reset, indexes may start over.
  EXPECT_EQ(in.count(), 1u);
}

TEST(InflightsDeathTest, AddToFullWindowPanics) {
  Inflights in(1, 0);
  in.add(1, 1);
  EXPECT_DEATH(in.add(2, 1), "full inflight window");
}

TEST(InflightsDeathTest, AddOutOfOrderPanics) {
  Inflights in(5, 0);
  in.add(5, 1);
  EXPECT_DEATH(in.add(5, 1), "log order");
  EXPECT_DEATH(in.add(4, 1), "log order");
}

TEST(InflightsDeathTest, ZeroCountPanics) { EXPECT_DEATH(Inflights(0, 0), "at least one"); }

// --- Progress ---

Progress make_progress(ProgressState state, Index match, Index next, size_t max_inflight = 256) {
  Progress pr(next, max_inflight, 0, false);
  pr.match = match;
  pr.state = state;
  return pr;
}

TEST(ProgressTest, StateToString) {
  EXPECT_EQ(to_string(ProgressState::kProbe), "StateProbe");
  EXPECT_EQ(to_string(ProgressState::kReplicate), "StateReplicate");
  EXPECT_EQ(to_string(ProgressState::kSnapshot), "StateSnapshot");
}

TEST(ProgressTest, NewProgressProbes) {
  Progress pr(10, 4, 0, true);
  EXPECT_EQ(pr.state, ProgressState::kProbe);
  EXPECT_EQ(pr.match, 0u);
  EXPECT_EQ(pr.next, 10u);
  EXPECT_TRUE(pr.is_learner);
  EXPECT_FALSE(pr.recent_active);
  EXPECT_FALSE(pr.is_paused());
}

TEST(ProgressTest, BecomeProbe) {
  struct Case {
    std::string name;
    ProgressState from;
    Index match;
    Index next;
    Index pending_snapshot;
    Index want_next;
  };
  const std::vector<Case> cases = {
      {"from replicate: next = match+1", ProgressState::kReplicate, 1, 5, 0, 2},
      {"from probe: next = match+1", ProgressState::kProbe, 3, 9, 0, 4},
      {"from snapshot ahead of match", ProgressState::kSnapshot, 1, 11, 10, 11},
      {"from snapshot behind match", ProgressState::kSnapshot, 12, 13, 10, 13},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Progress pr = make_progress(c.from, c.match, c.next);
    pr.pending_snapshot = c.pending_snapshot;
    pr.become_probe();
    EXPECT_EQ(pr.state, ProgressState::kProbe);
    EXPECT_EQ(pr.match, c.match);
    EXPECT_EQ(pr.next, c.want_next);
    EXPECT_EQ(pr.pending_snapshot, 0u);
  }
}

TEST(ProgressTest, BecomeReplicate) {
  Progress pr = make_progress(ProgressState::kProbe, 1, 5);
  pr.probe_sent = true;
  pr.become_replicate();
  EXPECT_EQ(pr.state, ProgressState::kReplicate);
  EXPECT_EQ(pr.match, 1u);
  EXPECT_EQ(pr.next, 2u);
  EXPECT_FALSE(pr.probe_sent);
}

TEST(ProgressTest, BecomeSnapshot) {
  Progress pr = make_progress(ProgressState::kProbe, 1, 5);
  pr.become_snapshot(10);
  EXPECT_EQ(pr.state, ProgressState::kSnapshot);
  EXPECT_EQ(pr.match, 1u);
  EXPECT_EQ(pr.pending_snapshot, 10u);
  EXPECT_EQ(pr.next, 11u);
  EXPECT_TRUE(pr.is_paused());
}

TEST(ProgressDeathTest, SnapshotBehindMatchPanics) {
  Progress pr = make_progress(ProgressState::kReplicate, 8, 9);
  EXPECT_DEATH(pr.become_snapshot(5), "behind match");
}

TEST(ProgressTest, StateChangesResetFlowControl) {
  Progress pr = make_progress(ProgressState::kReplicate, 0, 1, 4);
  pr.sent_entries(3, 30);
  pr.sent_entries(5, 20);
  ASSERT_EQ(pr.inflights.count(), 2u);
  pr.become_probe();
  EXPECT_EQ(pr.inflights.count(), 0u);
  EXPECT_EQ(pr.inflights.bytes(), 0u);
  pr.sent_probe();
  ASSERT_TRUE(pr.probe_sent);
  pr.become_snapshot(10);
  EXPECT_FALSE(pr.probe_sent);
  EXPECT_EQ(pr.pending_snapshot, 10u);
  pr.become_replicate();
  EXPECT_EQ(pr.pending_snapshot, 0u);
}

TEST(ProgressTest, SentEntriesInReplicateAdvancesNextAndFillsWindow) {
  Progress pr = make_progress(ProgressState::kReplicate, 5, 6, 2);
  pr.sent_entries(8, 100);
  EXPECT_EQ(pr.next, 9u);
  EXPECT_EQ(pr.inflights.count(), 1u);
  EXPECT_EQ(pr.inflights.bytes(), 100u);
  EXPECT_FALSE(pr.is_paused());
  pr.sent_entries(9, 10);
  EXPECT_EQ(pr.next, 10u);
  EXPECT_TRUE(pr.is_paused());  // Window of 2 is full.
  pr.maybe_update(8);           // Acked; the caller frees the window.
  pr.inflights.free_le(8);
  EXPECT_FALSE(pr.is_paused());
}

TEST(ProgressTest, SentEntriesWithoutEntriesInReplicateChangesNothing) {
  Progress pr = make_progress(ProgressState::kReplicate, 5, 6);
  pr.sent_entries(5, 0);  // An append ending just before next carried no entries.
  EXPECT_EQ(pr.next, 6u);
  EXPECT_EQ(pr.inflights.count(), 0u);
}

TEST(ProgressTest, SentEntriesInProbePauses) {
  Progress pr = make_progress(ProgressState::kProbe, 5, 6);
  pr.sent_entries(8, 100);
  EXPECT_TRUE(pr.probe_sent);
  EXPECT_TRUE(pr.is_paused());
  EXPECT_EQ(pr.next, 6u);  // A probe does not advance next optimistically.
  EXPECT_EQ(pr.inflights.count(), 0u);
}

TEST(ProgressDeathTest, SentEntriesInSnapshotPanics) {
  Progress pr = make_progress(ProgressState::kProbe, 0, 1);
  pr.become_snapshot(10);
  EXPECT_DEATH(pr.sent_entries(12, 10), "StateSnapshot");
}

TEST(ProgressTest, SentProbe) {
  Progress probe = make_progress(ProgressState::kProbe, 5, 6);
  probe.sent_probe();
  EXPECT_TRUE(probe.probe_sent);
  EXPECT_TRUE(probe.is_paused());

  Progress replicate = make_progress(ProgressState::kReplicate, 5, 6);
  replicate.sent_probe();
  EXPECT_FALSE(replicate.probe_sent);
  EXPECT_FALSE(replicate.is_paused());
}

TEST(ProgressTest, MaybeUpdate) {
  struct Case {
    Index update;
    Index want_match;
    Index want_next;
    bool want_updated;
  };
  // Starts at match=3 next=5.
  const std::vector<Case> cases = {
      {2, 3, 5, false},  // Stale ack.
      {3, 3, 5, false},  // Repeated ack.
      {4, 4, 5, true},   // Advances match, next already ahead.
      {5, 5, 6, true},   // Advances match and next.
      {9, 9, 10, true},  // Beyond next: the follower got more than we thought we sent.
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << "update " << c.update);
    Progress pr = make_progress(ProgressState::kProbe, 3, 5);
    pr.probe_sent = true;
    EXPECT_EQ(pr.maybe_update(c.update), c.want_updated);
    EXPECT_EQ(pr.match, c.want_match);
    EXPECT_EQ(pr.next, c.want_next);
    EXPECT_EQ(pr.probe_sent, !c.want_updated);  // Only progress unpauses a probe.
  }
}

TEST(ProgressTest, MaybeDecreaseTo) {
  struct Case {
    ProgressState state;
    Index match;
    Index next;
    Index rejected;
    Index hint;
    bool want_ok;
    Index want_next;
  };
  const std::vector<Case> cases = {
      // kReplicate: a rejection at or below match is stale.
      {ProgressState::kReplicate, 5, 10, 5, 5, false, 10},
      {ProgressState::kReplicate, 5, 10, 4, 4, false, 10},
      // kReplicate: otherwise fall back to match+1 (the hint is not used).
      {ProgressState::kReplicate, 5, 10, 9, 9, true, 6},
      {ProgressState::kReplicate, 5, 10, 7, 2, true, 6},
      // kProbe: only a rejection of next-1 is current.
      {ProgressState::kProbe, 0, 10, 5, 5, false, 10},
      {ProgressState::kProbe, 0, 10, 10, 5, false, 10},
      // kProbe: next goes to min(rejected, hint+1).
      {ProgressState::kProbe, 0, 10, 9, 9, true, 9},
      {ProgressState::kProbe, 0, 2, 1, 1, true, 1},
      {ProgressState::kProbe, 0, 1, 0, 0, true, 1},
      {ProgressState::kProbe, 0, 10, 9, 2, true, 3},
      {ProgressState::kProbe, 0, 10, 9, 0, true, 1},
      // kProbe: but never to or below match.
      {ProgressState::kProbe, 4, 10, 9, 1, true, 5},
      // A huge hint is capped by the rejected index.
      {ProgressState::kProbe, 0, 10, 9, 100, true, 9},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(testing::Message() << "case #" << i);
    const Case& c = cases[i];
    Progress pr = make_progress(c.state, c.match, c.next);
    pr.probe_sent = c.state == ProgressState::kProbe;
    EXPECT_EQ(pr.maybe_decrease_to(c.rejected, c.hint), c.want_ok);
    EXPECT_EQ(pr.match, c.match);
    EXPECT_EQ(pr.next, c.want_next);
    if (c.state == ProgressState::kProbe) {
      EXPECT_EQ(pr.probe_sent, !c.want_ok);
    }
  }
}

TEST(ProgressTest, MaybeDecreaseToInSnapshotFollowsProbeRules) {
  Progress pr = make_progress(ProgressState::kProbe, 0, 1);
  pr.become_snapshot(10);
  EXPECT_FALSE(pr.maybe_decrease_to(5, 5));  // Not next-1 = 10: stale.
  EXPECT_EQ(pr.next, 11u);
  EXPECT_TRUE(pr.maybe_decrease_to(10, 3));
  EXPECT_EQ(pr.next, 4u);
}

TEST(ProgressTest, IsPaused) {
  struct Case {
    std::string name;
    ProgressState state;
    bool probe_sent;
    bool fill_window;
    bool want;
  };
  const std::vector<Case> cases = {
      {"probe, nothing sent", ProgressState::kProbe, false, false, false},
      {"probe, awaiting answer", ProgressState::kProbe, true, false, true},
      {"replicate, window open", ProgressState::kReplicate, false, false, false},
      {"replicate, probe_sent is irrelevant", ProgressState::kReplicate, true, false, false},
      {"replicate, window full", ProgressState::kReplicate, false, true, true},
      {"snapshot", ProgressState::kSnapshot, false, false, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Progress pr = make_progress(c.state, 0, 1, 1);
    pr.probe_sent = c.probe_sent;
    if (c.fill_window) pr.inflights.add(1, 1);
    EXPECT_EQ(pr.is_paused(), c.want);
  }
}

TEST(ProgressTest, Describe) {
  Progress replicate = make_progress(ProgressState::kReplicate, 5, 6, 10);
  replicate.sent_entries(6, 1);
  replicate.sent_entries(7, 1);
  EXPECT_EQ(replicate.describe(), "StateReplicate match=5 next=8 inflight=2");

  Progress probe = make_progress(ProgressState::kProbe, 1, 2);
  EXPECT_EQ(probe.describe(), "StateProbe match=1 next=2");
  probe.is_learner = true;
  probe.sent_probe();
  EXPECT_EQ(probe.describe(), "StateProbe match=1 next=2 learner paused");

  Progress snap = make_progress(ProgressState::kProbe, 1, 2);
  snap.become_snapshot(9);
  EXPECT_EQ(snap.describe(), "StateSnapshot match=1 next=10 paused pendingSnap=9");
}

}  // namespace
}  // namespace regent::raft::tracker
