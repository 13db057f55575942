// CRC-32C (Castagnoli: polynomial 0x1EDC6F41, reflected, all-ones initial value and final xor,
// RFC 3720), the checksum of every format of ours on disk: WAL records, snapshot files, the
// store's image, and HashKV. x86's SSE4.2 `crc32` instruction computes exactly this CRC, eight
// bytes per instruction; it is used when the CPU has it (asked once, at first use), and a
// byte-wise table otherwise. Both give the same value for every input (crc32c_test.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace regent {

// The CRC register after `size` more bytes, from `state` (the register, not the checksum:
// start from kCrc32cInit and xor with kCrc32cInit at the end).
inline constexpr uint32_t kCrc32cInit = 0xFFFFFFFFu;
uint32_t crc32c_extend(uint32_t state, const void* data, size_t size);
// The table path alone, for tests and benchmarks that compare the two.
uint32_t crc32c_extend_portable(uint32_t state, const void* data, size_t size);
// Whether crc32c_extend uses the CPU's instruction.
bool crc32c_uses_hardware();

// Streaming: process_bytes() as often as needed, then checksum().
class Crc32c {
 public:
  void process_bytes(const void* data, size_t size) { state_ = crc32c_extend(state_, data, size); }
  uint32_t checksum() const { return state_ ^ kCrc32cInit; }

 private:
  uint32_t state_ = kCrc32cInit;
};

// crc32c("123456789") == 0xE3069283.
inline uint32_t crc32c(std::string_view data) {
  return crc32c_extend(kCrc32cInit, data.data(), data.size()) ^ kCrc32cInit;
}

}  // namespace regent
