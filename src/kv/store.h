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
//   5. The leases satisfy lease_table.h's invariants against the keys as they stand.
//   6. The revision index (revision_index.h) holds exactly the kept changes at or after the
//      compacted revision: every change goes through record_put() or record_tombstone().
//   7. bytes_in_use() is the weight (store_weight.h) of exactly what is kept: it moves with every
//      change and compaction, never by a pass over the store.
//
// Leases (lease_ops.cc): a grant and a checkpoint change no revision; a revoke deletes every
// key attached to the lease in one write (one revision, subs in key order), or changes no
// revision if none is. A put (also in a txn) naming a lease that does not exist fails with
// "requested lease not found".
//
// Image jobs (image_job.h): begin_image() starts writing the store's image as of now in bounded
// steps that interleave with writes. For each running job, compaction hands over the records
// it drops that the job has yet to write; the store itself keeps nothing extra, so every
// invariant above holds while jobs run.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "common/expected.h"
#include "kv/errors.h"
#include "kv/image_job.h"
#include "kv/key_index.h"
#include "kv/key_range.h"
#include "kv/lease_table.h"
#include "kv/lease_types.h"
#include "kv/revision_index.h"
#include "kv/store_weight.h"
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

  // The changes of keys in `range` at revisions from..to (to <= 0 or beyond revision(): up to
  // revision()), in (revision, sub) order, with prev_kv when asked (events.cc). With a limit
  // (events, or bytes of keys and values), stops once it is reached, after a whole revision:
  // when a limit is reached, read on from the last event's revision + 1. Fails if
  // from < compact_revision(); at the compacted revision itself, see revision_index.h for what
  // a restored store still knows.
  Expected<std::vector<Event>, Error> events(const KeyRange& range, int64_t from, int64_t to,
                                             size_t limit = 0, bool with_prev_kv = true,
                                             size_t max_bytes = 0) const;

  Expected<LeaseGrantResponse, Error> lease_grant(const LeaseGrantRequest& r);
  Expected<LeaseRevokeResponse, Error> lease_revoke(const LeaseRevokeRequest& r);
  Expected<LeaseCheckpointResponse, Error> lease_checkpoint(const LeaseCheckpointRequest& r);
  const LeaseTable& leases() const { return leases_; }

  // CRC-32C over every kept version at or before `revision` (0: the current one), in key then
  // revision order. Fails for a future revision and for one at or before the compacted one.
  Expected<HashKvResponse, Error> hash_kv(int64_t revision) const;
  uint32_t hash() const;

  // The whole store (every kept version, the revision and the compacted revision) as bytes;
  // restore(image()) is indistinguishable from the original. Format in image.cc.
  std::string image() const;
  static Expected<Store, Error> restore(std::string_view image);
  // Starts writing image() as of now in steps, while the store moves on (image_job.h: which
  // thread may call what, and what compaction keeps meanwhile). A write: call it between two.
  ImageJob begin_image();
  // Jobs begun on this store that have not ended (done or destroyed).
  size_t image_jobs() const { return image_holds_.count(); }

  // Keys with a kept history (deleted keys whose tombstone is kept included), and the number
  // of kept versions (puts and tombstones): what compaction shrinks.
  size_t key_count() const { return keys_.size(); }
  size_t version_count() const;
  // About the bytes the kept state takes in an image (store_weight.h): what etcd calls the
  // database's size in use, and what --quota-backend-bytes is measured against.
  uint64_t bytes_in_use() const { return kept_bytes_ + leases_.size() * kLeaseWeight; }

  // Aborts if an invariant above is broken. Costs a pass over the whole store.
  void check_invariants() const;

 private:
  friend class ImageJob;  // Reads the keys and checks that it is served, in steps.
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
  // The only two ways a key changes: its history and the revision index move together.
  void record_put(KeyIndex& index, const std::string& key, Write& w, std::string value,
                  int64_t lease);
  void record_tombstone(KeyIndex& index, const std::string& key, Write& w);
  Event event_at(Revision rev, const std::string& key, bool with_prev_kv) const;
  struct TxnPath;
  TxnResponse apply_txn(const TxnRequest& r, TxnPath& path, Write& w);
  ResponseOp apply_op(const RequestOp& op, TxnPath& path, Write& w);
  void evaluate_compares(const TxnRequest& r, std::vector<bool>& path) const;
  Expected<void, Error> check_txn_path(const TxnRequest& r, const std::vector<bool>& path) const;

  // "" if every invariant above holds, or the first broken one.
  std::string find_problem() const;
  std::string find_lease_problem() const;  // Invariant 5.

  Store(int64_t revision, int64_t compact_revision, KeyMap keys)
      : revision_(revision),
        compact_revision_(compact_revision),
        keys_(std::move(keys)),
        revisions_(RevisionIndex::rebuild(keys_, compact_revision_)),
        kept_bytes_(weigh_keys(keys_)) {}

  int64_t revision_ = 1;
  int64_t compact_revision_ = 0;  // 0: never compacted.
  KeyMap keys_;                   // Only keys with a non-empty history.
  RevisionIndex revisions_;       // Derived from keys_ (invariant 6); not in the image.
  uint64_t kept_bytes_ = 0;       // weigh_keys(keys_), kept up to date (invariant 7).
  LeaseTable leases_;
  ImageHolds image_holds_;  // The running image jobs; not copied with the store, not in the image.
};

// What an event weighs against events()'s max_bytes: its key and values.
inline size_t event_bytes(const Event& e) {
  return e.kv.key.size() + e.kv.value.size() + (e.prev_kv ? e.prev_kv->value.size() : 0);
}

// Converts a kept put to the KeyValue a client sees.
KeyValue to_key_value(std::string_view key, const Record& r, bool with_value = true);

}  // namespace regent::kv
