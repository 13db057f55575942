#include "kv/record_codec.h"

#include <limits>

namespace regent::kv {

namespace {

constexpr uint8_t kPut = 0;
constexpr uint8_t kTombstone = 1;

// A varint that fits int64_t without going negative.
std::optional<int64_t> read_int(ByteReader& in) {
  std::optional<uint64_t> v = in.varint();
  if (!v || *v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return static_cast<int64_t>(*v);
}

}  // namespace

void put_record(std::string& out, const Record& r) {
  put_varint(out, static_cast<uint64_t>(r.rev.main));
  put_varint(out, static_cast<uint64_t>(r.rev.sub));
  out.push_back(static_cast<char>(r.tombstone ? kTombstone : kPut));
  if (r.tombstone) return;
  put_varint(out, static_cast<uint64_t>(r.create_revision));
  put_varint(out, static_cast<uint64_t>(r.version));
  put_fixed64(out, static_cast<uint64_t>(r.lease));
  put_varint(out, r.value.size());
  out.append(r.value);
}

std::optional<Record> read_record(ByteReader& in) {
  auto main = read_int(in);
  auto sub = read_int(in);
  auto kind = in.byte();
  if (!main || !sub || !kind || (*kind != kPut && *kind != kTombstone)) return std::nullopt;
  Record r{.rev = {*main, *sub}, .tombstone = *kind == kTombstone};
  if (r.tombstone) return r;
  auto create = read_int(in);
  auto version = read_int(in);
  auto lease = in.fixed64();
  auto size = in.varint();
  if (!create || !version || !lease || !size) return std::nullopt;
  auto value = in.bytes(*size);
  if (!value) return std::nullopt;
  r.create_revision = *create;
  r.version = *version;
  r.lease = static_cast<int64_t>(*lease);
  r.value = std::string(*value);
  return r;
}

}  // namespace regent::kv
