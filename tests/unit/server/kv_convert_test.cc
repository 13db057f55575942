// kv_convert: every field both ways (binary bytes included), nested txns, enum ranges, the
// compare target union, response headers (top-level and nested, as etcd builds them), and the
// checks etcd's gRPC layer makes before proposing, with etcd's exact messages.
#include "server/node/kv_convert.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "kv/store.h"

namespace regent::server {
namespace {

namespace pb = etcdserverpb;
using google::protobuf::util::MessageDifferencer;

// Bytes a text-minded conversion would mangle: embedded NULs and 0xFF.
const std::string kKey("k\0y\xff", 4);
const std::string kRangeEnd("k\0z\xff\xff", 5);  // Greater than kKey.
const std::string kValue("\xff\0v\0", 4);

::testing::AssertionResult same(const google::protobuf::Message& a,
                                const google::protobuf::Message& b) {
  if (MessageDifferencer::Equals(a, b)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "\n  " << a.ShortDebugString() << "\nvs\n  " << b.ShortDebugString();
}

// The message through its wire bytes, as a member receives it.
template <class M>
M over_the_wire(const M& m) {
  M out;
  EXPECT_TRUE(out.ParseFromString(m.SerializeAsString()));
  return out;
}

template <class T>
kv::Error error_of(const Expected<T, kv::Error>& e) {
  EXPECT_FALSE(e.has_value());
  return e.has_value() ? kv::Error{} : e.error();
}

template <class T>
T value_of(Expected<T, kv::Error> e) {
  EXPECT_TRUE(e.has_value()) << e.error().message;
  return e.has_value() ? std::move(e).value() : T{};
}

kv::Error invalid(std::string_view message) { return kv::invalid_argument(message); }

pb::RequestOp put_op(const std::string& key, const std::string& value = "v") {
  pb::RequestOp op;
  op.mutable_request_put()->set_key(key);
  op.mutable_request_put()->set_value(value);
  return op;
}

pb::RequestOp range_op(const std::string& key) {
  pb::RequestOp op;
  op.mutable_request_range()->set_key(key);
  return op;
}

pb::RequestOp txn_op(pb::TxnRequest txn) {
  pb::RequestOp op;
  *op.mutable_request_txn() = std::move(txn);
  return op;
}

// A txn with `compares` compares and `success`/`failure` puts of distinct keys.
pb::TxnRequest txn_of(int compares, int success, int failure, const std::string& prefix = "k") {
  pb::TxnRequest t;
  for (int i = 0; i < compares; ++i) t.add_compare()->set_key(prefix + "c" + std::to_string(i));
  for (int i = 0; i < success; ++i) *t.add_success() = put_op(prefix + "s" + std::to_string(i));
  for (int i = 0; i < failure; ++i) *t.add_failure() = put_op(prefix + "f" + std::to_string(i));
  return t;
}

pb::ResponseHeader caller_header() {
  pb::ResponseHeader h;
  h.set_cluster_id(0x1111);
  h.set_member_id(0x2222);
  h.set_raft_term(33);
  h.set_revision(999);  // Must be replaced by the response's own revision.
  return h;
}

kv::KeyValue sample_kv(int64_t n) {
  return kv::KeyValue{.key = kKey + std::to_string(n),
                      .create_revision = n,
                      .mod_revision = n + 1,
                      .version = n + 2,
                      .value = kValue,
                      .lease = n + 3};
}

// --- Requests ---

TEST(KvConvertRequestTest, RangeRequestEveryFieldBothWays) {
  pb::RangeRequest p;
  p.set_key(kKey);
  p.set_range_end(kRangeEnd);
  p.set_limit(3);
  p.set_revision(4);
  p.set_sort_order(pb::RangeRequest::DESCEND);
  p.set_sort_target(pb::RangeRequest::VALUE);
  p.set_serializable(true);
  p.set_keys_only(true);
  p.set_count_only(true);
  p.set_min_mod_revision(10);
  p.set_max_mod_revision(11);
  p.set_min_create_revision(12);
  p.set_max_create_revision(13);

  const kv::RangeRequest want{.key = kKey,
                              .range_end = kRangeEnd,
                              .limit = 3,
                              .revision = 4,
                              .sort_order = kv::RangeRequest::SortOrder::kDescend,
                              .sort_target = kv::RangeRequest::SortTarget::kValue,
                              .serializable = true,
                              .keys_only = true,
                              .count_only = true,
                              .min_mod_revision = 10,
                              .max_mod_revision = 11,
                              .min_create_revision = 12,
                              .max_create_revision = 13};
  EXPECT_EQ(value_of(from_proto(over_the_wire(p))), want);
  EXPECT_TRUE(same(to_proto(want), p));
  EXPECT_EQ(value_of(from_proto(pb::RangeRequest{})), kv::RangeRequest{});  // Defaults map.
}

TEST(KvConvertRequestTest, PutRequestEveryFieldBothWays) {
  pb::PutRequest p;
  p.set_key(kKey);
  p.set_value(kValue);
  p.set_lease(0x7fffffffffffffff);
  p.set_prev_kv(true);
  p.set_ignore_value(true);
  p.set_ignore_lease(true);
  const kv::PutRequest want{.key = kKey,
                            .value = kValue,
                            .lease = 0x7fffffffffffffff,
                            .prev_kv = true,
                            .ignore_value = true,
                            .ignore_lease = true};
  EXPECT_EQ(from_proto(over_the_wire(p)), want);
  EXPECT_TRUE(same(to_proto(want), p));
  EXPECT_EQ(from_proto(pb::PutRequest{}), kv::PutRequest{});
}

TEST(KvConvertRequestTest, DeleteRangeAndCompactionRequestsBothWays) {
  pb::DeleteRangeRequest d;
  d.set_key(kKey);
  d.set_range_end(std::string(1, '\0'));  // "every key >= key" must survive as one NUL byte.
  d.set_prev_kv(true);
  const kv::DeleteRangeRequest want_d{
      .key = kKey, .range_end = std::string(1, '\0'), .prev_kv = true};
  EXPECT_EQ(from_proto(over_the_wire(d)), want_d);
  EXPECT_TRUE(same(to_proto(want_d), d));

  pb::CompactionRequest c;
  c.set_revision(42);
  c.set_physical(true);
  const kv::CompactionRequest want_c{.revision = 42, .physical = true};
  EXPECT_EQ(from_proto(over_the_wire(c)), want_c);
  EXPECT_TRUE(same(to_proto(want_c), c));
}

TEST(KvConvertRequestTest, SortOrderEveryValueAndOutOfRange) {
  for (int v : {0, 1, 2}) {
    pb::RangeRequest p;
    p.set_key("k");
    p.set_sort_order(static_cast<pb::RangeRequest_SortOrder>(v));
    EXPECT_EQ(static_cast<int>(value_of(from_proto(p)).sort_order), v);
  }
  for (int v : {3, -1, 1 << 30}) {
    pb::RangeRequest p;
    p.set_key("k");
    p.set_sort_order(static_cast<pb::RangeRequest_SortOrder>(v));
    EXPECT_EQ(error_of(from_proto(p)),
              invalid("etcdserver: invalid sort order " + std::to_string(v)));
  }
}

TEST(KvConvertRequestTest, SortTargetEveryValueAndOutOfRange) {
  for (int v : {0, 1, 2, 3, 4}) {
    pb::RangeRequest p;
    p.set_key("k");
    p.set_sort_target(static_cast<pb::RangeRequest_SortTarget>(v));
    EXPECT_EQ(static_cast<int>(value_of(from_proto(p)).sort_target), v);
  }
  for (int v : {5, -7}) {
    pb::RangeRequest p;
    p.set_key("k");
    p.set_sort_target(static_cast<pb::RangeRequest_SortTarget>(v));
    EXPECT_EQ(error_of(from_proto(p)),
              invalid("etcdserver: invalid sort target " + std::to_string(v)));
  }
}

TEST(KvConvertRequestTest, OutOfRangeEnumFromTheWireIsRefused) {
  // Field 5 (sort_order), varint 7: what a client with a newer or broken enum would send.
  // proto3 keeps the unknown number in the field.
  pb::RangeRequest p;
  ASSERT_TRUE(p.ParseFromString(std::string("\x0a\x01k\x28\x07", 5)));
  EXPECT_EQ(static_cast<int>(p.sort_order()), 7);
  EXPECT_EQ(error_of(from_proto(p)), invalid("etcdserver: invalid sort order 7"));
}

TEST(KvConvertRequestTest, CompareResultEveryValueAndOutOfRange) {
  for (int v : {0, 1, 2, 3}) {
    pb::Compare c;
    c.set_key("k");
    c.set_result(static_cast<pb::Compare_CompareResult>(v));
    EXPECT_EQ(static_cast<int>(value_of(from_proto(c)).result), v);
  }
  for (int v : {4, -1}) {
    pb::Compare c;
    c.set_key("k");
    c.set_result(static_cast<pb::Compare_CompareResult>(v));
    EXPECT_EQ(error_of(from_proto(c)),
              invalid("etcdserver: invalid compare result " + std::to_string(v)));
  }
}

TEST(KvConvertRequestTest, CompareTargetEveryValueAndOutOfRange) {
  for (int v : {0, 1, 2, 3, 4}) {
    pb::Compare c;
    c.set_key("k");
    c.set_target(static_cast<pb::Compare_CompareTarget>(v));
    EXPECT_EQ(static_cast<int>(value_of(from_proto(c)).target), v);
  }
  for (int v : {5, -2}) {
    pb::Compare c;
    c.set_key("k");
    c.set_target(static_cast<pb::Compare_CompareTarget>(v));
    EXPECT_EQ(error_of(from_proto(c)),
              invalid("etcdserver: invalid compare target " + std::to_string(v)));
  }
}

TEST(KvConvertRequestTest, CompareOperandIsTheUnionFieldTheTargetNames) {
  using Target = kv::Compare::Target;
  struct Case {
    pb::Compare_CompareTarget target;
    void (*set)(pb::Compare&);
    kv::Compare want;  // result kGreater, key/range_end as below.
  };
  const std::vector<Case> cases = {
      {pb::Compare::VERSION, [](pb::Compare& c) { c.set_version(-5); },
       kv::Compare{.target = Target::kVersion, .version = -5}},
      {pb::Compare::CREATE, [](pb::Compare& c) { c.set_create_revision(6); },
       kv::Compare{.target = Target::kCreate, .create_revision = 6}},
      {pb::Compare::MOD, [](pb::Compare& c) { c.set_mod_revision(7); },
       kv::Compare{.target = Target::kMod, .mod_revision = 7}},
      {pb::Compare::VALUE, [](pb::Compare& c) { c.set_value(kValue); },
       kv::Compare{.target = Target::kValue, .value = kValue}},
      {pb::Compare::LEASE, [](pb::Compare& c) { c.set_lease(8); },
       kv::Compare{.target = Target::kLease, .lease = 8}},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(pb::Compare_CompareTarget_Name(tc.target));
    pb::Compare p;
    p.set_result(pb::Compare::GREATER);
    p.set_target(tc.target);
    p.set_key(kKey);
    p.set_range_end(kRangeEnd);
    tc.set(p);
    kv::Compare want = tc.want;
    want.result = kv::Compare::Result::kGreater;
    want.key = kKey;
    want.range_end = kRangeEnd;
    EXPECT_EQ(value_of(from_proto(over_the_wire(p))), want);
    EXPECT_TRUE(same(to_proto(want), p));
  }
}

TEST(KvConvertRequestTest, CompareUnionNamingAnotherFieldLeavesOperandZero) {
  // etcd's compareKV reads only the union field of the target; anything else compares to zero.
  pb::Compare p;
  p.set_target(pb::Compare::MOD);
  p.set_key("k");
  p.set_version(5);  // Not the target's field.
  EXPECT_EQ(value_of(from_proto(p)),
            (kv::Compare{.target = kv::Compare::Target::kMod, .key = "k"}));

  pb::Compare unset;
  unset.set_target(pb::Compare::VALUE);
  unset.set_key("k");
  EXPECT_EQ(value_of(from_proto(unset)),
            (kv::Compare{.target = kv::Compare::Target::kValue, .key = "k"}));
  // kv -> proto always names the target's field, so the union is present.
  EXPECT_EQ(to_proto(value_of(from_proto(unset))).target_union_case(), pb::Compare::kValue);
}

// Three levels, every op kind, compares and both branches at each level.
kv::TxnRequest three_deep() {
  using kv::RequestOp;
  kv::TxnRequest level3{
      .compare = {kv::Compare{.result = kv::Compare::Result::kNotEqual,
                              .target = kv::Compare::Target::kValue,
                              .key = kKey,
                              .value = kValue}},
      .success = {RequestOp{kv::PutRequest{.key = kKey, .value = kValue, .prev_kv = true}}},
      .failure = {RequestOp{kv::DeleteRangeRequest{.key = kKey, .range_end = kRangeEnd}}}};
  kv::TxnRequest level2{
      .compare = {kv::Compare{.result = kv::Compare::Result::kLess,
                              .target = kv::Compare::Target::kLease,
                              .key = "l2",
                              .lease = 9}},
      .success = {RequestOp{kv::RangeRequest{.key = "r2",
                                             .limit = 1,
                                             .sort_order = kv::RangeRequest::SortOrder::kAscend,
                                             .sort_target = kv::RangeRequest::SortTarget::kMod}},
                  RequestOp{std::move(level3)}},
      .failure = {RequestOp{kv::PutRequest{.key = "p2", .value = "x", .lease = 3}}}};
  return kv::TxnRequest{
      .compare = {kv::Compare{.target = kv::Compare::Target::kVersion, .key = "a", .version = 1},
                  kv::Compare{.result = kv::Compare::Result::kGreater,
                              .target = kv::Compare::Target::kCreate,
                              .key = "b",
                              .range_end = "c",
                              .create_revision = 2}},
      .success = {RequestOp{std::move(level2)}},
      .failure = {RequestOp{kv::RangeRequest{.key = "f", .count_only = true}},
                  RequestOp{kv::DeleteRangeRequest{.key = "g", .prev_kv = true}}}};
}

TEST(KvConvertRequestTest, NestedTxnsThreeDeepBothWays) {
  const kv::TxnRequest want = three_deep();
  const pb::TxnRequest p = to_proto(want);

  // The proto has the same shape.
  ASSERT_EQ(p.compare_size(), 2);
  EXPECT_EQ(p.compare(1).create_revision(), 2);
  ASSERT_EQ(p.failure_size(), 2);
  EXPECT_TRUE(p.failure(0).request_range().count_only());
  const pb::TxnRequest& l2 = p.success(0).request_txn();
  EXPECT_EQ(l2.compare(0).lease(), 9);
  EXPECT_EQ(l2.success(0).request_range().sort_target(), pb::RangeRequest::MOD);
  EXPECT_EQ(l2.failure(0).request_put().lease(), 3);
  const pb::TxnRequest& l3 = l2.success(1).request_txn();
  EXPECT_EQ(l3.compare(0).value(), kValue);
  EXPECT_EQ(l3.success(0).request_put().value(), kValue);
  EXPECT_EQ(l3.failure(0).request_delete_range().range_end(), kRangeEnd);

  EXPECT_EQ(value_of(from_proto(over_the_wire(p))), want);
  EXPECT_TRUE(same(to_proto(value_of(from_proto(p))), p));
}

TEST(KvConvertRequestTest, EmptyOpIsRefusedWithEtcdsMessageAtAnyDepth) {
  pb::TxnRequest top;
  *top.add_success() = put_op("a");
  top.add_success();  // No request set.
  EXPECT_EQ(error_of(from_proto(top)), invalid("etcdserver: key not found"));
  EXPECT_EQ(error_of(from_proto(pb::RequestOp{})), invalid("etcdserver: key not found"));

  pb::TxnRequest inner;
  inner.add_failure();
  pb::TxnRequest middle;
  *middle.add_success() = txn_op(inner);
  pb::TxnRequest outer;
  *outer.add_failure() = txn_op(middle);
  EXPECT_EQ(error_of(from_proto(outer)), invalid("etcdserver: key not found"));
}

TEST(KvConvertRequestTest, BadEnumDeepInATxnIsRefused) {
  pb::TxnRequest inner;
  inner.add_compare()->set_result(static_cast<pb::Compare_CompareResult>(9));
  pb::TxnRequest outer;
  *outer.add_success() = txn_op(inner);
  EXPECT_EQ(error_of(from_proto(outer)), invalid("etcdserver: invalid compare result 9"));

  pb::TxnRequest with_range;
  *with_range.add_failure() = range_op("k");
  with_range.mutable_failure(0)->mutable_request_range()->set_sort_target(
      static_cast<pb::RangeRequest_SortTarget>(77));
  EXPECT_EQ(error_of(from_proto(with_range)), invalid("etcdserver: invalid sort target 77"));
}

// --- Responses ---

TEST(KvConvertResponseTest, KeyValueEveryField) {
  const mvccpb::KeyValue p = over_the_wire(to_proto(sample_kv(5)));
  EXPECT_EQ(p.key(), kKey + "5");
  EXPECT_EQ(p.create_revision(), 5);
  EXPECT_EQ(p.mod_revision(), 6);
  EXPECT_EQ(p.version(), 7);
  EXPECT_EQ(p.value(), kValue);
  EXPECT_EQ(p.lease(), 8);
}

TEST(KvConvertResponseTest, TopLevelHeaderIsTheCallersWithTheResponsesRevision) {
  const pb::RangeResponse p = to_proto(kv::RangeResponse{.revision = 17}, caller_header());
  ASSERT_TRUE(p.has_header());
  EXPECT_EQ(p.header().cluster_id(), 0x1111u);
  EXPECT_EQ(p.header().member_id(), 0x2222u);
  EXPECT_EQ(p.header().raft_term(), 33u);
  EXPECT_EQ(p.header().revision(), 17);

  EXPECT_EQ(to_proto(kv::CompactionResponse{.revision = 21}, caller_header()).header().revision(),
            21);
  const pb::CompactionResponse c = to_proto(kv::CompactionResponse{.revision = 21}, {});
  EXPECT_TRUE(c.has_header());
  EXPECT_EQ(c.header().cluster_id(), 0u);
}

TEST(KvConvertResponseTest, RangeResponseKvsMoreAndCount) {
  const kv::RangeResponse r{
      .revision = 9, .kvs = {sample_kv(1), sample_kv(2)}, .more = true, .count = 7};
  const pb::RangeResponse p = over_the_wire(to_proto(r, caller_header()));
  ASSERT_EQ(p.kvs_size(), 2);
  EXPECT_TRUE(same(p.kvs(0), to_proto(sample_kv(1))));
  EXPECT_TRUE(same(p.kvs(1), to_proto(sample_kv(2))));
  EXPECT_TRUE(p.more());
  EXPECT_EQ(p.count(), 7);

  const pb::RangeResponse empty = to_proto(kv::RangeResponse{.revision = 9}, caller_header());
  EXPECT_EQ(empty.kvs_size(), 0);
  EXPECT_FALSE(empty.more());
  EXPECT_EQ(empty.count(), 0);
}

TEST(KvConvertResponseTest, PutResponsePrevKvOnlyWhenPresent) {
  const pb::PutResponse with =
      to_proto(kv::PutResponse{.revision = 4, .prev_kv = sample_kv(3)}, caller_header());
  ASSERT_TRUE(with.has_prev_kv());
  EXPECT_TRUE(same(with.prev_kv(), to_proto(sample_kv(3))));
  EXPECT_EQ(with.header().revision(), 4);

  const pb::PutResponse without = to_proto(kv::PutResponse{.revision = 4}, caller_header());
  EXPECT_FALSE(without.has_prev_kv());
  EXPECT_FALSE(over_the_wire(without).has_prev_kv());
}

TEST(KvConvertResponseTest, DeleteRangeResponseDeletedAndPrevKvs) {
  const pb::DeleteRangeResponse p = to_proto(
      kv::DeleteRangeResponse{
          .revision = 6, .deleted = 2, .prev_kvs = {sample_kv(1), sample_kv(4)}},
      caller_header());
  EXPECT_EQ(p.header().revision(), 6);
  EXPECT_EQ(p.deleted(), 2);
  ASSERT_EQ(p.prev_kvs_size(), 2);
  EXPECT_TRUE(same(p.prev_kvs(1), to_proto(sample_kv(4))));
}

TEST(KvConvertResponseTest, HashKvResponse) {
  const pb::HashKVResponse p =
      to_proto(kv::HashKvResponse{.revision = 30, .hash = 0xdeadbeef, .compact_revision = 12},
               caller_header());
  EXPECT_EQ(p.header().revision(), 30);
  EXPECT_EQ(p.header().member_id(), 0x2222u);
  EXPECT_EQ(p.hash(), 0xdeadbeefu);
  EXPECT_EQ(p.compact_revision(), 12);
}

TEST(KvConvertResponseTest, TxnResponseNestedHeadersAreEtcds) {
  using kv::ResponseOp;
  kv::TxnResponse inner{.revision = 8,
                        .succeeded = false,
                        .responses = {ResponseOp{kv::RangeResponse{.revision = 8, .count = 1}}}};
  kv::TxnResponse middle{
      .revision = 8,
      .succeeded = true,
      .responses = {ResponseOp{kv::PutResponse{.revision = 8}}, ResponseOp{std::move(inner)}}};
  const kv::TxnResponse top{
      .revision = 8,
      .succeeded = true,
      .responses = {ResponseOp{kv::RangeResponse{.revision = 7, .kvs = {sample_kv(1)}, .count = 1}},
                    ResponseOp{kv::PutResponse{.revision = 8, .prev_kv = sample_kv(2)}},
                    ResponseOp{kv::DeleteRangeResponse{.revision = 8, .deleted = 1}},
                    ResponseOp{std::move(middle)}}};
  const pb::TxnResponse p = over_the_wire(to_proto(top, caller_header()));

  EXPECT_EQ(p.header().revision(), 8);
  EXPECT_EQ(p.header().raft_term(), 33u);
  EXPECT_TRUE(p.succeeded());
  ASSERT_EQ(p.responses_size(), 4);

  // Range, put and delete inside a txn: a header with their own revision and nothing else.
  const pb::RangeResponse& range = p.responses(0).response_range();
  ASSERT_TRUE(range.has_header());
  EXPECT_EQ(range.header().revision(), 7);
  EXPECT_EQ(range.header().cluster_id(), 0u);
  EXPECT_EQ(range.header().member_id(), 0u);
  EXPECT_EQ(range.header().raft_term(), 0u);
  EXPECT_EQ(range.kvs_size(), 1);
  const pb::PutResponse& put = p.responses(1).response_put();
  EXPECT_EQ(put.header().revision(), 8);
  EXPECT_TRUE(put.has_prev_kv());
  const pb::DeleteRangeResponse& del = p.responses(2).response_delete_range();
  EXPECT_EQ(del.header().revision(), 8);
  EXPECT_EQ(del.deleted(), 1);

  // A nested txn: header present, every field zero (etcd never fills it).
  const pb::TxnResponse& mid = p.responses(3).response_txn();
  ASSERT_TRUE(mid.has_header());
  EXPECT_TRUE(same(mid.header(), pb::ResponseHeader{}));
  EXPECT_TRUE(mid.succeeded());
  ASSERT_EQ(mid.responses_size(), 2);
  EXPECT_EQ(mid.responses(0).response_put().header().revision(), 8);
  EXPECT_FALSE(mid.responses(0).response_put().has_prev_kv());
  const pb::TxnResponse& in = mid.responses(1).response_txn();
  ASSERT_TRUE(in.has_header());
  EXPECT_EQ(in.header().revision(), 0);
  EXPECT_FALSE(in.succeeded());
  EXPECT_EQ(in.responses(0).response_range().header().revision(), 8);
  EXPECT_EQ(in.responses(0).response_range().count(), 1);
}

TEST(KvConvertResponseTest, StoreAnswerToAConvertedTxn) {
  // The path a write takes: proto from the log -> kv -> store -> kv answer -> proto.
  kv::Store store;
  ASSERT_TRUE(store.put({.key = "a", .value = "1"}).has_value());  // Revision 2.
  pb::TxnRequest p;
  pb::Compare* c = p.add_compare();
  c->set_key("a");
  c->set_target(pb::Compare::VALUE);
  c->set_value("1");
  *p.add_success() = range_op("a");
  *p.add_success() = put_op("b");
  p.mutable_success(1)->mutable_request_put()->set_prev_kv(true);
  pb::TxnRequest nested;
  *nested.add_success() = range_op("b");
  *p.add_success() = txn_op(nested);

  const kv::TxnRequest request = value_of(check_txn_request(p, kDefaultMaxTxnOps));
  auto answer = store.txn(request);
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  const pb::TxnResponse r = to_proto(*answer, caller_header());

  EXPECT_EQ(r.header().revision(), 3);
  EXPECT_TRUE(r.succeeded());
  ASSERT_EQ(r.responses_size(), 3);
  EXPECT_EQ(r.responses(0).response_range().kvs(0).value(), "1");
  EXPECT_FALSE(r.responses(1).response_put().has_prev_kv());  // "b" did not exist.
  EXPECT_EQ(r.responses(1).response_put().header().revision(), 3);
  const pb::TxnResponse& in = r.responses(2).response_txn();
  EXPECT_EQ(in.header().revision(), 0);
  EXPECT_EQ(in.responses(0).response_range().kvs(0).key(), "b");  // Sees the txn's own put.
}

// --- Checks ---

TEST(KvConvertCheckTest, TxnLimitsAtTheBoundary) {
  const kv::Error too_many = invalid("etcdserver: too many operations in txn request");
  constexpr int kMax = 4;
  EXPECT_TRUE(check_txn_limits(txn_of(kMax, kMax, kMax), kMax).has_value());
  EXPECT_EQ(error_of(check_txn_limits(txn_of(0, kMax + 1, 0), kMax)), too_many);
  EXPECT_EQ(error_of(check_txn_limits(txn_of(0, 0, kMax + 1), kMax)), too_many);
  // etcd counts compares too: the largest of the three lists is the level's count.
  EXPECT_EQ(error_of(check_txn_limits(txn_of(kMax + 1, 0, 0), kMax)), too_many);
  EXPECT_TRUE(check_txn_limits(pb::TxnRequest{}, 0).has_value());

  EXPECT_TRUE(check_txn_limits(txn_of(0, kDefaultMaxTxnOps, 0), kDefaultMaxTxnOps).has_value());
  EXPECT_EQ(error_of(check_txn_limits(txn_of(0, kDefaultMaxTxnOps + 1, 0), kDefaultMaxTxnOps)),
            too_many);
}

TEST(KvConvertCheckTest, NestedTxnGetsTheBudgetLessItsParentsCount) {
  const kv::Error too_many = invalid("etcdserver: too many operations in txn request");
  constexpr int kMax = 10;
  for (bool in_failure : {false, true}) {
    SCOPED_TRACE(in_failure ? "nested in failure" : "nested in success");
    // Parent count: max(1 compare, 2 ops) = 2, so the child may have 8, not 9.
    auto parent_with = [&](pb::TxnRequest child) {
      pb::TxnRequest parent = txn_of(1, 0, 0, "p");
      auto* branch = in_failure ? parent.mutable_failure() : parent.mutable_success();
      *branch->Add() = put_op("p0");
      *branch->Add() = txn_op(std::move(child));
      return parent;
    };
    EXPECT_TRUE(check_txn_limits(parent_with(txn_of(0, kMax - 2, 0, "c")), kMax).has_value());
    EXPECT_EQ(error_of(check_txn_limits(parent_with(txn_of(0, kMax - 1, 0, "c")), kMax)), too_many);
    EXPECT_EQ(error_of(check_txn_limits(parent_with(txn_of(kMax - 1, 0, 0, "c")), kMax)), too_many);
  }
  // Three deep: 3 + 3 + 4 = 10 fits, one more at the bottom does not.
  auto chain = [](int bottom) {
    pb::TxnRequest l3 = txn_of(0, bottom, 0, "c");
    pb::TxnRequest l2 = txn_of(0, 2, 0, "b");
    *l2.add_success() = txn_op(l3);
    pb::TxnRequest l1 = txn_of(0, 2, 0, "a");
    *l1.add_success() = txn_op(l2);
    return l1;
  };
  EXPECT_TRUE(check_txn_limits(chain(4), kMax).has_value());
  EXPECT_EQ(error_of(check_txn_limits(chain(5), kMax)), too_many);
}

TEST(KvConvertCheckTest, EmptyKeysAreRefusedWithEtcdsMessage) {
  const kv::Error empty_key = invalid("etcdserver: key is not provided");
  EXPECT_EQ(error_of(check_range_request(pb::RangeRequest{})), empty_key);
  EXPECT_EQ(error_of(check_put_request(pb::PutRequest{})), empty_key);
  EXPECT_EQ(error_of(check_delete_request(pb::DeleteRangeRequest{})), empty_key);

  pb::TxnRequest compare_without_key;
  compare_without_key.add_compare();
  EXPECT_EQ(error_of(check_txn_request(compare_without_key, kDefaultMaxTxnOps)), empty_key);

  pb::TxnRequest nested;
  *nested.add_failure() = range_op("");
  pb::TxnRequest outer;
  *outer.add_success() = txn_op(nested);
  EXPECT_EQ(error_of(check_txn_request(outer, kDefaultMaxTxnOps)), empty_key);
}

TEST(KvConvertCheckTest, PutFlagsAreRefusedWithEtcdsMessages) {
  pb::PutRequest value_given;
  value_given.set_key("k");
  value_given.set_value("v");
  value_given.set_ignore_value(true);
  EXPECT_EQ(error_of(check_put_request(value_given)), invalid("etcdserver: value is provided"));

  pb::PutRequest lease_given;
  lease_given.set_key("k");
  lease_given.set_lease(5);
  lease_given.set_ignore_lease(true);
  EXPECT_EQ(error_of(check_put_request(lease_given)), invalid("etcdserver: lease is provided"));

  pb::TxnRequest txn;
  *txn.add_success() = txn_op(pb::TxnRequest{});
  *txn.mutable_success(0)->mutable_request_txn()->add_failure()->mutable_request_put() =
      lease_given;
  EXPECT_EQ(error_of(check_txn_request(txn, kDefaultMaxTxnOps)),
            invalid("etcdserver: lease is provided"));
}

TEST(KvConvertCheckTest, TxnRefusalsWithEtcdsMessages) {
  pb::TxnRequest duplicate;
  *duplicate.add_success() = put_op("k");
  *duplicate.add_success() = put_op("k");
  EXPECT_EQ(error_of(check_txn_request(duplicate, kDefaultMaxTxnOps)),
            invalid("etcdserver: duplicate key given in txn request"));
  // The limit is checked before anything else, as etcd does.
  EXPECT_EQ(error_of(check_txn_request(duplicate, 1)),
            invalid("etcdserver: too many operations in txn request"));

  pb::TxnRequest empty_op;
  empty_op.add_failure();
  EXPECT_EQ(error_of(check_txn_request(empty_op, kDefaultMaxTxnOps)),
            invalid("etcdserver: key not found"));
}

TEST(KvConvertCheckTest, ValidRequestsComeBackConverted) {
  pb::RangeRequest range;
  range.set_key(kKey);
  range.set_range_end(kRangeEnd);
  range.set_sort_order(pb::RangeRequest::ASCEND);
  EXPECT_EQ(value_of(check_range_request(range)), value_of(from_proto(range)));

  pb::PutRequest put;
  put.set_key(kKey);
  put.set_ignore_value(true);
  EXPECT_EQ(value_of(check_put_request(put)), from_proto(put));

  pb::DeleteRangeRequest del;
  del.set_key(kKey);
  del.set_range_end(std::string(1, '\0'));
  EXPECT_EQ(value_of(check_delete_request(del)), from_proto(del));

  const pb::TxnRequest txn = to_proto(three_deep());
  EXPECT_EQ(value_of(check_txn_request(txn, kDefaultMaxTxnOps)), three_deep());
}

TEST(KvConvertCheckTest, RangeChecksRefuseBadEnumsButNotInvertedRanges) {
  pb::RangeRequest bad_order;
  bad_order.set_key("k");
  bad_order.set_sort_order(static_cast<pb::RangeRequest_SortOrder>(3));
  EXPECT_EQ(error_of(check_range_request(bad_order)), invalid("etcdserver: invalid sort order 3"));

  // As etcd: a range end before the key is no error (the range is empty).
  pb::DeleteRangeRequest backwards;
  backwards.set_key("b");
  backwards.set_range_end("a");
  EXPECT_EQ(value_of(check_delete_request(backwards)), from_proto(backwards));
  pb::RangeRequest backwards_get;
  backwards_get.set_key("b");
  backwards_get.set_range_end("b");
  EXPECT_EQ(value_of(check_range_request(backwards_get)), value_of(from_proto(backwards_get)));
}

}  // namespace
}  // namespace regent::server
