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
// Torn writes. The log syncs once per batch, so a crash can only damage what was written since
// the last fdatasync: the unsynced tail of the last segment, in which any subset of sectors may
// have reached the disk (the rest read as zeros). To know where that tail begins, the first write
// after every sync starts with a kSyncPoint record. Decoding stops at the first record that is
// incomplete or fails a check. In the last segment that record is a torn tail, to be cut off,
// only if both hold:
//  - it shows the mark of an interrupted write: it runs past the end of the file, or one of its
//    pieces between 512-byte sector boundaries is all zeros (a sector that was never written);
//  - no sync point follows it. Valid records may follow (sectors of the same unsynced write that
//    did reach the disk), but a sync point after it proves that a sync completed after the bad
//    record was written: the bad record had been synced, and its bytes were damaged since.
// Any other bad record — one with every sector written, one followed by a sync point, or any bad
// record in an earlier segment — is corruption: synced bytes have changed, and decoding must stop
// the member rather than skip them (a member that cut acknowledged entries could have been part
// of the majority that committed them).
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
  kSyncPoint = 5,      // Empty; begins the first write after a sync (see "Torn writes").
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
  // For kTorn: valid records after the bad one (sectors of the same unsynced write), cut too.
  size_t records_cut = 0;
};

// Splits a segment's bytes into records. Never reads outside bytes and allocates nothing in
// proportion to a length it read. Payload types are not interpreted (see codec.h).
DecodedSegment decode_segment(std::string_view bytes, bool is_last_segment);

}  // namespace regent::storage
