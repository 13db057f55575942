#include "offline/snapshot_file_commands.h"

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/logger.h"
#include "format.h"
#include "server/backup_restore.h"
#include "storage/posix_fs.h"
#include "table.h"

namespace regent::ctl {

namespace {

// Reports each storage step of a restore on stderr, as etcdutl logs its steps.
class StderrLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view message) override { fmt::print(stderr, "{}\n", message); }
  bool enabled(LogLevel level) const override { return level >= LogLevel::kInfo; }
};

Expected<std::string, std::string> read_backup_file(const std::string& path) {
  storage::PosixFs fs;
  auto bytes = fs.read_file(path);
  if (!bytes) return unexpected(bytes.error().message());
  return std::move(*bytes);
}

int run_snapshot_status(const Globals& g, const std::string& path) {
  auto o = print_options(g, /*table_ok=*/true);
  if (!o) return kExitUsage;
  auto bytes = read_backup_file(path);
  if (!bytes) return report(bytes.error());
  auto st = server::describe_backup(*bytes);
  if (!st) return report(fmt::format("{} is not a usable backup: {}", path, st.error()));
  if (o->format == Format::kJson) {
    Json j;
    j.begin_object().ufield("hash", st->hash).field("revision", st->revision);
    j.ufield("totalKey", st->total_keys).ufield("totalSize", st->total_size);
    fmt::print("{}\n", j.end_object().str());
  } else if (o->format == Format::kTable) {
    fmt::print("{}", render_table({"HASH", "REVISION", "TOTAL KEYS", "TOTAL SIZE"},
                                  {{fmt::format("{:x}", st->hash), std::to_string(st->revision),
                                    std::to_string(st->total_keys),
                                    humanize_bytes(static_cast<int64_t>(st->total_size))}}));
  } else {
    fmt::print("{:x}, {}, {}, {}\n", st->hash, st->revision, st->total_keys,
               humanize_bytes(static_cast<int64_t>(st->total_size)));
  }
  return kExitOk;
}

struct RestoreFlags {
  std::string path;
  server::ClusterFlags cluster;
  std::vector<std::string> peer_urls{"http://localhost:2380"};
  std::string data_dir;
};

int run_snapshot_restore(RestoreFlags f) {
  f.cluster.initial_advertise_peer_urls = f.peer_urls;
  f.cluster.listen_peer_urls = f.peer_urls;
  if (f.data_dir.empty()) f.data_dir = f.cluster.name + ".regent";
  auto bytes = read_backup_file(f.path);
  if (!bytes) return report(bytes.error());
  storage::PosixFs fs;
  StderrLogger logger;
  if (auto restored = server::restore_backup(fs, *bytes, f.cluster, f.data_dir, logger);
      !restored) {
    return report(fmt::format("cannot restore {}: {}", f.path, restored.error()));
  }
  fmt::print("Restored {} into {}\n", f.path, f.data_dir);
  return kExitOk;
}

}  // namespace

void add_snapshot_file_commands(CLI::App& snapshot, Globals& g, int& exit_code) {
  auto* status = snapshot.add_subcommand("status",
                                         "Checks a backup file and prints its hash, revision, "
                                         "total keys and size");
  auto path = std::make_shared<std::string>();
  status->add_option("filename", *path, "backup file")->required();
  status->callback([&g, &exit_code, path] { exit_code = run_snapshot_status(g, *path); });

  auto* restore = snapshot.add_subcommand(
      "restore",
      "Makes a member's data directory for a new cluster from a backup file (run it "
      "for every member, with the same --initial-cluster)");
  auto f = std::make_shared<RestoreFlags>();
  f->cluster.initial_cluster = "default=http://localhost:2380";
  restore->add_option("filename", f->path, "backup file")->required();
  restore->add_option("--name", f->cluster.name, "human-readable name for this member")
      ->default_val("default");
  restore->add_option("--initial-cluster", f->cluster.initial_cluster,
                      "initial cluster configuration for restore bootstrap");
  restore
      ->add_option("--initial-cluster-token", f->cluster.initial_cluster_token,
                   "initial cluster token for the cluster during restore bootstrap")
      ->default_val("etcd-cluster");
  restore
      ->add_option("--initial-advertise-peer-urls", f->peer_urls,
                   "list of this member's peer URLs to advertise to the rest of the cluster")
      ->delimiter(',');
  restore->add_option("--data-dir", f->data_dir,
                      "path to the data directory (default: <name>.regent)");
  restore->callback([f, &exit_code] { exit_code = run_snapshot_restore(*f); });
}

}  // namespace regent::ctl
