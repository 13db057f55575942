// RaftLog: stable storage + unstable tail + commit/applied (ported from etcd-io/raft log_test.go,
// plus the cases the Raft paper's safety arguments rest on).
#include "raft/log/raft_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "common/logger.h"
#include "raft/log/memory_storage.h"
#include "unit/raft/log_test_util.h"

namespace regent::raft {
namespace {

using log_test::entry;
using log_test::index_term_entries;
using log_test::snapshot_at;
using ::testing::Contains;
using ::testing::HasSubstr;

NullLogger null_logger;

RaftLog new_log(const MemoryStorage& storage, uint64_t max_applying_bytes = kNoLimit) {
  return RaftLog(&storage, &null_logger, max_applying_bytes);
}

// Entries from..from+terms.size()-1 with the given terms.
std::vector<Entry> with_terms(Index from, const std::vector<Term>& terms) {
  std::vector<Entry> ents;
  for (size_t k = 0; k < terms.size(); ++k) ents.push_back(entry(from + k, terms[k]));
  return ents;
}

TEST(RaftLogTest, NewLogStartsAtTheStorageSnapshot) {
  MemoryStorage storage;
  ASSERT_EQ(storage.apply_snapshot(snapshot_at(1000, 1000)), std::nullopt);
  RaftLog log = new_log(storage);
  EXPECT_TRUE(log.all_entries().empty());
  EXPECT_EQ(log.first_index(), 1001u);
  EXPECT_EQ(log.last_index(), 1000u);
  EXPECT_EQ(log.committed(), 1000u);
  EXPECT_EQ(log.applied(), 1000u);
  EXPECT_EQ(log.term(1000).value(), 1000u);
  EXPECT_EQ(log.last_term(), 1000u);
  EXPECT_EQ(log.describe(), "committed=1000 applied=1000 unstable.offset=1001 len(unstable)=0");
}

TEST(RaftLogTest, NewLogOverStoredEntriesHasNothingUnstable) {
  MemoryStorage storage;
  storage.append({entry(1, 1), entry(2, 2)});
  RaftLog log = new_log(storage);
  EXPECT_EQ(log.committed(), 0u);
  EXPECT_EQ(log.last_index(), 2u);
  EXPECT_TRUE(log.unstable_entries().empty());
  EXPECT_EQ(log.all_entries(), std::vector<Entry>({entry(1, 1), entry(2, 2)}));
}

TEST(RaftLogTest, FindConflict) {
  struct Case {
    std::string name;
    std::vector<Entry> ents;
    Index want;
  };
  const std::vector<Case> cases = {
      {"empty", {}, 0},
      {"all held", {entry(1, 1), entry(2, 2), entry(3, 3)}, 0},
      {"suffix held", {entry(2, 2), entry(3, 3)}, 0},
      {"last held", {entry(3, 3)}, 0},
      {"held then new", {entry(1, 1), entry(2, 2), entry(3, 3), entry(4, 4), entry(5, 4)}, 4},
      {"suffix held then new", {entry(2, 2), entry(3, 3), entry(4, 4), entry(5, 4)}, 4},
      {"last held then new", {entry(3, 3), entry(4, 4), entry(5, 4)}, 4},
      {"only new", {entry(4, 4), entry(5, 4)}, 4},
      {"conflict at the first entry", {entry(1, 4), entry(2, 4)}, 1},
      {"conflict in the middle", {entry(2, 1), entry(3, 4), entry(4, 4)}, 2},
      {"conflict at the last entry", {entry(3, 1), entry(4, 2), entry(5, 4), entry(6, 4)}, 3},
  };
  MemoryStorage storage;
  RaftLog log = new_log(storage);
  log.append({entry(1, 1), entry(2, 2), entry(3, 3)});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(log.find_conflict(c.ents), c.want);
  }
}

TEST(RaftLogTest, FindConflictByTerm) {
  struct Case {
    std::string name;
    std::vector<Entry> ents;  // ents[0] is the (index, term) of the storage snapshot.
    Index index;
    Term term;
    Index want;
  };
  const std::vector<Term> from_start = {0, 2, 2, 5, 5, 5};
  const std::vector<Term> compacted = {3, 3, 3, 4, 4, 4};
  const std::vector<Case> cases = {
      // Log starting at index 1: terms 2 2 5 5 5.
      {"beyond the log: unknown", with_terms(0, from_start), 100, 2, 100},
      {"newer term matches last", with_terms(0, from_start), 5, 6, 5},
      {"same term matches last", with_terms(0, from_start), 5, 5, 5},
      {"skip term 5 to the last entry of term 2", with_terms(0, from_start), 5, 4, 2},
      {"leader's term present", with_terms(0, from_start), 5, 2, 2},
      {"older than every entry", with_terms(0, from_start), 5, 1, 0},
      {"first entry", with_terms(0, from_start), 1, 2, 1},
      {"first entry, older term", with_terms(0, from_start), 1, 1, 0},
      {"index zero", with_terms(0, from_start), 0, 0, 0},
      // Log compacted up to (10, 3): terms 3 3 4 4 4 at 11..15.
      {"compacted: beyond the log", with_terms(10, compacted), 30, 3, 30},
      {"compacted: newer term", with_terms(10, compacted), 14, 9, 14},
      {"compacted: same term", with_terms(10, compacted), 14, 4, 14},
      {"compacted: skip term 4", with_terms(10, compacted), 14, 3, 12},
      {"compacted: runs into the compacted prefix", with_terms(10, compacted), 14, 2, 9},
      {"compacted: first entry", with_terms(10, compacted), 11, 5, 11},
      {"compacted: the snapshot's index", with_terms(10, compacted), 10, 5, 10},
      {"compacted: the snapshot's index, same term", with_terms(10, compacted), 10, 3, 10},
      {"compacted: the snapshot's index, older term", with_terms(10, compacted), 10, 2, 9},
      {"compacted: below the snapshot", with_terms(10, compacted), 9, 2, 9},
      {"compacted: far below the snapshot", with_terms(10, compacted), 4, 2, 4},
      {"compacted: index zero", with_terms(10, compacted), 0, 0, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    MemoryStorage storage;
    if (c.ents[0].index > 0) {
      ASSERT_EQ(storage.apply_snapshot(snapshot_at(c.ents[0].index, c.ents[0].term)), std::nullopt);
    }
    RaftLog log = new_log(storage);
    log.append(std::vector<Entry>(c.ents.begin() + 1, c.ents.end()));

    auto [index, term] = log.find_conflict_by_term(c.index, c.term);
    EXPECT_EQ(index, c.want);
    // The term is ours at that index, or 0 where we cannot tell.
    EXPECT_EQ(term, log.zero_term_on_error(index));
  }
}

TEST(RaftLogTest, IsUpToDate) {
  struct Case {
    Index lasti;
    Term term;
    bool want;
  };
  // Our log ends at (3, 3).
  const std::vector<Case> cases = {
      // A greater last term wins whatever the index.
      {2, 4, true},
      {3, 4, true},
      {4, 4, true},
      // A smaller last term loses whatever the index.
      {2, 2, false},
      {3, 2, false},
      {4, 2, false},
      // Equal last terms: the longer log (or an equal one) wins.
      {2, 3, false},
      {3, 3, true},
      {4, 3, true},
  };
  MemoryStorage storage;
  RaftLog log = new_log(storage);
  log.append({entry(1, 1), entry(2, 2), entry(3, 3)});
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << "candidate last entry (" << c.lasti << ", " << c.term << ")");
    EXPECT_EQ(log.is_up_to_date(c.lasti, c.term), c.want);
  }
}

