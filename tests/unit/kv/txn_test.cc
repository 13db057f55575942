// Txn: compares of every target and result, branches, nesting, own writes, revision rules,
// duplicate keys and the errors found before anything applies.
#include <gtest/gtest.h>

#include "kv/store.h"
#include "kv/validate.h"
#include "unit/kv/kv_test_util.h"

namespace regent::kv {
namespace {

using testing::cmp_version;
using testing::get;
using testing::must;
using testing::op_del;
using testing::op_get;
using testing::op_put;
using testing::op_txn;
using testing::put;
using Result = Compare::Result;
using Target = Compare::Target;

// A compare of `target` against an operand below, equal to or above the key's own field.
Compare make_compare(Target target, Result result, int64_t number, std::string value) {
  Compare c{.result = result, .target = target, .key = "k"};
  c.version = c.create_revision = c.mod_revision = c.lease = number;
  c.value = std::move(value);
  return c;
}

bool holds(Store& s, Compare c) { return must(s.txn({.compare = {std::move(c)}})).succeeded; }

TEST(TxnTest, EveryCompareTargetAndResult) {
  Store s;
  put(s, "k", "v");
  put(s, "other", "x");
  must(s.lease_grant({.id = 5, .ttl = 60}));
  must(s.put({.key = "k", .value = "m", .lease = 5}));
  // k: create 2, mod 4, version 2, value "m", lease 5.
  const std::vector<std::pair<Target, int64_t>> numbers = {
      {Target::kVersion, 2}, {Target::kCreate, 2}, {Target::kMod, 4}, {Target::kLease, 5}};
  for (Result result : {Result::kEqual, Result::kNotEqual, Result::kGreater, Result::kLess}) {
    for (int delta : {-1, 0, 1}) {  // operand = actual + delta
      const bool want = result == Result::kEqual      ? delta == 0
                        : result == Result::kNotEqual ? delta != 0
                        : result == Result::kGreater  ? delta < 0
                                                      : delta > 0;
      for (const auto& [target, actual] : numbers) {
        SCOPED_TRACE(::testing::Message() << "target " << static_cast<int>(target) << " result "
                                          << static_cast<int>(result) << " delta " << delta);
        EXPECT_EQ(holds(s, make_compare(target, result, actual + delta, "")), want);
      }
      const std::string operand = delta < 0 ? "l" : (delta == 0 ? "m" : "n");
      SCOPED_TRACE(::testing::Message()
                   << "value, result " << static_cast<int>(result) << " " << operand);
      EXPECT_EQ(holds(s, make_compare(Target::kValue, result, 0, operand)), want);
    }
  }
  EXPECT_EQ(s.revision(), 4);  // Compares alone write nothing.
}

TEST(TxnTest, AMissingKeyComparesAsAZeroKeyValueExceptByValue) {
  Store s;
  put(s, "gone", "x");
  testing::del(s, "gone");
  for (const char* key : {"never", "gone"}) {
    SCOPED_TRACE(key);
    auto c = [key](Target t, Result r, int64_t n, std::string v = "") {
      Compare out = make_compare(t, r, n, std::move(v));
      out.key = key;
      return out;
    };
    EXPECT_TRUE(holds(s, c(Target::kVersion, Result::kEqual, 0)));
    EXPECT_TRUE(holds(s, c(Target::kCreate, Result::kEqual, 0)));
    EXPECT_TRUE(holds(s, c(Target::kMod, Result::kLess, 1)));
    EXPECT_TRUE(holds(s, c(Target::kLease, Result::kEqual, 0)));
    EXPECT_FALSE(holds(s, c(Target::kVersion, Result::kGreater, 0)));
    // A value compare on a missing key always fails, even against "" or with NOT_EQUAL.
    EXPECT_FALSE(holds(s, c(Target::kValue, Result::kEqual, 0, "")));
    EXPECT_FALSE(holds(s, c(Target::kValue, Result::kNotEqual, 0, "x")));
    EXPECT_FALSE(holds(s, c(Target::kValue, Result::kLess, 0, "zzz")));
  }
}

TEST(TxnTest, ARangeCompareNeedsEveryKeyToHold) {
  Store s;
  put(s, "p/1", "a");
  put(s, "p/2", "a");
  put(s, "p/2", "b");
  Compare c = cmp_version("p/", Result::kEqual, 1);
  c.range_end = "p0";
  EXPECT_FALSE(holds(s, c));
  c.result = Result::kGreater;
  c.version = 0;
  EXPECT_TRUE(holds(s, c));
  Compare empty = cmp_version("q/", Result::kEqual, 0);
  empty.range_end = "q0";
  EXPECT_TRUE(holds(s, empty));  // No key: a zero KeyValue.
}

TEST(TxnTest, EveryCompareMustHoldToTakeTheSuccessBranch) {
  Store s;
  put(s, "a", "1");
  TxnRequest t{
      .compare = {cmp_version("a", Result::kEqual, 1), cmp_version("b", Result::kEqual, 1)},
      .success = {op_put("yes", "1")},
      .failure = {op_put("no", "1"), op_get("a")}};
  TxnResponse r = must(s.txn(t));
  EXPECT_FALSE(r.succeeded);
  ASSERT_EQ(r.responses.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<PutResponse>(r.responses[0].response));
  const auto& range = std::get<RangeResponse>(r.responses[1].response);
  EXPECT_EQ(testing::keys_of(range), (std::vector<std::string>{"a"}));
  EXPECT_EQ(get(s, "no").version, 1);
  EXPECT_EQ(get(s, "yes"), KeyValue{});
  put(s, "b", "1");
  EXPECT_TRUE(must(s.txn(t)).succeeded);
  EXPECT_EQ(get(s, "yes").version, 1);
}

TEST(TxnTest, OpsSeeTheTxnsOwnEarlierWrites) {
  Store s;
  put(s, "a", "old");
  put(s, "b", "1");
  TxnResponse r = must(s.txn(
      {.success = {op_get("a"), op_put("a", "new"), op_get("a"), op_del("b"), op_get("a", "z")}}));
  ASSERT_EQ(r.responses.size(), 5u);
  const auto& before = std::get<RangeResponse>(r.responses[0].response);
  EXPECT_EQ(before.kvs.at(0).value, "old");
  EXPECT_EQ(before.revision, 3);
  const auto& after = std::get<RangeResponse>(r.responses[2].response);
  EXPECT_EQ(after.kvs.at(0), (KeyValue{"a", 2, 4, 2, "new", 0}));
  EXPECT_EQ(after.revision, 4);
  EXPECT_EQ(std::get<DeleteRangeResponse>(r.responses[3].response).deleted, 1);
  EXPECT_EQ(testing::keys_of(std::get<RangeResponse>(r.responses[4].response)),
            (std::vector<std::string>{"a"}));
  EXPECT_EQ(r.revision, 4);
}

TEST(TxnTest, AllChangesOfATxnShareOneRevision) {
  Store s;
  put(s, "c", "1");
  TxnResponse r = must(s.txn({.success = {op_put("a", "1"), op_put("b", "1"), op_del("c")}}));
  EXPECT_EQ(r.revision, 3);
  EXPECT_EQ(s.revision(), 3);
  EXPECT_EQ(get(s, "a").mod_revision, 3);
  EXPECT_EQ(get(s, "b").mod_revision, 3);
  EXPECT_EQ(get(s, "c"), KeyValue{});
  EXPECT_EQ(get(s, "c", 2).value, "1");
  s.check_invariants();
}

TEST(TxnTest, OnlyTxnsThatChangeSomethingBumpTheRevision) {
  struct Case {
    const char* name;
    TxnRequest txn;
    int64_t revision;
  };
  const std::vector<Case> cases = {
      {"empty", {}, 2},
      {"reads only", {.success = {op_get("a"), op_get("a", "z")}}, 2},
      {"delete of nothing", {.success = {op_del("missing")}}, 2},
      {"failed compare, empty failure",
       {.compare = {cmp_version("a", Result::kEqual, 9)}, .success = {op_put("b", "1")}},
       2},
      {"nested read-only", {.success = {op_txn({.success = {op_get("a")}})}}, 2},
      {"one put", {.success = {op_put("b", "1")}}, 3},
      {"put in nested txn", {.success = {op_get("a"), op_txn({.success = {op_put("b", "1")}})}}, 3},
      {"delete", {.failure = {op_del("a")}}, 2},  // The failure branch is not taken.
      {"delete taken", {.success = {op_del("a")}}, 3},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Store s;
    put(s, "a", "1");
    TxnResponse r = must(s.txn(c.txn));
    EXPECT_EQ(s.revision(), c.revision);
    EXPECT_EQ(r.revision, c.revision);
  }
}

TEST(TxnTest, NestedTxnsTakeTheirOwnBranches) {
  Store s;
  put(s, "a", "1");
  TxnRequest inner_yes{.compare = {cmp_version("a", Result::kEqual, 1)},
                       .success = {op_put("x", "1")},
                       .failure = {op_put("x", "0")}};
  TxnRequest inner_no{.compare = {cmp_version("a", Result::kEqual, 7)},
                      .success = {op_put("y", "1")},
                      .failure = {op_put("y", "0")}};
  TxnResponse r = must(s.txn({.success = {op_txn(inner_yes), op_txn(inner_no)}}));
  ASSERT_EQ(r.responses.size(), 2u);
  EXPECT_TRUE(std::get<TxnResponse>(r.responses[0].response).succeeded);
  EXPECT_FALSE(std::get<TxnResponse>(r.responses[1].response).succeeded);
  EXPECT_EQ(get(s, "x").value, "1");
  EXPECT_EQ(get(s, "y").value, "0");
  EXPECT_EQ(get(s, "x").mod_revision, get(s, "y").mod_revision);
}

TEST(TxnTest, NestedComparesSeeTheStoreAsItWasBeforeTheTxn) {
  // etcd evaluates every compare on the txn's path before applying any op.
  Store s;
  TxnRequest inner{.compare = {cmp_version("a", Result::kEqual, 0)},
                   .success = {op_put("seen", "before")},
                   .failure = {op_put("seen", "after")}};
  must(s.txn({.success = {op_put("a", "1"), op_txn(inner)}}));
  EXPECT_EQ(get(s, "seen").value, "before");
}

TEST(TxnTest, DuplicateWritesAreRefused) {
  struct Case {
    const char* name;
    TxnRequest txn;
    bool duplicate;
  };
  const std::string zero(1, '\0');
  const std::vector<Case> cases = {
      {"put twice", {.success = {op_put("a", "1"), op_put("a", "2")}}, true},
      {"put twice in failure", {.failure = {op_put("a", "1"), op_put("a", "2")}}, true},
      {"put then delete", {.success = {op_put("a", "1"), op_del("a")}}, true},
      {"delete then put", {.success = {op_del("a"), op_put("a", "1")}}, true},
      {"put inside a deleted range", {.success = {op_del("a", "c"), op_put("b", "1")}}, true},
      {"put after a delete from key", {.success = {op_put("z", "1"), op_del("m", zero)}}, true},
      {"put beside a deleted range", {.success = {op_del("a", "c"), op_put("c", "1")}}, false},
      {"delete twice", {.success = {op_del("a"), op_del("a", "b")}}, false},
      {"put in each branch", {.success = {op_put("a", "1")}, .failure = {op_put("a", "2")}}, false},
      {"nested put and outer put",
       {.success = {op_put("a", "1"), op_txn({.success = {op_put("a", "2")}})}},
       true},
      {"nested put under an outer delete",
       {.success = {op_txn({.failure = {op_put("b", "2")}}), op_del("a", "c")}},
       true},
      {"put in each nested branch",
       {.success = {op_txn({.success = {op_put("a", "1")}, .failure = {op_put("a", "2")}})}},
       false},
      {"put and delete in nested branches",
       {.success = {op_txn({.success = {op_put("a", "1")}, .failure = {op_del("a")}})}},
       false},
      {"puts in sibling nested txns",
       {.success = {op_txn({.success = {op_put("a", "1")}}),
                    op_txn({.failure = {op_put("a", "2")}})}},
       true},
      {"put then delete in sibling nested txns",
       {.success = {op_txn({.success = {op_put("a", "1")}}), op_txn({.success = {op_del("a")}})}},
       true},
      {"different keys", {.success = {op_put("a", "1"), op_put("b", "1"), op_del("c")}}, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Store s;
    put(s, "a", "0");
    const std::string before = s.image();
    auto r = s.txn(c.txn);
    if (c.duplicate) {
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error(), (Error{ErrorCode::kInvalidArgument,
                                  "etcdserver: duplicate key given in txn request"}));
      EXPECT_EQ(s.image(), before);
    } else {
      EXPECT_TRUE(r.has_value()) << r.error().message;
    }
  }
}

TEST(TxnTest, ErrorsOnTheTakenPathAreFoundBeforeAnythingApplies) {
  Store s;
  put(s, "a", "1");
  put(s, "a", "2");
  must(s.compact({.revision = 3}));
  const RequestOp ignore_missing{PutRequest{.key = "missing", .ignore_value = true}};
  const RequestOp future_read{RangeRequest{.key = "a", .revision = 4}};
  const RequestOp compacted_read{RangeRequest{.key = "a", .revision = 2}};
  struct Case {
    const char* name;
    TxnRequest txn;
    ErrorCode code;
  };
  const std::vector<Case> cases = {
      {"ignore_value on a missing key",
       {.success = {op_put("b", "1"), ignore_missing}},
       ErrorCode::kKeyNotFound},
      {"nested",
       {.success = {op_put("b", "1"), op_txn({.success = {ignore_missing}})}},
       ErrorCode::kKeyNotFound},
      {"future read", {.success = {op_put("b", "1"), future_read}}, ErrorCode::kFutureRevision},
      {"compacted read", {.failure = {op_put("b", "1"), compacted_read}}, ErrorCode::kCompacted},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TxnRequest t = c.txn;
    if (t.success.empty()) t.compare = {cmp_version("a", Result::kEqual, 0)};
    auto r = s.txn(t);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, c.code);
    EXPECT_EQ(s.revision(), 3);
    EXPECT_EQ(get(s, "b"), KeyValue{});
  }
  // The same ops on the branch not taken are never checked.
  TxnResponse r = must(s.txn(
      {.success = {op_put("b", "1")}, .failure = {ignore_missing, future_read, compacted_read}}));
  EXPECT_TRUE(r.succeeded);
  EXPECT_EQ(get(s, "b").value, "1");
}

TEST(TxnTest, AReadAtAnExplicitRevisionInsideATxn) {
  Store s;
  put(s, "a", "1");
  put(s, "a", "2");
  TxnResponse r = must(
      s.txn({.success = {op_put("b", "1"), RequestOp{RangeRequest{.key = "a", .revision = 2}}}}));
  const auto& range = std::get<RangeResponse>(r.responses.at(1).response);
  EXPECT_EQ(range.kvs.at(0).value, "1");
  EXPECT_EQ(range.revision, 4);
}

TEST(TxnTest, NestingIsBounded) {
  TxnRequest t{.success = {op_put("deep", "1")}};
  for (int depth = 1; depth < kMaxTxnDepth; ++depth) t = TxnRequest{.success = {op_txn(t)}};
  Store s;
  EXPECT_TRUE(s.txn(t).has_value());
  t = TxnRequest{.success = {op_txn(t)}};
  auto r = s.txn(t);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, kTooManyOpsMessage);
  EXPECT_EQ(s.revision(), 2);
}

}  // namespace
}  // namespace regent::kv
