// Range: which keys, limits, counts, sorting and filters, table-driven over one fixture.
#include <gtest/gtest.h>

#include "kv/store.h"
#include "unit/kv/kv_test_util.h"

namespace regent::kv {
namespace {

using testing::must;
using testing::put;
using Order = RangeRequest::SortOrder;
using Target = RangeRequest::SortTarget;
using Keys = std::vector<std::string>;

const std::string kZero(1, '\0');

// Revisions:           c@2  ab@3  a@4  b@5  abc@6  b@7
// create revisions:    c 2, ab 3, a 4, b 5, abc 6     versions: b 2, the others 1
// mod revisions:       c 2, ab 3, a 4, abc 6, b 7     values: a "1", ab "4", abc "0", b "22", c "3"
Store fixture() {
  Store s;
  put(s, "c", "3");
  put(s, "ab", "4");
  put(s, "a", "1");
  put(s, "b", "2");
  put(s, "abc", "0");
  put(s, "b", "22");
  return s;
}

struct Case {
  const char* name;
  RangeRequest request;
  Keys keys;
  bool more = false;
  int64_t count = 0;
};

RangeRequest all() { return RangeRequest{.key = kZero, .range_end = kZero}; }

RangeRequest sorted(Order order, Target target, int64_t limit = 0) {
  RangeRequest r = all();
  r.sort_order = order;
  r.sort_target = target;
  r.limit = limit;
  return r;
}

RangeRequest with(RangeRequest r, void (*edit)(RangeRequest&)) {
  edit(r);
  return r;
}

TEST(RangeTest, Table) {
  const std::vector<Case> cases = {
      {"single key", {.key = "a"}, {"a"}, false, 1},
      {"single missing key", {.key = "aa"}, {}, false, 0},
      {"half-open range", {.key = "a", .range_end = "b"}, {"a", "ab", "abc"}, false, 3},
      {"prefix", {.key = "ab", .range_end = "ac"}, {"ab", "abc"}, false, 2},
      {"from key", {.key = "b", .range_end = kZero}, {"b", "c"}, false, 2},
      {"every key", all(), {"a", "ab", "abc", "b", "c"}, false, 5},
      {"empty range", {.key = "d", .range_end = "e"}, {}, false, 0},
      {"limit", with(all(), [](RangeRequest& r) { r.limit = 2; }), {"a", "ab"}, true, 5},
      {"limit equal to count",
       with(all(), [](RangeRequest& r) { r.limit = 5; }),
       {"a", "ab", "abc", "b", "c"},
       false,
       5},
      {"negative limit is none",
       with(all(), [](RangeRequest& r) { r.limit = -1; }),
       {"a", "ab", "abc", "b", "c"},
       false,
       5},
      {"count only", with(all(), [](RangeRequest& r) { r.count_only = true; }), {}, false, 5},
      {"count only with limit",
       with(all(), [](RangeRequest& r) { r.count_only = true, r.limit = 1; }),
       {},
       false,
       5},
      {"key ascending",
       sorted(Order::kAscend, Target::kKey),
       {"a", "ab", "abc", "b", "c"},
       false,
       5},
      {"key descending",
       sorted(Order::kDescend, Target::kKey),
       {"c", "b", "abc", "ab", "a"},
       false,
       5},
      {"key descending limited", sorted(Order::kDescend, Target::kKey, 2), {"c", "b"}, true, 5},
      {"version ascending (ties in key order)",
       sorted(Order::kAscend, Target::kVersion),
       {"a", "ab", "abc", "c", "b"},
       false,
       5},
      {"version descending (ties in key order)",
       sorted(Order::kDescend, Target::kVersion),
       {"b", "a", "ab", "abc", "c"},
       false,
       5},
      {"create ascending",
       sorted(Order::kAscend, Target::kCreate),
       {"c", "ab", "a", "b", "abc"},
       false,
       5},
      {"create ascending limited",
       sorted(Order::kAscend, Target::kCreate, 2),
       {"c", "ab"},
       true,
       5},
      {"create descending",
       sorted(Order::kDescend, Target::kCreate),
       {"abc", "b", "a", "ab", "c"},
       false,
       5},
      {"mod ascending",
       sorted(Order::kAscend, Target::kMod),
       {"c", "ab", "a", "abc", "b"},
       false,
       5},
      {"mod descending",
       sorted(Order::kDescend, Target::kMod),
       {"b", "abc", "a", "ab", "c"},
       false,
       5},
      {"value ascending",
       sorted(Order::kAscend, Target::kValue),
       {"abc", "a", "b", "c", "ab"},
       false,
       5},
      {"value descending",
       sorted(Order::kDescend, Target::kValue),
       {"ab", "c", "b", "a", "abc"},
       false,
       5},
      {"no order with a target sorts ascending",
       sorted(Order::kNone, Target::kCreate),
       {"c", "ab", "a", "b", "abc"},
       false,
       5},
      // etcd's quirk: with no order and no filter, limit + 1 keys are taken in key order first
      // (a, ab, abc), then sorted by the target, then cut to the limit.
      {"no order with a target limits in key order first",
       sorted(Order::kNone, Target::kCreate, 2),
       {"ab", "a"},
       true,
       5},
      {"min mod revision",
       with(all(), [](RangeRequest& r) { r.min_mod_revision = 4; }),
       {"a", "abc", "b"},
       false,
       5},
      {"max mod revision",
       with(all(), [](RangeRequest& r) { r.max_mod_revision = 3; }),
       {"ab", "c"},
       false,
       5},
      {"min create revision",
       with(all(), [](RangeRequest& r) { r.min_create_revision = 5; }),
       {"abc", "b"},
       false,
       5},
      {"max create revision",
       with(all(), [](RangeRequest& r) { r.max_create_revision = 3; }),
       {"ab", "c"},
       false,
       5},
      {"create window",
       with(all(), [](RangeRequest& r) { r.min_create_revision = 3, r.max_create_revision = 5; }),
       {"a", "ab", "b"},
       false,
       5},
      {"mod window on a prefix",
       with({.key = "a", .range_end = "b"},
            [](RangeRequest& r) { r.min_mod_revision = 4, r.max_mod_revision = 6; }),
       {"a", "abc"},
       false,
       3},
      {"filter then limit",
       with(all(), [](RangeRequest& r) { r.min_mod_revision = 3, r.limit = 2; }),
       {"a", "ab"},
       true,
       5},
      {"filter then sort then limit",
       with(sorted(Order::kDescend, Target::kMod, 2),
            [](RangeRequest& r) { r.max_mod_revision = 6; }),
       {"abc", "a"},
       true,
       5},
      {"past revision",
       with(all(), [](RangeRequest& r) { r.revision = 4; }),
       {"a", "ab", "c"},
       false,
       3},
      {"past revision limited",
       with(all(), [](RangeRequest& r) { r.revision = 3, r.limit = 1; }),
       {"ab"},
       true,
       2},
  };
  const Store s = fixture();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    RangeResponse r = must(s.range(c.request));
    EXPECT_EQ(testing::keys_of(r), c.keys);
    EXPECT_EQ(r.more, c.more);
    EXPECT_EQ(r.count, c.count);
    EXPECT_EQ(r.revision, 7);
  }
}

TEST(RangeTest, AnswersCarryEveryField) {
  const Store s = fixture();
  RangeResponse r = must(s.range({.key = "b"}));
  ASSERT_EQ(r.kvs.size(), 1u);
  EXPECT_EQ(r.kvs[0], (KeyValue{"b", 5, 7, 2, "22", 0}));
  RangeResponse past = must(s.range({.key = "b", .revision = 6}));
  EXPECT_EQ(past.kvs.at(0), (KeyValue{"b", 5, 5, 1, "2", 0}));
}

TEST(RangeTest, KeysOnlyDropsValuesEvenAfterSortingByThem) {
  const Store s = fixture();
  RangeRequest req = sorted(Order::kAscend, Target::kValue);
  req.keys_only = true;
  RangeResponse r = must(s.range(req));
  EXPECT_EQ(testing::keys_of(r), (Keys{"abc", "a", "b", "c", "ab"}));
  for (const KeyValue& kv : r.kvs) {
    EXPECT_TRUE(kv.value.empty());
    EXPECT_GT(kv.mod_revision, 0);
  }
}

TEST(RangeTest, DeletedKeysAreNotCounted) {
  Store s = fixture();
  testing::del(s, "ab");
  RangeResponse r = must(s.range({.key = "a", .range_end = "b"}));
  EXPECT_EQ(testing::keys_of(r), (Keys{"a", "abc"}));
  EXPECT_EQ(r.count, 2);
  EXPECT_EQ(must(s.range({.key = "a", .range_end = "b", .revision = 7})).count, 3);
}

}  // namespace
}  // namespace regent::kv
