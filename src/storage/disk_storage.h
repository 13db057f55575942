// A member's durable Raft storage in one data directory: the write-ahead log, snapshot files and
// the lock that keeps a second process out. It is the raft::LogStorage the core reads from, and
// the host's one way to persist what a Ready hands out.
//
//   <dir>/LOCK                         flock()ed by the owning process; holds its pid
//   <dir>/wal/<seq>-<first index>.wal  segments of framed records (record.h), hex names
//   <dir>/snap/<term>-<index>.snap     snapshot files (codec.h), hex names
//
// Invariants (the promises the rest of Regent builds on):
//  - Reads (the LogStorage methods) return only what a sync() made durable.
//  - write() + sync() of one Raft round cost one write() and one fdatasync() of the WAL, unless
//    the round rolls to a new segment (then the new segment is prepared and its directory synced)
//    or carries a snapshot (its file is written and synced first).
//  - A snapshot becomes the recovery point only once its file is durable AND a mark for it is
//    synced in the WAL; a file newer than every mark (a crash between the two) is discarded.
//  - After any write or sync fails, the storage refuses everything: a failed fdatasync may have
//    dropped data the kernel had accepted, so the only safe next step is to stop and recover
//    from the disk.
//  - The snapshot's image (the whole store) lives in its file, not in memory: snapshot() gives
//    the metadata with an empty image; read_snapshot() and take_snapshot() read the file.
//  - Recovery never skips a bad record: a torn tail of the last segment is cut off (with a
//    warning naming file and offset); anything else bad stops the member with an error.
//
// Not thread-safe: one Raft loop owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"
#include "common/logger.h"
#include "raft/log/memory_storage.h"
#include "raft/log/storage.h"
#include "storage/codec.h"
#include "storage/failure.h"
#include "storage/fs.h"
#include "storage/wal.h"

namespace regent::storage {

class SnapshotStore;

struct Options {
  uint64_t segment_bytes = 64ull << 20;  // Roll to a new segment beyond this size.
  bool preallocate = true;               // Reserve each segment's full size when created.
  size_t keep_snapshots = 2;             // Snapshot files kept (at least 2: one older kept).
  // Entries kept in memory before a snapshot made by create_snapshot(), so that a follower that
  // is slightly behind catches up from the log instead of needing the snapshot.
  uint64_t catch_up_entries = 5000;
};

// What recovery found, for logs and tests.
struct RecoveryReport {
  bool fresh = false;  // Nothing was ever saved here: a new member, to be bootstrapped.
  raft::Index snapshot_index = 0;
  raft::Term snapshot_term = 0;
  raft::Index first_index = 0;
  raft::Index last_index = 0;
  raft::HardState hard_state;
  size_t segments = 0;
  uint64_t records = 0;
  std::optional<std::string> torn_tail;  // "wal/...wal at offset N: ..." if one was cut off.
  std::vector<std::string> warnings;     // Discarded orphan snapshots, fallbacks, ...
};

struct Stats {
  uint64_t batches = 0;      // write() calls that wrote something.
  uint64_t wal_syncs = 0;    // fdatasync() of a WAL segment.
  uint64_t other_syncs = 0;  // Directory syncs, new segments, snapshot files.
  uint64_t bytes_written = 0;
  uint64_t segments_created = 0;
  uint64_t segments_removed = 0;
};

class DiskStorage final : public raft::LogStorage {
 public:
  ~DiskStorage() override;
  DiskStorage(const DiskStorage&) = delete;
  DiskStorage& operator=(const DiskStorage&) = delete;

  // Locks dir (creating it if missing) and recovers what it holds. A fresh directory starts
  // empty (no snapshot, no entries); the host then saves its bootstrap state.
  static Expected<std::unique_ptr<DiskStorage>, Failure> open(Fs& fs, std::string dir,
                                                              const Options& options,
                                                              Logger& logger);

  // raft::LogStorage: what is durable.
  std::pair<raft::HardState, raft::ConfState> initial_state() const override;
  Expected<std::vector<raft::Entry>, raft::StorageError> entries(raft::Index lo, raft::Index hi,
                                                                 uint64_t max_bytes) const override;
  Expected<raft::Term, raft::StorageError> term(raft::Index i) const override;
  raft::Index first_index() const override;
  raft::Index last_index() const override;
  // The held snapshot's metadata; its image is empty (see read_snapshot()).
  Expected<raft::Snapshot, raft::StorageError> snapshot() const override;

  // The snapshot described by `metadata`, image included, read from its file. Any thread: it
  // touches nothing the owner changes. Fails if the file is gone (a newer snapshot made it
  // unneeded) or damaged.
  Expected<raft::Snapshot, Failure> read_snapshot(const raft::SnapshotMetadata& metadata) const;
  // The held snapshot with its image, for the host to restore its state machine from: the image
  // recovery read (handed over once, not read twice), or else read_snapshot(). Owner thread.
  Expected<raft::Snapshot, Failure> take_snapshot();

