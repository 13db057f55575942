// The requests and answers of the key-value store, mirroring etcd v3's `etcdserverpb` KV service
// and `mvccpb.KeyValue`: same fields, same meanings, same enum numbers. They are plain structs,
// not generated protobuf, so that kv/ builds without a serialization library; server/ converts.
//
// Revisions, versions, leases and limits are int64_t because etcd's are: a field that is 0 means
// "not set" exactly where etcd says so (revision 0 = the current one, limit 0 = no limit, ...).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace regent::kv {

// One key as of some revision. Keys and values are arbitrary bytes.
struct KeyValue {
  std::string key;
  int64_t create_revision = 0;  // Revision of the put that created the key (its generation).
  int64_t mod_revision = 0;     // Revision of the last put of the key.
  int64_t version = 0;          // Puts since creation: 1 on creation; a delete resets it.
  std::string value;
  int64_t lease = 0;  // 0: no lease.

  bool operator==(const KeyValue&) const = default;
};

// Which keys a request names, from `key` and `range_end` (etcd's rules):
//   range_end empty  -> the single key `key`;
//   range_end "\0"   -> every key >= key (key "\0" with range_end "\0": every key);
//   otherwise        -> [key, range_end): no key at all when range_end <= key (as in etcd, an
//                       empty result, not an error).
// The key must never be empty.

struct RangeRequest {
  enum class SortOrder : int32_t { kNone = 0, kAscend = 1, kDescend = 2 };
  enum class SortTarget : int32_t { kKey = 0, kVersion = 1, kCreate = 2, kMod = 3, kValue = 4 };

  std::string key;
  std::string range_end;
  int64_t limit = 0;     // <= 0: no limit.
  int64_t revision = 0;  // <= 0: the current revision.
  SortOrder sort_order = SortOrder::kNone;
  SortTarget sort_target = SortTarget::kKey;
  bool serializable = false;  // A server concern (no ReadIndex); the store ignores it.
  bool keys_only = false;
  bool count_only = false;
  // Filters; 0 means no filter.
  int64_t min_mod_revision = 0;
  int64_t max_mod_revision = 0;
  int64_t min_create_revision = 0;
  int64_t max_create_revision = 0;

  bool operator==(const RangeRequest&) const = default;
};

struct RangeResponse {
  int64_t revision = 0;  // The store's revision the answer was read in (etcd's header revision).
  std::vector<KeyValue> kvs;
  bool more = false;  // More keys matched than `limit` let through.
  int64_t count = 0;  // Keys in the range at the read revision, before filters and limit.

  bool operator==(const RangeResponse&) const = default;
};

struct PutRequest {
  std::string key;
  std::string value;
  int64_t lease = 0;
  bool prev_kv = false;
  bool ignore_value = false;  // Keep the current value; the key must exist, value must be empty.
  bool ignore_lease = false;  // Keep the current lease; the key must exist, lease must be 0.

  bool operator==(const PutRequest&) const = default;
};

struct PutResponse {
  int64_t revision = 0;
  std::optional<KeyValue> prev_kv;  // Set when asked for and the key existed.

  bool operator==(const PutResponse&) const = default;
};

struct DeleteRangeRequest {
  std::string key;
  std::string range_end;
  bool prev_kv = false;

  bool operator==(const DeleteRangeRequest&) const = default;
};

struct DeleteRangeResponse {
  int64_t revision = 0;
  int64_t deleted = 0;
  std::vector<KeyValue> prev_kvs;  // When asked for: the deleted keys, in key order.

  bool operator==(const DeleteRangeResponse&) const = default;
};

// A condition of a txn, on every key of [key, range_end) (same rules as RangeRequest). The
// operand is the field named after the target; the others are ignored (etcd's target_union).
struct Compare {
  enum class Result : int32_t { kEqual = 0, kGreater = 1, kLess = 2, kNotEqual = 3 };
  enum class Target : int32_t { kVersion = 0, kCreate = 1, kMod = 2, kValue = 3, kLease = 4 };

  Result result = Result::kEqual;
  Target target = Target::kVersion;
  std::string key;
  std::string range_end;
  int64_t version = 0;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  std::string value;
  int64_t lease = 0;

  bool operator==(const Compare&) const = default;
};

struct RequestOp;
struct ResponseOp;

struct TxnRequest {
  std::vector<Compare> compare;
  std::vector<RequestOp> success;  // Applied in order if every compare holds.
  std::vector<RequestOp> failure;  // Applied in order otherwise.

  bool operator==(const TxnRequest&) const;
};

struct TxnResponse {
  int64_t revision = 0;
  bool succeeded = false;
  std::vector<ResponseOp> responses;  // One per applied op, in order.

  bool operator==(const TxnResponse&) const;
};

struct RequestOp {
  std::variant<RangeRequest, PutRequest, DeleteRangeRequest, TxnRequest> request;

  bool operator==(const RequestOp&) const = default;
};

struct ResponseOp {
  std::variant<RangeResponse, PutResponse, DeleteRangeResponse, TxnResponse> response;

  bool operator==(const ResponseOp&) const = default;
};

inline bool TxnRequest::operator==(const TxnRequest& o) const {
  return compare == o.compare && success == o.success && failure == o.failure;
}

inline bool TxnResponse::operator==(const TxnResponse& o) const {
  return revision == o.revision && succeeded == o.succeeded && responses == o.responses;
}

struct CompactionRequest {
  int64_t revision = 0;
  bool physical = false;  // A server concern (wait for the compaction to be durable).

  bool operator==(const CompactionRequest&) const = default;
};

struct CompactionResponse {
  int64_t revision = 0;

  bool operator==(const CompactionResponse&) const = default;
};

// Maintenance.HashKV's answer.
struct HashKvResponse {
  int64_t revision = 0;          // The store's current revision.
  uint32_t hash = 0;             // Over every kept version up to the requested revision.
  int64_t compact_revision = 0;  // Compare hashes only between members with equal ones.

  bool operator==(const HashKvResponse&) const = default;
};

// One change of one key, as a watcher sees it (etcd's mvccpb.Event). A put's kv is the key as
// the put left it; a delete's kv holds only the key and mod_revision = the delete's revision.
// prev_kv is the key as it stood just before the change, if it existed then.
struct Event {
  enum class Type : int32_t { kPut = 0, kDelete = 1 };

  Type type = Type::kPut;
  KeyValue kv;
  std::optional<KeyValue> prev_kv;

  bool operator==(const Event&) const = default;
};

}  // namespace regent::kv
