// Payload encodings of WAL records and the snapshot file format. Pure functions over bytes;
// decoders return nullopt for anything malformed and never trust a length or a count.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/expected.h"
#include "raft/types.h"

namespace regent::storage {

// The first record of every segment. It repeats the newest durable snapshot mark, so that
// deleting the segments before a snapshot never loses the mark that vouches for it.
struct SegmentHeader {
  uint64_t version = 1;
  uint64_t seq = 0;             // Segment number; consecutive from the first kept segment on.
  raft::Index first_index = 0;  // The index the segment's first new entry would take.
  raft::Index snapshot_index = 0;
  raft::Term snapshot_term = 0;
  bool operator==(const SegmentHeader&) const = default;
};

// A snapshot file is durable. replaces_log: it came from the leader and wiped the log, so
// entries written before the mark are gone; otherwise it compacted the local log, which stays.
struct SnapshotMark {
  raft::Index index = 0;
  raft::Term term = 0;
  bool replaces_log = false;
  bool operator==(const SnapshotMark&) const = default;
};

std::string encode_segment_header(const SegmentHeader& h);
std::optional<SegmentHeader> decode_segment_header(std::string_view bytes);

// varint index, varint term, u8 type, then the data to the end.
std::string encode_entry(const raft::Entry& e);
void encode_entry_to(std::string& out, const raft::Entry& e);
std::optional<raft::Entry> decode_entry(std::string_view bytes);
// An entry's index, term and type, with its data left in the record (a view into bytes): for a
// reader that needs the data of some entries only. Fails exactly when decode_entry fails.
struct EntryHead {
  raft::Entry entry;  // data empty.
  std::string_view data;
};
std::optional<EntryHead> decode_entry_head(std::string_view bytes);
// The index alone, without copying the data.
std::optional<raft::Index> peek_entry_index(std::string_view bytes);

std::string encode_hard_state(const raft::HardState& hs);
std::optional<raft::HardState> decode_hard_state(std::string_view bytes);

std::string encode_snapshot_mark(const SnapshotMark& m);
std::optional<SnapshotMark> decode_snapshot_mark(std::string_view bytes);

// Snapshot file: magic "RGSNAP01", u32 CRC-32C of the body, then the body:
// varint index, varint term, the ConfState (four varint-counted sets of varint ids, u8
// auto_leave), varint data length, data. The length must match the file exactly.
std::string encode_snapshot_file(const raft::Snapshot& s);

struct SnapshotFileError {
  std::string what;  // "bad magic", "checksum mismatch (stored 0x..., computed 0x...)", ...
};
Expected<raft::Snapshot, SnapshotFileError> decode_snapshot_file(std::string_view bytes);

}  // namespace regent::storage
