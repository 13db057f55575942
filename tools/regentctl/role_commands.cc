// role add | delete | get | list | grant-permission | revoke-permission, as etcdctl 3.4 spells
// them, with its output, its key-range flags and its argument errors.
#include <fmt/format.h>

#include <memory>

#include "commands.h"
#include "with_auth.h"

namespace regent::ctl {

namespace {

using Args = std::vector<std::string>;

struct PermRange {
  std::string key;
  std::string range_end;
};

// etcdctl's reading of <key> [endkey] with --prefix or --from-key. Permissions are intervals on
// the server, so the empty key is spelled "\0", and with either flag it covers every key.
Expected<PermRange, std::string> perm_range(const Args& keys, bool prefix, bool from_key) {
  using Error = Unexpected<std::string>;
  const Error exclusive{"--from-key and --prefix flags are mutually exclusive"};
  const std::string& key = keys[0];
  if (key.empty()) {
    if (prefix && from_key) return exclusive;
    return PermRange{.key = client::from_key_range_end(),
                     .range_end = prefix || from_key ? client::from_key_range_end() : ""};
  }
  if (keys.size() == 1) {
    if (prefix && from_key) return exclusive;
    if (prefix) return PermRange{.key = key, .range_end = client::prefix_range_end(key)};
    if (from_key) return PermRange{.key = key, .range_end = client::from_key_range_end()};
    return PermRange{.key = key, .range_end = ""};
  }
  if (prefix) return Error{"unexpected endkey argument with --prefix flag"};
  if (from_key) return Error{"unexpected endkey argument with --from-key flag"};
  return PermRange{.key = key, .range_end = keys[1]};
}

struct PermFlags {
  Args args;
  bool prefix = false;
  bool from_key = false;
};

int run_add(const Globals& g, const Args& args) {
  if (args.size() != 1) return usage("role add command requires role name as its argument");
  return with_auth(g, [&](const PrintOptions& o, const client::Auth& auth) -> int {
    auto r = auth.role_add(args[0], command_context(g));
    if (!r) return report(r.error());
    print_change(*r, fmt::format("Role {} created", args[0]), o);
    return kExitOk;
  });
}

int run_delete(const Globals& g, const Args& args) {
  if (args.size() != 1) return usage("role delete command requires role name as its argument");
  return with_auth(g, [&](const PrintOptions& o, const client::Auth& auth) -> int {
    auto r = auth.role_delete(args[0], command_context(g));
    if (!r) return report(r.error());
    print_change(*r, fmt::format("Role {} deleted", args[0]), o);
    return kExitOk;
  });
}

int run_get(const Globals& g, const Args& args) {
  if (args.size() != 1) return usage("role get command requires role name as its argument");
  return with_auth(g, [&](const PrintOptions& o, const client::Auth& auth) -> int {
    auto r = auth.role_get(args[0], command_context(g));
    if (!r) return report(r.error());
    print_role_get(args[0], *r, o);
    return kExitOk;
  });
}

int run_list(const Globals& g, const Args& args) {
  if (!args.empty()) return usage("role list command requires no arguments");
  return with_auth(g, [&](const PrintOptions& o, const client::Auth& auth) -> int {
    auto r = auth.role_list(command_context(g));
    if (!r) return report(r.error());
    print_names(r->header, r->roles, "roles", o);
    return kExitOk;
  });
}

int run_grant(const Globals& g, const PermFlags& f) {
  if (f.args.size() < 3) {
    return usage(
        "role grant command requires role name, permission type, and key [endkey] as its "
        "argument");
  }
  auto type = client::parse_permission_type(f.args[1]);
  if (!type) return usage("invalid permission type: " + f.args[1]);
  auto range = perm_range(Args(f.args.begin() + 2, f.args.end()), f.prefix, f.from_key);
  if (!range) return usage(range.error());
  return with_auth(g, [&](const PrintOptions& o, const client::Auth& auth) -> int {
    auto r = auth.role_grant_permission(
        f.args[0],
        client::Permission{.type = *type, .key = range->key, .range_end = range->range_end},
        command_context(g));
    if (!r) return report(r.error());
    print_change(*r, fmt::format("Role {} updated", f.args[0]), o);
    return kExitOk;
  });
}

int run_revoke(const Globals& g, const PermFlags& f) {
  if (f.args.size() < 2) {
    return usage(
        "role revoke-permission command requires role name and key [endkey] as its argument");
  }
  auto range = perm_range(Args(f.args.begin() + 1, f.args.end()), f.prefix, f.from_key);
  if (!range) return usage(range.error());
  return with_auth(g, [&](const PrintOptions& o, const client::Auth& auth) -> int {
    auto r =
        auth.role_revoke_permission(f.args[0], range->key, range->range_end, command_context(g));
    if (!r) return report(r.error());
    // etcdctl names the key as typed, and the range end as sent.
    print_change(*r, revoked_permission_line(f.args[0], f.args[1], range->range_end), o);
    return kExitOk;
  });
}

// grant-permission and revoke-permission take the same range flags.
CLI::App* add_perm_command(CLI::App* role, const std::string& name, const std::string& help,
                           const std::string& what, PermFlags& f) {
  auto* cmd = role->add_subcommand(name, help);
  cmd->add_option("args", f.args, "<role name> " + what);
  cmd->add_flag(
      "--prefix", f.prefix,
      name == "grant-permission" ? "grant a prefix permission" : "revoke a prefix permission");
  cmd->add_flag("--from-key", f.from_key,
                "a permission of keys that are greater than or equal to the given key using byte "
                "compare");
  return cmd;
}

}  // namespace

void add_role_commands(CLI::App& app, Globals& g, int& exit_code) {
  auto* role = app.add_subcommand("role", "Role related commands");
  role->require_subcommand(1);

  auto add_args = std::make_shared<Args>();
  auto* add = role->add_subcommand("add", "Adds a new role");
  add->add_option("role", *add_args, "<role name>");
  add->callback([&g, &exit_code, add_args] { exit_code = run_add(g, *add_args); });

  auto delete_args = std::make_shared<Args>();
  auto* del = role->add_subcommand("delete", "Deletes a role");
  del->add_option("role", *delete_args, "<role name>");
  del->callback([&g, &exit_code, delete_args] { exit_code = run_delete(g, *delete_args); });

  auto get_args = std::make_shared<Args>();
  auto* get = role->add_subcommand("get", "Gets detailed information of a role");
  get->add_option("role", *get_args, "<role name>");
  get->callback([&g, &exit_code, get_args] { exit_code = run_get(g, *get_args); });

  auto list_args = std::make_shared<Args>();
  auto* list = role->add_subcommand("list", "Lists all roles");
  list->add_option("args", *list_args);
  list->callback([&g, &exit_code, list_args] { exit_code = run_list(g, *list_args); });

  auto grant = std::make_shared<PermFlags>();
  add_perm_command(role, "grant-permission", "Grants a key to a role",
                   "<permission type> <key> [endkey]", *grant)
      ->callback([&g, &exit_code, grant] { exit_code = run_grant(g, *grant); });

  auto revoke = std::make_shared<PermFlags>();
  add_perm_command(role, "revoke-permission", "Revokes a key from a role", "<key> [endkey]",
                   *revoke)
      ->callback([&g, &exit_code, revoke] { exit_code = run_revoke(g, *revoke); });
}

}  // namespace regent::ctl
