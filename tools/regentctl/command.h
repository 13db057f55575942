// What every regentctl command shares: the global flags (etcdctl's names), exit codes, the
// client, the command's context, and error reporting in etcdctl's words.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/client.h"
#include "client/context.h"
#include "client/error.h"
#include "format.h"

namespace regent::ctl {

// Exit statuses (documented in `regentctl --help`).
enum Exit : int {
  kExitOk = 0,
  kExitError = 1,  // A request failed, or the cluster could not be reached.
  kExitUsage = 2,  // Bad flags or arguments.
  kExitLost = 3,   // elect/lock: leadership or the lock was lost while held.
};

struct Globals {
  std::vector<std::string> endpoints{"127.0.0.1:2379"};
  std::string write_out = "simple";  // simple | json | table
  std::string command_timeout = "5s";
  std::string dial_timeout = "2s";
  bool hex = false;
  client::TlsOptions tls;  // --cacert, --cert, --key, --insecure-skip-tls-verify
  std::string user;        // --user: "name" or "name:password"
  std::string password;    // --password
  // The command after `--` for elect and lock (taken out of argv before parsing).
  std::vector<std::string> exec;
};

// Cancelled when regentctl receives SIGINT, SIGTERM or SIGHUP; every command's context is made
// from it, so a signal ends whatever a command waits for.
const client::Context& interrupted();
// The signal that cancelled interrupted(), or 0.
int received_signal();
// Blocks SIGINT, SIGTERM and SIGHUP in every thread and starts the thread that takes them. Must
// run before any other thread exists (gRPC's included).
void install_signal_handling();

// Go's duration syntax, as etcdctl's flags take it: "5s", "500ms", "1m30s", "1.5h".
std::optional<std::chrono::nanoseconds> parse_duration(const std::string& text);
// A lease id as etcdctl prints and takes it: hexadecimal.
std::optional<int64_t> parse_lease_id(const std::string& text);

// Prints "Error: <message>" on stderr, as etcdctl does; returns kExitError.
int report(const client::Error& error);
int report(const std::string& message);
int usage(const std::string& message);  // Same, returning kExitUsage.

// The output format of -w, or nullopt after a usage error (table only where etcdctl has one).
std::optional<PrintOptions> print_options(const Globals& g, bool table_ok);

// A client of --endpoints with --dial-timeout, --command-timeout and --user/--password (asking
// for a password --user left out); nullptr after report().
std::shared_ptr<client::Client> connect(const Globals& g);
// The context of one request: --command-timeout from now, cancelled by a signal.
client::Context command_context(const Globals& g);

}  // namespace regent::ctl