TEST(RaftLogTest, Append) {
  struct Case {
    std::string name;
    std::vector<Entry> ents;
    Index want_last;
    std::vector<Entry> want;
    Index want_unstable_offset;
  };
  const std::vector<Case> cases = {
      {"nothing", {}, 2, {entry(1, 1), entry(2, 2)}, 3},
      {"at the end", {entry(3, 2)}, 3, {entry(1, 1), entry(2, 2), entry(3, 2)}, 3},
      {"replaces from index 1", {entry(1, 2)}, 1, {entry(1, 2)}, 1},
      {"replaces from index 2",
       {entry(2, 3), entry(3, 3)},
       3,
       {entry(1, 1), entry(2, 3), entry(3, 3)},
       2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    MemoryStorage storage;
    storage.append({entry(1, 1), entry(2, 2)});
    RaftLog log = new_log(storage);
    EXPECT_EQ(log.append(c.ents), c.want_last);
    EXPECT_EQ(log.entries(1, kNoLimit).value(), c.want);
    EXPECT_EQ(log.all_entries(), c.want);
    EXPECT_EQ(log.last_index(), c.want_last);
    EXPECT_EQ(log.unstable_entries(), std::vector<Entry>(c.ents.begin(), c.ents.end()));
    // The unstable offset is where the persisted log must be overwritten from.
    EXPECT_THAT(log.describe(),
                HasSubstr("unstable.offset=" + std::to_string(c.want_unstable_offset)));
  }
}

struct MaybeAppendCase {
  std::string name;
  Index index;  // The leader's previous entry: (index, log_term).
  Term log_term;
  Index committed;  // The leader's commit index.
  std::optional<Index> want_last_new;
  Index want_commit;
  std::vector<Entry> ents;
};

// Against the log 1:1 2:2 3:3 with commit index 1.
std::vector<MaybeAppendCase> maybe_append_cases() {
  return {
      {"prev term differs", 3, 2, 3, std::nullopt, 1, {entry(4, 4)}},
      {"prev beyond our log", 4, 3, 3, std::nullopt, 1, {entry(5, 4)}},
      // Matching our last entry.
      {"heartbeat", 3, 3, 3, 3, 3, {}},
      {"commit capped at last new", 3, 3, 4, 3, 3, {}},
      {"commit as the leader says", 3, 3, 2, 3, 2, {}},
      {"commit never decreases", 3, 3, 0, 3, 1, {}},
      {"empty log prefix", 0, 0, 3, 0, 1, {}},
      {"one new entry", 3, 3, 3, 4, 3, {entry(4, 4)}},
      {"one new entry, commit it", 3, 3, 4, 4, 4, {entry(4, 4)}},
      {"one new entry, commit capped", 3, 3, 5, 4, 4, {entry(4, 4)}},
      {"two new entries", 3, 3, 5, 5, 5, {entry(4, 4), entry(5, 4)}},
      // Matching an entry in the middle: the tail after it conflicts and is replaced.
      {"replace the last entry", 2, 2, 3, 3, 3, {entry(3, 4)}},
      {"replace the last two, keep one", 1, 1, 3, 2, 2, {entry(2, 4)}},
      {"replace the last two", 1, 1, 3, 3, 3, {entry(2, 4), entry(3, 4)}},
  };
}

TEST(RaftLogTest, MaybeAppend) {
  for (const MaybeAppendCase& c : maybe_append_cases()) {
    SCOPED_TRACE(c.name);
    MemoryStorage storage;
    RaftLog log = new_log(storage);
    log.append({entry(1, 1), entry(2, 2), entry(3, 3)});
    log.commit_to(1);

    EXPECT_EQ(log.maybe_append(c.index, c.log_term, c.committed, c.ents), c.want_last_new);
    EXPECT_EQ(log.committed(), c.want_commit);
    if (c.want_last_new && !c.ents.empty()) {
      // The log now holds exactly what was sent from index + 1 on.
      auto got = log.slice(c.index + 1, *c.want_last_new + 1, kNoLimit);
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(*got, c.ents);
    }
  }
}

TEST(RaftLogTest, MaybeAppendIgnoresAStaleAppend) {
  // Entries 1..5 arrived; then a delayed, older append for 2..3 shows up. It matches what we hold,
  // so nothing may be truncated: dropping 4..5 could lose entries we already acknowledged.
  MemoryStorage storage;
  RaftLog log = new_log(storage);
  ASSERT_EQ(log.maybe_append(0, 0, 0, with_terms(1, {1, 1, 1, 1, 1})), 5u);

  EXPECT_EQ(log.maybe_append(1, 1, 5, {entry(2, 1), entry(3, 1)}), 3u);
  EXPECT_EQ(log.last_index(), 5u);
  EXPECT_EQ(log.all_entries(), with_terms(1, {1, 1, 1, 1, 1}));
  // The stale leader said committed=5, but only 1..3 are known to match it.
  EXPECT_EQ(log.committed(), 3u);
}

TEST(RaftLogTest, MaybeAppendConflictInTheStablePart) {
  // 1..3 persisted, 4..5 unstable. A new leader overwrites from 2: the unstable tail restarts
  // below the stored entries, and reads must prefer it over the stale stored ones.
  MemoryStorage storage;
  storage.append(with_terms(1, {1, 1, 1}));
  RaftLog log = new_log(storage);
  log.append(with_terms(4, {1, 1}));
  log.commit_to(1);

  ASSERT_EQ(log.maybe_append(1, 1, 2, with_terms(2, {2, 2})), 3u);
  EXPECT_EQ(log.last_index(), 3u);
  EXPECT_EQ(log.term(2).value(), 2u);
  EXPECT_EQ(log.all_entries(), with_terms(1, {1, 2, 2}));
  EXPECT_EQ(log.unstable_entries(), with_terms(2, {2, 2}));
  EXPECT_EQ(log.committed(), 2u);

  // The host persists the tail (overwriting the stale entries) and acknowledges it.
  storage.append(log.unstable_entries());
  log.stable_to(3, 2);
  EXPECT_TRUE(log.unstable_entries().empty());
  EXPECT_EQ(log.all_entries(), with_terms(1, {1, 2, 2}));
}

TEST(RaftLogDeathTest, MaybeAppendConflictingWithACommittedEntryPanics) {
  MemoryStorage storage;
  RaftLog log = new_log(storage);
  log.append({entry(1, 1), entry(2, 2), entry(3, 3)});
  log.commit_to(1);
  EXPECT_DEATH(log.maybe_append(0, 0, 3, {entry(1, 4)}),
               "entry 1 conflicts with committed entry \\[committed\\(1\\)\\]");
}

TEST(RaftLogTest, NextCommittedEntries) {
  struct Case {
    Index applied;
    std::vector<Entry> want;
  };
  const std::vector<Case> cases = {
      {3, {entry(4, 1), entry(5, 1)}},
      {4, {entry(5, 1)}},
      {5, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "applied=" << c.applied);
    MemoryStorage storage;
    ASSERT_EQ(storage.apply_snapshot(snapshot_at(3, 1)), std::nullopt);
    RaftLog log = new_log(storage);
    log.append({entry(4, 1), entry(5, 1), entry(6, 1)});
    ASSERT_TRUE(log.maybe_commit(5, 1));
    log.applied_to(c.applied);

    EXPECT_EQ(log.has_next_committed_entries(), !c.want.empty());
    EXPECT_EQ(log.next_committed_entries(), c.want);
  }
}

TEST(RaftLogTest, NextCommittedEntriesHonoursTheByteLimit) {
  MemoryStorage storage;
  storage.append(with_terms(1, {1, 1}));
  const uint64_t one = entry(1, 1).size();
  RaftLog log = new_log(storage, 2 * one);
  log.append(with_terms(3, {1, 1, 1}));
  log.commit_to(5);

  // Batches cross the stable/unstable boundary and each holds as much as fits.
  EXPECT_EQ(log.next_committed_entries(), with_terms(1, {1, 1}));
  log.applied_to(2);
  EXPECT_EQ(log.next_committed_entries(), with_terms(3, {1, 1}));
  log.applied_to(4);
  EXPECT_EQ(log.next_committed_entries(), with_terms(5, {1}));
  log.applied_to(5);
  EXPECT_FALSE(log.has_next_committed_entries());

  // An entry larger than the limit still comes out, alone.
  log.append({entry(6, 1, std::string(10 * one, 'x')), entry(7, 1)});
  log.commit_to(7);
  EXPECT_EQ(log.next_committed_entries(),
            std::vector<Entry>({entry(6, 1, std::string(10 * one, 'x'))}));
}

TEST(RaftLogTest, PendingSnapshotHoldsBackCommittedEntries) {
  MemoryStorage storage;
  RaftLog log = new_log(storage);
  log.restore(snapshot_at(10, 2));
  log.append({entry(11, 2)});
  log.commit_to(11);
  // The snapshot must reach the state machine before the entries that follow it.
  EXPECT_FALSE(log.has_next_committed_entries());
  EXPECT_TRUE(log.next_committed_entries().empty());

  storage.apply_snapshot(*log.unstable_snapshot());
  log.stable_snapshot_to(10);
  log.applied_to(10);
  EXPECT_EQ(log.next_committed_entries(), std::vector<Entry>({entry(11, 2)}));
}

TEST(RaftLogTest, UnstableEntries) {
  const std::vector<Entry> all = {entry(1, 1), entry(2, 2)};
  struct Case {
    size_t stored;  // How many of `all` are in storage; the rest are appended to the log.
    std::vector<Entry> want;
  };
  for (const Case& c : std::vector<Case>{{2, {}}, {0, all}, {1, {entry(2, 2)}}}) {
    SCOPED_TRACE(::testing::Message() << c.stored << " stored");
    MemoryStorage storage;
    storage.append(std::vector<Entry>(all.begin(), all.begin() + c.stored));
    RaftLog log = new_log(storage);
    log.append(std::vector<Entry>(all.begin() + c.stored, all.end()));
    EXPECT_EQ(log.unstable_entries(), c.want);
    if (!c.want.empty()) log.stable_to(c.want.back().index, c.want.back().term);
    EXPECT_TRUE(log.unstable_entries().empty());
    EXPECT_EQ(log.describe(), "committed=0 applied=0 unstable.offset=3 len(unstable)=0");
  }
}

TEST(RaftLogTest, StableTo) {
  struct Case {
    std::string name;
    Index i;
    Term t;
    size_t want_unstable;
  };
  const std::vector<Case> cases = {
      {"first", 1, 1, 1},
      {"all", 2, 2, 0},
      {"stale term is ignored", 2, 1, 2},
      {"unknown index is ignored", 3, 1, 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    MemoryStorage storage;
    RaftLog log = new_log(storage);
    log.append({entry(1, 1), entry(2, 2)});
    log.stable_to(c.i, c.t);
    EXPECT_EQ(log.unstable_entries().size(), c.want_unstable);
  }
}

TEST(RaftLogTest, StableToWithSnapshot) {
  const Index si = 5;
  const Term st = 2;
  struct Case {
    Index i;
    Term t;
    std::vector<Entry> ents;
    size_t want_unstable;
  };
  const std::vector<Case> cases = {
      {si + 1, st, {}, 0},
      {si, st, {}, 0},
      {si - 1, st, {}, 0},
      {si + 1, st + 1, {}, 0},
      {si, st + 1, {}, 0},
      {si - 1, st + 1, {}, 0},
      {si + 1, st, {entry(si + 1, st)}, 0},
      {si, st, {entry(si + 1, st)}, 1},
      {si - 1, st, {entry(si + 1, st)}, 1},
      {si + 1, st + 1, {entry(si + 1, st)}, 1},
      {si, st + 1, {entry(si + 1, st)}, 1},
      {si - 1, st + 1, {entry(si + 1, st)}, 1},
  };
  for (size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    SCOPED_TRACE(::testing::Message() << "#" << k << " stable_to(" << c.i << ", " << c.t << ")");
    MemoryStorage storage;
    ASSERT_EQ(storage.apply_snapshot(snapshot_at(si, st)), std::nullopt);
    RaftLog log = new_log(storage);
    log.append(c.ents);
    log.stable_to(c.i, c.t);
    EXPECT_EQ(log.unstable_entries().size(), c.want_unstable);
  }
}

TEST(RaftLogTest, CommitTo) {
  struct Case {
    Index commit;
    Index want;
  };
  for (const Case& c : std::vector<Case>{{3, 3}, {2, 2}, {1, 2}}) {
    SCOPED_TRACE(::testing::Message() << "commit_to(" << c.commit << ")");
    MemoryStorage storage;
    RaftLog log = new_log(storage);
    log.append({entry(1, 1), entry(2, 2), entry(3, 3)});
    log.commit_to(2);
    log.commit_to(c.commit);
    EXPECT_EQ(log.committed(), c.want);  // Never decreases.
  }
}

TEST(RaftLogDeathTest, CommitToBeyondLastIndexPanics) {
  MemoryStorage storage;
  RaftLog log = new_log(storage);
  log.append({entry(1, 1), entry(2, 2), entry(3, 3)});
  EXPECT_DEATH(log.commit_to(4), "to_commit\\(4\\) is out of range \\[last_index\\(3\\)\\]");
}

TEST(RaftLogTest, MaybeCommitOnlyCountsEntriesOfTheGivenTerm) {
  // Raft figure 8: a leader of term 3 whose log ends 1:1 2:1 3:2 4:2 5:3 may not commit index 4
  // (term 2) just because a majority holds it; it can once a majority holds its own index 5.
  MemoryStorage storage;
  RaftLog log = new_log(storage);
  log.append(with_terms(1, {1, 1, 2, 2, 3}));

  EXPECT_FALSE(log.maybe_commit(4, 3));
  EXPECT_EQ(log.committed(), 0u);
  EXPECT_FALSE(log.maybe_commit(6, 3));  // Not in the log: term 0.
  EXPECT_EQ(log.committed(), 0u);
  EXPECT_TRUE(log.maybe_commit(5, 3));
  EXPECT_EQ(log.committed(), 5u);        // Commits 3 and 4 indirectly.
  EXPECT_FALSE(log.maybe_commit(5, 3));  // Nothing new.
  EXPECT_FALSE(log.maybe_commit(2, 1));  // Never backwards.
  EXPECT_EQ(log.committed(), 5u);
}

TEST(RaftLogTest, MaybeCommitTable) {
  struct Case {
    Index max_index;
    Term term;
    bool want;
    Index want_commit;
  };
  // Log 1:1 2:2 3:2, committed 1.
  const std::vector<Case> cases = {
      {3, 2, true, 3},  {2, 2, true, 2},  {3, 1, false, 1}, {3, 3, false, 1},
      {1, 1, false, 1}, {0, 0, false, 1}, {2, 1, false, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "maybe_commit(" << c.max_index << ", " << c.term << ")");
    MemoryStorage storage;
    RaftLog log = new_log(storage);
    log.append(with_terms(1, {1, 2, 2}));
    log.commit_to(1);
    EXPECT_EQ(log.maybe_commit(c.max_index, c.term), c.want);
    EXPECT_EQ(log.committed(), c.want_commit);
  }
}

TEST(RaftLogTest, AppliedToMovesWithinAppliedAndCommitted) {
  MemoryStorage storage;
  RaftLog log = new_log(storage);
  log.append(with_terms(1, {1, 1, 1}));
  log.commit_to(2);
  log.applied_to(1);
  EXPECT_EQ(log.applied(), 1u);
  log.applied_to(1);  // Re-acknowledging is harmless.
  log.applied_to(2);
  EXPECT_EQ(log.applied(), 2u);
  EXPECT_FALSE(log.has_next_committed_entries());
}

TEST(RaftLogTest, Compaction) {
  struct Case {
    std::string name;
    std::vector<Index> compact;
    std::vector<std::optional<size_t>> want_left;  // nullopt: the compaction is refused.
  };
  const std::vector<Case> cases = {
      {"in order", {300, 500, 800, 900}, {700, 500, 200, 100}},
      {"backwards", {300, 299}, {700, std::nullopt}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    MemoryStorage storage;
    for (Index i = 1; i <= 1000; ++i) storage.append({entry(i, 1)});
    RaftLog log = new_log(storage);
    ASSERT_TRUE(log.maybe_commit(1000, 1));
    log.applied_to(log.committed());
    for (size_t j = 0; j < c.compact.size(); ++j) {
      auto err = storage.compact(c.compact[j]);
      if (!c.want_left[j]) {
        EXPECT_EQ(err, StorageError::kCompacted);
        continue;
      }
      ASSERT_EQ(err, std::nullopt);
      EXPECT_EQ(log.all_entries().size(), *c.want_left[j]);
      EXPECT_EQ(log.first_index(), c.compact[j] + 1);
      // Reads below the compaction point report it; the compaction point's term is kept.
      EXPECT_EQ(log.term(c.compact[j]).value(), 1u);
      EXPECT_EQ(log.term(c.compact[j] - 1).error(), StorageError::kCompacted);
      EXPECT_EQ(log.slice(c.compact[j], c.compact[j] + 1, kNoLimit).error(),
                StorageError::kCompacted);
      EXPECT_EQ(log.entries(c.compact[j], kNoLimit).error(), StorageError::kCompacted);
    }
  }
}

TEST(RaftLogTest, CompactionSideEffects) {
  // 750 entries stored, 250 unstable, term == index; then storage compacts to 500.
  MemoryStorage storage;
  for (Index i = 1; i <= 750; ++i) storage.append({entry(i, i)});
  RaftLog log = new_log(storage);
  for (Index i = 751; i <= 1000; ++i) log.append({entry(i, i)});
  ASSERT_TRUE(log.maybe_commit(1000, 1000));
  log.applied_to(log.committed());
  ASSERT_EQ(storage.compact(500), std::nullopt);

  EXPECT_EQ(log.last_index(), 1000u);
  for (Index j = 500; j <= log.last_index(); ++j) {
    ASSERT_EQ(log.term(j).value(), j);
    ASSERT_TRUE(log.match_term(j, j));
  }
  ASSERT_EQ(log.unstable_entries().size(), 250u);
  EXPECT_EQ(log.unstable_entries().front().index, 751u);

  Index prev = log.last_index();
  log.append({entry(prev + 1, prev + 1)});
  EXPECT_EQ(log.last_index(), prev + 1);
  auto ents = log.entries(log.last_index(), kNoLimit);
  ASSERT_TRUE(ents.has_value());
  EXPECT_EQ(ents->size(), 1u);
}

TEST(RaftLogTest, Term) {
  const Index offset = 100;
  const Index num = 100;
  MemoryStorage storage;
  ASSERT_EQ(storage.apply_snapshot(snapshot_at(offset, 1)), std::nullopt);
  RaftLog log = new_log(storage);
  for (Index i = 1; i < num; ++i) log.append({entry(offset + i, i)});

  struct Case {
    Index i;
    std::optional<StorageError> want_err;
    Term want;
  };
  const std::vector<Case> cases = {
      {offset - 1, StorageError::kCompacted, 0},     {offset, std::nullopt, 1},
      {offset + num / 2, std::nullopt, num / 2},     {offset + num - 1, std::nullopt, num - 1},
      {offset + num, StorageError::kUnavailable, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "term(" << c.i << ")");
    auto t = log.term(c.i);
    if (c.want_err) {
      ASSERT_FALSE(t.has_value());
      EXPECT_EQ(t.error(), *c.want_err);
    } else {
      ASSERT_TRUE(t.has_value());
      EXPECT_EQ(*t, c.want);
    }
    EXPECT_EQ(log.zero_term_on_error(c.i), c.want);
  }
}

TEST(RaftLogTest, TermWithUnstableSnapshot) {
  const Index stored_snap = 100;
  const Index unstable_snap = stored_snap + 5;
  MemoryStorage storage;
  ASSERT_EQ(storage.apply_snapshot(snapshot_at(stored_snap, 1)), std::nullopt);
  RaftLog log = new_log(storage);
  log.restore(snapshot_at(unstable_snap, 1));

  struct Case {
    std::string name;
    Index i;
    Term want;
  };
  const std::vector<Case> cases = {
      {"storage's snapshot is now compacted", stored_snap, 0},
      {"gap after the stored snapshot", stored_snap + 1, 0},
      {"gap before the unstable snapshot", unstable_snap - 1, 0},
      {"the unstable snapshot", unstable_snap, 1},
      {"after the unstable snapshot", unstable_snap + 1, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(log.zero_term_on_error(c.i), c.want);
  }
}

TEST(RaftLogTest, Restore) {
  MemoryStorage storage;
  storage.append(with_terms(1, {1, 1, 2}));
  RaftLog log = new_log(storage);
  log.append(with_terms(4, {2, 2}));
  log.commit_to(4);
  log.applied_to(2);

  Snapshot snap = snapshot_at(10, 3);
  snap.data = "state";
  log.restore(snap);
  EXPECT_EQ(log.committed(), 10u);
  EXPECT_EQ(log.first_index(), 11u);
  EXPECT_EQ(log.last_index(), 10u);
  EXPECT_EQ(log.last_term(), 3u);
  EXPECT_TRUE(log.unstable_entries().empty());
  EXPECT_TRUE(log.all_entries().empty());
  ASSERT_TRUE(log.unstable_snapshot().has_value());
  EXPECT_EQ(*log.unstable_snapshot(), snap);
  EXPECT_EQ(log.snapshot().value(), snap);  // The unstable snapshot comes before storage's.
  EXPECT_FALSE(log.match_term(4, 2));       // The old log is gone.

  // The leader continues right after the snapshot.
  EXPECT_EQ(log.maybe_append(10, 3, 11, {entry(11, 3)}), 11u);
  EXPECT_EQ(log.committed(), 11u);

  storage.apply_snapshot(snap);
  log.stable_snapshot_to(10);
  EXPECT_FALSE(log.unstable_snapshot().has_value());
  EXPECT_EQ(log.snapshot().value(), snap);  // Now served by storage.
  EXPECT_EQ(log.all_entries(), std::vector<Entry>({entry(11, 3)}));
}

TEST(RaftLogTest, SliceBounds) {
  const Index offset = 100;
  const Index num = 100;
  MemoryStorage storage;
  ASSERT_EQ(storage.apply_snapshot(snapshot_at(offset, 0)), std::nullopt);
  RaftLog log = new_log(storage);
  for (Index i = 1; i <= num; ++i) log.append({entry(offset + i, 0)});
  const Index first = offset + 1;

  struct Case {
    Index lo, hi;
    bool want_compacted;
  };
  const std::vector<Case> cases = {
      {first - 2, first + 1, true},
      {first - 1, first + 1, true},
      {first, first, false},
      {first + num / 2, first + num / 2, false},
      {first + num - 1, first + num - 1, false},
      {first + num, first + num, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "slice(" << c.lo << ", " << c.hi << ")");
    auto got = log.slice(c.lo, c.hi, kNoLimit);
    if (c.want_compacted) {
      ASSERT_FALSE(got.has_value());
      EXPECT_EQ(got.error(), StorageError::kCompacted);
    } else {
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(got->size(), c.hi - c.lo);
    }
  }
}

TEST(RaftLogTest, SliceAcrossTheStableUnstableBoundary) {
  const Index offset = 100;
  const Index num = 100;
  const Index last = offset + num;
  const Index half = offset + num / 2;
  const uint64_t one = entry(half, half).size();

  // Entries (offset, half) are stored, [half, last) are unstable; term == index throughout.
  MemoryStorage storage;
  ASSERT_EQ(storage.apply_snapshot(snapshot_at(offset, 0)), std::nullopt);
  storage.append(index_term_entries(offset + 1, half));
  RaftLog log = new_log(storage);
  for (Index i = half; i < last; ++i) log.append({entry(i, i)});

  // Compacted ranges are covered by SliceBounds.
  struct Case {
    Index lo, hi;
    uint64_t max_bytes;
    std::vector<Entry> want;
  };
  auto ok = [](Index lo, Index hi, uint64_t lim, Index from, Index to) {
    return Case{lo, hi, lim, index_term_entries(from, to)};
  };
  const std::vector<Case> cases = {
      // No limit.
      ok(offset + 1, offset + 1, kNoLimit, 0, 0),
      ok(offset + 1, half - 1, kNoLimit, offset + 1, half - 1),
      ok(offset + 1, half, kNoLimit, offset + 1, half),
      ok(offset + 1, half + 1, kNoLimit, offset + 1, half + 1),
      ok(offset + 1, last, kNoLimit, offset + 1, last),
      ok(half - 1, half, kNoLimit, half - 1, half),
      ok(half - 1, half + 1, kNoLimit, half - 1, half + 1),
      ok(half - 1, last, kNoLimit, half - 1, last),
      ok(half, half + 1, kNoLimit, half, half + 1),
      ok(half, last, kNoLimit, half, last),
      ok(last - 1, last, kNoLimit, last - 1, last),
      // At least one entry is always returned.
      ok(offset + 1, last, 0, offset + 1, offset + 2),
      ok(half - 1, half + 1, 0, half - 1, half),
      ok(half, last, 0, half, half + 1),
      ok(half + 1, last, 0, half + 1, half + 2),
      // Low limits.
      ok(offset + 1, last, one - 1, offset + 1, offset + 2),
      ok(half - 1, half + 1, one + 1, half - 1, half),
      ok(half - 1, half + 1, 2 * one, half - 1, half + 1),
      ok(half - 1, half + 2, 2 * one, half - 1, half + 1),
      ok(half - 1, half + 2, 2 * one + one / 2, half - 1, half + 1),
      ok(half - 1, half + 2, 3 * one, half - 1, half + 2),
      ok(half - 2, half + 2, 3 * one, half - 2, half + 1),
      ok(half, half + 2, one, half, half + 1),
      ok(half, half + 2, 2 * one, half, half + 2),
      // Excessive limits.
      ok(offset + 1, last, num * one, offset + 1, last),
      ok(half, last, num * one, half, last),
  };
  for (size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    SCOPED_TRACE(::testing::Message()
                 << "#" << k << " slice(" << c.lo << ", " << c.hi << ", " << c.max_bytes << ")");
    auto got = log.slice(c.lo, c.hi, c.max_bytes);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, c.want);
    EXPECT_LE(entries_size(*got), std::max(c.max_bytes, one));
  }
}

TEST(RaftLogTest, EntriesFrom) {
  MemoryStorage storage;
  storage.append(with_terms(1, {1, 1}));
  RaftLog log = new_log(storage);
  log.append(with_terms(3, {2}));
  EXPECT_EQ(log.entries(1, kNoLimit).value(), with_terms(1, {1, 1, 2}));
  EXPECT_EQ(log.entries(2, kNoLimit).value(), with_terms(2, {1, 2}));
  EXPECT_EQ(log.entries(3, 0).value(), with_terms(3, {2}));
  EXPECT_TRUE(log.entries(4, kNoLimit).value().empty());
  EXPECT_TRUE(log.entries(100, kNoLimit).value().empty());
}

// Records what the log reports, to check that noteworthy events are logged.
class RecordingLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view message) override { lines.emplace_back(message); }
  bool enabled(LogLevel) const override { return true; }
  std::vector<std::string> lines;
};

TEST(RaftLogTest, LogsConflictsAndRestores) {
  MemoryStorage storage;
  RecordingLogger logger;
  RaftLog log(&storage, &logger, kNoLimit);
  log.append(with_terms(1, {1, 1}));
  ASSERT_TRUE(log.maybe_append(1, 1, 0, {entry(2, 2)}).has_value());
  log.restore(snapshot_at(5, 2));

  EXPECT_THAT(
      logger.lines,
      Contains(HasSubstr("found conflict at index 2 [existing term: 1, conflicting term: 2]")));
  EXPECT_THAT(logger.lines, Contains(HasSubstr("starts to restore snapshot [index: 5, term: 2]")));
}

}  // namespace
}  // namespace regent::raft
