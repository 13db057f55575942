#include "server/node/kv_convert.h"

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "kv/validate.h"

namespace regent::server {

namespace {

namespace pb = etcdserverpb;

using OpList = google::protobuf::RepeatedPtrField<pb::RequestOp>;

// kv's enums carry etcd's numbers (kv/types.h), so a value proto's IsValid accepts converts by a
// cast. These keep the two from drifting apart: same first and last value, and no gaps in either.
static_assert(static_cast<int>(kv::RangeRequest::SortOrder::kNone) ==
              pb::RangeRequest_SortOrder_SortOrder_MIN);
static_assert(static_cast<int>(kv::RangeRequest::SortOrder::kDescend) ==
              pb::RangeRequest_SortOrder_SortOrder_MAX);
static_assert(static_cast<int>(kv::RangeRequest::SortTarget::kKey) ==
              pb::RangeRequest_SortTarget_SortTarget_MIN);
static_assert(static_cast<int>(kv::RangeRequest::SortTarget::kValue) ==
              pb::RangeRequest_SortTarget_SortTarget_MAX);
static_assert(static_cast<int>(kv::Compare::Result::kEqual) ==
              pb::Compare_CompareResult_CompareResult_MIN);
static_assert(static_cast<int>(kv::Compare::Result::kNotEqual) ==
              pb::Compare_CompareResult_CompareResult_MAX);
static_assert(static_cast<int>(kv::Compare::Target::kVersion) ==
              pb::Compare_CompareTarget_CompareTarget_MIN);
static_assert(static_cast<int>(kv::Compare::Target::kLease) ==
              pb::Compare_CompareTarget_CompareTarget_MAX);

// A proto3 enum field holds whatever int32 the sender wrote; only a value the enum names may be
// cast to kv's enum (the store switches over them, and etcd itself panics on an unknown sort
// target at apply time).
template <class KvEnum>
Expected<KvEnum, kv::Error> to_kv_enum(int value, bool (*is_valid)(int), std::string_view what) {
  if (!is_valid(value)) {
    return unexpected(kv::invalid_argument("etcdserver: invalid " + std::string(what) + " " +
                                           std::to_string(value)));
  }
  return static_cast<KvEnum>(value);
}

// The operand of a compare: the target_union field its target names. A oneof getter answers
// the default when the union holds another field, which is the zero etcd compares against then.
void take_operand(const pb::Compare& p, kv::Compare& c) {
  using Target = kv::Compare::Target;
  switch (c.target) {
    case Target::kVersion:
      c.version = p.version();
      return;
    case Target::kCreate:
      c.create_revision = p.create_revision();
      return;
    case Target::kMod:
      c.mod_revision = p.mod_revision();
      return;
    case Target::kValue:
      c.value = p.value();
      return;
    case Target::kLease:
      c.lease = p.lease();
      return;
  }
}

Expected<void, kv::Error> ops_from_proto(const OpList& ops, std::vector<kv::RequestOp>& out) {
  out.reserve(static_cast<size_t>(ops.size()));
  for (const pb::RequestOp& op : ops) {
    auto converted = from_proto(op);
    if (!converted) return unexpected(converted.error());
    out.push_back(std::move(*converted));
  }
  return {};
}

void ops_to_proto(const std::vector<kv::RequestOp>& ops, OpList* out) {
  out->Reserve(static_cast<int>(ops.size()));
  for (const kv::RequestOp& op : ops) *out->Add() = to_proto(op);
}

void fill_key_value(const kv::KeyValue& kv, mvccpb::KeyValue* out) {
  out->set_key(kv.key);
  out->set_create_revision(kv.create_revision);
  out->set_mod_revision(kv.mod_revision);
  out->set_version(kv.version);
  out->set_value(kv.value);
  out->set_lease(kv.lease);
}

void fill_key_values(const std::vector<kv::KeyValue>& kvs,
                     google::protobuf::RepeatedPtrField<mvccpb::KeyValue>* out) {
  out->Reserve(static_cast<int>(kvs.size()));
  for (const kv::KeyValue& kv : kvs) fill_key_value(kv, out->Add());
}

// The bodies of the responses: every field but the header, which differs between a top-level
// response and one nested in a txn.

void fill_body(const kv::RangeResponse& r, pb::RangeResponse* out) {
  fill_key_values(r.kvs, out->mutable_kvs());
  out->set_more(r.more);
  out->set_count(r.count);
}

void fill_body(const kv::PutResponse& r, pb::PutResponse* out) {
  if (r.prev_kv) fill_key_value(*r.prev_kv, out->mutable_prev_kv());
}

void fill_body(const kv::DeleteRangeResponse& r, pb::DeleteRangeResponse* out) {
  out->set_deleted(r.deleted);
  fill_key_values(r.prev_kvs, out->mutable_prev_kvs());
}

void fill_op(const kv::ResponseOp& op, pb::ResponseOp* out);

void fill_body(const kv::TxnResponse& r, pb::TxnResponse* out) {
  out->set_succeeded(r.succeeded);
  out->mutable_responses()->Reserve(static_cast<int>(r.responses.size()));
  for (const kv::ResponseOp& op : r.responses) fill_op(op, out->add_responses());
}

// A response nested in a txn, with etcd's nested header (kv_convert.h).
void fill_op(const kv::ResponseOp& op, pb::ResponseOp* out) {
  if (const auto* range = std::get_if<kv::RangeResponse>(&op.response)) {
    pb::RangeResponse* r = out->mutable_response_range();
    r->mutable_header()->set_revision(range->revision);
    fill_body(*range, r);
  } else if (const auto* put = std::get_if<kv::PutResponse>(&op.response)) {
    pb::PutResponse* p = out->mutable_response_put();
    p->mutable_header()->set_revision(put->revision);
    fill_body(*put, p);
  } else if (const auto* del = std::get_if<kv::DeleteRangeResponse>(&op.response)) {
    pb::DeleteRangeResponse* d = out->mutable_response_delete_range();
    d->mutable_header()->set_revision(del->revision);
    fill_body(*del, d);
  } else {
    // kv's nested TxnResponse.revision is dropped on purpose: etcd never sets a nested txn's
    // header revision, and clients see the header present with every field zero.
    pb::TxnResponse* t = out->mutable_response_txn();
    t->mutable_header();
    fill_body(std::get<kv::TxnResponse>(op.response), t);
  }
}

void set_header(const pb::ResponseHeader& base, int64_t revision, pb::ResponseHeader* out) {
  *out = base;
  out->set_revision(revision);
}

// A top-level response: the caller's header with the kv response's revision, then the body.
template <class Proto, class Kv>
Proto top_level(const Kv& r, const pb::ResponseHeader& header) {
  Proto out;
  set_header(header, r.revision, out.mutable_header());
  fill_body(r, &out);
  return out;
}

template <class T>
Unexpected<kv::Error> error_of(const T& failed) {
  return unexpected(failed.error());
}

}  // namespace

// --- Requests, proto -> kv.

Expected<kv::RangeRequest, kv::Error> from_proto(const pb::RangeRequest& r) {
  auto order = to_kv_enum<kv::RangeRequest::SortOrder>(
      r.sort_order(), pb::RangeRequest_SortOrder_IsValid, "sort order");
  if (!order) return error_of(order);
  auto target = to_kv_enum<kv::RangeRequest::SortTarget>(
      r.sort_target(), pb::RangeRequest_SortTarget_IsValid, "sort target");
  if (!target) return error_of(target);
  return kv::RangeRequest{
      .key = r.key(),
      .range_end = r.range_end(),
      .limit = r.limit(),
      .revision = r.revision(),
      .sort_order = *order,
      .sort_target = *target,
      .serializable = r.serializable(),
      .keys_only = r.keys_only(),
      .count_only = r.count_only(),
      .min_mod_revision = r.min_mod_revision(),
      .max_mod_revision = r.max_mod_revision(),
      .min_create_revision = r.min_create_revision(),
      .max_create_revision = r.max_create_revision(),
  };
}

kv::PutRequest from_proto(const pb::PutRequest& r) {
  return kv::PutRequest{
      .key = r.key(),
      .value = r.value(),
      .lease = r.lease(),
      .prev_kv = r.prev_kv(),
      .ignore_value = r.ignore_value(),
      .ignore_lease = r.ignore_lease(),
  };
}

kv::DeleteRangeRequest from_proto(const pb::DeleteRangeRequest& r) {
  return kv::DeleteRangeRequest{.key = r.key(), .range_end = r.range_end(), .prev_kv = r.prev_kv()};
}

Expected<kv::Compare, kv::Error> from_proto(const pb::Compare& c) {
  auto result = to_kv_enum<kv::Compare::Result>(c.result(), pb::Compare_CompareResult_IsValid,
                                                "compare result");
  if (!result) return error_of(result);
  auto target = to_kv_enum<kv::Compare::Target>(c.target(), pb::Compare_CompareTarget_IsValid,
                                                "compare target");
  if (!target) return error_of(target);
  kv::Compare out{.result = *result, .target = *target, .key = c.key(), .range_end = c.range_end()};
  take_operand(c, out);
  return out;
}

Expected<kv::RequestOp, kv::Error> from_proto(const pb::RequestOp& op) {
  switch (op.request_case()) {
    case pb::RequestOp::kRequestRange: {
      auto range = from_proto(op.request_range());
      if (!range) return error_of(range);
      return kv::RequestOp{std::move(*range)};
    }
    case pb::RequestOp::kRequestPut:
      return kv::RequestOp{from_proto(op.request_put())};
    case pb::RequestOp::kRequestDeleteRange:
      return kv::RequestOp{from_proto(op.request_delete_range())};
    case pb::RequestOp::kRequestTxn: {
      auto txn = from_proto(op.request_txn());
      if (!txn) return error_of(txn);
      return kv::RequestOp{std::move(*txn)};
    }
    case pb::RequestOp::REQUEST_NOT_SET:
      break;
  }
  // etcd's answer to an empty op (checkRequestOp's default case is ErrGRPCKeyNotFound).
  return unexpected(kv::invalid_argument(kv::kKeyNotFoundMessage));
}

Expected<kv::TxnRequest, kv::Error> from_proto(const pb::TxnRequest& r) {
  kv::TxnRequest out;
  out.compare.reserve(static_cast<size_t>(r.compare_size()));
  for (const pb::Compare& c : r.compare()) {
    auto converted = from_proto(c);
    if (!converted) return error_of(converted);
    out.compare.push_back(std::move(*converted));
  }
  if (auto ok = ops_from_proto(r.success(), out.success); !ok) return error_of(ok);
  if (auto ok = ops_from_proto(r.failure(), out.failure); !ok) return error_of(ok);
  return out;
}

kv::CompactionRequest from_proto(const pb::CompactionRequest& r) {
  return kv::CompactionRequest{.revision = r.revision(), .physical = r.physical()};
}

// --- Requests, kv -> proto.

pb::RangeRequest to_proto(const kv::RangeRequest& r) {
  pb::RangeRequest out;
  out.set_key(r.key);
  out.set_range_end(r.range_end);
  out.set_limit(r.limit);
  out.set_revision(r.revision);
  out.set_sort_order(static_cast<pb::RangeRequest_SortOrder>(r.sort_order));
  out.set_sort_target(static_cast<pb::RangeRequest_SortTarget>(r.sort_target));
  out.set_serializable(r.serializable);
  out.set_keys_only(r.keys_only);
  out.set_count_only(r.count_only);
  out.set_min_mod_revision(r.min_mod_revision);
  out.set_max_mod_revision(r.max_mod_revision);
  out.set_min_create_revision(r.min_create_revision);
  out.set_max_create_revision(r.max_create_revision);
  return out;
}

pb::PutRequest to_proto(const kv::PutRequest& r) {
  pb::PutRequest out;
  out.set_key(r.key);
  out.set_value(r.value);
  out.set_lease(r.lease);
  out.set_prev_kv(r.prev_kv);
  out.set_ignore_value(r.ignore_value);
  out.set_ignore_lease(r.ignore_lease);
  return out;
}

pb::DeleteRangeRequest to_proto(const kv::DeleteRangeRequest& r) {
  pb::DeleteRangeRequest out;
  out.set_key(r.key);
  out.set_range_end(r.range_end);
  out.set_prev_kv(r.prev_kv);
  return out;
}

pb::Compare to_proto(const kv::Compare& c) {
  using Target = kv::Compare::Target;
  pb::Compare out;
  out.set_result(static_cast<pb::Compare_CompareResult>(c.result));
  out.set_target(static_cast<pb::Compare_CompareTarget>(c.target));
  out.set_key(c.key);
  out.set_range_end(c.range_end);
  switch (c.target) {
    case Target::kVersion:
      out.set_version(c.version);
      break;
    case Target::kCreate:
      out.set_create_revision(c.create_revision);
      break;
    case Target::kMod:
      out.set_mod_revision(c.mod_revision);
      break;
    case Target::kValue:
      out.set_value(c.value);
      break;
    case Target::kLease:
      out.set_lease(c.lease);
      break;
  }
  return out;
}

pb::RequestOp to_proto(const kv::RequestOp& op) {
  pb::RequestOp out;
  if (const auto* range = std::get_if<kv::RangeRequest>(&op.request)) {
    *out.mutable_request_range() = to_proto(*range);
  } else if (const auto* put = std::get_if<kv::PutRequest>(&op.request)) {
    *out.mutable_request_put() = to_proto(*put);
  } else if (const auto* del = std::get_if<kv::DeleteRangeRequest>(&op.request)) {
    *out.mutable_request_delete_range() = to_proto(*del);
  } else {
    *out.mutable_request_txn() = to_proto(std::get<kv::TxnRequest>(op.request));
  }
  return out;
}

pb::TxnRequest to_proto(const kv::TxnRequest& r) {
  pb::TxnRequest out;
  out.mutable_compare()->Reserve(static_cast<int>(r.compare.size()));
  for (const kv::Compare& c : r.compare) *out.add_compare() = to_proto(c);
  ops_to_proto(r.success, out.mutable_success());
  ops_to_proto(r.failure, out.mutable_failure());
  return out;
}

pb::CompactionRequest to_proto(const kv::CompactionRequest& r) {
  pb::CompactionRequest out;
  out.set_revision(r.revision);
  out.set_physical(r.physical);
  return out;
}

// --- Responses, kv -> proto.

mvccpb::KeyValue to_proto(const kv::KeyValue& kv) {
  mvccpb::KeyValue out;
  fill_key_value(kv, &out);
  return out;
}

pb::RangeResponse to_proto(const kv::RangeResponse& r, const pb::ResponseHeader& header) {
  return top_level<pb::RangeResponse>(r, header);
}

pb::PutResponse to_proto(const kv::PutResponse& r, const pb::ResponseHeader& header) {
  return top_level<pb::PutResponse>(r, header);
}

pb::DeleteRangeResponse to_proto(const kv::DeleteRangeResponse& r,
                                 const pb::ResponseHeader& header) {
  return top_level<pb::DeleteRangeResponse>(r, header);
}

pb::TxnResponse to_proto(const kv::TxnResponse& r, const pb::ResponseHeader& header) {
  return top_level<pb::TxnResponse>(r, header);
}

pb::CompactionResponse to_proto(const kv::CompactionResponse& r, const pb::ResponseHeader& header) {
  pb::CompactionResponse out;
  set_header(header, r.revision, out.mutable_header());
  return out;
}

pb::HashKVResponse to_proto(const kv::HashKvResponse& r, const pb::ResponseHeader& header) {
  pb::HashKVResponse out;
  set_header(header, r.revision, out.mutable_header());
  out.set_hash(r.hash);
  out.set_compact_revision(r.compact_revision);
  return out;
}

pb::ResponseOp to_proto(const kv::ResponseOp& op) {
  pb::ResponseOp out;
  fill_op(op, &out);
  return out;
}

// --- Checks.

Expected<void, kv::Error> check_txn_limits(const pb::TxnRequest& r, int max_txn_ops) {
  const int ops = std::max({r.compare_size(), r.success_size(), r.failure_size()});
  if (ops > max_txn_ops) return unexpected(kv::invalid_argument(kv::kTooManyOpsMessage));
  // The budget shrinks with each level, which also bounds how deep txns can nest.
  for (const OpList* branch : {&r.success(), &r.failure()}) {
    for (const pb::RequestOp& op : *branch) {
      if (!op.has_request_txn()) continue;
      if (auto ok = check_txn_limits(op.request_txn(), max_txn_ops - ops); !ok) return ok;
    }
  }
  return {};
}

Expected<kv::RangeRequest, kv::Error> check_range_request(const pb::RangeRequest& r) {
  auto converted = from_proto(r);
  if (!converted) return converted;
  if (auto ok = kv::check_range_request(*converted); !ok) return error_of(ok);
  return converted;
}

Expected<kv::PutRequest, kv::Error> check_put_request(const pb::PutRequest& r) {
  kv::PutRequest converted = from_proto(r);
  if (auto ok = kv::check_put_request(converted); !ok) return error_of(ok);
  return converted;
}

Expected<kv::DeleteRangeRequest, kv::Error> check_delete_request(const pb::DeleteRangeRequest& r) {
  kv::DeleteRangeRequest converted = from_proto(r);
  if (auto ok = kv::check_delete_request(converted); !ok) return error_of(ok);
  return converted;
}

Expected<kv::TxnRequest, kv::Error> check_txn_request(const pb::TxnRequest& r, int max_txn_ops) {
  // Limits first, on the proto: they bound the nesting the conversion below recurses through.
  if (auto ok = check_txn_limits(r, max_txn_ops); !ok) return error_of(ok);
  auto converted = from_proto(r);
  if (!converted) return converted;
  if (auto ok = kv::check_txn_request(*converted); !ok) return error_of(ok);
  return converted;
}

}  // namespace regent::server
