// The multi-version key-value store: Regent's replicated state machine, with etcd v3's KV
// semantics (Range, Put, DeleteRange, Txn, Compact) and Maintenance.HashKV.
//
// Pure and deterministic: no threads, clocks, files or randomness. Members that apply the same
// operations in the same order hold the same revision, the same keys, and equal hash() and
// image(). A request that fails changes nothing.
//
// Revisions. An empty store is at revision 1. Every write that changes something (a put, a
// delete that deletes, a txn with such an op) moves the store to the next revision, once; the
// changes of one write share that main revision and are ordered by sub revision. A read-only
// txn, a delete of nothing and a compaction leave the revision alone.
//
// Invariants (check_invariants() verifies them all):
//   1. 1 <= revision() <= kMaxRevision, 0 <= compact_revision() <= revision(); neither ever
//      decreases.
//   2. Every key held has a non-empty history satisfying key_index.h's invariants (generations:
//      version 1 at creation, +1 per put, reset by a delete; create_revision per generation).
//   3. No two changes share a (main, sub) revision. Every revision after
//      max(compact_revision(), 1) up to revision() holds changes, with subs 0, 1, ..., n-1.
//   4. A read at any revision in [compact_revision(), revision()] answers exactly as the store
//      answered at that revision: compaction only drops what those reads cannot see.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "common/expected.h"
#include "kv/errors.h"
#include "kv/key_index.h"
#include "kv/key_range.h"
#include "kv/types.h"

namespace regent::kv {

// Far beyond any real history (2^62 writes), and low enough that revision + 1 never wraps; an
// image claiming more is refused.
inline constexpr int64_t kMaxRevision = int64_t{1} << 62;

class Store {
 public:
  Store() = default;

  int64_t revision() const { return revision_; }
  int64_t compact_revision() const { return compact_revision_; }

  Expected<RangeResponse, Error> range(const RangeRequest& r) const;
  Expected<PutResponse, Error> put(const PutRequest& r);
  Expected<DeleteRangeResponse, Error> delete_range(const DeleteRangeRequest& r);
  Expected<TxnResponse, Error> txn(const TxnRequest& r);
  // Forgets the versions that no read at or after r.revision can see; reads at revisions
  // before it fail from then on.
  Expected<CompactionResponse, Error> compact(const CompactionRequest& r);

  // CRC-32C over every kept version at or before `revision` (0: the current one), in key then
  // revision order. Fails for a future revision and for one at or before the compacted one.
  Expected<HashKvResponse, Error> hash_kv(int64_t revision) const;
  uint32_t hash() const;

  // The whole store (every kept version, the revision and the compacted revision) as bytes;
  // restore(image()) is indistinguishable from the original. Format in image.cc.
  std::string image() const;
  static Expected<Store, Error> restore(std::string_view image);

  // Keys with a kept history (deleted keys whose tombstone is kept included), and the number
  // of kept versions (puts and tombstones): what compaction shrinks.
  size_t key_count() const { return keys_.size(); }
  size_t version_count() const;

  // Aborts if an invariant above is broken. Costs a pass over the whole store.
  void check_invariants() const;

 private:
  using KeyMap = std::map<std::string, KeyIndex, std::less<>>;
  using KeyVisitor = std::function<void(const std::string&, const KeyIndex&)>;

  // One write in progress (put, delete or txn): its changes take revision `main`, subs 0, 1, ...
  struct Write {
    int64_t main = 0;
    int64_t next_sub = 0;
    bool changed() const { return next_sub > 0; }
    // The revision a read inside the write sees: its own changes, once it has made some.
    int64_t view() const { return changed() ? main : main - 1; }
    Revision next() { return Revision{main, next_sub++}; }
  };

  Write begin_write() const;
  void finish(const Write& w);

  void for_each(const KeyRange& range, const KeyVisitor& visit) const;
  // The revision a read of `requested` (<= 0: current) looks at, if it is still readable.
  Expected<int64_t, Error> read_revision(int64_t requested) const;
  // ignore_value / ignore_lease need the key to exist now.
  Expected<void, Error> check_put_target(const PutRequest& r) const;
  bool compare_holds(const Compare& c) const;

  RangeResponse apply_range(const RangeRequest& r, int64_t at, int64_t view) const;
  PutResponse apply_put(const PutRequest& r, Write& w);
  DeleteRangeResponse apply_delete(const DeleteRangeRequest& r, Write& w);
  struct TxnPath;
  TxnResponse apply_txn(const TxnRequest& r, TxnPath& path, Write& w);
  ResponseOp apply_op(const RequestOp& op, TxnPath& path, Write& w);
  void evaluate_compares(const TxnRequest& r, std::vector<bool>& path) const;
  Expected<void, Error> check_txn_path(const TxnRequest& r, const std::vector<bool>& path) const;

  // "" if every invariant above holds, or the first broken one.
  std::string find_problem() const;

  Store(int64_t revision, int64_t compact_revision, KeyMap keys)
      : revision_(revision), compact_revision_(compact_revision), keys_(std::move(keys)) {}

  int64_t revision_ = 1;
  int64_t compact_revision_ = 0;  // 0: never compacted.
  KeyMap keys_;                   // Only keys with a non-empty history.
};

// Converts a kept put to the KeyValue a client sees.
KeyValue to_key_value(std::string_view key, const Record& r, bool with_value = true);

}  // namespace regent::kv
