// The crash workload and its checker, without processes: the batches keep a follower's
// invariants, and check_recovered() accepts exactly the states a killed writer may leave.
#include "crash/crash_workload.h"

#include <gtest/gtest.h>

#include <map>

namespace regent::crash {
namespace {

// What a storage holding exactly m's state would read back, its log starting at first.
Recovered recovered_from(const Model& m, raft::Index first) {
  Recovered r;
  r.first_index = first;
  r.last_index = m.last_index();
  for (raft::Index i = first; i <= m.last_index(); ++i) r.entries.push_back(m.entry(i));
  r.hard_state = m.hard_state();
  if (m.snapshot_index() != 0) {
    r.snapshot.data = snapshot_data(m.seed(), m.snapshot_index());
    r.snapshot.metadata = {snapshot_conf_state(), m.snapshot_index(), m.snapshot_term()};
  }
  return r;
}

// The model after the batches before `number`, and batch `number`.
std::pair<Model, Batch> state_before(uint64_t seed, uint64_t number) {
  Workload w(seed);
  Model m(seed);
  while (w.next_number() < number) m.apply(w.next());
  return {m, w.next()};
}

// The first batch of the given kind at or after `from`.
uint64_t find_batch(uint64_t seed, BatchKind kind, uint64_t from) {
  Workload w(seed);
  for (;;) {
    const Batch b = w.next();
    if (b.number >= from && b.kind == kind) return b.number;
    EXPECT_LT(b.number, from + 1000u) << "no " << to_string(kind) << " batch";
    if (b.number >= from + 1000) return b.number;
  }
}

TEST(CrashWorkloadTest, BatchesArePureFunctionsOfSeedAndNumber) {
  Workload w(7);
  for (uint64_t b = 0; b < 40; ++b) {
    const Batch streamed = w.next();
    const Batch direct = make_batch(7, b);
    EXPECT_EQ(streamed.number, b);
    EXPECT_EQ(streamed.entries, direct.entries) << "batch " << b;
    EXPECT_EQ(streamed.hard_state, direct.hard_state) << "batch " << b;
  }
  EXPECT_NE(make_batch(7, 3).entries, make_batch(8, 3).entries);
  EXPECT_EQ(entry_data(1, 2, 3).size(), kEntryDataBytes);
  EXPECT_NE(entry_data(1, 2, 3), entry_data(1, 2, 4));
}

TEST(CrashWorkloadTest, BatchesKeepAFollowersInvariants) {
  Workload w(3);
  Model m(3);
  std::map<BatchKind, int> kinds;
  for (int b = 0; b < 3000; ++b) {
    const Batch batch = w.next();
    ++kinds[batch.kind];
    const raft::HardState before = m.hard_state();
    if (!batch.entries.empty()) {
      EXPECT_GT(batch.entries.front().index, before.commit) << "batch " << b;
      EXPECT_LE(batch.entries.front().index, m.last_index() + 1) << "batch " << b;
      EXPECT_LE(batch.entries.size(), kMaxBatchEntries);
      for (const raft::Entry& e : batch.entries) EXPECT_EQ(e.term, batch.hard_state.term);
    }
    if (batch.kind == BatchKind::kAppend && m.last_index() > 0) {
      EXPECT_EQ(batch.entries.front().index, m.last_index() + 1);
    }
    m.apply(batch);  // Asserts commit <= last, monotonic commit, snapshot <= commit.
    EXPECT_GE(m.hard_state().term, before.term);
    EXPECT_GE(m.hard_state().commit, before.commit);
  }
  for (BatchKind k :
       {BatchKind::kAppend, BatchKind::kConflict, BatchKind::kCommitOnly, BatchKind::kSnapshot}) {
    EXPECT_GT(kinds[k], 3000 / 40) << to_string(k);
  }
}

TEST(CrashWorkloadTest, CheckAcceptsTheReportedStateAndEveryPrefixOfTheNextBatch) {
  const uint64_t n = find_batch(5, BatchKind::kConflict, 20);
  auto [model, next] = state_before(5, n);
  ASSERT_GT(next.entries.size(), 0u);
  EXPECT_EQ(check_recovered(recovered_from(model, 1), model, next), "");
  // Compacted logs start later; still the same state.
  EXPECT_EQ(check_recovered(recovered_from(model, model.hard_state().commit / 2 + 1), model, next),
            "");
  for (size_t k = 1; k <= next.entries.size(); ++k) {
    Model torn = model;
    torn.apply_entries_prefix(next, k);
    EXPECT_EQ(check_recovered(recovered_from(torn, 1), model, next), "") << "prefix " << k;
  }
  Model full = model;
  full.apply(next);
  EXPECT_EQ(check_recovered(recovered_from(full, 1), model, next), "");
}

TEST(CrashWorkloadTest, CheckAcceptsTheNextSnapshot) {
  const uint64_t n = find_batch(5, BatchKind::kSnapshot, 30);
  auto [model, next] = state_before(5, n);
  Model full = model;
  full.apply(next);
  EXPECT_EQ(check_recovered(recovered_from(model, 1), model, next), "");
  EXPECT_EQ(check_recovered(recovered_from(full, next.snapshot_index + 1), model, next), "");
}

TEST(CrashWorkloadTest, CheckRejectsLostInventedAndDamagedState) {
  const uint64_t n = find_batch(9, BatchKind::kAppend, 25);
  auto [model, next] = state_before(9, n);
  ASSERT_GT(model.last_index(), 2u);
  ASSERT_GT(model.hard_state().commit, 0u);

  Recovered lost = recovered_from(model, 1);  // The last reported entry is gone.
  lost.entries.pop_back();
  --lost.last_index;
  EXPECT_NE(check_recovered(lost, model, next), "");

  Model full = model;
  full.apply(next);
  Recovered invented = recovered_from(full, 1);  // An entry nobody wrote.
  invented.entries.push_back(make_entry(9, full.last_index() + 1, full.hard_state().term));
  ++invented.last_index;
  EXPECT_NE(check_recovered(invented, model, next), "");

  Recovered damaged = recovered_from(model, 1);
  damaged.entries[1].data[100] ^= 1;
  EXPECT_NE(check_recovered(damaged, model, next), "");

  Recovered wrong_term = recovered_from(model, 1);
  ++wrong_term.entries.back().term;
  EXPECT_NE(check_recovered(wrong_term, model, next), "");

  // The entry after the snapshot lost, the log starting one later.
  ASSERT_GE(model.last_index(), model.snapshot_index() + 2);
  Recovered gap = recovered_from(model, model.snapshot_index() + 2);
  EXPECT_NE(check_recovered(gap, model, next), "");

  // The next batch's hard state with only part of its entries: the hard state record is written
  // after them, so no crash can keep it while losing one of them.
  if (next.entries.size() > 1 && next.hard_state != model.hard_state()) {
    Model torn = model;
    torn.apply_entries_prefix(next, next.entries.size() - 1);
    Recovered early = recovered_from(torn, 1);
    early.hard_state = next.hard_state;
    EXPECT_NE(check_recovered(early, model, next), "");
  }

  Recovered old_hs = recovered_from(model, 1);
  old_hs.hard_state.commit -= 1;
  EXPECT_NE(check_recovered(old_hs, model, next), "");
}

}  // namespace
}  // namespace regent::crash
