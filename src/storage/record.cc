#include "storage/record.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "common/bytes.h"
#include "common/crc32c.h"

namespace regent::storage {

namespace {

constexpr uint8_t kMaxRecordType = static_cast<uint8_t>(RecordType::kSyncPoint);

uint16_t header_check(std::string_view length_type_magic) {
  return static_cast<uint16_t>(crc32c(length_type_magic) & 0xffff);
}

bool all_zero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

// True if some piece of bytes[begin, end) between sector boundaries is all zeros: a sector the
// interrupted write never reached.
bool has_unwritten_sector(std::string_view bytes, uint64_t begin, uint64_t end) {
  end = std::min<uint64_t>(end, bytes.size());
  for (uint64_t at = begin; at < end;) {
    const uint64_t next = std::min(end, (at / kSectorBytes + 1) * kSectorBytes);
    if (all_zero(bytes.substr(at, next - at))) return true;
    at = next;
  }
  return false;
}

// What one attempt to read a record at pos found.
struct Parsed {
  enum class Kind { kRecord, kEnd, kBad } kind = Kind::kEnd;
  Record record{};          // kRecord.
  uint64_t next = 0;        // kRecord: where the next record begins.
  uint64_t record_end = 0;  // kBad: where the bad record ends, as far as its header tells.
  bool header_ok = false;   // kBad: the header passed its checks, so its length is trusted.
  std::string problem;      // kBad.
};

Parsed bad(uint64_t record_end, bool header_ok, std::string problem) {
  return Parsed{.kind = Parsed::Kind::kBad,
                .record_end = record_end,
                .header_ok = header_ok,
                .problem = std::move(problem)};
}

Parsed parse_at(std::string_view bytes, uint64_t pos) {
  const std::string_view rest = bytes.substr(pos);
  if (rest.size() < kRecordHeaderBytes) {
    if (all_zero(rest)) return Parsed{};
    return bad(pos + kRecordHeaderBytes, false,
               fmt::format("record header cut off after {} bytes", rest.size()));
  }
  const std::string_view header = rest.substr(0, kRecordHeaderBytes);
  if (all_zero(header) && all_zero(rest)) return Parsed{};  // The end of what was written.
  const uint32_t stored_crc = load_fixed32(header.data());
  const uint32_t length = load_fixed32(header.data() + 4);
  const auto type = static_cast<uint8_t>(header[8]);
  const auto magic = static_cast<uint8_t>(header[9]);
  const uint16_t check = static_cast<uint16_t>(static_cast<uint8_t>(header[10]) |
                                               (static_cast<uint8_t>(header[11]) << 8));
  if (magic != kRecordMagic || check != header_check(header.substr(4, 6))) {
    return bad(pos + kRecordHeaderBytes, false, "bad record header (magic or header check)");
  }
  if (type == 0 || type > kMaxRecordType || length > kMaxRecordBytes) {
    return bad(pos + kRecordHeaderBytes, false,
               fmt::format("impossible record (type {}, length {})", type, length));
  }
  const uint64_t record_end = pos + kRecordHeaderBytes + length;
  if (record_end > bytes.size()) {
    return bad(record_end, true,
               fmt::format("record of {} bytes cut off by the end of the file",
                           kRecordHeaderBytes + length));
  }
  const std::string_view payload = rest.substr(kRecordHeaderBytes, length);
  const uint32_t computed = crc32c(payload);
  if (computed != stored_crc) {
    return bad(record_end, true,
               fmt::format("checksum mismatch (stored {:#010x}, computed {:#010x})", stored_crc,
                           computed));
  }
  return Parsed{.kind = Parsed::Kind::kRecord,
                .record = Record{static_cast<RecordType>(type), payload, pos},
                .next = record_end};
}

// The valid records after a bad one, up to the first sync point. Where the framing is lost the
// scan moves to the next byte that could hold a header's magic; a record found is followed
// record by record, so the payloads of valid records are never searched.
struct LaterRecords {
  size_t count = 0;
  std::optional<uint64_t> sync_point;  // Offset of the first sync point after the bad record.
};

LaterRecords scan_later(std::string_view bytes, uint64_t from) {
  constexpr uint64_t kMagicOffset = 9;
  LaterRecords out;
  uint64_t at = from;
  while (at + kRecordHeaderBytes <= bytes.size()) {
    const char* begin = bytes.data() + at + kMagicOffset;
    const void* hit = std::memchr(begin, kRecordMagic, bytes.size() - at - kMagicOffset);
    if (hit == nullptr) break;
    at = static_cast<uint64_t>(static_cast<const char*>(hit) - bytes.data()) - kMagicOffset;
    if (at + kRecordHeaderBytes > bytes.size()) break;
    const Parsed p = parse_at(bytes, at);
    if (p.kind != Parsed::Kind::kRecord) {
      ++at;
      continue;
    }
    ++out.count;
    if (p.record.type == RecordType::kSyncPoint) {
      out.sync_point = at;
      return out;
    }
    at = p.next;
  }
  return out;
}

}  // namespace

void append_record(std::string& out, RecordType type, std::string_view payload) {
  const size_t start = out.size();
  put_fixed32(out, crc32c(payload));
  put_fixed32(out, static_cast<uint32_t>(payload.size()));
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(kRecordMagic));
  put_fixed16(out, header_check(std::string_view(out).substr(start + 4, 6)));
  out.append(payload);
}

DecodedSegment decode_segment(std::string_view bytes, bool is_last_segment) {
  DecodedSegment out;
  uint64_t pos = 0;
  while (pos < bytes.size()) {
    Parsed p = parse_at(bytes, pos);
    if (p.kind == Parsed::Kind::kEnd) break;
    if (p.kind == Parsed::Kind::kRecord) {
      out.records.push_back(p.record);
      pos = p.next;
      continue;
    }
    out.end_offset = pos;
    out.problem = std::move(p.problem);
    const bool looks_torn =
        p.record_end > bytes.size() || has_unwritten_sector(bytes, pos, p.record_end);
    if (!is_last_segment || !looks_torn) {
      out.end = SegmentEnd::kCorrupt;
      return out;
    }
    const uint64_t resume = p.header_ok ? std::min<uint64_t>(p.record_end, bytes.size()) : pos + 1;
    const LaterRecords later = scan_later(bytes, resume);
    if (later.sync_point) {
      out.end = SegmentEnd::kCorrupt;
      out.problem += fmt::format(
          "; a sync point at offset {} follows it, so this record had been synced and its bytes "
          "changed since (not a torn write)",
          *later.sync_point);
      return out;
    }
    out.end = SegmentEnd::kTorn;
    out.records_cut = later.count;
    return out;
  }
  out.end = SegmentEnd::kClean;
  out.end_offset = pos;
  return out;
}

}  // namespace regent::storage
