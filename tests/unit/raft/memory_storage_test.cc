// MemoryStorage: the reference LogStorage (ported from etcd-io/raft storage_test.go).
#include "raft/log/memory_storage.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "unit/raft/log_test_util.h"

namespace regent::raft {
namespace {

using log_test::entry;
using log_test::snapshot_at;

// A storage whose snapshot is at (3, 3) and which holds entries 4 and 5 (terms 4, 5) after it:
// the layout of etcd's tests, built through the public API.
MemoryStorage storage_3_to_5() {
  MemoryStorage s;
  EXPECT_EQ(s.apply_snapshot(snapshot_at(3, 3)), std::nullopt);
  s.append({entry(4, 4), entry(5, 5)});
  return s;
}

// The dummy entry followed by every stored entry, as (index, term) pairs.
std::vector<Entry> stored(const MemoryStorage& s) {
  Index offset = s.first_index() - 1;
  std::vector<Entry> all = {entry(offset, s.term(offset).value())};
  auto rest = s.entries(s.first_index(), s.last_index() + 1, kNoLimit);
  EXPECT_TRUE(rest.has_value());
  if (rest) all.insert(all.end(), rest->begin(), rest->end());
  return all;
}

TEST(MemoryStorageTest, NewStorageIsEmptyWithDummyAtZero) {
  MemoryStorage s;
  EXPECT_EQ(s.first_index(), 1u);
  EXPECT_EQ(s.last_index(), 0u);
  EXPECT_EQ(s.term(0).value(), 0u);
  EXPECT_EQ(s.term(1).error(), StorageError::kUnavailable);
  EXPECT_TRUE(s.entries(1, 1, kNoLimit).value().empty());
  EXPECT_TRUE(s.snapshot().value().empty());
  auto [hs, cs] = s.initial_state();
  EXPECT_TRUE(hs.empty());
  EXPECT_EQ(cs, ConfState{});
}

TEST(MemoryStorageTest, Term) {
  struct Case {
    Index i;
    std::optional<StorageError> want_err;
    Term want_term;
  };
  const std::vector<Case> cases = {
      {2, StorageError::kCompacted, 0},
      {3, std::nullopt, 3},  // The snapshot's own index answers with the snapshot's term.
      {4, std::nullopt, 4},
      {5, std::nullopt, 5},
      {6, StorageError::kUnavailable, 0},
  };
  MemoryStorage s = storage_3_to_5();
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "term(" << c.i << ")");
    auto t = s.term(c.i);
    if (c.want_err) {
      ASSERT_FALSE(t.has_value());
      EXPECT_EQ(t.error(), *c.want_err);
    } else {
      ASSERT_TRUE(t.has_value());
      EXPECT_EQ(*t, c.want_term);
    }
  }
}

TEST(MemoryStorageTest, Entries) {
  MemoryStorage s = storage_3_to_5();
  s.append({entry(6, 6)});
  const uint64_t one = entry(4, 4).size();  // Every entry here has the same size.
  struct Case {
    Index lo, hi;
    uint64_t max_bytes;
    std::optional<StorageError> want_err;
    std::vector<Entry> want;
  };
  const std::vector<Case> cases = {
      {2, 6, kNoLimit, StorageError::kCompacted, {}},
      {3, 4, kNoLimit, StorageError::kCompacted, {}},
      {4, 5, kNoLimit, std::nullopt, {entry(4, 4)}},
      {4, 6, kNoLimit, std::nullopt, {entry(4, 4), entry(5, 5)}},
      {4, 7, kNoLimit, std::nullopt, {entry(4, 4), entry(5, 5), entry(6, 6)}},
      {4, 8, kNoLimit, StorageError::kUnavailable, {}},
      {7, 7, kNoLimit, std::nullopt, {}},
      // Even with a zero limit the first entry is returned.
      {4, 7, 0, std::nullopt, {entry(4, 4)}},
      {4, 7, 2 * one, std::nullopt, {entry(4, 4), entry(5, 5)}},
      {4, 7, 2 * one + one / 2, std::nullopt, {entry(4, 4), entry(5, 5)}},
      {4, 7, 3 * one - 1, std::nullopt, {entry(4, 4), entry(5, 5)}},
      {4, 7, 3 * one, std::nullopt, {entry(4, 4), entry(5, 5), entry(6, 6)}},
  };
  for (size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    SCOPED_TRACE(::testing::Message()
                 << "#" << k << " entries(" << c.lo << ", " << c.hi << ", " << c.max_bytes << ")");
    auto got = s.entries(c.lo, c.hi, c.max_bytes);
    if (c.want_err) {
      ASSERT_FALSE(got.has_value());
      EXPECT_EQ(got.error(), *c.want_err);
    } else {
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(*got, c.want);
    }
  }
}

