// snapshot save (a backup from one endpoint, over the API), and the offline snapshot status and
// restore (offline/), as etcdctl 3.4's and etcdutl's.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "client/maintenance.h"
#include "commands.h"
#include "offline/snapshot_file_commands.h"

namespace regent::ctl {

namespace {

// Everything the endpoint streams goes to FILE.part, synced, then renamed to FILE: a file named
// FILE is always a whole backup (regentctl snapshot status checks its checksum).
int run_snapshot_save(const Globals& g, const std::string& path) {
  if (g.endpoints.size() != 1) {
    return usage(fmt::format("snapshot must be requested to one selected node, not multiple {}",
                             fmt::join(g.endpoints, ",")));
  }
  auto client = connect(g);
  if (!client) return kExitError;
  const std::string part = path + ".part";
  const int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return report(fmt::format("could not open {} ({})", part, std::strerror(errno)));
  std::string write_error;
  // No --command-timeout: a large store takes longer; a signal still ends it.
  auto received = client::Maintenance(client).snapshot(
      0,
      [&](std::string_view blob, uint64_t) {
        while (!blob.empty()) {
          const ssize_t n = ::write(fd, blob.data(), blob.size());
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) {
            write_error = fmt::format("could not write {} ({})", part, std::strerror(errno));
            return false;
          }
          blob.remove_prefix(static_cast<size_t>(n));
        }
        return true;
      },
      interrupted());
  const bool synced = received && write_error.empty() && ::fsync(fd) == 0;
  const int sync_errno = errno;
  ::close(fd);
  if (!received || !write_error.empty() || !synced) {
    ::unlink(part.c_str());
    if (!write_error.empty()) return report(write_error);
    if (!received) return report(received.error());
    return report(fmt::format("could not sync {} ({})", part, std::strerror(sync_errno)));
  }
  if (::rename(part.c_str(), path.c_str()) != 0) {
    return report(fmt::format("could not rename {} to {} ({})", part, path, std::strerror(errno)));
  }
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
