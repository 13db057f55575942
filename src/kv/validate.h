// Checks of a request that need nothing but the request (etcd does them in its gRPC layer,
// before proposing): empty keys, bad ranges, contradictory put flags, and, for txns, nesting
// depth and keys written twice. What needs the store's state (revisions, existing keys) is
// checked by the store itself.
#pragma once

#include "common/expected.h"
#include "kv/errors.h"
#include "kv/key_range.h"
#include "kv/types.h"

namespace regent::kv {

// Txns nest at most this deep (a txn holding a txn is depth 2). etcd bounds nesting through
// --max-txn-ops (128 by default); this bound is a constant so that every member agrees.
inline constexpr int kMaxTxnDepth = 64;

Expected<KeyRange, Error> check_range_request(const RangeRequest& r);
Expected<void, Error> check_put_request(const PutRequest& r);
Expected<KeyRange, Error> check_delete_request(const DeleteRangeRequest& r);
// Also refuses a txn that could write one key twice ("duplicate key given in txn request"):
// two puts of a key, or a put of a key that a delete range covers, anywhere in one branch
// (the success and failure branches of a txn, nested or not, never both apply, so a put in
// one and a put or delete of the same key in the other is fine). Deletes may overlap.
Expected<void, Error> check_txn_request(const TxnRequest& r);

}  // namespace regent::kv
