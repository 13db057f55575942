// The read-only view of stable storage that the consensus core consults.
//
// The core never writes: the host persists what Ready hands out (entries, hard state, snapshot)
// and then calls RawNode::advance(). An implementation must return what was written and synced,
// nothing else. MemoryStorage is the reference implementation; storage/ provides the durable one.
//
// Index layout: the storage holds a snapshot covering (0, snapshot.index] and the entries
// [first_index(), last_index()] after it, with first_index() == snapshot.index + 1.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>
#include <vector>

#include "common/expected.h"
#include "raft/types.h"

namespace regent::raft {

enum class StorageError {
  kCompacted,    // The requested index is at or before the snapshot: use the snapshot.
  kUnavailable,  // The requested index is after the last entry.
  kSnapshotTemporarilyUnavailable,  // A snapshot is being produced; ask again later.
};

std::string_view to_string(StorageError e);

inline constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();

class LogStorage {
 public:
  virtual ~LogStorage() = default;

  virtual std::pair<HardState, ConfState> initial_state() const = 0;

  // Entries in [lo, hi). At most max_bytes in total (by Entry::size()), but always at least one
  // entry if lo < hi. kCompacted if lo <= snapshot index; kUnavailable if hi > last_index() + 1.
  virtual Expected<std::vector<Entry>, StorageError> entries(Index lo, Index hi,
                                                             uint64_t max_bytes) const = 0;

  // The term of entry i, for i in [snapshot index, last_index()] (the snapshot's own index
  // answers with the snapshot's term). kCompacted below, kUnavailable above.
  virtual Expected<Term, StorageError> term(Index i) const = 0;

  virtual Index first_index() const = 0;
  virtual Index last_index() const = 0;

  virtual Expected<Snapshot, StorageError> snapshot() const = 0;
};

}  // namespace regent::raft
