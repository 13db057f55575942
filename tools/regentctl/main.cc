// regentctl: etcdctl's commands (API v3) against a Regent or etcd cluster, through the client
// library, plus supervisor modes for elect and lock.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "command.h"
#include "commands.h"

namespace {

constexpr const char* kFooter = R"(Exit status:
  0    success (elect/lock without a command: released after SIGINT/SIGTERM)
  1    a request failed or the cluster could not be reached
  2    usage error (flags, arguments, output format)
  3    elect/lock: leadership or the lock was lost while held (a command was stopped first)
  N    elect/lock -- CMD: CMD's own exit status when it ended by itself
  128+N  stopped by signal N (a supervised command is stopped and the key released first)

Supervised commands get REGENT_FENCING_TOKEN (the held key's create revision, larger for each
new holder), REGENT_LEADER_KEY or REGENT_LOCK_KEY, REGENT_LEASE and REGENT_ENDPOINTS.)";

// Everything after the first `--` that follows elect or lock is the command to supervise; it is
// taken out before CLI11 parses, so that `elect NAME PROPOSAL -- CMD` keeps PROPOSAL apart.
std::vector<std::string> split_exec(std::vector<std::string>& args) {
  bool seen_command = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "elect" || args[i] == "lock") seen_command = true;
    if (seen_command && args[i] == "--") {
      std::vector<std::string> exec(args.begin() + static_cast<long>(i) + 1, args.end());
      args.resize(i);
      return exec;
    }
  }
  return {};
}

void fall_through(CLI::App* app) {
  for (CLI::App* sub : app->get_subcommands({})) {
    sub->fallthrough();
    fall_through(sub);
  }
}

}  // namespace

int main(int argc, char** argv) {
  regent::ctl::install_signal_handling();  // Before any thread: every thread inherits the mask.
  std::vector<std::string> args(argv + 1, argv + argc);
  regent::ctl::Globals g;
  g.exec = split_exec(args);

  CLI::App app{"regentctl: a command-line client for Regent (and etcd v3) clusters"};
  app.footer(kFooter);
  app.require_subcommand(1);
  app.add_option("--endpoints", g.endpoints, "gRPC endpoints")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("-w,--write-out", g.write_out, "set the output format (simple, json, table)")
      ->capture_default_str();
  app.add_option("--command-timeout", g.command_timeout,
                 "timeout for short running command (excluding dial timeout)")
      ->capture_default_str();
  app.add_option("--dial-timeout", g.dial_timeout, "dial timeout for client connections")
      ->capture_default_str();
  app.add_flag("--hex", g.hex, "print byte strings as hex encoded strings");
  // etcdctl's TLS flags; an https:// endpoint uses TLS with or without them.
  app.add_option("--cacert", g.tls.ca_file,
                 "verify certificates of TLS-enabled secure servers using this CA bundle");
  app.add_option("--cert", g.tls.cert_file,
                 "identify secure client using this TLS certificate file");
  app.add_option("--key", g.tls.key_file, "identify secure client using this TLS key file");
  app.add_flag("--insecure-skip-tls-verify", g.tls.insecure_skip_verify,
               "skip server certificate verification (encrypts; does not authenticate)");

  // etcdctl's authentication flags: "name:password", or "name" with --password, or "name"
  // alone, the password then asked for (read from stdin when it is not a terminal).
  app.add_option("--user", g.user,
                 "username[:password] for authentication (prompt if password is not supplied)");
  app.add_option("--password", g.password,
                 "password for authentication (if this option is used, --user option shouldn't "
                 "include password)");

  int exit_code = regent::ctl::kExitOk;
  regent::ctl::add_kv_commands(app, g, exit_code);
  regent::ctl::add_txn_command(app, g, exit_code);
  regent::ctl::add_watch_command(app, g, exit_code);
  regent::ctl::add_lease_commands(app, g, exit_code);
  regent::ctl::add_cluster_commands(app, g, exit_code);
  regent::ctl::add_snapshot_commands(app, g, exit_code);
  regent::ctl::add_elect_command(app, g, exit_code);
  regent::ctl::add_lock_command(app, g, exit_code);
  regent::ctl::add_auth_commands(app, g, exit_code);
  regent::ctl::add_user_commands(app, g, exit_code);
  regent::ctl::add_role_commands(app, g, exit_code);
  fall_through(&app);

  std::reverse(args.begin(), args.end());  // CLI11 takes a vector of arguments last-first.
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return regent::ctl::kExitUsage;
  }
  std::fflush(stdout);
  return exit_code;
}
