// Which key a request uses, and how a key looks.
//
// Key i (0 <= i < key space size) is "k" followed by i in decimal, zero-padded so that the key is
// exactly key_size bytes: key 42 of size 8 is "k0000042". So a key space of size N needs
// key_size >= 1 + digits(N - 1) (key_fits() checks it); key_size 1 allows only the key "k".
// Sequential keys follow the run's request numbers (request n uses key n mod N, so every client
// together walks the key space in order and wraps); random keys are uniform in [0, N), from a
// Prng seeded per client, so a run is repeatable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/prng.h"

namespace regent::loadgen {

struct KeySpace {
  int key_size = 8;
  uint64_t size = 1;
  bool sequential = false;
};

// Whether every key of the space can be written in key_size bytes.
bool key_fits(int key_size, uint64_t space_size);

// Key i as described above; i must be below 10^(key_size - 1).
std::string format_key(uint64_t i, int key_size);

class KeyChooser {
 public:
  KeyChooser(KeySpace space, uint64_t seed);

  // The key index for the request numbered `request` (its budget slot).
  uint64_t choose(uint64_t request);
  // The key of index i, formatted into a buffer this chooser reuses (valid until the next call).
  std::string_view key(uint64_t i);

  const KeySpace& space() const { return space_; }

 private:
  KeySpace space_;
  Prng prng_;
  std::string buffer_;
};

}  // namespace regent::loadgen
