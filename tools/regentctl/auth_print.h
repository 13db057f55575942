// What the auth, user and role commands print: etcdctl's simple lines (printer_simple.go) and,
// with -w json, the JSON of etcd's response (Go's encoding/json: zero values left out).
#pragma once

#include <string>
#include <vector>

#include "client/auth.h"
#include "format.h"

namespace regent::ctl {

// A change's answer: `line` in the simple format, {"header":{...}} in JSON.
void print_change(const client::ResponseHeader& header, const std::string& line,
                  const PrintOptions& o);
void print_auth_status(const client::AuthStatusResponse& r, const PrintOptions& o);
void print_user_get(const std::string& name, const client::UserGetResponse& r,
                    const PrintOptions& o);
// user list and role list: one name a line; JSON names them `field` ("users", "roles").
void print_names(const client::ResponseHeader& header, const std::vector<std::string>& names,
                 const std::string& field, const PrintOptions& o);
void print_role_get(const std::string& role, const client::RoleGetResponse& r,
                    const PrintOptions& o);
// "Permission of key k is revoked from role r", or of the range [k, end) / [k, <open ended>.
std::string revoked_permission_line(const std::string& role, const std::string& key,
                                    const std::string& range_end);

}  // namespace regent::ctl
