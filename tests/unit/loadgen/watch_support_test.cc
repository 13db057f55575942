// The watch workload's pieces that need no server: the value format and the seen-set.
#include <gtest/gtest.h>

#include "loadgen/seq_set.h"
#include "loadgen/watch_value.h"

namespace regent::loadgen {
namespace {

TEST(WatchValueTest, RoundTripsAndPadsToValueSize) {
  const std::string v = encode_watch_value({.seq = 42, .sent_ns = 123456789}, 20);
  EXPECT_EQ(v, "42:123456789........");
  const auto back = decode_watch_value(v);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->seq, 42u);
  EXPECT_EQ(back->sent_ns, 123456789);
  // Too small a size: the value is as long as it must be.
  EXPECT_EQ(encode_watch_value({.seq = 1, .sent_ns = 2}, 1), "1:2");
}

TEST(WatchValueTest, RefusesValuesThePutterDidNotWrite) {
  for (const char* bad : {"", "vvvvvvvv", "12", "12:", ":5", "1:2x", "-1:2", "1:2.x"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(decode_watch_value(bad).has_value());
  }
}

TEST(SeqSetTest, InOrderAdditionsMakeOneIntervalPerBreak) {
  SeqSet s;
  for (uint64_t n : {0, 1, 2, 3, 7, 8, 10}) EXPECT_TRUE(s.add(n));
  EXPECT_FALSE(s.add(8));  // Duplicate.
  EXPECT_EQ(s.size(), 7u);
  EXPECT_EQ(s.intervals(), (std::vector<std::pair<uint64_t, uint64_t>>{{0, 4}, {7, 9}, {10, 11}}));
  for (uint64_t n : {0, 3, 7, 8, 10}) EXPECT_TRUE(s.contains(n)) << n;
  for (uint64_t n : {4, 5, 6, 9, 11, 100}) EXPECT_FALSE(s.contains(n)) << n;
}

TEST(SeqSetTest, OutOfOrderAdditionsMergeNeighbours) {
  SeqSet s;
  for (uint64_t n : {10, 2, 5, 3, 4, 0, 1, 9, 6, 8, 7}) EXPECT_TRUE(s.add(n)) << n;
  EXPECT_EQ(s.intervals(), (std::vector<std::pair<uint64_t, uint64_t>>{{0, 11}}));
  EXPECT_EQ(s.size(), 11u);
  EXPECT_FALSE(s.add(4));
}

}  // namespace
}  // namespace regent::loadgen