TEST(MemoryStorageTest, EntriesCountPayloadBytes) {
  MemoryStorage s;
  s.append({entry(1, 1, std::string(100, 'a')), entry(2, 1, "b"), entry(3, 1, "c")});
  // The first entry alone exceeds the limit and is still returned, alone.
  EXPECT_EQ(s.entries(1, 4, 50).value(), std::vector<Entry>({entry(1, 1, std::string(100, 'a'))}));
  const uint64_t small = entry(2, 1, "b").size();
  EXPECT_EQ(s.entries(2, 4, 2 * small).value().size(), 2u);
  EXPECT_EQ(s.entries(2, 4, 2 * small - 1).value().size(), 1u);
}

TEST(MemoryStorageTest, FirstAndLastIndex) {
  MemoryStorage s = storage_3_to_5();
  EXPECT_EQ(s.first_index(), 4u);
  EXPECT_EQ(s.last_index(), 5u);
  s.append({entry(6, 5)});
  EXPECT_EQ(s.first_index(), 4u);
  EXPECT_EQ(s.last_index(), 6u);
  ASSERT_EQ(s.compact(4), std::nullopt);
  EXPECT_EQ(s.first_index(), 5u);
  EXPECT_EQ(s.last_index(), 6u);
}

TEST(MemoryStorageTest, Compact) {
  struct Case {
    Index i;
    std::optional<StorageError> want_err;
    Index want_offset;
    Term want_offset_term;
    size_t want_len;  // Including the dummy entry.
  };
  const std::vector<Case> cases = {
      {2, StorageError::kCompacted, 3, 3, 3},
      {3, StorageError::kCompacted, 3, 3, 3},
      {4, std::nullopt, 4, 4, 2},
      {5, std::nullopt, 5, 5, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "compact(" << c.i << ")");
    MemoryStorage s = storage_3_to_5();
    EXPECT_EQ(s.compact(c.i), c.want_err);
    std::vector<Entry> all = stored(s);
    ASSERT_EQ(all.size(), c.want_len);
    EXPECT_EQ(all[0], entry(c.want_offset, c.want_offset_term));
    // The compacted prefix is gone, but the term at the compaction point is still known.
    EXPECT_EQ(s.term(c.want_offset).value(), c.want_offset_term);
    if (c.want_offset > 3) {
      EXPECT_EQ(s.term(c.want_offset - 1).error(), StorageError::kCompacted);
      EXPECT_EQ(s.entries(c.want_offset, c.want_offset + 1, kNoLimit).error(),
                StorageError::kCompacted);
    }
  }
}

TEST(MemoryStorageTest, CreateSnapshot) {
  ConfState cs;
  cs.voters = {1, 2, 3};
  struct Case {
    Index i;
    Term want_term;
  };
  for (const Case& c : std::vector<Case>{{4, 4}, {5, 5}}) {
    SCOPED_TRACE(::testing::Message() << "create_snapshot(" << c.i << ")");
    MemoryStorage s = storage_3_to_5();
    auto snap = s.create_snapshot(c.i, &cs, "data");
    ASSERT_TRUE(snap.has_value());
    Snapshot want = snapshot_at(c.i, c.want_term);
    want.metadata.conf_state = cs;
    want.data = "data";
    EXPECT_EQ(*snap, want.metadata);
    EXPECT_EQ(s.snapshot().value(), want);
    EXPECT_EQ(s.initial_state().second, cs);
    // Creating a snapshot does not compact: the entries are still readable.
    EXPECT_EQ(s.first_index(), 4u);
  }
}

TEST(MemoryStorageTest, CreateSnapshotKeepsConfStateWhenNoneGiven) {
  MemoryStorage s = storage_3_to_5();
  ConfState cs;
  cs.voters = {1, 2};
  ASSERT_TRUE(s.create_snapshot(4, &cs, "a").has_value());
  auto snap = s.create_snapshot(5, nullptr, "b");
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->conf_state, cs);
  EXPECT_EQ(s.snapshot()->data, "b");
}

