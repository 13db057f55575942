// What the store's kept state weighs, in bytes: about what its image takes (image.cc), counted
// as a key's bytes once, each kept version's value, and a fixed cost per key, version and lease
// for the revisions, versions and lengths an image writes beside them. It is the store's "size
// in use" (etcd's dbSizeInUse) and what the space quota is checked against, so it must be the
// same on every member that applied the same entries: it depends on the kept state alone.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "kv/key_index.h"

namespace regent::kv {

inline constexpr uint64_t kKeyWeight = 8;      // The key's length and record count.
inline constexpr uint64_t kRecordWeight = 24;  // Revision, create revision, version, lease.
inline constexpr uint64_t kLeaseWeight = 24;   // ID, TTL, remaining TTL.

inline uint64_t weigh_key(const std::string& key, const KeyIndex& index) {
  uint64_t bytes = kKeyWeight + key.size();
  for (const Record& r : index.records()) bytes += kRecordWeight + r.value.size();
  return bytes;
}

template <class KeyMap>
uint64_t weigh_keys(const KeyMap& keys) {
  uint64_t bytes = 0;
  for (const auto& [key, index] : keys) bytes += weigh_key(key, index);
  return bytes;
}

}  // namespace regent::kv
