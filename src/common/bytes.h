// Little-endian fixed-width integers and LEB128 varints, written to a string and read back from
// untrusted bytes. Every disk and wire format of Regent's own (conf changes, WAL records,
// snapshot files) is built from these.
//
// Readers never trust a length: every accessor checks what is left first and fails with nullopt,
// so a decoder built on ByteReader cannot read past its input or allocate by a forged count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace regent {

inline constexpr size_t kMaxVarintBytes = 10;

void put_varint(std::string& out, uint64_t v);
void put_fixed16(std::string& out, uint16_t v);
void put_fixed32(std::string& out, uint32_t v);
void put_fixed64(std::string& out, uint64_t v);

uint32_t load_fixed32(const char* p);  // p must have 4 readable bytes.

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }

  std::optional<uint8_t> byte();
  std::optional<uint16_t> fixed16();
  std::optional<uint32_t> fixed32();
  std::optional<uint64_t> fixed64();
  // Minimal encodings only (no zero padding bytes), so each value has exactly one encoding.
  std::optional<uint64_t> varint();
  std::optional<std::string_view> bytes(uint64_t n);

 private:
  std::optional<uint64_t> fixed(size_t width);

  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace regent