TEST(MemoryStorageTest, CreateSnapshotRefusesOldIndexes) {
  MemoryStorage s = storage_3_to_5();
  s.append({entry(6, 6), entry(7, 7)});
  EXPECT_EQ(s.create_snapshot(3, nullptr, "").error(), StorageError::kCompacted);
  ASSERT_TRUE(s.create_snapshot(5, nullptr, "").has_value());
  EXPECT_EQ(s.create_snapshot(5, nullptr, "").error(), StorageError::kCompacted);
  EXPECT_EQ(s.create_snapshot(4, nullptr, "").error(), StorageError::kCompacted);
  // Compacted past the last snapshot: the term of 6 is gone, so no snapshot can be made there.
  ASSERT_EQ(s.compact(7), std::nullopt);
  EXPECT_EQ(s.create_snapshot(6, nullptr, "").error(), StorageError::kCompacted);
  auto at7 = s.create_snapshot(7, nullptr, "");
  ASSERT_TRUE(at7.has_value());
  EXPECT_EQ(at7->term, 7u);
}

TEST(MemoryStorageTest, Append) {
  struct Case {
    std::string name;
    std::vector<Entry> append;
    std::vector<Entry> want;  // Including the dummy entry (3, 3).
  };
  const std::vector<Case> cases = {
      {"all compacted: ignored",
       {entry(1, 1), entry(2, 2)},
       {entry(3, 3), entry(4, 4), entry(5, 5)}},
      {"identical: no change",
       {entry(3, 3), entry(4, 4), entry(5, 5)},
       {entry(3, 3), entry(4, 4), entry(5, 5)}},
      {"overlap with other terms: tail replaced",
       {entry(3, 3), entry(4, 6), entry(5, 6)},
       {entry(3, 3), entry(4, 6), entry(5, 6)}},
      {"overlap and extend",
       {entry(3, 3), entry(4, 4), entry(5, 5), entry(6, 5)},
       {entry(3, 3), entry(4, 4), entry(5, 5), entry(6, 5)}},
      {"compacted prefix dropped, tail truncated",
       {entry(2, 3), entry(3, 3), entry(4, 5)},
       {entry(3, 3), entry(4, 5)}},
      {"truncate the tail and append", {entry(4, 5)}, {entry(3, 3), entry(4, 5)}},
      {"direct append", {entry(6, 5)}, {entry(3, 3), entry(4, 4), entry(5, 5), entry(6, 5)}},
      {"empty", {}, {entry(3, 3), entry(4, 4), entry(5, 5)}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    MemoryStorage s = storage_3_to_5();
    s.append(c.append);
    EXPECT_EQ(stored(s), c.want);
    // The moving overload stores the same.
    MemoryStorage moved = storage_3_to_5();
    moved.append(std::vector<Entry>(c.append));
    EXPECT_EQ(stored(moved), c.want);
  }
}

TEST(MemoryStorageDeathTest, AppendWithGapPanics) {
  MemoryStorage s = storage_3_to_5();
  EXPECT_DEATH(s.append({entry(7, 5)}), "missing log entry \\[last: 5, append at: 7\\]");
}

TEST(MemoryStorageTest, ApplySnapshot) {
  ConfState cs;
  cs.voters = {1, 2, 3};
  Snapshot at4 = snapshot_at(4, 4);
  at4.metadata.conf_state = cs;
  at4.data = "data";

  MemoryStorage s;
  s.append({entry(1, 1), entry(2, 2)});
  ASSERT_EQ(s.apply_snapshot(at4), std::nullopt);
  EXPECT_EQ(s.snapshot().value(), at4);
  EXPECT_EQ(s.initial_state().second, cs);
  // The old entries are gone; the log continues right after the snapshot.
  EXPECT_EQ(s.first_index(), 5u);
  EXPECT_EQ(s.last_index(), 4u);
  EXPECT_EQ(s.term(4).value(), 4u);
  EXPECT_EQ(s.term(2).error(), StorageError::kCompacted);

  // An older snapshot, or the same one again, is refused and changes nothing.
  EXPECT_EQ(s.apply_snapshot(snapshot_at(3, 3)), StorageError::kCompacted);
  EXPECT_EQ(s.apply_snapshot(at4), StorageError::kCompacted);
  EXPECT_EQ(s.snapshot().value(), at4);
  EXPECT_EQ(s.first_index(), 5u);
}

TEST(MemoryStorageTest, HardStateRoundTrips) {
  MemoryStorage s;
  HardState hs{.term = 3, .vote = 2, .commit = 7};
  s.set_hard_state(hs);
  EXPECT_EQ(s.hard_state(), hs);
  EXPECT_EQ(s.initial_state().first, hs);
}

}  // namespace
}  // namespace regent::raft
