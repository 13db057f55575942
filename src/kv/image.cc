// The store's image (a Raft snapshot's data), and restoring a store from one.
//
// Format: magic "RGKV", varint format version (1), fixed32 CRC-32C of the body, then the body:
//   varint revision, varint compact revision, varint key count, then per key in key order:
//   varint key length, key, varint record count, the records (record_codec.h) in revision order.
// The body must end exactly where the last record does. Decoding trusts nothing: every count
// is bounded by the bytes left, and the restored store must pass every invariant of store.h.
#include <limits>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/crc32c.h"
#include "kv/record_codec.h"
#include "kv/store.h"

namespace regent::kv {

namespace {

constexpr std::string_view kMagic = "RGKV";
constexpr uint64_t kFormatVersion = 1;

std::optional<int64_t> read_int(ByteReader& in) {
  std::optional<uint64_t> v = in.varint();
  if (!v || *v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return static_cast<int64_t>(*v);
}

// A count of items that each take at least one byte: more than the bytes left is a lie.
std::optional<uint64_t> read_count(ByteReader& in) {
  std::optional<uint64_t> n = in.varint();
  if (!n || *n > in.remaining()) return std::nullopt;
  return n;
}

std::optional<std::vector<Record>> read_history(ByteReader& in) {
  auto count = read_count(in);
  if (!count) return std::nullopt;
  std::vector<Record> records;
  for (uint64_t i = 0; i < *count; ++i) {
    auto r = read_record(in);
    if (!r) return std::nullopt;
    records.push_back(std::move(*r));
  }
  return records;
}

}  // namespace

std::string Store::image() const {
  std::string body;
  put_varint(body, static_cast<uint64_t>(revision_));
  put_varint(body, static_cast<uint64_t>(compact_revision_));
  put_varint(body, keys_.size());
  for (const auto& [key, index] : keys_) {
    put_varint(body, key.size());
    body.append(key);
    put_varint(body, index.records().size());
    for (const Record& r : index.records()) put_record(body, r);
  }
  std::string out(kMagic);
  put_varint(out, kFormatVersion);
  put_fixed32(out, crc32c(body));
  out.append(body);
  return out;
}

Expected<Store, Error> Store::restore(std::string_view image) {
  ByteReader header(image);
  if (header.bytes(kMagic.size()) != kMagic) return unexpected(corrupt_image("bad magic"));
  if (header.varint() != kFormatVersion) return unexpected(corrupt_image("unknown version"));
  const std::optional<uint32_t> stored = header.fixed32();
  if (!stored) return unexpected(corrupt_image("too short"));
  const std::string_view body = image.substr(header.position());
  if (crc32c(body) != *stored) return unexpected(corrupt_image("checksum mismatch"));
  ByteReader in(body);
  auto revision = read_int(in);
  auto compacted = read_int(in);
  auto key_count = read_count(in);
  if (!revision || !compacted || !key_count) return unexpected(corrupt_image("bad header"));
  KeyMap keys;
  for (uint64_t i = 0; i < *key_count; ++i) {
    auto size = in.varint();
    auto key = size ? in.bytes(*size) : std::nullopt;
    auto history = key ? read_history(in) : std::nullopt;
    if (!history) return unexpected(corrupt_image("cut off"));
    if (!keys.empty() && *key <= keys.rbegin()->first) {
      return unexpected(corrupt_image("keys out of order"));
    }
    keys.emplace_hint(keys.end(), std::string(*key), KeyIndex::from_records(std::move(*history)));
  }
  if (in.remaining() != 0) return unexpected(corrupt_image("trailing bytes"));
  Store store(*revision, *compacted, std::move(keys));
  if (std::string problem = store.find_problem(); !problem.empty()) {
    return unexpected(corrupt_image(problem));
  }
  return store;
}

}  // namespace regent::kv
