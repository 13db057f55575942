// The store's image (a Raft snapshot's data), and restoring a store from one.
//
// Written by image_codec.h, for Store::image() and ImageJob (image_job.h) alike.
//
// Format: magic "RGKV", varint format version (2), fixed32 CRC-32C of the body, then the body:
//   varint revision, varint compact revision, varint key count, then per key in key order:
//   varint key length, key, varint record count, the records (record_codec.h) in revision order;
//   then (version 2) varint lease count, then per lease in ID order (as int64): fixed64 ID (two's
//   complement), varint TTL, varint remaining TTL. Which keys a lease holds is not written: it
//   follows from the keys (each current version names its lease), and is rebuilt from them.
// The body must end exactly where the last record (or lease) does. Decoding trusts nothing:
// every count is bounded by the bytes left, and the restored store must pass every invariant of
// store.h. Version 1 (before leases) is still read, as a store without leases.
#include <limits>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/crc32c.h"
#include "kv/image_codec.h"
#include "kv/record_codec.h"
#include "kv/store.h"

namespace regent::kv {

namespace {

constexpr uint64_t kFirstVersionWithLeases = 2;

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

Expected<void, Error> read_leases(ByteReader& in, LeaseTable& leases) {
  auto count = read_count(in);
  if (!count) return unexpected(corrupt_image("bad lease count"));
  for (uint64_t i = 0; i < *count; ++i) {
    auto id = in.fixed64();
    auto ttl = id ? read_int(in) : std::nullopt;
    auto remaining = ttl ? read_int(in) : std::nullopt;
    if (!remaining) return unexpected(corrupt_image("cut off in the leases"));
    const auto signed_id = static_cast<int64_t>(*id);
    if (signed_id == 0 || *ttl < 1 || *ttl > kMaxLeaseTtl) {
      return unexpected(corrupt_image("invalid lease"));
    }
    if (leases.size() != 0 && signed_id <= leases.all().rbegin()->first) {
      return unexpected(corrupt_image("leases out of order"));
    }
    leases.add(signed_id, *ttl, *remaining);
  }
  return {};
}

// Attaches every existing key that names a lease to it; a key naming a lease the image does not
// hold means the image is not a store's.
template <class Keys>
Expected<void, Error> attach_keys(const Keys& keys, LeaseTable& leases) {
  for (const auto& [key, index] : keys) {
    const Record* cur = index.latest();
    if (cur == nullptr || cur->lease == 0) continue;
    if (!leases.contains(cur->lease)) return unexpected(corrupt_image("key with a missing lease"));
    leases.move(key, 0, cur->lease);
  }
  return {};
}

}  // namespace

std::string Store::image() const {
  std::string keys;
  for (const auto& [key, index] : keys_) {
    put_key_header(keys, key, index.records().size());
    for (const Record& r : index.records()) put_record(keys, r);
  }
  return seal_image(revision_, compact_revision_, keys_.size(), std::span(&keys, 1),
                    encode_leases(leases_));
}

Expected<Store, Error> Store::restore(std::string_view image) {
  ByteReader header(image);
  if (header.bytes(kImageMagic.size()) != kImageMagic)
    return unexpected(corrupt_image("bad magic"));
  const std::optional<uint64_t> version = header.varint();
  if (!version || *version < 1 || *version > kImageFormatVersion) {
    return unexpected(corrupt_image("unknown version"));
  }
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
  LeaseTable leases;
  if (*version >= kFirstVersionWithLeases) {
    if (auto ok = read_leases(in, leases); !ok) return unexpected(ok.error());
  }
  if (in.remaining() != 0) return unexpected(corrupt_image("trailing bytes"));
  if (auto ok = attach_keys(keys, leases); !ok) return unexpected(ok.error());
  Store store(*revision, *compacted, std::move(keys));
  store.leases_ = std::move(leases);
  if (std::string problem = store.find_problem(); !problem.empty()) {
    return unexpected(corrupt_image(problem));
  }
  return store;
}

}  // namespace regent::kv
