// Rebuilding the durable Raft state from the records a Wal recovered: pure logic over records,
// no files. Split from DiskStorage so its rules can be read (and tested) in one place.
//
// Replay rules, applied in log order:
//  - an entry at index i replaces the entries from i on (a new leader overwrote them); an entry
//    that would leave a gap after the last one is corruption;
//  - a hard state record replaces the previous one;
//  - a snapshot mark that replaces_log (a snapshot from the leader) empties the log: the entries
//    after it continue from the snapshot's index.
// The result is the log after the chosen snapshot, which must connect to it.
#pragma once

#include <optional>
#include <vector>

#include "common/expected.h"
#include "raft/types.h"
#include "storage/codec.h"
#include "storage/failure.h"
#include "storage/wal.h"

namespace regent::storage {

// The newest snapshot the log vouches for: in a mark record or repeated in a segment header.
Expected<SnapshotMark, Failure> find_newest_mark(const std::vector<WalRecord>& records,
                                                 const std::string& wal_dir);

struct Replayed {
  std::vector<raft::Entry> entries;  // Contiguous, starting right after the snapshot.
  raft::HardState hard_state;
};

Expected<Replayed, Failure> replay(const std::vector<WalRecord>& records,
                                   const raft::SnapshotMetadata& snapshot,
                                   const std::string& wal_dir);

}  // namespace regent::storage
