// The interval tree under the watcher group: it stays balanced and its max ends stay right
// through the insert and erase orders that rotate most (ascending, descending), and ids on one
// interval share its node.
#include "kv/key_interval_tree.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace regent::kv {
namespace {

std::string key_of(int i) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "k%05d", i);
  return buffer;
}

// [k(i), k(i + width)), or no end when width is 0.
KeyInterval interval_of(int i, int width) {
  if (width == 0) return KeyInterval{.begin = key_of(i)};
  return KeyInterval{.begin = key_of(i), .end = key_of(i + width)};
}

std::vector<int> stab_begins(const KeyIntervalTree& tree, const std::string& key) {
  std::vector<const KeyIntervalTree::Entry*> found;
  tree.stab(key, found);
  std::vector<int> begins;
  for (const auto* e : found) begins.push_back(std::stoi(e->interval.begin.substr(1)));
  return begins;
}

TEST(KeyIntervalTreeTest, StaysBalancedInAscendingAndDescendingOrder) {
  constexpr int kCount = 500;
  for (bool ascending : {true, false}) {
    SCOPED_TRACE(ascending ? "ascending" : "descending");
    KeyIntervalTree tree;
    for (int n = 0; n < kCount; ++n) {
      const int i = ascending ? n : kCount - 1 - n;
      // Width 3, and every 100th without an end: the max end moves with each rotation.
      ASSERT_TRUE(tree.insert(interval_of(i, i % 100 == 0 ? 0 : 3), static_cast<uint64_t>(i)));
      ASSERT_EQ(tree.find_problem(), "") << "after inserting " << i;
    }
    EXPECT_EQ(tree.intervals(), static_cast<size_t>(kCount));
    EXPECT_EQ(stab_begins(tree, key_of(250)), (std::vector<int>{0, 100, 200, 248, 249, 250}));
    for (int n = 0; n < kCount; ++n) {
      const int i = ascending ? n : kCount - 1 - n;
      ASSERT_TRUE(tree.erase(interval_of(i, i % 100 == 0 ? 0 : 3), static_cast<uint64_t>(i)));
      ASSERT_EQ(tree.find_problem(), "") << "after erasing " << i;
    }
    EXPECT_EQ(tree.intervals(), 0u);
  }
}

TEST(KeyIntervalTreeTest, IdsOnOneIntervalShareItsNode) {
  KeyIntervalTree tree;
  const KeyInterval ab{.begin = "a", .end = "b"};
  EXPECT_TRUE(tree.insert(ab, 1));
  EXPECT_TRUE(tree.insert(ab, 2));
  EXPECT_FALSE(tree.insert(ab, 2));
  EXPECT_EQ(tree.intervals(), 1u);
  EXPECT_EQ(tree.ids(), 2u);
  EXPECT_FALSE(tree.erase(ab, 3));
  EXPECT_FALSE(tree.erase(KeyInterval{.begin = "a"}, 1));  // Another interval: [a, no end).
  EXPECT_TRUE(tree.erase(ab, 1));
  EXPECT_EQ(tree.intervals(), 1u);
  EXPECT_TRUE(tree.erase(ab, 2));
  EXPECT_EQ(tree.intervals(), 0u);
  EXPECT_EQ(tree.find_problem(), "");
}

}  // namespace
}  // namespace regent::kv
