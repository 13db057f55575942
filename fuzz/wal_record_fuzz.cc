// libFuzzer target: the write-ahead log's record decoder (storage/record.h) and the payload and
// snapshot file decoders (storage/codec.h), over bytes an attacker — or a failing disk — chose.
//
// The decoders promise to never read outside their input and to never allocate in proportion to
// a length they read; ASan and libFuzzer's -malloc_limit_mb check those. On top, every decode is
// checked against properties that hold for any input (check_segment), and framed inputs (see
// wal_record_input.h) against the records the harness framed itself. A broken property traps, so
// libFuzzer saves the input under artifacts/ and the run fails.
//
// Reproduce a find: ./regent_wal_record_fuzz <artifact file>.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/crc32c.h"
#include "fuzz/wal_record_input.h"
#include "storage/codec.h"
#include "storage/record.h"

// Says which property broke (libFuzzer shows stderr with the crash), then crashes.
#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
      __builtin_trap();                                                                  \
    }                                                                                    \
  } while (0)

namespace regent::fuzz {
namespace {

using storage::DecodedSegment;
using storage::Record;
using storage::RecordType;
using storage::SegmentEnd;

bool all_zeros(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == 0; });
}

// Properties of any decode of any bytes.
void check_segment(std::string_view bytes, bool is_last, const DecodedSegment& d) {
  FUZZ_CHECK(d.end_offset <= bytes.size());
  uint64_t next = 0;  // Records follow each other with no gap, from offset 0.
  for (const Record& r : d.records) {
    FUZZ_CHECK(r.offset == next);
    FUZZ_CHECK(static_cast<uint8_t>(r.type) != 0);
    FUZZ_CHECK(r.payload.size() <= storage::kMaxRecordBytes);
    FUZZ_CHECK(r.payload.data() == bytes.data() + r.offset + storage::kRecordHeaderBytes);
    next = r.offset + storage::kRecordHeaderBytes + r.payload.size();
    FUZZ_CHECK(next <= d.end_offset);
    // Framing is canonical: a record framed again is the same bytes, checksums included.
    std::string framed;
    storage::append_record(framed, r.type, r.payload);
    FUZZ_CHECK(bytes.substr(r.offset, framed.size()) == framed);
  }
  FUZZ_CHECK(next == d.end_offset);
  switch (d.end) {
    case SegmentEnd::kClean:
      FUZZ_CHECK(all_zeros(bytes.substr(d.end_offset)));
      break;
    case SegmentEnd::kTorn:
      FUZZ_CHECK(is_last);
      [[fallthrough]];
    case SegmentEnd::kCorrupt:
      FUZZ_CHECK(d.end_offset < bytes.size());  // The bad record starts there.
      FUZZ_CHECK(!d.problem.empty());
      break;
    default:
      FUZZ_CHECK(false);
  }
}

// A payload that decodes is the one encoding of its value (varints are minimal, nothing may
// trail), so encoding the value gives back the very bytes.
template <class T>
std::optional<T> check_round_trip(std::string_view bytes,
                                  std::optional<T> (*decode)(std::string_view),
                                  std::string (*encode)(const T&)) {
  std::optional<T> value = decode(bytes);
  if (value) FUZZ_CHECK(encode(*value) == bytes);
  return value;
}

void check_payload(const Record& r) {
  switch (r.type) {
    case RecordType::kSegmentHeader:
      check_round_trip(r.payload, storage::decode_segment_header, storage::encode_segment_header);
      break;
    case RecordType::kEntry:
      if (auto e = check_round_trip(r.payload, storage::decode_entry, storage::encode_entry)) {
        FUZZ_CHECK(storage::peek_entry_index(r.payload) == e->index);
      }
      break;
    case RecordType::kHardState:
      check_round_trip(r.payload, storage::decode_hard_state, storage::encode_hard_state);
      break;
    case RecordType::kSnapshotMark:
      check_round_trip(r.payload, storage::decode_snapshot_mark, storage::encode_snapshot_mark);
      break;
    default:
      break;  // A type this version does not know; recovery decides what that means.
  }
}

