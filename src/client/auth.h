// etcd's Auth API: switching authentication on and off, users, roles and the key ranges roles
// may read or write. The client's own credentials are ClientOptions::username/password; this
// class administers the auth store.
//
// Invariants:
//  - Reads (status, user_get/list, role_get/list) are retried on another endpoint like every
//    read; changes are writes, sent once (see client.h), and a refused one was not applied.
//  - Errors are the server's, code and etcd's message unchanged ("etcdserver: user name already
//    exists", "etcdserver: permission denied", ...), so scripts can match etcd's strings.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/client.h"
#include "client/context.h"
#include "client/error.h"
#include "client/types.h"

namespace regent::client {

// etcd's authpb.Permission.Type, with its numbers.
enum class PermissionType : int { kRead = 0, kWrite = 1, kReadWrite = 2 };

// etcd's spelling, any case ("read", "WRITE", "readwrite"), as etcdctl takes it.
std::optional<PermissionType> parse_permission_type(const std::string& text);

// The keys a role may read and/or write: one key (empty range_end), [key, range_end), or every
// key >= key (range_end "\0", from_key_range_end()). prefix_range_end() makes a prefix's end.
struct Permission {
  PermissionType type = PermissionType::kRead;
  std::string key;
  std::string range_end;
};

struct AuthStatusResponse {
  ResponseHeader header;
  bool enabled = false;
  uint64_t auth_revision = 0;
};

struct UserAddOptions {
  bool no_password = false;  // A user that logs in by TLS common name only.
};

struct UserGetResponse {
  ResponseHeader header;
  std::vector<std::string> roles;
};

struct UserListResponse {
  ResponseHeader header;
  std::vector<std::string> users;
};

struct RoleGetResponse {
  ResponseHeader header;
  std::vector<Permission> permissions;
};

struct RoleListResponse {
  ResponseHeader header;
  std::vector<std::string> roles;
};

class Auth {
 public:
  explicit Auth(std::shared_ptr<Client> client) : client_(std::move(client)) {}

  // etcd refuses to enable auth until user root exists and holds role root ("etcdserver: root
  // user does not exist", "etcdserver: root user does not have root role").
  Result<ResponseHeader> enable(const Context& ctx = Context()) const;
  Result<ResponseHeader> disable(const Context& ctx = Context()) const;
  Result<AuthStatusResponse> status(const Context& ctx = Context()) const;

  Result<ResponseHeader> user_add(const std::string& name, const std::string& password,
                                  UserAddOptions options = {},
                                  const Context& ctx = Context()) const;
  Result<UserGetResponse> user_get(const std::string& name, const Context& ctx = Context()) const;
  Result<UserListResponse> user_list(const Context& ctx = Context()) const;
  Result<ResponseHeader> user_delete(const std::string& name, const Context& ctx = Context()) const;
  Result<ResponseHeader> user_change_password(const std::string& name, const std::string& password,
                                              const Context& ctx = Context()) const;
  Result<ResponseHeader> user_grant_role(const std::string& user, const std::string& role,
                                         const Context& ctx = Context()) const;
  Result<ResponseHeader> user_revoke_role(const std::string& user, const std::string& role,
                                          const Context& ctx = Context()) const;

  Result<ResponseHeader> role_add(const std::string& role, const Context& ctx = Context()) const;
  Result<RoleGetResponse> role_get(const std::string& role, const Context& ctx = Context()) const;
  Result<RoleListResponse> role_list(const Context& ctx = Context()) const;
  Result<ResponseHeader> role_delete(const std::string& role, const Context& ctx = Context()) const;
  Result<ResponseHeader> role_grant_permission(const std::string& role,
                                               const Permission& permission,
                                               const Context& ctx = Context()) const;
  // Removes the permission on exactly [key, range_end) (as granted), whatever its type.
  Result<ResponseHeader> role_revoke_permission(const std::string& role, const std::string& key,
                                                const std::string& range_end,
                                                const Context& ctx = Context()) const;

 private:
  std::shared_ptr<Client> client_;
};

}  // namespace regent::client
