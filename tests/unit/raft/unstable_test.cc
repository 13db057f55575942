// Unstable: the not-yet-persisted tail of the log (ported from etcd-io/raft log_unstable_test.go).
#include "raft/log/unstable.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "unit/raft/log_test_util.h"

namespace regent::raft {
namespace {

using log_test::entry;
using log_test::snapshot_at;

// Builds the state etcd's tests write into the struct directly: a pending snapshot (which sets
// the offset to its index + 1), then entries starting at `offset`.
Unstable make_unstable(Index offset, const std::vector<Entry>& ents,
                       const std::optional<Snapshot>& snap) {
  Unstable u(offset);
  if (snap) u.restore(*snap);
  u.truncate_and_append(ents);
  EXPECT_EQ(u.offset(), offset);
  EXPECT_EQ(u.entries(), ents);
  return u;
}

struct Shape {
  std::string name;
  Index offset;
  std::vector<Entry> ents;
  std::optional<Snapshot> snap;
};

TEST(UnstableTest, MaybeFirstIndex) {
  struct Case {
    Shape shape;
    std::optional<Index> want;
  };
  const std::vector<Case> cases = {
      {{"entries, no snapshot", 5, {entry(5, 1)}, std::nullopt}, std::nullopt},
      {{"empty", 0, {}, std::nullopt}, std::nullopt},
      {{"entries and snapshot", 5, {entry(5, 1)}, snapshot_at(4, 1)}, 5},
      {{"snapshot only", 5, {}, snapshot_at(4, 1)}, 5},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.shape.name);
    Unstable u = make_unstable(c.shape.offset, c.shape.ents, c.shape.snap);
    EXPECT_EQ(u.maybe_first_index(), c.want);
  }
}

TEST(UnstableTest, MaybeLastIndex) {
  struct Case {
    Shape shape;
    std::optional<Index> want;
  };
  const std::vector<Case> cases = {
      {{"last in entries", 5, {entry(5, 1)}, std::nullopt}, 5},
      {{"last in entries, with snapshot", 5, {entry(5, 1)}, snapshot_at(4, 1)}, 5},
      {{"last in snapshot", 5, {}, snapshot_at(4, 1)}, 4},
      {{"empty", 0, {}, std::nullopt}, std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.shape.name);
    Unstable u = make_unstable(c.shape.offset, c.shape.ents, c.shape.snap);
    EXPECT_EQ(u.maybe_last_index(), c.want);
  }
}

TEST(UnstableTest, MaybeTerm) {
  struct Case {
    Shape shape;
    Index i;
    std::optional<Term> want;
  };
  const std::vector<Case> cases = {
      {{"from entries", 5, {entry(5, 1)}, std::nullopt}, 5, 1},
      {{"after entries", 5, {entry(5, 1)}, std::nullopt}, 6, std::nullopt},
      {{"before entries", 5, {entry(5, 1)}, std::nullopt}, 4, std::nullopt},
      {{"from entries, with snapshot", 5, {entry(5, 1)}, snapshot_at(4, 1)}, 5, 1},
      {{"after entries, with snapshot", 5, {entry(5, 1)}, snapshot_at(4, 1)}, 6, std::nullopt},
      {{"from snapshot", 5, {entry(5, 1)}, snapshot_at(4, 1)}, 4, 1},
      {{"before snapshot", 5, {entry(5, 1)}, snapshot_at(4, 1)}, 3, std::nullopt},
      {{"after snapshot only", 5, {}, snapshot_at(4, 1)}, 5, std::nullopt},
      {{"snapshot only", 5, {}, snapshot_at(4, 1)}, 4, 1},
      {{"empty", 0, {}, std::nullopt}, 5, std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.shape.name);
    Unstable u = make_unstable(c.shape.offset, c.shape.ents, c.shape.snap);
    EXPECT_EQ(u.maybe_term(c.i), c.want);
  }
}

TEST(UnstableTest, Restore) {
  Unstable u = make_unstable(5, {entry(5, 1)}, snapshot_at(4, 1));
  Snapshot s = snapshot_at(6, 2);
  u.restore(s);
  EXPECT_EQ(u.offset(), 7u);
  EXPECT_TRUE(u.entries().empty());
  ASSERT_TRUE(u.snapshot().has_value());
  EXPECT_EQ(*u.snapshot(), s);
}

TEST(UnstableTest, StableTo) {
  struct Case {
    Shape shape;
    Index i;
    Term t;
    Index want_offset;
    size_t want_len;
  };
  const std::vector<Case> cases = {
      {{"empty", 0, {}, std::nullopt}, 5, 1, 0, 0},
      {{"the only entry", 5, {entry(5, 1)}, std::nullopt}, 5, 1, 6, 0},
      {{"the first entry", 5, {entry(5, 1), entry(6, 1)}, std::nullopt}, 5, 1, 6, 1},
      {{"stale term: entry since replaced", 6, {entry(6, 2)}, std::nullopt}, 6, 1, 6, 1},
      {{"before offset", 5, {entry(5, 1)}, std::nullopt}, 4, 1, 5, 1},
      {{"before offset, other term", 5, {entry(5, 1)}, std::nullopt}, 4, 2, 5, 1},
      {{"the only entry, with snapshot", 5, {entry(5, 1)}, snapshot_at(4, 1)}, 5, 1, 6, 0},
      {{"the first entry, with snapshot", 5, {entry(5, 1), entry(6, 1)}, snapshot_at(4, 1)},
       5,
       1,
       6,
       1},
      {{"stale term, with snapshot", 6, {entry(6, 2)}, snapshot_at(5, 1)}, 6, 1, 6, 1},
      // Matching the snapshot's index releases no entries.
      {{"the snapshot's index", 5, {entry(5, 1)}, snapshot_at(4, 1)}, 4, 1, 5, 1},
      {{"the snapshot's index, other term", 5, {entry(5, 2)}, snapshot_at(4, 2)}, 4, 1, 5, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.shape.name);
    Unstable u = make_unstable(c.shape.offset, c.shape.ents, c.shape.snap);
    u.stable_to(c.i, c.t);
    EXPECT_EQ(u.offset(), c.want_offset);
    EXPECT_EQ(u.entries().size(), c.want_len);
    EXPECT_EQ(u.snapshot(), c.shape.snap);  // stable_to never touches the snapshot.
  }
}

TEST(UnstableTest, StableSnapshotTo) {
  Unstable u = make_unstable(5, {entry(5, 1)}, snapshot_at(4, 1));
  u.stable_snapshot_to(3);  // Another snapshot: ignored.
  EXPECT_TRUE(u.snapshot().has_value());
  u.stable_snapshot_to(4);
  EXPECT_FALSE(u.snapshot().has_value());
  EXPECT_EQ(u.offset(), 5u);
  EXPECT_EQ(u.entries(), std::vector<Entry>({entry(5, 1)}));
}

TEST(UnstableTest, TruncateAndAppend) {
  struct Case {
    Shape shape;
    std::vector<Entry> append;
    Index want_offset;
    std::vector<Entry> want;
  };
  const std::vector<Case> cases = {
      {{"append at the end", 5, {entry(5, 1)}, std::nullopt},
       {entry(6, 1), entry(7, 1)},
       5,
       {entry(5, 1), entry(6, 1), entry(7, 1)}},
      {{"replace from the offset", 5, {entry(5, 1)}, std::nullopt},
       {entry(5, 2), entry(6, 2)},
       5,
       {entry(5, 2), entry(6, 2)}},
      {{"replace from before the offset", 5, {entry(5, 1)}, std::nullopt},
       {entry(4, 2), entry(5, 2), entry(6, 2)},
       4,
       {entry(4, 2), entry(5, 2), entry(6, 2)}},
      {{"truncate in the middle", 5, {entry(5, 1), entry(6, 1), entry(7, 1)}, std::nullopt},
       {entry(6, 2)},
       5,
       {entry(5, 1), entry(6, 2)}},
      {{"truncate the last entry", 5, {entry(5, 1), entry(6, 1), entry(7, 1)}, std::nullopt},
       {entry(7, 2), entry(8, 2)},
       5,
       {entry(5, 1), entry(6, 1), entry(7, 2), entry(8, 2)}},
      {{"append after a snapshot", 5, {}, snapshot_at(4, 1)}, {entry(5, 2)}, 5, {entry(5, 2)}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.shape.name);
    Unstable u = make_unstable(c.shape.offset, c.shape.ents, c.shape.snap);
    u.truncate_and_append(c.append);
    EXPECT_EQ(u.offset(), c.want_offset);
    EXPECT_EQ(u.entries(), c.want);
  }
}

TEST(UnstableTest, Slice) {
  Unstable u = make_unstable(5, {entry(5, 1), entry(6, 1), entry(7, 2)}, std::nullopt);
  EXPECT_TRUE(u.slice(5, 5).empty());
  EXPECT_TRUE(u.slice(8, 8).empty());
  EXPECT_EQ(u.slice(5, 8), u.entries());
  EXPECT_EQ(u.slice(6, 8), std::vector<Entry>({entry(6, 1), entry(7, 2)}));
  EXPECT_EQ(u.slice(6, 7), std::vector<Entry>({entry(6, 1)}));
}

TEST(UnstableDeathTest, SliceOutOfBoundsPanics) {
  Unstable u = make_unstable(5, {entry(5, 1), entry(6, 1)}, std::nullopt);
  EXPECT_DEATH(u.slice(4, 6), "unstable.slice\\[4,6\\) out of bound \\[5,7\\]");
  EXPECT_DEATH(u.slice(6, 8), "out of bound");
}

}  // namespace
}  // namespace regent::raft