void check_snapshot_file(std::string_view bytes) {
  Expected<raft::Snapshot, storage::SnapshotFileError> s = storage::decode_snapshot_file(bytes);
  if (!s.has_value()) {
    FUZZ_CHECK(!s.error().what.empty());
    return;
  }
  Expected<raft::Snapshot, storage::SnapshotFileError> again =
      storage::decode_snapshot_file(storage::encode_snapshot_file(*s));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *s);
}

// The bytes as a segment file. Both positions are decoded: where a segment sits in the log
// changes only the verdict on a bad record (torn tail or corruption), not where decoding stops.
void run_raw(std::string_view bytes) {
  DecodedSegment last = storage::decode_segment(bytes, /*is_last_segment=*/true);
  DecodedSegment inner = storage::decode_segment(bytes, /*is_last_segment=*/false);
  check_segment(bytes, true, last);
  check_segment(bytes, false, inner);
  FUZZ_CHECK(last.records.size() == inner.records.size());
  FUZZ_CHECK(last.end_offset == inner.end_offset);
  FUZZ_CHECK((last.end == SegmentEnd::kClean) == (inner.end == SegmentEnd::kClean));
  for (const Record& r : last.records) check_payload(r);
  check_snapshot_file(bytes);
}

struct Piece {
  RecordType type;
  std::string_view payload;
  uint64_t end = 0;  // Of its record in the segment.
};

// See wal_record_input.h: frame the pieces, cut or extend the tail, and expect exactly the
// records that are still whole.
void run_framed(uint8_t flags, std::string_view in) {
  ByteReader reader(in);
  std::optional<uint16_t> tail = reader.fixed16();
  if (!tail) return;
  std::string_view rest = in.substr(reader.position());

  std::string snapshot_file(kSnapshotMagic);
  put_fixed32(snapshot_file, crc32c(rest));
  snapshot_file.append(rest);
  check_snapshot_file(snapshot_file);

  std::string segment;
  std::vector<Piece> pieces;
  ByteReader pr(rest);
  while (pr.remaining() >= kPieceHeaderBytes) {
    RecordType type = piece_type(*pr.byte());
    uint64_t length = std::min<uint64_t>(*pr.fixed16(), pr.remaining());
    std::string_view payload = *pr.bytes(length);
    storage::append_record(segment, type, payload);
    pieces.push_back(Piece{type, payload, segment.size()});
  }
  const bool is_last = (flags & kLastSegment) != 0;
  if (flags & kZeroTail) {
    segment.append(*tail, '\0');
  } else {
    segment.resize(segment.size() - std::min<size_t>(*tail, segment.size()));
  }

  DecodedSegment d = storage::decode_segment(segment, is_last);
  check_segment(segment, is_last, d);
  size_t whole = 0;
  while (whole < pieces.size() && pieces[whole].end <= segment.size()) ++whole;
  FUZZ_CHECK(d.records.size() == whole);
  for (size_t i = 0; i < whole; ++i) {
    FUZZ_CHECK(d.records[i].type == pieces[i].type);
    FUZZ_CHECK(d.records[i].payload == pieces[i].payload);
    check_payload(d.records[i]);
  }
  const SegmentEnd bad = is_last ? SegmentEnd::kTorn : SegmentEnd::kCorrupt;
  if (flags & kZeroTail) {
    FUZZ_CHECK(d.end == SegmentEnd::kClean);
  } else if (all_zeros(std::string_view(segment).substr(d.end_offset))) {
    // A cut that leaves only zero bytes of a header (an empty payload's CRC is 0) may read as
    // the clean end of the records.
    FUZZ_CHECK(d.end == SegmentEnd::kClean || d.end == bad);
  } else {
    FUZZ_CHECK(d.end == bad);  // A record cut short by the end of the file.
  }
}

}  // namespace
}  // namespace regent::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto flags = static_cast<uint8_t>(in[0]);
  if (flags & regent::fuzz::kFramed) {
    regent::fuzz::run_framed(flags, in.substr(1));
  } else {
    regent::fuzz::run_raw(in.substr(1));
  }
  return 0;
}
