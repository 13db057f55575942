// One key's history: generations, reads at revisions, compaction, and the history checks.
#include "kv/key_index.h"

#include <gtest/gtest.h>

namespace regent::kv {
namespace {

// put@2 put@3 delete@4 put@5 delete@6 put@7: generations {2, 3, 4t} {5, 6t} {7}.
KeyIndex sample() {
  KeyIndex k;
  k.put({2, 0}, "a", 0);
  k.put({3, 1}, "b", 0);
  k.tombstone({4, 0});
  k.put({5, 0}, "c", 3);
  k.tombstone({6, 2});
  k.put({7, 0}, "d", 0);
  return k;
}

TEST(KeyIndexTest, GenerationsNumberVersionsFromTheirCreation) {
  const KeyIndex k = sample();
  struct Want {
    int64_t at;
    const char* value;  // nullptr: absent.
    int64_t create;
    int64_t version;
  };
  for (const Want& w : std::vector<Want>{{1, nullptr, 0, 0},
                                         {2, "a", 2, 1},
                                         {3, "b", 2, 2},
                                         {4, nullptr, 0, 0},
                                         {5, "c", 5, 1},
                                         {6, nullptr, 0, 0},
                                         {7, "d", 7, 1},
                                         {100, "d", 7, 1}}) {
    SCOPED_TRACE(w.at);
    const Record* r = k.get(w.at);
    if (w.value == nullptr) {
      EXPECT_EQ(r, nullptr);
      continue;
    }
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->value, w.value);
    EXPECT_EQ(r->create_revision, w.create);
    EXPECT_EQ(r->version, w.version);
  }
  EXPECT_EQ(k.latest()->value, "d");
  EXPECT_EQ(valid_history(k.records(), 0, 7), "");
}

TEST(KeyIndexTest, CompactionKeepsTheNewestVersionUnlessItIsATombstone) {
  struct Case {
    int64_t at;
    std::vector<int64_t> kept;  // Main revisions left.
  };
  const std::vector<Case> cases = {{1, {2, 3, 4, 5, 6, 7}},
                                   {2, {2, 3, 4, 5, 6, 7}},
                                   {3, {3, 4, 5, 6, 7}},
                                   {4, {5, 6, 7}},
                                   {5, {5, 6, 7}},
                                   {6, {7}},
                                   {7, {7}},
                                   {9, {7}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.at);
    KeyIndex k = sample();
    EXPECT_FALSE(k.compact(c.at));
    std::vector<int64_t> kept;
    for (const Record& r : k.records()) kept.push_back(r.rev.main);
    EXPECT_EQ(kept, c.kept);
    EXPECT_EQ(valid_history(k.records(), c.at, std::max<int64_t>(c.at, 7)), "");
    EXPECT_EQ(k.get(std::max<int64_t>(c.at, 7))->value, "d");
  }
}

TEST(KeyIndexTest, AKeyWhoseLastChangeIsACompactedTombstoneVanishes) {
  KeyIndex k;
  k.put({2, 0}, "a", 0);
  k.tombstone({3, 0});
  EXPECT_FALSE(k.compact(2));
  EXPECT_TRUE(k.compact(3));
  EXPECT_TRUE(k.empty());
}

}  // namespace
}  // namespace regent::kv
