#include "common/bytes.h"

namespace regent {

namespace {

void put_fixed(std::string& out, uint64_t v, size_t width) {
  for (size_t i = 0; i < width; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_fixed16(std::string& out, uint16_t v) { put_fixed(out, v, 2); }
void put_fixed32(std::string& out, uint32_t v) { put_fixed(out, v, 4); }
void put_fixed64(std::string& out, uint64_t v) { put_fixed(out, v, 8); }

uint32_t load_fixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

std::optional<uint8_t> ByteReader::byte() {
  if (remaining() < 1) return std::nullopt;
  return static_cast<uint8_t>(in_[pos_++]);
}

std::optional<uint64_t> ByteReader::fixed(size_t width) {
  if (remaining() < width) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) {
    v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
  }
  pos_ += width;
  return v;
}

std::optional<uint16_t> ByteReader::fixed16() {
  auto v = fixed(2);
  if (!v) return std::nullopt;
  return static_cast<uint16_t>(*v);
}

std::optional<uint32_t> ByteReader::fixed32() {
  auto v = fixed(4);
  if (!v) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

std::optional<uint64_t> ByteReader::fixed64() { return fixed(8); }

std::optional<uint64_t> ByteReader::varint() {
  uint64_t v = 0;
  for (size_t i = 0; i < kMaxVarintBytes; ++i) {
    std::optional<uint8_t> b = byte();
    if (!b) return std::nullopt;
    // The tenth byte holds only bit 63; anything more would overflow.
    if (i == kMaxVarintBytes - 1 && *b > 1) return std::nullopt;
    v |= static_cast<uint64_t>(*b & 0x7f) << (7 * i);
    if ((*b & 0x80) == 0) {
      // A zero final byte (after the first) is padding: reject it to keep encodings unique.
      if (i > 0 && *b == 0) return std::nullopt;
      return v;
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> ByteReader::bytes(uint64_t n) {
  if (n > remaining()) return std::nullopt;
  std::string_view out = in_.substr(pos_, n);
  pos_ += n;
  return out;
}

}  // namespace regent
