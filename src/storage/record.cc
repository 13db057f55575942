#include "storage/record.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/bytes.h"
#include "common/crc32c.h"

namespace regent::storage {

namespace {

constexpr uint8_t kMaxRecordType = static_cast<uint8_t>(RecordType::kSnapshotMark);

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
  // A bad record at pos: torn if it carries the marks of an interrupted last write (record.h).
  auto stop = [&](uint64_t record_end, std::string what) {
    const bool cut_short = record_end > bytes.size();
    const bool torn =
        is_last_segment && (cut_short || has_unwritten_sector(bytes, pos, record_end));
    out.end = torn ? SegmentEnd::kTorn : SegmentEnd::kCorrupt;
    out.end_offset = pos;
    out.problem = std::move(what);
    return out;
  };
  while (pos < bytes.size()) {
    const std::string_view rest = bytes.substr(pos);
    if (rest.size() < kRecordHeaderBytes) {
      if (all_zero(rest)) break;
      return stop(pos + kRecordHeaderBytes,
                  fmt::format("record header cut off after {} bytes", rest.size()));
    }
    const std::string_view header = rest.substr(0, kRecordHeaderBytes);
    if (all_zero(header) && all_zero(rest)) break;  // The end of what was written.
    const uint32_t stored_crc = load_fixed32(header.data());
    const uint32_t length = load_fixed32(header.data() + 4);
    const auto type = static_cast<uint8_t>(header[8]);
    const auto magic = static_cast<uint8_t>(header[9]);
    const uint16_t check = static_cast<uint16_t>(static_cast<uint8_t>(header[10]) |
                                                 (static_cast<uint8_t>(header[11]) << 8));
    if (magic != kRecordMagic || check != header_check(header.substr(4, 6))) {
      return stop(pos + kRecordHeaderBytes, "bad record header (magic or header check)");
    }
    if (type == 0 || type > kMaxRecordType || length > kMaxRecordBytes) {
      return stop(pos + kRecordHeaderBytes,
                  fmt::format("impossible record (type {}, length {})", type, length));
    }
    const uint64_t record_end = pos + kRecordHeaderBytes + length;
    if (record_end > bytes.size()) {
      return stop(record_end, fmt::format("record of {} bytes cut off by the end of the file",
                                          kRecordHeaderBytes + length));
    }
    const std::string_view payload = rest.substr(kRecordHeaderBytes, length);
    const uint32_t computed = crc32c(payload);
    if (computed != stored_crc) {
      return stop(record_end, fmt::format("checksum mismatch (stored {:#010x}, computed {:#010x})",
                                          stored_crc, computed));
    }
    out.records.push_back(Record{static_cast<RecordType>(type), payload, pos});
    pos = record_end;
  }
  out.end = SegmentEnd::kClean;
  out.end_offset = pos;
  return out;
}

}  // namespace regent::storage
