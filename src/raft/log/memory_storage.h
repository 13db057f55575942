// LogStorage held in memory: the reference implementation, used by tests, benchmarks and the
// simulator (which adds its own crash semantics on top).
//
// Invariant: ents_[0] is a dummy entry carrying the snapshot's index and term; ents_[k] has index
// ents_[0].index + k.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "raft/log/storage.h"

namespace regent::raft {

class MemoryStorage final : public LogStorage {
 public:
  MemoryStorage();

  std::pair<HardState, ConfState> initial_state() const override;
  Expected<std::vector<Entry>, StorageError> entries(Index lo, Index hi,
                                                     uint64_t max_bytes) const override;
  Expected<Term, StorageError> term(Index i) const override;
  Index first_index() const override;
  Index last_index() const override;
  Expected<Snapshot, StorageError> snapshot() const override;

  void set_hard_state(const HardState& hs) { hard_state_ = hs; }
  const HardState& hard_state() const { return hard_state_; }

  // Replaces everything with the snapshot. Fails with kCompacted if it is older than the one held.
  std::optional<StorageError> apply_snapshot(const Snapshot& snap);

  // Makes a snapshot at index i (which must be <= last_index()) with the given data; conf_state,
  // if given, replaces the stored one. Fails with kCompacted if i <= the current snapshot index.
  // Returns the new snapshot's metadata (not the data: a copy of the whole store is what a
  // member's loop must not make).
  Expected<SnapshotMetadata, StorageError> create_snapshot(Index i, const ConfState* cs,
                                                           std::string data);
  // The held snapshot's metadata, without copying its data as snapshot() does.
  const SnapshotMetadata& snapshot_metadata() const { return snapshot_.metadata; }

  // Discards entries up to and including compact_index (which must be <= last_index()).
  // Fails with kCompacted if already compacted past it.
  std::optional<StorageError> compact(Index compact_index);

  // Appends entries; ones that overlap the stored tail replace it (a new leader's log wins).
  // Entries must be contiguous and must not leave a gap after last_index(). Entries at or before
  // the snapshot are ignored.
  void append(const std::vector<Entry>& entries);
  // The same, moving the entries in (a recovered log is large: no copy of its data).
  void append(std::vector<Entry>&& entries);

 private:
  // Checks entries for append() and drops the stored tail they replace; returns how many of
  // them to skip (already compacted), or nullopt if none is to be stored.
  std::optional<size_t> make_room_for(const std::vector<Entry>& entries);

  Index offset() const { return ents_.front().index; }

  HardState hard_state_;
  Snapshot snapshot_;
  std::vector<Entry> ents_;
};

}  // namespace regent::raft
