// The store's image at one revision, written in bounded steps while the store moves on: a
// snapshot no longer holds writes off for as long as the whole store takes to serialize.
//
// Contract (kv takes no locks: "writers excluded" means the caller's lock, e.g. the state
// machine's mutex held shared, orders the call against every write to the store):
//   - Store::begin_image() starts a job at the store's current revision R. It is a write to
//     the store (it registers the job), cheap: it copies the lease table's bytes, O(leases).
//   - step() writes the next few keys, visiting at most ImageChunk::max_keys keys and stopping
//     once ImageChunk::max_bytes are written (a key's whole history always goes in one step).
//     Call it with writers excluded, from one thread at a time, on the store the job began on.
//     Readers may run alongside it. Between steps the store takes any write (put, delete, txn,
//     lease grant, revoke or checkpoint, compaction): the image stays the store's at R.
//   - take() (after step() said kDone) needs no lock; it returns exactly what Store::image()
//     returned at R, so Store::restore() reads it, and members that begin a job at the same
//     revision get byte-identical images.
//   - A job may be destroyed at any time, on any thread, with no lock: it keeps nothing of the
//     store's alive beyond itself, and compaction stops keeping records for it.
//   - A job whose store was assigned over (restored) or copied is not served by the copy: its
//     step() answers kStoreReplaced and the job is useless.
//
// Why the image stays the store's at R. A store only appends records (revisions after R) and,
// by compaction, drops a prefix of a key's records. The job writes keys in order; for each key
// not yet written (ImageHold::next_key onwards), compaction hands it the records at or before
// R that it drops (image_hold.h). So when the job writes key K:
//   K's records in the image at R = the records compaction took from K for the job
//                                    ++ K's records in the store at or before R,
// and the keys of the image at R are those with at least one such record. Compaction itself
// is not delayed: the store answers every read as compacted at once (store.h's invariants hold
// as ever); only the records the job still needs outlive it, in the job, until the job writes
// their key or ends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kv/image_hold.h"

namespace regent::kv {

class Store;

// How much one step may do: its time under the caller's lock is bounded by these, not by the
// size of the store (but by the longest history of a single key, which a step never splits).
struct ImageChunk {
  size_t max_keys = 1024;
  size_t max_bytes = size_t{1} << 20;
};

class ImageJob {
 public:
  enum class Progress { kMore, kDone, kStoreReplaced };

  ImageJob(ImageJob&&) noexcept = default;
  ImageJob& operator=(ImageJob&&) noexcept = default;
  ImageJob(const ImageJob&) = delete;  // Two jobs on one hold would each skip what the other wrote.
  ImageJob& operator=(const ImageJob&) = delete;

  // R: the revision whose image this job writes.
  int64_t revision() const { return revision_; }

  // Optional, before each step, with no lock held: allocates what the next step writes into
  // and frees what the last one wrote, so that a step neither allocates nor frees anything
  // large under the caller's lock. (A large allocation or free may make glibc's malloc
  // consolidate every small free chunk of its arena first: one step that grew its buffer was
  // measured holding the lock for 48 ms.)
  void prepare_step(const ImageChunk& chunk = {});
  Progress step(const Store& store, const ImageChunk& chunk = {});
  // The image; only once step() answered kDone, and only once.
  std::string take();

 private:
  friend class Store;
  ImageJob(std::shared_ptr<ImageHold> hold, int64_t compact_revision, std::string leases)
      : revision_(hold->revision),
        hold_(std::move(hold)),
        compact_revision_(compact_revision),
        leases_(std::move(leases)) {}

  // Appends `key`'s records at or before R to `out`, if it has any; returns whether it did.
  bool write_key(std::string& out, const std::string& key, const KeyIndex* in_store);

  int64_t revision_;
  std::shared_ptr<ImageHold> hold_;  // Until the job is done.
  int64_t compact_revision_;         // At R.
  std::string leases_;               // The leases section at R (image_codec.h).
  std::vector<std::string> parts_;   // The keys' bytes, one part per step.
  std::string next_part_;            // Where the next step writes, reserved by prepare_step().
  std::vector<std::vector<Record>> written_dropped_;  // Written; prepare_step() frees them.
  uint64_t key_count_ = 0;
  bool done_ = false;
  bool taken_ = false;
};

}  // namespace regent::kv