  // Persists one Raft round without syncing the log: the snapshot (if any, durably, since it
  // replaces the log), then entries and hard state as one write to the current segment. Entries
  // overlapping the log replace its tail from their first index on. Nothing is visible to the
  // reads above until sync().
  Expected<void, Failure> write(const std::vector<raft::Entry>& entries,
                                const std::optional<raft::HardState>& hard_state,
                                const std::optional<raft::Snapshot>& snapshot);
  // One fdatasync of the log, after which everything written is durable and readable.
  Expected<void, Failure> sync();
  // sync() in three steps, so that the fdatasync runs on another thread while the owner goes on
  // (stepping, sending, applying; it must not write, and nothing it reads changes meanwhile):
  // needs_sync() on the owner thread; sync_log_file() on any thread; finish_sync() on the owner
  // with what sync_log_file() returned: then everything written before is durable and readable.
  bool needs_sync() const { return !failure_ && (wal_->unsynced() || !pending_.empty()); }
  IoStatus sync_log_file() { return wal_->sync_file(); }
  Expected<void, Failure> finish_sync(const IoStatus& synced);
  // write() then sync(): what a server does with each Ready.
  Expected<void, Failure> save(const std::vector<raft::Entry>& entries,
                               const std::optional<raft::HardState>& hard_state,
                               const std::optional<raft::Snapshot>& snapshot);

  // Compaction: the state machine's image at applied index `index` (<= last_index()) becomes a
  // durable snapshot; the log before it is then dropped from memory (keeping catch_up_entries)
  // and from disk (segments wholly before the oldest kept snapshot), and older snapshot files
  // beyond keep_snapshots are deleted.
  Expected<void, Failure> create_snapshot(raft::Index index, const raft::ConfState& conf_state,
                                          std::string data);
  // The same in three steps, so that the snapshot file (the whole store) is written off the
  // thread that owns this storage:
  //   1. snapshot_metadata() on the owner thread: what create_snapshot() would check, and the
  //      metadata (term) of the snapshot at `index`;
  //   2. write_snapshot_file() on any thread: the file alone, atomically (temporary file, sync,
  //      rename, directory sync). It touches nothing else of the storage, so the owner thread
  //      may go on meanwhile; one file at a time. A file whose step 3 never comes is an orphan
  //      that recovery removes, or discard_snapshot_file() does;
  //   3. commit_snapshot() on the owner thread: the mark in the log (synced), then the log
  //      before it dropped as create_snapshot() drops it. It re-checks step 1's conditions (the
  //      storage may have moved on, a leader's snapshot installed meanwhile) and refuses a
  //      snapshot no longer newer than the one held.
  Expected<raft::SnapshotMetadata, Failure> snapshot_metadata(
      raft::Index index, const raft::ConfState& conf_state) const;
  Expected<void, Failure> write_snapshot_file(const raft::Snapshot& snapshot) const;
  // Files the compaction made unneeded are not removed here (unlinking a file of the whole store
  // takes tens of milliseconds): take_files_to_remove() hands them over, and remove_files()
  // removes them from any thread. Left behind by a crash, they are found and removed again.
  Expected<void, Failure> commit_snapshot(const raft::SnapshotMetadata& metadata);
  // Maintenance.Defragment, after a snapshot at the last entry: the log goes on in a new segment,
  // and every older snapshot file and every segment with nothing after the newest snapshot goes
  // too (through take_files_to_remove()), keeping no catch-up tail and no older snapshot to fall
  // back on. On an operator's request only: followers far behind then need the snapshot.
  Expected<void, Failure> drop_history();
  std::vector<std::string> take_files_to_remove() { return std::exchange(files_to_remove_, {}); }
  void remove_files(const std::vector<std::string>& paths) const;
  void discard_snapshot_file(const raft::SnapshotMetadata& metadata) const;

  const RecoveryReport& recovery() const { return recovery_; }
  Stats stats() const;
  // Bytes on disk that hold nothing yet (the newest segment's preallocation): what a report of
  // the state's size on disk leaves out.
  uint64_t reserved_bytes() const;
  const std::string& dir() const { return dir_; }
  // Set once a write or sync failed; every later call returns it.
  const std::optional<Failure>& failure() const { return failure_; }

 private:
  DiskStorage(Fs& fs, std::string dir, const Options& options, Logger& logger);

  Expected<void, Failure> lock_dir();
  Expected<void, Failure> recover();
  // Returns f; an I/O failure also poisons the storage (see the invariants above).
  Expected<void, Failure> fail(Failure f);
  Expected<void, Failure> purge(std::vector<std::string>* later = nullptr);
  SegmentPreamble preamble(raft::Index first_index) const;
  raft::Index next_index() const;  // After everything written, synced or not.

  struct Pending {
    std::vector<raft::Entry> entries;
    std::optional<raft::HardState> hard_state;
    std::optional<raft::Snapshot> snapshot;
  };

  Fs& fs_;
  std::string dir_;
  Options options_;
  Logger& logger_;
  std::unique_ptr<DirLock> lock_;
  std::unique_ptr<Wal> wal_;
  std::unique_ptr<SnapshotStore> snapshots_;
  raft::MemoryStorage cache_;     // The durable log and hard state, as of the last sync().
  std::vector<Pending> pending_;  // Written, not yet synced.
  // As written to the log (synced or not): what a new segment's preamble repeats.
  SnapshotMark newest_mark_;
  raft::HardState written_hs_;
  raft::Index written_last_ = 0;  // Last entry index written while pending_ is non-empty.
  RecoveryReport recovery_;
  uint64_t batches_ = 0;
  uint64_t bytes_written_ = 0;
  std::optional<Failure> failure_;
  std::vector<std::string> files_to_remove_;  // See commit_snapshot().
  raft::Snapshot recovered_;                  // The image open() read, until take_snapshot().
};

}  // namespace regent::storage
