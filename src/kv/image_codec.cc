#include "kv/image_codec.h"

#include "common/bytes.h"
#include "common/crc32c.h"

namespace regent::kv {

void put_key_header(std::string& out, std::string_view key, uint64_t record_count) {
  put_varint(out, key.size());
  out.append(key);
  put_varint(out, record_count);
}

std::string encode_leases(const LeaseTable& leases) {
  std::string out;
  put_varint(out, leases.size());
  for (const auto& [id, lease] : leases.all()) {
    put_fixed64(out, static_cast<uint64_t>(id));
    put_varint(out, static_cast<uint64_t>(lease.ttl));
    put_varint(out, static_cast<uint64_t>(lease.remaining_ttl));
  }
  return out;
}

std::string seal_image(int64_t revision, int64_t compact_revision, uint64_t key_count,
                       std::span<const std::string> key_parts, std::string_view leases) {
  std::string header;
  put_varint(header, static_cast<uint64_t>(revision));
  put_varint(header, static_cast<uint64_t>(compact_revision));
  put_varint(header, key_count);
  size_t body_size = header.size() + leases.size();
  Crc32c crc;
  crc.process_bytes(header.data(), header.size());
  for (const std::string& part : key_parts) {
    crc.process_bytes(part.data(), part.size());
    body_size += part.size();
  }
  crc.process_bytes(leases.data(), leases.size());
  std::string out(kImageMagic);
  put_varint(out, kImageFormatVersion);
  put_fixed32(out, crc.checksum());
  out.reserve(out.size() + body_size);
  out.append(header);
  for (const std::string& part : key_parts) out.append(part);
  out.append(leases);
  return out;
}

}  // namespace regent::kv
