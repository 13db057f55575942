// The write-ahead log as files: a directory of segments, each a run of framed records
// (record.h), named <seq>-<first index>.wal in hex. Wal knows segments, rolling, syncing, torn
// tails and deletion; what the records mean is DiskStorage's business (disk_storage.h).
//
// Invariants:
//  - Segment numbers are consecutive from the oldest kept segment to the newest; only the newest
//    is written to, and every older one was synced before the next was created.
//  - Every segment starts with a SegmentHeader record and the hard state current when it was
//    created, written and synced before the segment got its final name: a visible segment always
//    has a complete preamble.
//  - The file LAST names the newest segment once it is durable, so a deleted newest segment is
//    detected (every older one is caught by the gap it leaves in the numbering).
//  - Past the written part, a segment holds only zeros (preallocated, or zeroed when a torn tail
//    was cut off), so a torn write can only ever mix new bytes with zeros.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/expected.h"
#include "common/logger.h"
#include "raft/types.h"
#include "storage/codec.h"
#include "storage/failure.h"
#include "storage/fs.h"
#include "storage/record.h"

namespace regent::storage {

struct WalOptions {
  uint64_t segment_bytes = 64ull << 20;
  bool preallocate = true;
};

// A record found at recovery, with where it was for error messages.
struct WalRecord {
  RecordType type;
  std::string_view payload;  // Valid until Wal::release_recovered().
  std::string file;          // Segment name.
  uint64_t offset = 0;
};

// What a new segment's preamble repeats.
struct SegmentPreamble {
  raft::Index first_index = 0;
  raft::HardState hard_state;
  SnapshotMark newest_mark;
};

class Wal {
 public:
  ~Wal();

  // Opens the log in dir (creating it if empty) and checks every record's framing. A torn tail
  // of the newest segment is cut off and zeroed (warning); any other damage is a kCorrupt
  // failure naming the file and offset.
  static Expected<std::unique_ptr<Wal>, Failure> open(Fs& fs, std::string dir,
                                                      const WalOptions& options, Logger& logger);

  // The records of every segment, oldest first, as recovered by open().
  const std::vector<WalRecord>& recovered() const { return recovered_; }
  void release_recovered();
  bool was_fresh() const { return fresh_; }
  std::optional<std::string> torn_tail() const { return torn_tail_; }

  // Creates the first segment of a fresh log.
  Expected<void, Failure> create_first(const SegmentPreamble& preamble);

  // Writes one batch of framed records to the newest segment with one write, rolling to a new
  // segment first if the batch would not fit (a batch never spans segments). max_index is the
  // highest entry index in the batch (0 if none), kept to know when a segment may be deleted.
  Expected<void, Failure> write(std::string_view batch, raft::Index max_index,
                                const SegmentPreamble& preamble);
  // fdatasync of the newest segment, if anything was written since the last one.
  Expected<void, Failure> sync();
  // sync() in three steps, for a sync on another thread while the owner thread goes on without
  // writing: unsynced() on the owner; sync_file() on any thread (the fdatasync alone);
  // finish_sync() on the owner with what sync_file() returned.
  bool unsynced() const { return unsynced_; }
  IoStatus sync_file();
  Expected<void, Failure> finish_sync(const IoStatus& synced);

  // Deletes the oldest segments while every entry in them is at or before index (the newest
  // segment always stays).
  // `later`: as SnapshotStore::remove_old (the paths oldest first, to be removed in that order).
  // Rolls to a new segment now (the current one synced and trimmed first), so that what was
  // written so far can be removed once nothing needs it.
  Expected<void, Failure> start_segment(const SegmentPreamble& preamble) { return roll(preamble); }
  Expected<void, Failure> remove_before(raft::Index index,
                                        std::vector<std::string>* later = nullptr);

  size_t segment_count() const { return segments_.size(); }
  // Bytes the newest segment holds beyond what was written (preallocated zeros): on disk, but
  // not the member's state.
  uint64_t reserved_bytes() const { return file_bytes_ - std::min(file_bytes_, offset_); }
  std::vector<std::string> segment_names() const;
  uint64_t wal_syncs() const { return wal_syncs_; }
  uint64_t other_syncs() const { return other_syncs_; }
  uint64_t segments_created() const { return segments_created_; }
  uint64_t segments_removed() const { return segments_removed_; }

 private:
  struct Segment {
    uint64_t seq = 0;
    std::string name;
    raft::Index max_index = 0;  // Highest entry index written in it.
  };

  Wal(Fs& fs, std::string dir, const WalOptions& options, Logger& logger);

  Expected<void, Failure> recover();
  Expected<void, Failure> check_newest_present();
  Expected<void, Failure> record_newest(uint64_t seq);
  Expected<void, Failure> recover_segment(const Segment& segment, bool is_last);
  // Reads a segment into a new buffer in buffers_ and decodes it: only its written part
  // (Fs::read_written_part) unless that part does not end cleanly.
  Expected<DecodedSegment, Failure> read_segment(const std::string& file, bool is_last);
  Expected<void, Failure> cut_torn_tail(const std::string& path, uint64_t offset);
  Expected<void, Failure> roll(const SegmentPreamble& preamble);
  Failure io_failure(const IoError& e) const;
  std::string path(const std::string& name) const { return join_path(dir_, name); }

  Fs& fs_;
  std::string dir_;
  WalOptions options_;
  Logger& logger_;
  std::vector<Segment> segments_;
  std::vector<std::string> buffers_;  // Segment contents while recovered_ points into them.
  std::vector<WalRecord> recovered_;
  std::unique_ptr<File> file_;  // The newest segment.
  uint64_t offset_ = 0;         // Where its next record goes.
  uint64_t file_bytes_ = 0;     // Its size on disk (preallocation included), as far as known.
  uint64_t preamble_end_ = 0;   // Where its preamble ends.
  bool unsynced_ = false;
  bool fresh_ = false;
  std::optional<std::string> torn_tail_;
  uint64_t wal_syncs_ = 0;
  uint64_t other_syncs_ = 0;
  uint64_t segments_created_ = 0;
  uint64_t segments_removed_ = 0;
};

// "<seq>-<first index>.wal" in 16 hex digits each.
std::string segment_name(uint64_t seq, raft::Index first_index);

// Operator advice appended to every corruption failure.
std::string_view corruption_advice();

}  // namespace regent::storage
