// The store's size in use: what the space quota is checked against, so it must grow with what is
// written, shrink only when compaction drops versions, and survive an image unchanged.
#include <gtest/gtest.h>

#include <string>

#include "kv/store.h"
#include "unit/kv/kv_test_util.h"

namespace regent::kv {
namespace {

using testing::del;
using testing::must;
using testing::put;

TEST(BytesInUseTest, AnEmptyStoreWeighsNothing) { EXPECT_EQ(Store().bytes_in_use(), 0u); }

TEST(BytesInUseTest, EveryKeptVersionCountsItsValue) {
  Store s;
  put(s, "key", std::string(1000, 'a'));
  const uint64_t one = s.bytes_in_use();
  EXPECT_GE(one, 1003u);
  put(s, "key", std::string(1000, 'b'));
  // The older version is still kept (readable at its revision): both weigh.
  EXPECT_GE(s.bytes_in_use(), one + 1000);
  del(s, "key");
  EXPECT_GT(s.bytes_in_use(), one + 1000) << "a tombstone is kept too";
  s.check_invariants();
}

TEST(BytesInUseTest, CompactionGivesBackWhatItDrops) {
  Store s;
  for (int i = 0; i < 100; ++i) put(s, "key", std::string(1000, 'a' + i % 26));
  const uint64_t before = s.bytes_in_use();
  must(s.compact(CompactionRequest{.revision = s.revision()}));
  EXPECT_LT(s.bytes_in_use(), before / 50) << "99 of 100 versions were dropped";
  EXPECT_GE(s.bytes_in_use(), 1000u) << "the newest version stays";
  del(s, "key");
  must(s.compact(CompactionRequest{.revision = s.revision()}));
  EXPECT_EQ(s.bytes_in_use(), 0u) << "a deleted key compacted away weighs nothing";
  s.check_invariants();
}

TEST(BytesInUseTest, LeasesWeighToo) {
  Store s;
  must(s.lease_grant(LeaseGrantRequest{.id = 7, .ttl = 60}));
  EXPECT_EQ(s.bytes_in_use(), kLeaseWeight);
}

TEST(BytesInUseTest, ARestoredStoreWeighsTheSame) {
  Store s;
  for (int i = 0; i < 50; ++i) put(s, "k" + std::to_string(i % 7), std::string(i * 10, 'v'));
  must(s.compact(CompactionRequest{.revision = 30}));
  const Store restored = must(Store::restore(s.image()));
  EXPECT_EQ(restored.bytes_in_use(), s.bytes_in_use());
  // Of the order of the image: the quota means about what a snapshot of the store takes.
  EXPECT_LE(s.bytes_in_use(), 2 * s.image().size());
  EXPECT_GE(s.bytes_in_use(), s.image().size() / 2);
}

}  // namespace
}  // namespace regent::kv
