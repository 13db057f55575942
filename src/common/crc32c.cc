#include "common/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace regent {

namespace {

// The reflected form of 0x1EDC6F41.
constexpr uint32_t kReflectedPolynomial = 0x82F63B78u;

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? kReflectedPolynomial : 0);
    table[i] = crc;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = make_table();

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t extend_sse42(uint32_t state, const void* data,
                                                        size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t crc = state;
  // Eight bytes per instruction; memcpy, since records are not aligned.
  for (; size >= 8; size -= 8, p += 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof word);
    crc = _mm_crc32_u64(crc, word);
  }
  auto crc32 = static_cast<uint32_t>(crc);
  for (; size > 0; --size, ++p) crc32 = _mm_crc32_u8(crc32, *p);
  return crc32;
}
#endif

using ExtendFn = uint32_t (*)(uint32_t, const void*, size_t);

ExtendFn choose() {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("sse4.2")) return extend_sse42;
#endif
  return crc32c_extend_portable;
}

ExtendFn chosen() {
  static const ExtendFn fn = choose();
  return fn;
}

}  // namespace

uint32_t crc32c_extend_portable(uint32_t state, const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) state = kTable[(state ^ p[i]) & 0xff] ^ (state >> 8);
  return state;
}

uint32_t crc32c_extend(uint32_t state, const void* data, size_t size) {
  return chosen()(state, data, size);
}

bool crc32c_uses_hardware() { return chosen() != crc32c_extend_portable; }

}  // namespace regent
