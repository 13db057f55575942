// user add | delete | get | list | passwd | grant-role | revoke-role, as etcdctl 3.4 spells
// them, with its output and its argument errors.
#include <fmt/format.h>

#include <memory>
#include <optional>

#include "commands.h"
#include "password.h"
#include "with_auth.h"

namespace regent::ctl {

namespace {

using Args = std::vector<std::string>;

// A new password: typed twice on a terminal (etcdctl's prompts), else one line of stdin. An
// error message instead when none was had.
Expected<std::string, std::string> new_password(const std::string& user, bool interactive) {
  if (!interactive || !stdin_is_terminal()) {
    auto line = read_password("");
    if (!line) return Unexpected<std::string>{"failed to read the password from standard input"};
    return *line;
  }
  auto first = read_password(fmt::format("Password of {}: ", user));
  if (!first) return Unexpected<std::string>{"failed to ask password: end of input"};
  if (first->empty()) return Unexpected<std::string>{"empty password"};
  auto second = read_password(fmt::format("Type password of {} again for confirmation: ", user));
  if (!second) return Unexpected<std::string>{"failed to ask password: end of input"};
  if (*first != *second) return Unexpected<std::string>{"given passwords are different"};
  return *first;
}

struct AddFlags {
  Args args;
  std::string new_user_password;
  bool no_password = false;
  bool interactive = true;
};

int run_add(const Globals& g, const AddFlags& f) {
  if (f.args.size() != 1) return usage("user add command requires user name as its argument");
  std::string user = f.args[0];
  std::string password;
  if (!f.no_password) {
    const auto colon = user.find(':');
    if (!f.new_user_password.empty()) {
      password = f.new_user_password;
    } else if (colon != std::string::npos) {
      password = user.substr(colon + 1);
      user = user.substr(0, colon);
      if (user.empty()) return usage("empty user name is not allowed");
    } else {
      // Read before connecting, as etcdctl does: a piped --user password comes second.
      auto typed = new_password(user, f.interactive);
      if (!typed) return usage(typed.error());
      password = *typed;
    }
  }
  return with_auth(g, [&](const PrintOptions& o, const client::Auth& auth) -> int {
    auto r = auth.user_add(user, password, client::UserAddOptions{.no_password = f.no_password},
                           command_context(g));
    if (!r) return report(r.error());
    print_change(*r, fmt::format("User {} created", user), o);
    return kExitOk;
  });
}

int run_delete(const Globals& g, const Args& args) {
  if (args.size() != 1) return usage("user delete command requires user name as its argument");
  return with_auth(g, [&](const PrintOptions& o, const client::Auth& auth) -> int {
    auto r = auth.user_delete(args[0], command_context(g));
    if (!r) return report(r.error());
    print_change(*r, fmt::format("User {} deleted", args[0]), o);
    return kExitOk;
  });
}

int run_get(const Globals& g, const Args& args, bool detail) {
  if (args.size() != 1) return usage("user get command requires user name as its argument");
  return with_auth(g, [&](const PrintOptions& o, const client::Auth& auth) -> int {
    const auto ctx = command_context(g);
    auto r = auth.user_get(args[0], ctx);
    if (!r) return report(r.error());
    if (!detail) {
      print_user_get(args[0], *r, o);
      return kExitOk;
    }
    fmt::print("User: {}\n", args[0]);
    for (const auto& role : r->roles) {
      fmt::print("\n");
      auto perms = auth.role_get(role, ctx);
      if (!perms) return report(perms.error());
      print_role_get(role, *perms, o);
    }
    return kExitOk;
  });
}

int run_list(const Globals& g, const Args& args) {
  if (!args.empty()) return usage("user list command requires no arguments");
  return with_auth(g, [&](const PrintOptions& o, const client::Auth& auth) -> int {
    auto r = auth.user_list(command_context(g));
    if (!r) return report(r.error());
    print_names(r->header, r->users, "users", o);
    return kExitOk;
  });
}

int run_passwd(const Globals& g, const Args& args, bool interactive) {
  if (args.size() != 1) return usage("user passwd command requires user name as its argument");
  auto typed = new_password(args[0], interactive);
  if (!typed) return usage(typed.error());
  return with_auth(g, [&](const PrintOptions& o, const client::Auth& auth) -> int {
    auto r = auth.user_change_password(args[0], *typed, command_context(g));
    if (!r) return report(r.error());
    print_change(*r, "Password updated", o);
    return kExitOk;
  });
}

int run_grant_role(const Globals& g, const Args& args) {
  if (args.size() != 2) {
    return usage("user grant command requires user name and role name as its argument");
  }
  return with_auth(g, [&](const PrintOptions& o, const client::Auth& auth) -> int {
    auto r = auth.user_grant_role(args[0], args[1], command_context(g));
    if (!r) return report(r.error());
    print_change(*r, fmt::format("Role {} is granted to user {}", args[1], args[0]), o);
    return kExitOk;
  });
}

int run_revoke_role(const Globals& g, const Args& args) {
  if (args.size() != 2) {
    return usage("user revoke-role requires user name and role name as its argument");
  }
  return with_auth(g, [&](const PrintOptions& o, const client::Auth& auth) -> int {
    auto r = auth.user_revoke_role(args[0], args[1], command_context(g));
    if (!r) return report(r.error());
    print_change(*r, fmt::format("Role {} is revoked from user {}", args[1], args[0]), o);
    return kExitOk;
  });
}

}  // namespace

void add_user_commands(CLI::App& app, Globals& g, int& exit_code) {
  auto* user = app.add_subcommand("user", "User related commands");
  user->require_subcommand(1);

  auto add_flags = std::make_shared<AddFlags>();
  auto* add = user->add_subcommand("add", "Adds a new user");
  add->add_option("user", add_flags->args, "<user name or user:password>");
  add->add_option("--new-user-password", add_flags->new_user_password,
                  "Supply password from the command line flag");
  add->add_flag("--no-password", add_flags->no_password,
                "Create a user without password (CN based auth only)");
  add->add_flag("--interactive{true}", add_flags->interactive,
                "Read password from stdin instead of interactive terminal");
  add->callback([&g, &exit_code, add_flags] { exit_code = run_add(g, *add_flags); });

  auto delete_args = std::make_shared<Args>();
  auto* del = user->add_subcommand("delete", "Deletes a user");
  del->add_option("user", *delete_args, "<user name>");
  del->callback([&g, &exit_code, delete_args] { exit_code = run_delete(g, *delete_args); });

  auto get_args = std::make_shared<Args>();
  auto detail = std::make_shared<bool>(false);
  auto* get = user->add_subcommand("get", "Gets detailed information of a user");
  get->add_option("user", *get_args, "<user name>");
  get->add_flag("--detail", *detail, "Show permissions of roles granted to the user");
  get->callback([&g, &exit_code, get_args, detail] { exit_code = run_get(g, *get_args, *detail); });

  auto list_args = std::make_shared<Args>();
  auto* list = user->add_subcommand("list", "Lists all users");
  list->add_option("args", *list_args);
  list->callback([&g, &exit_code, list_args] { exit_code = run_list(g, *list_args); });

  auto passwd_args = std::make_shared<Args>();
  auto passwd_interactive = std::make_shared<bool>(true);
  auto* passwd = user->add_subcommand("passwd", "Changes password of user");
  passwd->add_option("user", *passwd_args, "<user name>");
  passwd->add_flag("--interactive{true}", *passwd_interactive,
                   "If true, read password from stdin instead of interactive terminal");
  passwd->callback([&g, &exit_code, passwd_args, passwd_interactive] {
    exit_code = run_passwd(g, *passwd_args, *passwd_interactive);
  });

  auto grant_args = std::make_shared<Args>();
  auto* grant = user->add_subcommand("grant-role", "Grants a role to a user");
  grant->add_option("user-and-role", *grant_args, "<user name> <role name>");
  grant->callback([&g, &exit_code, grant_args] { exit_code = run_grant_role(g, *grant_args); });

  auto revoke_args = std::make_shared<Args>();
  auto* revoke = user->add_subcommand("revoke-role", "Revokes a role from a user");
  revoke->add_option("user-and-role", *revoke_args, "<user name> <role name>");
  revoke->callback([&g, &exit_code, revoke_args] { exit_code = run_revoke_role(g, *revoke_args); });
}

}  // namespace regent::ctl
