// Each command adds its subcommand (flags, help, and the callback that runs it) to the app.
// Callbacks store their exit status in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>

#include "command.h"

namespace regent::ctl {

void add_kv_commands(CLI::App& app, Globals& g, int& exit_code);        // get put del compaction
void add_txn_command(CLI::App& app, Globals& g, int& exit_code);        // txn
void add_watch_command(CLI::App& app, Globals& g, int& exit_code);      // watch
void add_lease_commands(CLI::App& app, Globals& g, int& exit_code);     // lease ...
void add_cluster_commands(CLI::App& app, Globals& g, int& exit_code);   // member, endpoint, ...
void add_elect_command(CLI::App& app, Globals& g, int& exit_code);      // elect
void add_lock_command(CLI::App& app, Globals& g, int& exit_code);       // lock
void add_snapshot_commands(CLI::App& app, Globals& g, int& exit_code);  // snapshot ...
void add_auth_commands(CLI::App& app, Globals& g, int& exit_code);      // auth ...
void add_user_commands(CLI::App& app, Globals& g, int& exit_code);      // user ...
void add_role_commands(CLI::App& app, Globals& g, int& exit_code);      // role ...

}  // namespace regent::ctl
