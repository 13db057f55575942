// regentctl's offline commands: they read and write files on this machine and reach no member,
// as etcdutl's do. Unlike the rest of regentctl, which speaks the gRPC API only, they use the
// server's own code for Regent's backup format and data directories (server/backup_restore.h).
#pragma once

#include <CLI/CLI.hpp>

#include "command.h"

namespace regent::ctl {

// snapshot status FILE, snapshot restore FILE --name ... --data-dir DIR, added to `snapshot`.
void add_snapshot_file_commands(CLI::App& snapshot, Globals& g, int& exit_code);

}  // namespace regent::ctl
