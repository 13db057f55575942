// ImageJob: the image at a revision, written in steps while the store moves on, is exactly
// image() at that revision; compaction meanwhile neither changes it nor the store's answers.
#include "kv/image_job.h"

#include <gtest/gtest.h>

#include <functional>
#include <optional>

#include "common/prng.h"
#include "kv/store.h"
#include "unit/kv/kv_test_util.h"

namespace regent::kv {
namespace {

using testing::all_keys;
using testing::del;
using testing::must;
using testing::put;

// Steps `job` to the end on `store`, calling between(store) after every step that left more.
std::string run(ImageJob& job, Store& store, const ImageChunk& chunk,
                const std::function<void(Store&)>& between = {}) {
  for (int steps = 0; steps < 1'000'000; ++steps) {
    const ImageJob::Progress p = job.step(store, chunk);
    EXPECT_NE(p, ImageJob::Progress::kStoreReplaced);
    if (p != ImageJob::Progress::kMore) return job.take();
    if (between) between(store);
  }
  ADD_FAILURE() << "the job never ended";
  return "";
}

// Keys a..h with histories, deletes, a lease and a compaction: every kind of record.
Store sample() {
  Store s;
  must(s.lease_grant({.id = 7, .ttl = 60}));
  for (char k = 'a'; k <= 'h'; ++k) put(s, std::string(1, k), "v1");
  put(s, "b", "v2", 7);
  del(s, "c");
  put(s, "d", "v2");
  must(s.compact({.revision = s.revision() - 1}));
  put(s, "e", "v2");
  del(s, "f");
  put(s, "f", "again", 7);
  must(s.lease_checkpoint({.checkpoints = {{.id = 7, .remaining_ttl = 30}}}));
  return s;
}

// One random write of any kind, most of them on keys the job has yet to reach or has passed;
// failures (a revoke of nothing, a compaction at or before the last) change nothing.
void random_write(Store& s, Prng& prng) {
  const std::string key(1, static_cast<char>('a' + prng.uniform(12)));
  const int64_t lease = static_cast<int64_t>(prng.between(1, 3));
  switch (prng.uniform(8)) {
    case 0:
      (void)s.put({.key = key, .value = std::string(prng.uniform(40), 'p'), .lease = lease});
      break;
    case 1:
      (void)s.put({.key = key, .value = "x"});
      break;
    case 2:
      (void)s.delete_range({.key = key, .range_end = prng.chance(1, 2) ? "" : key + "\x7f"});
      break;
    case 3:
      (void)s.txn({.success = {testing::op_put(key, "t"), testing::op_del(key + "0")}});
      break;
    case 4:
      (void)s.lease_grant({.id = lease, .ttl = 10});
      break;
    case 5:
      (void)s.lease_revoke({.id = lease});  // Deletes the keys attached to it.
      break;
    case 6:
      (void)s.lease_checkpoint({.checkpoints = {{.id = lease, .remaining_ttl = 5}}});
      break;
    default:
      if (s.compact_revision() == s.revision()) break;  // Nothing left to compact.
      (void)s.compact({.revision = static_cast<int64_t>(
                           prng.between(static_cast<uint64_t>(s.compact_revision()) + 1,
                                        static_cast<uint64_t>(s.revision())))});
  }
}

void random_history(Store& s, Prng& prng, int writes) {
  for (int i = 0; i < writes; ++i) random_write(s, prng);
}

TEST(ImageJobTest, OnAStoreThatStandsStillItWritesImage) {
  const std::vector<ImageChunk> chunks = {
      {.max_keys = 1}, {.max_keys = 3}, {}, {.max_keys = 100, .max_bytes = 1}};
  for (const Store& original : {Store(), sample()}) {
    for (size_t i = 0; i < chunks.size(); ++i) {
      SCOPED_TRACE(i);
      Store s = original;
      ImageJob job = s.begin_image();
      EXPECT_EQ(job.revision(), s.revision());
      EXPECT_EQ(run(job, s, chunks[i]), s.image());
    }
  }
}

// The heart of it: any write between any two steps, compaction included, changes nothing in
// the job's image; and the store itself ends exactly as a twin that ran no job.
TEST(ImageJobTest, WritesBetweenStepsDoNotChangeTheImage) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(seed);
    Prng prng(seed);
    Store s;
    random_history(s, prng, 60);
    Store twin = s;
    const Store at_r = s;
    ImageJob job = s.begin_image();
    Prng writes(seed + 1000);
    Prng twin_writes(seed + 1000);
    const size_t max_keys = prng.between(1, 3);
    const std::string image = run(job, s, {.max_keys = max_keys}, [&](Store& store) {
      random_write(store, writes);
      random_write(twin, twin_writes);
    });
    EXPECT_EQ(image, at_r.image());
    s.check_invariants();
    EXPECT_EQ(s.image(), twin.image());
  }
}

