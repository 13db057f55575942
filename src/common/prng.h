// A small, fast, seedable PRNG (xoshiro256** seeded through splitmix64).
//
// Everything random in Regent's deterministic code (election timeouts, the simulator's faults)
// draws from an injected Prng, never from std::random_device or the clock, so that one seed
// replays one run exactly on any machine and any standard library.
#pragma once

#include <cstdint>

#include "common/assert.h"

namespace regent {

class Prng {
 public:
  explicit Prng(uint64_t seed) { reseed(seed); }

  void reseed(uint64_t seed) {
    for (auto& word : s_) word = splitmix64(seed);
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n). Lemire's multiply-shift; the tiny bias is irrelevant for our uses.
  uint64_t uniform(uint64_t n) {
    REGENT_ASSERT(n > 0, "uniform(0)");
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

  // Uniform in [lo, hi].
  uint64_t between(uint64_t lo, uint64_t hi) {
    REGENT_ASSERT(lo <= hi, "between({}, {})", lo, hi);
    return lo + uniform(hi - lo + 1);
  }

  // True with probability numerator / denominator.
  bool chance(uint64_t numerator, uint64_t denominator) { return uniform(denominator) < numerator; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  uint64_t s_[4];
};

}  // namespace regent
