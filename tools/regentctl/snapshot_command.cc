// snapshot save (a backup from one endpoint, over the API), and the offline snapshot status and
// restore (offline/), as etcdctl 3.4's and etcdutl's.
#include <fmt/format.h>

#include <string>

#include "client/maintenance.h"
#include "commands.h"
#include "offline/backup_file_writer.h"
#include "offline/snapshot_file_commands.h"

namespace regent::ctl {

namespace {

// Everything the endpoint streams goes to a temporary file that becomes FILE only once whole and
// synced (offline/backup_file_writer.h): `snapshot status` then checks its SHA-256.
int run_snapshot_save(const Globals& g, const std::string& path) {
  if (g.endpoints.size() != 1) {
    return usage(fmt::format("snapshot must be requested to one selected node, not multiple {}",
                             fmt::join(g.endpoints, ",")));
  }
  auto client = connect(g);
  if (!client) return kExitError;
  auto writer = BackupFileWriter::create(path);
  if (!writer) return report(fmt::format("could not create {}: {}", path, writer.error()));
  std::string write_error;
  // No --command-timeout: a large store takes longer; a signal still ends it.
  auto received = client::Maintenance(client).snapshot(
      0,
      [&](std::string_view blob, uint64_t) {
        auto appended = (*writer)->append(blob);
        if (!appended) write_error = appended.error();
        return appended.has_value();
      },
      interrupted());
  if (!write_error.empty()) return report(write_error);
  if (!received) return report(received.error());
  if (auto committed = (*writer)->commit(); !committed) return report(committed.error());
  fmt::print("Snapshot saved at {} ({} bytes)\n", path, *received);
  return kExitOk;
}

}  // namespace

void add_snapshot_commands(CLI::App& app, Globals& g, int& exit_code) {
  auto* snapshot = app.add_subcommand("snapshot", "Manages backups of a member's state");
  snapshot->require_subcommand(1);
  auto* save = snapshot->add_subcommand(
      "save",
      "Stores a backup of one endpoint's state (a consistent image, taken while it "
      "serves) to the given file");
  auto path = std::make_shared<std::string>();
  save->add_option("filename", *path, "file to write")->required();
  save->callback([&g, &exit_code, path] { exit_code = run_snapshot_save(g, *path); });
  add_snapshot_file_commands(*snapshot, g, exit_code);
}

}  // namespace regent::ctl
