// The writing half of the store's image format (image.cc states the format and reads it back),
// shared by Store::image(), which writes the store at once, and ImageJob, which writes it in
// steps: both must produce the very same bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "kv/lease_table.h"

namespace regent::kv {

inline constexpr std::string_view kImageMagic = "RGKV";
inline constexpr uint64_t kImageFormatVersion = 2;

// What precedes one key's records (record_codec.h) in the body.
void put_key_header(std::string& out, std::string_view key, uint64_t record_count);
// The leases section of the body.
std::string encode_leases(const LeaseTable& leases);
// The whole image: magic, version, the CRC of the body, then the body, which is the header
// (revision, compact revision, key count), the keys' bytes (in key order, in parts as written)
// and the leases' bytes.
std::string seal_image(int64_t revision, int64_t compact_revision, uint64_t key_count,
                       std::span<const std::string> key_parts, std::string_view leases);

}  // namespace regent::kv
