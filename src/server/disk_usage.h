// The bytes a member's data directory holds (its log segments, snapshots and small files): what
// Maintenance.Status reports as the database size and /metrics as etcd_mvcc_db_total_size_in_bytes,
// since a member's durable state is its log and snapshots, not one database file as etcd's.
// The size in use (dbSizeInUse) is the store's own count (kv::Store::bytes_in_use()).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

namespace regent::server {

// Regular files under `dir`, recursively; files that vanish while counted are skipped.
int64_t directory_bytes(const std::string& dir);

// What the member's state takes on disk (etcd's dbSize): its data directory less the bytes
// reserved ahead of the log's end (`reserved`, from the node's status), which hold nothing yet.
inline int64_t state_disk_bytes(const std::string& dir, uint64_t reserved) {
  const int64_t total = directory_bytes(dir);
  return total - std::min(total, static_cast<int64_t>(reserved));
}

}  // namespace regent::server
