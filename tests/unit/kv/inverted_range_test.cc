// A range_end at or before the key names no key: etcd answers such a Range with nothing, deletes
// nothing for such a DeleteRange (and spends no revision), and treats such a range the same way
// inside a txn, in its ops and its compares. Clients rely on it (`etcdctl get b a`).
#include <gtest/gtest.h>

#include "kv/store.h"
#include "kv/validate.h"
#include "unit/kv/kv_test_util.h"

namespace regent::kv {
namespace {

using testing::must;
using testing::put;

// Keys a, b, c at revisions 2, 3, 4.
Store abc() {
  Store s;
  for (const char* key : {"a", "b", "c"}) put(s, key, "v");
  return s;
}

// [key, end) with end at or before key.
const std::vector<std::pair<std::string, std::string>> kInverted = {
    {"b", "a"}, {"b", "b"}, {"c", "a"}, {"bb", "b"}, {"b", std::string("\0\0", 2)}};

TEST(InvertedRangeTest, RangeIsEmptyNotAnError) {
  Store s = abc();
  for (const auto& [key, end] : kInverted) {
    SCOPED_TRACE(key + ".." + end);
    EXPECT_TRUE(check_range_request({.key = key, .range_end = end}).has_value());
    RangeResponse r = must(s.range({.key = key, .range_end = end}));
    EXPECT_TRUE(r.kvs.empty());
    EXPECT_EQ(r.count, 0);
    EXPECT_FALSE(r.more);
    EXPECT_EQ(r.revision, 4);
    EXPECT_EQ(must(s.range({.key = key, .range_end = end, .count_only = true})).count, 0);
  }
}

TEST(InvertedRangeTest, DeleteRangeDeletesNothingAndKeepsTheRevision) {
  for (const auto& [key, end] : kInverted) {
    SCOPED_TRACE(key + ".." + end);
    Store s = abc();
    const std::string before = s.image();
    EXPECT_TRUE(check_delete_request({.key = key, .range_end = end}).has_value());
    DeleteRangeResponse d = must(s.delete_range({.key = key, .range_end = end, .prev_kv = true}));
    EXPECT_EQ(d.deleted, 0);
    EXPECT_TRUE(d.prev_kvs.empty());
    EXPECT_EQ(d.revision, 4);
    EXPECT_EQ(s.revision(), 4);
    EXPECT_EQ(s.image(), before);
  }
}

TEST(InvertedRangeTest, TxnOpsAndComparesSeeNoKey) {
  Store s = abc();
  // A compare over no key: VERSION sees a zero record (holds for "= 0"), as on a missing key.
  Compare none = testing::cmp_version("b", Compare::Result::kEqual, 0);
  none.range_end = "a";
  TxnRequest t{
      .compare = {none},
      .success = {testing::op_get("b", "a"), testing::op_del("c", "b"), testing::op_put("z", "1")}};
  ASSERT_TRUE(check_txn_request(t).has_value());
  TxnResponse r = must(s.txn(t));
  EXPECT_TRUE(r.succeeded);
  ASSERT_EQ(r.responses.size(), 3u);
  EXPECT_EQ(std::get<RangeResponse>(r.responses[0].response).count, 0);
  EXPECT_EQ(std::get<DeleteRangeResponse>(r.responses[1].response).deleted, 0);
  EXPECT_EQ(testing::keys_of(must(s.range(testing::all_keys()))),
            (std::vector<std::string>{"a", "b", "c", "z"}));

  // A put inside an inverted delete range is no duplicate: the delete covers no key.
  TxnRequest put_and_del{.success = {testing::op_del("c", "a"), testing::op_put("b", "9")}};
  EXPECT_TRUE(check_txn_request(put_and_del).has_value());
  // A VALUE compare over no key fails, as on a missing key.
  Compare value{.result = Compare::Result::kEqual,
                .target = Compare::Target::kValue,
                .key = "c",
                .range_end = "a"};
  EXPECT_FALSE(must(s.txn({.compare = {value}})).succeeded);
}

}  // namespace
}  // namespace regent::kv
