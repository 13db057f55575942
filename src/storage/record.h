// Record framing of the write-ahead log: how one record sits in a segment file, and how a
// segment's bytes are split back into records with every checksum verified.
//
// Layout of one record (integers little-endian), 12 bytes of header then the payload:
//
//   0  crc32c   u32  CRC-32C of the payload
//   4  length   u32  payload bytes, at most kMaxRecordBytes
//   8  type     u8   RecordType, never 0
//   9  magic    u8   kRecordMagic
//  10  check    u16  low 16 bits of CRC-32C over bytes 4..9: a corrupt length is caught before
//                    it is used to find the next record
//  12  payload
//
// Records follow each other with no padding. A segment is preallocated with zeros, so the written
// part ends where a header of all zeros begins and nothing but zeros follows.
//
// Torn writes. The log syncs once per batch, so a crash can only damage the last batch of the
// last segment: some of its sectors reached the disk, others still read as zeros. Decoding stops
// at the first record that is incomplete or fails a check. In the last segment that record is a
// torn tail, to be cut off, if it shows the mark of an interrupted write: it runs past the end of
// the file, or one of its pieces between 512-byte sector boundaries is all zeros (a sector that
// was never written). Any other bad record — one with every sector written, or any bad record in
// an earlier segment — is corruption: bytes that were synced have changed, and decoding must stop
// the member rather than skip them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace regent::storage {

enum class RecordType : uint8_t {
  kSegmentHeader = 1,  // First record of every segment (codec.h: SegmentHeader).
  kEntry = 2,          // One Raft log entry; a later entry at index i replaces i and after.
  kHardState = 3,      // Term, vote, commit.
  kSnapshotMark = 4,   // A snapshot (index, term) is durable; the log before it may go.
};

inline constexpr size_t kRecordHeaderBytes = 12;
inline constexpr uint8_t kRecordMagic = 0xA7;
inline constexpr uint32_t kMaxRecordBytes = 64u << 20;
inline constexpr uint64_t kSectorBytes = 512;

// Appends one framed record to out.
void append_record(std::string& out, RecordType type, std::string_view payload);

struct Record {
  RecordType type;
  std::string_view payload;  // Points into the decoded buffer.
  uint64_t offset = 0;       // Of the record's header within the segment.
};

enum class SegmentEnd {
  kClean,    // The records end, then zeros or the end of the file.
  kTorn,     // A torn last write at end_offset (only reported when is_last_segment).
  kCorrupt,  // A bad record at end_offset that no crash could have produced.
};

struct DecodedSegment {
  std::vector<Record> records;  // Every good record before end_offset.
  SegmentEnd end = SegmentEnd::kClean;
  uint64_t end_offset = 0;  // Where the good records end (and the bad one, if any, begins).
  std::string problem;      // For kTorn and kCorrupt: what is wrong, in words.
};

// Splits a segment's bytes into records. Never reads outside bytes and allocates nothing in
// proportion to a length it read. Payload types are not interpreted (see codec.h).
DecodedSegment decode_segment(std::string_view bytes, bool is_last_segment);

}  // namespace regent::storage
