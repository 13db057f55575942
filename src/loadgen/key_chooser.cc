#include "loadgen/key_chooser.h"

#include <algorithm>

#include "common/assert.h"

namespace regent::loadgen {

namespace {

// 10^digits, or 0 when that does not fit in 64 bits (then every index fits).
uint64_t power_of_ten(int digits) {
  uint64_t p = 1;
  for (int i = 0; i < digits; ++i) {
    if (p > UINT64_MAX / 10) return 0;
    p *= 10;
  }
  return p;
}

// Writes key i over `out`, whose size is the key size.
void write_key(uint64_t i, std::string& out) {
  std::fill(out.begin(), out.end(), '0');
  out[0] = 'k';
  // Digits from the right; bounded by the key's size.
  for (size_t pos = out.size(); i > 0 && pos > 1; i /= 10) {
    out[--pos] = static_cast<char>('0' + i % 10);
  }
  REGENT_ASSERT(i == 0, "key index does not fit in {} bytes", out.size());
}

}  // namespace

bool key_fits(int key_size, uint64_t space_size) {
  if (key_size < 1 || space_size < 1) return false;
  const uint64_t limit = power_of_ten(key_size - 1);
  return limit == 0 || space_size <= limit;
}

std::string format_key(uint64_t i, int key_size) {
  REGENT_ASSERT(key_size >= 1, "key size {}", key_size);
  std::string key(static_cast<size_t>(key_size), '0');
  write_key(i, key);
  return key;
}

KeyChooser::KeyChooser(KeySpace space, uint64_t seed) : space_(space), prng_(seed) {
  REGENT_ASSERT(key_fits(space_.key_size, space_.size), "key space {} does not fit in {} bytes",
                space_.size, space_.key_size);
  buffer_.assign(static_cast<size_t>(space_.key_size), '0');
}

uint64_t KeyChooser::choose(uint64_t request) {
  const uint64_t i = space_.sequential ? request % space_.size : prng_.uniform(space_.size);
  REGENT_DEBUG_ASSERT(i < space_.size);
  return i;
}

std::string_view KeyChooser::key(uint64_t i) {
  REGENT_ASSERT(i < space_.size, "key {} outside a space of {}", i, space_.size);
  write_key(i, buffer_);
  return buffer_;
}

}  // namespace regent::loadgen
