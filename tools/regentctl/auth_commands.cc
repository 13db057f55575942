// auth enable | disable | status, with etcdctl's output.
#include <fmt/format.h>

#include "commands.h"
#include "with_auth.h"

namespace regent::ctl {

namespace {

int run_enable(const Globals& g) {
  return with_auth(g, [&](const PrintOptions&, const client::Auth& auth) -> int {
    const auto ctx = command_context(g);
    auto r = auth.enable(ctx);
    // As etcdctl: a root user without the root role gets it, and enabling is tried once more.
    if (!r && r.error().message == "etcdserver: root user does not have root role") {
      if (auto added = auth.role_add("root", ctx); !added) return report(added.error());
      if (auto granted = auth.user_grant_role("root", "root", ctx); !granted) {
        return report(granted.error());
      }
      r = auth.enable(ctx);
    }
    if (!r) return report(r.error());
    fmt::print("Authentication Enabled\n");
    return kExitOk;
  });
}

int run_disable(const Globals& g) {
  return with_auth(g, [&](const PrintOptions&, const client::Auth& auth) -> int {
    auto r = auth.disable(command_context(g));
    if (!r) return report(r.error());
    fmt::print("Authentication Disabled\n");
    return kExitOk;
  });
}

int run_status(const Globals& g) {
  return with_auth(g, [&](const PrintOptions& o, const client::Auth& auth) -> int {
    auto r = auth.status(command_context(g));
    if (!r) return report(r.error());
    print_auth_status(*r, o);
    return kExitOk;
  });
}

}  // namespace

void add_auth_commands(CLI::App& app, Globals& g, int& exit_code) {
  auto* auth = app.add_subcommand("auth", "Enable or disable authentication");
  auth->require_subcommand(1);
  auth->add_subcommand("enable", "Enables authentication")->callback([&g, &exit_code] {
    exit_code = run_enable(g);
  });
  auth->add_subcommand("disable", "Disables authentication")->callback([&g, &exit_code] {
    exit_code = run_disable(g);
  });
  auth->add_subcommand("status", "Returns authentication status")->callback([&g, &exit_code] {
    exit_code = run_status(g);
  });
}

}  // namespace regent::ctl
