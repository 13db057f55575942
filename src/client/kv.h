// Keys and values: Range, Put, DeleteRange, Txn and Compact, with etcd's semantics.
//
// Invariants:
//  - get() and read-only txns are retried on another endpoint after Unavailable; put, del,
//    compact and txns that write are retried only if they never left the client (client.h).
//  - Options mirror etcd's request fields; `prefix` and `from_key` compute range_end as etcd's
//    WithPrefix / WithFromKey do and win over an explicit range_end.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/client.h"
#include "client/context.h"
#include "client/error.h"
#include "client/types.h"

namespace regent::client {

enum class SortOrder { kNone = 0, kAscend = 1, kDescend = 2 };
enum class SortTarget { kKey = 0, kVersion = 1, kCreate = 2, kMod = 3, kValue = 4 };

struct GetOptions {
  std::string range_end;  // Empty: the key alone; else [key, range_end).
  bool prefix = false;
  bool from_key = false;
  int64_t limit = 0;     // 0: no limit.
  int64_t revision = 0;  // <= 0: the current revision.
  SortOrder sort_order = SortOrder::kNone;
  SortTarget sort_target = SortTarget::kKey;
  bool serializable = false;  // Answered by the member asked, without a ReadIndex round.
  bool keys_only = false;
  bool count_only = false;
  int64_t min_mod_revision = 0;
  int64_t max_mod_revision = 0;
  int64_t min_create_revision = 0;
  int64_t max_create_revision = 0;
};

struct GetResponse {
  ResponseHeader header;
  std::vector<KeyValue> kvs;
  bool more = false;
  int64_t count = 0;
};

struct PutOptions {
  int64_t lease = 0;
  bool prev_kv = false;
  bool ignore_value = false;
  bool ignore_lease = false;
};

struct PutResponse {
  ResponseHeader header;
  std::optional<KeyValue> prev_kv;
};

struct DeleteOptions {
  std::string range_end;
  bool prefix = false;
  bool from_key = false;
  bool prev_kv = false;
};

struct DeleteResponse {
  ResponseHeader header;
  int64_t deleted = 0;
  std::vector<KeyValue> prev_kvs;
};

// One comparison of a txn's guard, as etcd's Compare message.
struct Compare {
  enum class Relation { kEqual = 0, kGreater = 1, kLess = 2, kNotEqual = 3 };
  enum class Target { kVersion = 0, kCreate = 1, kMod = 2, kValue = 3, kLease = 4 };

  Relation relation = Relation::kEqual;
  Target target = Target::kVersion;
  std::string key;
  std::string range_end;  // Compares every key in [key, range_end) when set.
  int64_t number = 0;     // For kVersion, kCreate, kMod, kLease.
  std::string value;      // For kValue.

  static Compare version(std::string key, Relation r, int64_t v);
  static Compare create_revision(std::string key, Relation r, int64_t rev);
  static Compare mod_revision(std::string key, Relation r, int64_t rev);
  static Compare value_of(std::string key, Relation r, std::string value);
  static Compare lease(std::string key, Relation r, int64_t lease);
};

// One operation of a txn branch. Nested txns are not offered.
struct Op {
  enum class Type { kGet, kPut, kDelete };

  Type type = Type::kGet;
  std::string key;
  std::string value;  // kPut
  GetOptions get;
  PutOptions put;
  DeleteOptions del;

  static Op get_op(std::string key, GetOptions options = {});
  static Op put_op(std::string key, std::string value, PutOptions options = {});
  static Op delete_op(std::string key, DeleteOptions options = {});
};

struct Txn {
  std::vector<Compare> compare;
  std::vector<Op> success;
  std::vector<Op> failure;

  bool read_only() const;
};

struct OpResponse {
  Op::Type type = Op::Type::kGet;
  GetResponse get;  // The member matching `type` is the answer.
  PutResponse put;
  DeleteResponse del;
};

struct TxnResponse {
  ResponseHeader header;
  bool succeeded = false;
  std::vector<OpResponse> responses;
};

class KV {
 public:
  explicit KV(std::shared_ptr<Client> client) : client_(std::move(client)) {}

  Result<GetResponse> get(const std::string& key, const GetOptions& options = {},
                          const Context& ctx = Context()) const;
  Result<PutResponse> put(const std::string& key, const std::string& value,
                          const PutOptions& options = {}, const Context& ctx = Context()) const;
  Result<DeleteResponse> del(const std::string& key, const DeleteOptions& options = {},
                             const Context& ctx = Context()) const;
  Result<TxnResponse> txn(const Txn& txn, const Context& ctx = Context()) const;
  // Discards every revision before `revision`; physical: answer once the space is reclaimed.
  Result<ResponseHeader> compact(int64_t revision, bool physical = false,
                                 const Context& ctx = Context()) const;

 private:
  std::shared_ptr<Client> client_;
};

}  // namespace regent::client
