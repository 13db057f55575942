// Conversions between etcd's wire messages (etcdserverpb, mvccpb) and the store's plain structs
// (kv/types.h), and the checks etcd's gRPC layer makes before it proposes a request. Pure: no
// I/O, no state.
//
// Requests go proto -> kv: the log holds the proto (regentpb::InternalRequest), and every member
// converts it when it applies it. A conversion fails only for what kv cannot represent: an enum
// value out of range (a proto3 enum field carries any int32) or a RequestOp with no request set.
// What else a request can get wrong is refused by kv/validate.h, so each rule lives in one place;
// the check_* functions below run conversion, limits and kv's checks in one call.
//
// Responses go kv -> proto. A top-level response takes the caller's ResponseHeader (cluster_id,
// member_id, raft_term) and gets its revision from the kv response, as etcd's apply sets
// Header.Revision and its gRPC layer fills in the rest. Responses nested in a TxnResponse get
// etcd's nested headers (server/etcdserver/txn/txn.go): a range, put or delete carries a header
// holding only its own revision; a nested txn carries a present but empty header (etcd's
// newTxnResp allocates it and only the outermost one is ever given a revision).
#pragma once

#include "common/expected.h"
#include "etcdserverpb/rpc.pb.h"
#include "kv/errors.h"
#include "kv/types.h"
#include "mvccpb/kv.pb.h"

namespace regent::server {

// etcd's --max-txn-ops default.
inline constexpr int kDefaultMaxTxnOps = 128;

// --- Requests, proto -> kv.
//
// Errors (all kv::ErrorCode::kInvalidArgument):
//   "etcdserver: invalid sort order <n>", "etcdserver: invalid sort target <n>",
//   "etcdserver: invalid compare result <n>", "etcdserver: invalid compare target <n>";
//   "etcdserver: key not found" for a RequestOp with no request: etcd's own answer to an empty
//   op (checkRequestOp in v3rpc/key.go), odd as its wording is, because clients match on it.

Expected<kv::RangeRequest, kv::Error> from_proto(const etcdserverpb::RangeRequest& r);
kv::PutRequest from_proto(const etcdserverpb::PutRequest& r);
kv::DeleteRangeRequest from_proto(const etcdserverpb::DeleteRangeRequest& r);
// The operand is the target_union field the target names; one naming another field leaves the
// operand zero (etcd's compareKV does the same), so equal meanings give equal kv::Compares.
Expected<kv::Compare, kv::Error> from_proto(const etcdserverpb::Compare& c);
Expected<kv::RequestOp, kv::Error> from_proto(const etcdserverpb::RequestOp& op);
Expected<kv::TxnRequest, kv::Error> from_proto(const etcdserverpb::TxnRequest& r);
kv::CompactionRequest from_proto(const etcdserverpb::CompactionRequest& r);

// --- Requests, kv -> proto (building proposals and test inputs from kv values). A Compare's
// target_union is set to the field its target names.

etcdserverpb::RangeRequest to_proto(const kv::RangeRequest& r);
etcdserverpb::PutRequest to_proto(const kv::PutRequest& r);
etcdserverpb::DeleteRangeRequest to_proto(const kv::DeleteRangeRequest& r);
etcdserverpb::Compare to_proto(const kv::Compare& c);
etcdserverpb::RequestOp to_proto(const kv::RequestOp& op);
etcdserverpb::TxnRequest to_proto(const kv::TxnRequest& r);
etcdserverpb::CompactionRequest to_proto(const kv::CompactionRequest& r);

// --- Responses, kv -> proto. `header` supplies everything but the revision (see above).

mvccpb::KeyValue to_proto(const kv::KeyValue& kv);
etcdserverpb::RangeResponse to_proto(const kv::RangeResponse& r,
                                     const etcdserverpb::ResponseHeader& header);
// prev_kv is set only when the kv response holds one.
etcdserverpb::PutResponse to_proto(const kv::PutResponse& r,
                                   const etcdserverpb::ResponseHeader& header);
etcdserverpb::DeleteRangeResponse to_proto(const kv::DeleteRangeResponse& r,
                                           const etcdserverpb::ResponseHeader& header);
etcdserverpb::TxnResponse to_proto(const kv::TxnResponse& r,
                                   const etcdserverpb::ResponseHeader& header);
etcdserverpb::CompactionResponse to_proto(const kv::CompactionResponse& r,
                                          const etcdserverpb::ResponseHeader& header);
etcdserverpb::HashKVResponse to_proto(const kv::HashKvResponse& r,
                                      const etcdserverpb::ResponseHeader& header);
// One response inside a TxnResponse, with a nested header as described above.
etcdserverpb::ResponseOp to_proto(const kv::ResponseOp& op);

// --- Checks etcd's gRPC layer makes before proposing (v3rpc/key.go).

// etcd's rule, level by level: a txn's op count is the largest of its compares, success ops and
// failure ops; it must not exceed the budget, and each nested txn gets the budget minus its
// parent's count. Refused with "etcdserver: too many operations in txn request".
Expected<void, kv::Error> check_txn_limits(const etcdserverpb::TxnRequest& r, int max_txn_ops);

// Everything refused before proposing, converted on success: from_proto, then kv/validate.h's
// check (empty key, bad range end, ignore_value/ignore_lease with a value/lease, duplicate keys
// and nesting depth in a txn); for a txn check_txn_limits comes first, as in etcd.
Expected<kv::RangeRequest, kv::Error> check_range_request(const etcdserverpb::RangeRequest& r);
Expected<kv::PutRequest, kv::Error> check_put_request(const etcdserverpb::PutRequest& r);
Expected<kv::DeleteRangeRequest, kv::Error> check_delete_request(
    const etcdserverpb::DeleteRangeRequest& r);
Expected<kv::TxnRequest, kv::Error> check_txn_request(const etcdserverpb::TxnRequest& r,
                                                      int max_txn_ops);

}  // namespace regent::server
