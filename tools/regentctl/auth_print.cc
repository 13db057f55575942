#include "auth_print.h"

#include <fmt/format.h>

namespace regent::ctl {

namespace {

bool reads(client::PermissionType t) {
  return t == client::PermissionType::kRead || t == client::PermissionType::kReadWrite;
}
bool writes(client::PermissionType t) {
  return t == client::PermissionType::kWrite || t == client::PermissionType::kReadWrite;
}

// One permission under "KV Read:" or "KV Write:", as etcdctl lays it out.
void print_permission(const client::Permission& p) {
  if (p.range_end.empty()) {
    fmt::print("\t{}\n", p.key);
    return;
  }
  if (p.range_end != client::from_key_range_end()) {
    fmt::print("\t[{}, {})", p.key, p.range_end);
  } else {
    fmt::print("\t[{}, <open ended>", p.key);
  }
  if (client::prefix_range_end(p.key) == p.range_end) fmt::print(" (prefix {})", p.key);
  fmt::print("\n");
}

void print_json(Json& j) { fmt::print("{}\n", j.str()); }

}  // namespace

void print_change(const client::ResponseHeader& header, const std::string& line,
                  const PrintOptions& o) {
  if (o.format != Format::kJson) {
    fmt::print("{}\n", line);
    return;
  }
  Json j;
  j.begin_object().key("header");
  write_header(j, header);
  print_json(j.end_object());
}

void print_auth_status(const client::AuthStatusResponse& r, const PrintOptions& o) {
  if (o.format != Format::kJson) {
    fmt::print("Authentication Status: {}\nAuthRevision: {}\n", r.enabled ? "true" : "false",
               r.auth_revision);
    return;
  }
  Json j;
  j.begin_object().key("header");
  write_header(j, r.header);
  j.bfield("enabled", r.enabled).ufield("authRevision", r.auth_revision);
  print_json(j.end_object());
}

void print_user_get(const std::string& name, const client::UserGetResponse& r,
                    const PrintOptions& o) {
  if (o.format != Format::kJson) {
    fmt::print("User: {}\nRoles:", name);
    for (const auto& role : r.roles) fmt::print(" {}", role);
    fmt::print("\n");
    return;
  }
  print_names(r.header, r.roles, "roles", o);
}

void print_names(const client::ResponseHeader& header, const std::vector<std::string>& names,
                 const std::string& field, const PrintOptions& o) {
  if (o.format != Format::kJson) {
    for (const auto& name : names) fmt::print("{}\n", name);
    return;
  }
  Json j;
  j.begin_object().key("header");
  write_header(j, header);
  if (!names.empty()) {
    j.key(field).begin_array();
    for (const auto& name : names) j.string(name);
    j.end_array();
  }
  print_json(j.end_object());
}

void print_role_get(const std::string& role, const client::RoleGetResponse& r,
                    const PrintOptions& o) {
  if (o.format != Format::kJson) {
    fmt::print("Role {}\nKV Read:\n", role);
    for (const auto& p : r.permissions) {
      if (reads(p.type)) print_permission(p);
    }
    fmt::print("KV Write:\n");
    for (const auto& p : r.permissions) {
      if (writes(p.type)) print_permission(p);
    }
    return;
  }
  Json j;
  j.begin_object().key("header");
  write_header(j, r.header);
  if (!r.permissions.empty()) {
    j.key("perm").begin_array();
    for (const auto& p : r.permissions) {
      j.begin_object()
          .field("permType", static_cast<int64_t>(p.type))
          .bytes_field("key", p.key)
          .bytes_field("range_end", p.range_end)
          .end_object();
    }
    j.end_array();
  }
  print_json(j.end_object());
}

std::string revoked_permission_line(const std::string& role, const std::string& key,
                                    const std::string& range_end) {
  if (range_end.empty())
    return fmt::format("Permission of key {} is revoked from role {}", key, role);
  if (range_end != client::from_key_range_end()) {
    return fmt::format("Permission of range [{}, {}) is revoked from role {}", key, range_end,
                       role);
  }
  return fmt::format("Permission of range [{}, <open ended> is revoked from role {}", key, role);
}

}  // namespace regent::ctl
