// Compaction: what it removes, what reads still see, and which revisions it refuses.
#include <gtest/gtest.h>

#include "kv/store.h"
#include "unit/kv/kv_test_util.h"

namespace regent::kv {
namespace {

using testing::all_keys;
using testing::del;
using testing::get;
using testing::must;
using testing::put;

// a@2 a@3 a@4 b@5 b deleted@6 c@7
Store history() {
  Store s;
  put(s, "a", "1");
  put(s, "a", "2");
  put(s, "a", "3");
  put(s, "b", "1");
  del(s, "b");
  put(s, "c", "1");
  return s;
}

std::vector<RangeResponse> answers(const Store& s, int64_t from) {
  std::vector<RangeResponse> out;
  for (int64_t rev = from; rev <= s.revision(); ++rev) out.push_back(must(s.range(all_keys(rev))));
  return out;
}

TEST(CompactionTest, RemovesOnlyWhatNoLaterReadCanSee) {
  struct Step {
    int64_t at;
    size_t versions;  // Kept puts and tombstones afterwards.
    size_t keys;
  };
  // At 4: a keeps a@4 only; b (5, 6) and c are later. At 6: b's newest change by then is a
  // tombstone, so b goes entirely. At 7: nothing older is left to drop.
  const std::vector<Step> steps = {{3, 5, 3}, {4, 4, 3}, {6, 2, 2}, {7, 2, 2}};
  Store s = history();
  EXPECT_EQ(s.version_count(), 6u);
  for (const Step& step : steps) {
    SCOPED_TRACE(step.at);
    const std::vector<RangeResponse> before = answers(s, step.at);
    const size_t image_size = s.image().size();
    CompactionResponse r = must(s.compact({.revision = step.at}));
    EXPECT_EQ(r.revision, 7);
    EXPECT_EQ(s.compact_revision(), step.at);
    EXPECT_EQ(s.revision(), 7);
    EXPECT_EQ(s.version_count(), step.versions);
    EXPECT_EQ(s.key_count(), step.keys);
    EXPECT_LE(s.image().size(), image_size);
    EXPECT_EQ(answers(s, step.at), before);  // Reads at and after the compaction are intact.
    s.check_invariants();
  }
}

TEST(CompactionTest, ReadsBeforeTheCompactedRevisionFail) {
  Store s = history();
  must(s.compact({.revision = 4}));
  for (int64_t rev : {1, 2, 3}) {
    SCOPED_TRACE(rev);
    auto r = s.range(all_keys(rev));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(),
              (Error{ErrorCode::kCompacted, "mvcc: required revision has been compacted"}));
  }
  EXPECT_EQ(get(s, "a", 4), (KeyValue{"a", 2, 4, 3, "3", 0}));
  EXPECT_EQ(get(s, "b", 5), (KeyValue{"b", 5, 5, 1, "1", 0}));
}

TEST(CompactionTest, RefusesFutureAndAlreadyCompactedRevisions) {
  Store s = history();
  auto future = s.compact({.revision = 8});
  ASSERT_FALSE(future.has_value());
  EXPECT_EQ(future.error().code, ErrorCode::kFutureRevision);
  must(s.compact({.revision = 5}));
  for (int64_t rev : {5, 4, 0, -1}) {
    SCOPED_TRACE(rev);
    auto again = s.compact({.revision = rev});
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().code, ErrorCode::kCompacted);
  }
  EXPECT_EQ(s.compact_revision(), 5);
}

TEST(CompactionTest, VersionsContinueAcrossACompaction) {
  Store s = history();
  must(s.compact({.revision = 7}));
  put(s, "a", "4");
  put(s, "b", "again");
  EXPECT_EQ(get(s, "a"), (KeyValue{"a", 2, 8, 4, "4", 0}));
  EXPECT_EQ(get(s, "b"), (KeyValue{"b", 9, 9, 1, "again", 0}));
  s.check_invariants();
}

TEST(CompactionTest, TheCurrentRevisionCanBeCompactedAndStillRead) {
  Store s = history();
  must(s.compact({.revision = s.revision()}));
  EXPECT_EQ(testing::keys_of(must(s.range(all_keys()))), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(s.version_count(), 2u);
  EXPECT_EQ(must(s.hash_kv(0)).compact_revision, 7);
}

}  // namespace
}  // namespace regent::kv