TEST(ImageJobTest, CompactionDuringAJobAnswersAsCompactedAtOnceAndSparesTheImage) {
  Store s = sample();
  const Store at_r = s;
  const int64_t r = s.revision();
  ImageJob job = s.begin_image();
  ASSERT_EQ(job.step(s, {.max_keys = 2}), ImageJob::Progress::kMore);  // "a" and "b" written.
  // "c" was deleted before R, "g" is deleted now: compaction erases both keys entirely, and
  // drops the older versions of the rest.
  put(s, "d", "v3");
  del(s, "g");
  put(s, "a", "after R");
  const int64_t compacted = s.revision();
  must(s.compact({.revision = compacted}));
  EXPECT_EQ(s.range(all_keys(r)).error().code, ErrorCode::kCompacted);
  EXPECT_EQ(s.range(all_keys(compacted - 1)).error().code, ErrorCode::kCompacted);
  EXPECT_EQ(s.events(KeyRange::checked("a", "z"), r, 0).error().code, ErrorCode::kCompacted);
  s.check_invariants();
  put(s, "g", "reborn");  // A new generation of an erased key, after R.
  put(s, "0", "before every key");
  must(s.compact({.revision = s.revision()}));
  EXPECT_EQ(run(job, s, {.max_keys = 1}), at_r.image());
  EXPECT_EQ(s.image_jobs(), 0u);
}

// What a member restores from the job's image answers every read the original answered at R.
TEST(ImageJobTest, ItsImageRestoresToTheStoreAtEveryKeptRevision) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE(seed);
    Prng prng(seed);
    Store s;
    random_history(s, prng, 80);
    const Store at_r = s;
    ImageJob job = s.begin_image();
    const std::string image =
        run(job, s, {.max_keys = 2}, [&](Store& store) { random_write(store, prng); });
    const Store restored = must(Store::restore(image));
    restored.check_invariants();
    EXPECT_EQ(restored.leases(), at_r.leases());
    for (int64_t rev = at_r.compact_revision(); rev <= at_r.revision(); ++rev) {
      SCOPED_TRACE(rev);
      EXPECT_EQ(must(restored.range(all_keys(rev))), must(at_r.range(all_keys(rev))));
      if (rev > at_r.compact_revision()) {
        EXPECT_EQ(must(restored.hash_kv(rev)).hash, must(at_r.hash_kv(rev)).hash);
      }
    }
    const std::string nul(1, '\0');  // KeyRange views it: it must outlive the range.
    const KeyRange every = KeyRange::checked(nul, nul);
    const int64_t from = at_r.compact_revision() + 1;
    EXPECT_EQ(must(restored.events(every, from, 0)), must(at_r.events(every, from, 0)));
  }
}

TEST(ImageJobTest, AnAbandonedJobReleasesWhatCompactionKeptForIt) {
  Store s = sample();
  Store twin = s;
  std::optional<ImageJob> job = s.begin_image();
  ASSERT_EQ(job->step(s, {.max_keys = 1}), ImageJob::Progress::kMore);
  EXPECT_EQ(s.image_jobs(), 1u);
  del(s, "h");
  del(twin, "h");
  must(s.compact({.revision = s.revision()}));
  job.reset();
  EXPECT_EQ(s.image_jobs(), 0u);
  must(twin.compact({.revision = twin.revision()}));
  put(s, "a", "later");
  put(twin, "a", "later");
  must(s.compact({.revision = s.revision()}));
  must(twin.compact({.revision = twin.revision()}));
  EXPECT_EQ(s.image(), twin.image());
}

TEST(ImageJobTest, AStoreRestoredOverOrCopiedDoesNotServeTheJob) {
  Store s = sample();
  ImageJob job = s.begin_image();
  Store copy = s;
  EXPECT_EQ(copy.image_jobs(), 0u);
  EXPECT_EQ(job.step(copy), ImageJob::Progress::kStoreReplaced);
  s = must(Store::restore(s.image()));
  EXPECT_EQ(s.image_jobs(), 0u);
  EXPECT_EQ(job.step(s), ImageJob::Progress::kStoreReplaced);
}

TEST(ImageJobTest, TwoJobsAtTwoRevisionsEachWriteTheirOwn) {
  Prng prng(7);
  Store s;
  random_history(s, prng, 60);
  const Store at_first = s;
  ImageJob first = s.begin_image();
  ASSERT_EQ(first.step(s, {.max_keys = 2}), ImageJob::Progress::kMore);
  random_history(s, prng, 20);
  must(s.compact({.revision = s.revision()}));
  const Store at_second = s;
  ImageJob second = s.begin_image();
  EXPECT_EQ(s.image_jobs(), 2u);
  const auto write = [&prng](Store& store) { random_write(store, prng); };
  EXPECT_EQ(run(second, s, {.max_keys = 1}, write), at_second.image());
  EXPECT_EQ(run(first, s, {.max_keys = 3}, write), at_first.image());
}

}  // namespace
}  // namespace regent::kv
