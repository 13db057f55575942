// Revisions, versions and generations over puts and deletes; put flags; invalid arguments.
#include "kv/store.h"

#include <gtest/gtest.h>

#include "unit/kv/kv_test_util.h"

namespace regent::kv {
namespace {

using testing::all_keys;
using testing::del;
using testing::get;
using testing::must;
using testing::put;

TEST(StoreTest, AnEmptyStoreIsAtRevisionOne) {
  Store s;
  EXPECT_EQ(s.revision(), 1);
  EXPECT_EQ(s.compact_revision(), 0);
  RangeResponse r = must(s.range(all_keys()));
  EXPECT_TRUE(r.kvs.empty());
  EXPECT_EQ(r.count, 0);
  EXPECT_EQ(r.revision, 1);
  s.check_invariants();
}

TEST(StoreTest, RevisionsAndVersionsFollowTheKeysGenerations) {
  struct Step {
    bool is_put;
    int64_t revision;  // The store's, after the step.
    KeyValue want;     // The key after the step; an empty key: absent.
  };
  const std::vector<Step> steps = {
      {true, 2, {"k", 2, 2, 1, "v1", 0}}, {true, 3, {"k", 2, 3, 2, "v2", 0}}, {false, 4, {}},
      {true, 5, {"k", 5, 5, 1, "v4", 0}}, {true, 6, {"k", 5, 6, 2, "v5", 0}},
  };
  Store s;
  for (size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE(i);
    if (steps[i].is_put) {
      PutResponse r = put(s, "k", "v" + std::to_string(i + 1));
      EXPECT_EQ(r.revision, steps[i].revision);
    } else {
      EXPECT_EQ(del(s, "k").deleted, 1);
    }
    EXPECT_EQ(s.revision(), steps[i].revision);
    EXPECT_EQ(get(s, "k"), steps[i].want);
  }
  for (size_t i = 0; i < steps.size(); ++i) {  // Every past state is still there.
    SCOPED_TRACE(i);
    EXPECT_EQ(get(s, "k", steps[i].revision), steps[i].want);
  }
  EXPECT_EQ(get(s, "k", 1), KeyValue{});
  s.check_invariants();
}

TEST(StoreTest, EachKeyHasItsOwnVersionButTheRevisionIsShared) {
  Store s;
  put(s, "a", "1");
  put(s, "b", "1");
  put(s, "a", "2");
  EXPECT_EQ(get(s, "a"), (KeyValue{"a", 2, 4, 2, "2", 0}));
  EXPECT_EQ(get(s, "b"), (KeyValue{"b", 3, 3, 1, "1", 0}));
}

TEST(StoreTest, PutReturnsThePreviousKeyValueWhenAsked) {
  Store s;
  PutResponse first = must(s.put({.key = "k", .value = "a", .prev_kv = true}));
  EXPECT_FALSE(first.prev_kv.has_value());
  PutResponse second = must(s.put({.key = "k", .value = "b", .prev_kv = true}));
  EXPECT_EQ(second.prev_kv, (KeyValue{"k", 2, 2, 1, "a", 0}));
  EXPECT_FALSE(must(s.put({.key = "k", .value = "c"})).prev_kv.has_value());
}

TEST(StoreTest, PutKeepsValueOrLeaseWhenToldToIgnoreThem) {
  Store s;
  for (int64_t id : {7, 9}) must(s.lease_grant({.id = id, .ttl = 60}));
  put(s, "k", "value", 7);
  must(s.put({.key = "k", .lease = 9, .ignore_value = true}));
  EXPECT_EQ(get(s, "k"), (KeyValue{"k", 2, 3, 2, "value", 9}));
  must(s.put({.key = "k", .value = "new", .ignore_lease = true}));
  EXPECT_EQ(get(s, "k"), (KeyValue{"k", 2, 4, 3, "new", 9}));
  must(s.put({.key = "k", .ignore_value = true, .ignore_lease = true}));
  EXPECT_EQ(get(s, "k"), (KeyValue{"k", 2, 5, 4, "new", 9}));
}

TEST(StoreTest, IgnoringValueOrLeaseOfAMissingKeyFailsAndChangesNothing) {
  Store s;
  put(s, "gone", "x");
  del(s, "gone");
  for (const PutRequest& r : {PutRequest{.key = "never", .ignore_value = true},
                              PutRequest{.key = "never", .ignore_lease = true},
                              PutRequest{.key = "gone", .ignore_value = true}}) {
    auto result = s.put(r);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error(), (Error{ErrorCode::kKeyNotFound, "etcdserver: key not found"}));
  }
  EXPECT_EQ(s.revision(), 3);
}

TEST(StoreTest, DeleteCountsWhatItDeletedAndBumpsTheRevisionOnce) {
  Store s;
  for (const char* k : {"a", "b", "c", "d"}) put(s, k, k);
  DeleteRangeResponse r = must(s.delete_range({.key = "b", .range_end = "d", .prev_kv = true}));
  EXPECT_EQ(r.deleted, 2);
  EXPECT_EQ(r.revision, 6);
  ASSERT_EQ(r.prev_kvs.size(), 2u);
  EXPECT_EQ(r.prev_kvs[0], (KeyValue{"b", 3, 3, 1, "b", 0}));
  EXPECT_EQ(r.prev_kvs[1], (KeyValue{"c", 4, 4, 1, "c", 0}));
  EXPECT_EQ(s.revision(), 6);
  EXPECT_EQ(testing::keys_of(must(s.range(all_keys()))), (std::vector<std::string>{"a", "d"}));
  EXPECT_TRUE(del(s, "a", "b").prev_kvs.empty());  // Not asked for.
  s.check_invariants();
}

TEST(StoreTest, DeletingNothingLeavesTheRevisionAlone) {
  Store s;
  put(s, "a", "1");
  del(s, "a");
  for (auto [key, end] : std::vector<std::pair<std::string, std::string>>{
           {"a", ""}, {"zz", ""}, {"b", "c"}, {"a", std::string(1, '\0')}}) {
    DeleteRangeResponse r = del(s, key, end);
    EXPECT_EQ(r.deleted, 0);
    EXPECT_EQ(r.revision, 3);
  }
  EXPECT_EQ(s.revision(), 3);
}

TEST(StoreTest, KeysAndValuesAreArbitraryBytes) {
  Store s;
  const std::string key("\0k\xff", 3);
  const std::string value("\0\1\2\xfe", 4);
  put(s, key, value);
  put(s, std::string(1, '\xff'), "top");
  EXPECT_EQ(get(s, key).value, value);
  // Keys order as unsigned bytes: "\xff" sorts after everything.
  EXPECT_EQ(testing::keys_of(must(s.range(all_keys()))),
            (std::vector<std::string>{key, std::string(1, '\xff')}));
}

TEST(StoreTest, InvalidArgumentsAreRefusedAndChangeNothing) {
  const std::string empty_key(kEmptyKeyMessage);
  struct Case {
    const char* name;
    std::function<std::optional<Error>(Store&)> run;
    std::string message;
  };
  auto error_of = [](const auto& result) -> std::optional<Error> {
    if (result.has_value()) return std::nullopt;
    return result.error();
  };
  const std::vector<Case> cases = {
      {"range empty key", [&](Store& s) { return error_of(s.range({.key = ""})); }, empty_key},
      {"range empty key with end",
       [&](Store& s) { return error_of(s.range({.key = "", .range_end = "b"})); }, empty_key},
      {"put empty key", [&](Store& s) { return error_of(s.put({.value = "v"})); }, empty_key},
      {"put value with ignore_value",
       [&](Store& s) { return error_of(s.put({.key = "a", .value = "v", .ignore_value = true})); },
       std::string(kValueProvidedMessage)},
      {"put lease with ignore_lease",
       [&](Store& s) { return error_of(s.put({.key = "a", .lease = 5, .ignore_lease = true})); },
       std::string(kLeaseProvidedMessage)},
      {"delete empty key", [&](Store& s) { return error_of(s.delete_range({})); }, empty_key},
      {"txn compare empty key", [&](Store& s) { return error_of(s.txn({.compare = {Compare{}}})); },
       empty_key},
      {"txn op empty key",
       [&](Store& s) { return error_of(s.txn({.failure = {testing::op_put("", "v")}})); },
       empty_key},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Store s;
    put(s, "a", "1");
    const std::string before = s.image();
    std::optional<Error> e = c.run(s);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(e->message, c.message);
    EXPECT_EQ(s.image(), before);
  }
}

TEST(StoreTest, KeyZeroWithRangeEndZeroMeansEveryKey) {
  Store s;
  put(s, std::string(1, '\0'), "lowest");
  put(s, "m", "1");
  EXPECT_EQ(must(s.range(all_keys())).count, 2);
  EXPECT_EQ(must(s.range({.key = "a", .range_end = std::string(1, '\0')})).count, 1);
}

TEST(StoreTest, ReadsAtPastRevisionsSeeThePastAndFutureOnesFail) {
  Store s;
  put(s, "a", "1");  // 2
  put(s, "b", "1");  // 3
  del(s, "a");       // 4
  put(s, "a", "2");  // 5
  const std::vector<std::pair<int64_t, std::vector<std::string>>> cases = {
      {1, {}},         {2, {"a"}},      {3, {"a", "b"}}, {4, {"b"}},
      {5, {"a", "b"}}, {0, {"a", "b"}}, {-3, {"a", "b"}}};
  for (const auto& [rev, keys] : cases) {
    SCOPED_TRACE(rev);
    RangeResponse r = must(s.range(all_keys(rev)));
    EXPECT_EQ(testing::keys_of(r), keys);
    EXPECT_EQ(r.count, static_cast<int64_t>(keys.size()));
    EXPECT_EQ(r.revision, 5);  // The store's revision, whatever revision was read.
  }
  auto future = s.range(all_keys(6));
  ASSERT_FALSE(future.has_value());
  EXPECT_EQ(future.error(),
            (Error{ErrorCode::kFutureRevision, "mvcc: required revision is a future revision"}));
}

}  // namespace
}  // namespace regent::kv
