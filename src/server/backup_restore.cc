#include "server/backup_restore.h"

#include <fmt/format.h>

#include "server/backup_file.h"
#include "server/member_identity.h"
#include "server/node/state_machine.h"

namespace regent::server {

namespace {

struct CheckedBackup {
  Backup backup;  // Into the file's bytes.
  BackupStatus status;
};

// The file checked whole, once: format and SHA-256 (decode_backup), then the store restored,
// which checks its own invariants, and described.
Expected<CheckedBackup, std::string> check_backup(std::string_view file) {
  auto backup = decode_backup(file);
  if (!backup) return unexpected(backup.error());
  StateMachine machine;
  if (auto restored = machine.restore(backup->image); !restored) {
    return unexpected("the backup's image does not decode: " + restored.error());
  }
  BackupStatus status{
      .revision = backup->revision, .total_size = file.size(), .members = machine.members().size()};
  auto described = machine.read([&](const kv::Store& s) -> Expected<void, std::string> {
    if (s.revision() != backup->revision) {
      return unexpected(fmt::format("its header says revision {}, its store holds {}",
                                    backup->revision, s.revision()));
    }
    auto hash = s.hash_kv(0);
    if (!hash) return unexpected(hash.error().message);
    status.hash = hash->hash;
    status.compact_revision = hash->compact_revision;
    auto keys = s.range(kv::RangeRequest{
        .key = std::string(1, '\0'), .range_end = std::string(1, '\0'), .count_only = true});
    if (!keys) return unexpected(keys.error().message);
    status.total_keys = static_cast<uint64_t>(keys->count);
    return {};
  });
  if (!described) return unexpected(described.error());
  return CheckedBackup{.backup = *backup, .status = status};
}

}  // namespace

Expected<BackupStatus, std::string> describe_backup(std::string_view file) {
  auto checked = check_backup(file);
  if (!checked) return unexpected(checked.error());
  return checked->status;
}

Expected<void, std::string> save_first_snapshot(storage::DiskStorage& storage,
                                                const ClusterConfig& cluster, std::string image) {
  raft::Snapshot boot;
  boot.data = std::move(image);
  boot.metadata.index = 1;
  boot.metadata.term = 1;
  for (const regentpb::Member& m : cluster.members) boot.metadata.conf_state.voters.insert(m.id());
  const raft::HardState hs{.term = 1, .vote = raft::kNone, .commit = 1};
  if (auto saved = storage.save({}, hs, boot); !saved) return unexpected(saved.error().message);
  return {};
}

Expected<void, std::string> restore_backup(storage::Fs& fs, std::string_view file,
                                           const ClusterFlags& flags, const std::string& data_dir,
                                           Logger& logger) {
  auto cluster = resolve_cluster(flags);
  if (!cluster) return unexpected(cluster.error());
  auto checked = check_backup(file);
  if (!checked) return unexpected(checked.error());
  const Backup& backup = checked->backup;
  auto image = image_with_members(backup.image, cluster->members);
  if (!image) return unexpected(image.error());
  if (auto exists = fs.exists(data_dir); exists && *exists) {
    auto entries = fs.list(data_dir);
    if (!entries) return unexpected(entries.error().message());
    if (!entries->empty()) {
      return unexpected(fmt::format(
          "--data-dir {} is not empty: restore makes a new member's directory and will not "
          "write over one (move it aside first)",
          data_dir));
    }
  }
  auto opened = storage::DiskStorage::open(fs, data_dir, storage::Options{}, logger);
  if (!opened) return unexpected(opened.error().message);
  const MemberIdentity id{
      .member_id = cluster->self_id, .cluster_id = cluster->cluster_id, .name = flags.name};
  if (auto written = write_identity(fs, data_dir, id); !written) return written;
  if (auto saved = save_first_snapshot(**opened, *cluster, std::move(*image)); !saved) {
    return saved;
  }
  logger.info("restored the backup at revision {} into {} as {}", backup.revision, data_dir,
              describe(id));
  return {};
}

}  // namespace regent::server
