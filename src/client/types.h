// Plain values the client hands out: etcd's response header and key-value record, free of
// protobuf so that applications need no generated code.
#pragma once

#include <cstdint>
#include <string>

namespace regent::client {

// Which cluster and member answered, at which store revision and Raft term.
struct ResponseHeader {
  uint64_t cluster_id = 0;
  uint64_t member_id = 0;
  int64_t revision = 0;
  uint64_t raft_term = 0;
};

struct KeyValue {
  std::string key;
  int64_t create_revision = 0;  // The put that created this generation of the key.
  int64_t mod_revision = 0;     // The latest change (for a deleted key in a watch: the delete).
  int64_t version = 0;          // Puts since creation.
  std::string value;
  int64_t lease = 0;  // 0: no lease.

  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

// The end of the range holding every key with `prefix` ("\0" for the empty prefix: every key),
// as etcd's WithPrefix computes it.
std::string prefix_range_end(const std::string& prefix);

// etcd's spelling of "every key >= key" (WithFromKey).
inline std::string from_key_range_end() { return std::string(1, '\0'); }

}  // namespace regent::client
