// The input format of the wal_record fuzz target, shared by the harness (wal_record_fuzz.cc) and
// the seed generator (wal_record_seeds.cc).
//
//   byte 0     flags (below)
//   raw mode (no kFramed): the rest is a segment file, decoded as is, both as the last segment
//              and as an earlier one (the two verdicts are compared), and also as a snapshot file.
//   kFramed:   bytes 1..2 are a u16 (little-endian) `tail`, the rest a list of pieces
//              [u8 type][u16 length][payload], each framed by the harness with append_record, so
//              the checksums are right and the fuzzer reaches the payload decoders. The harness
//              then cuts `tail` bytes off the end (a crash mid-write) or, with kZeroTail, appends
//              `tail` zero bytes (preallocated space), and checks that the decoder gives back
//              exactly the records it framed. The same rest, behind a snapshot file header with a
//              correct checksum, is also fed to decode_snapshot_file.
//
// Random bytes could not make a valid CRC-32C, so without kFramed almost every record the fuzzer
// invents is rejected at its checksum; raw mode is what tests the framing against hostile bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "storage/record.h"

namespace regent::fuzz {

inline constexpr uint8_t kLastSegment = 1 << 0;  // Framed: decode as the log's last segment.
inline constexpr uint8_t kFramed = 1 << 1;
inline constexpr uint8_t kZeroTail = 1 << 2;  // Framed: append zeros rather than cut.

inline constexpr size_t kFramedPrefixBytes = 3;  // flags, u16 tail.
inline constexpr size_t kPieceHeaderBytes = 3;   // type, u16 length.
inline constexpr size_t kMaxPieceBytes = 0xffff;

// The snapshot file header (codec.h): magic, then the u32 CRC-32C of the body.
inline constexpr std::string_view kSnapshotMagic = "RGSNAP01";
inline constexpr size_t kSnapshotHeaderBytes = kSnapshotMagic.size() + 4;

// The record type a piece's type byte stands for: always a valid one, so that a framed record is
// one the decoder must accept.
inline storage::RecordType piece_type(uint8_t b) {
  return static_cast<storage::RecordType>(1 + b % 5);
}

// Appends a framed-mode piece; payload must be at most kMaxPieceBytes.
inline void put_piece(std::string& out, storage::RecordType type, std::string_view payload) {
  out.push_back(static_cast<char>(static_cast<uint8_t>(type) - 1));
  put_fixed16(out, static_cast<uint16_t>(payload.size()));
  out.append(payload);
}

}  // namespace regent::fuzz
