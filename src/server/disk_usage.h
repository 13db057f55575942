// The bytes a member's data directory holds (its log segments, snapshots and small files): what
// Maintenance.Status reports as the database size and /metrics as etcd_mvcc_db_total_size_in_bytes,
// since a member's durable state is its log and snapshots, not one database file as etcd's.
#pragma once

#include <cstdint>
#include <string>

namespace regent::server {

// Regular files under `dir`, recursively; files that vanish while counted are skipped.
int64_t directory_bytes(const std::string& dir);

}  // namespace regent::server
