// What an operator does with a backup file while no member runs (etcdutl's `snapshot status`
// and `snapshot restore`): describe it, and make a member's data directory for a new cluster
// from it. The file's format is node/backup_file.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/expected.h"
#include "common/logger.h"
#include "server/cluster_config.h"
#include "storage/disk_storage.h"
#include "storage/fs.h"

namespace regent::server {

struct BackupStatus {
  uint32_t hash = 0;     // HashKV at `revision`: equals a member's `endpoint hashkv` there.
  int64_t revision = 0;  // The store's revision the backup is of.
  int64_t compact_revision = 0;
  uint64_t total_keys = 0;  // Keys alive at `revision`.
  uint64_t total_size = 0;  // The file's bytes.
  size_t members = 0;       // In the member table the backup was taken with.
};

// Checks the whole file (format, checksum, the store's own invariants) and describes it.
Expected<BackupStatus, std::string> describe_backup(std::string_view file);

// The first snapshot of every member of a new cluster, at index 1 and term 1, saved into a fresh
// `storage`: `image` (a StateMachine image holding the cluster's members) and the members as
// voters. The server bootstraps with an empty store's image; restore with a backup's.
Expected<void, std::string> save_first_snapshot(storage::DiskStorage& storage,
                                                const ClusterConfig& cluster, std::string image);

// A data directory for member `flags.name` of a new cluster (the ids come from the flags, as
// for `--initial-cluster-state new`) whose store is the backup's. Refused with nothing written
// if the file is not an intact backup, the flags do not make a cluster, or the directory exists
// and is not empty.
Expected<void, std::string> restore_backup(storage::Fs& fs, std::string_view file,
                                           const ClusterFlags& flags, const std::string& data_dir,
                                           Logger& logger);

}  // namespace regent::server
