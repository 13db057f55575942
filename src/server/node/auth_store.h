// The auth store: users, roles and their key-range permissions, whether auth is enabled, and the
// auth revision, as etcd's auth store keeps them. Part of the replicated state machine
// (state_machine.h): changed only by applying committed AuthChange entries, kept in snapshots.
//
// Invariants:
//  - apply() is a deterministic function of the change and the state. Passwords arrive hashed
//    (the proposing member hashed them, server/auth/password_hash.h), so no salt is drawn here.
//  - A refused change changes nothing, the revision included; an accepted one that changes the
//    state adds one to the revision (etcd's commitRevision), so a token issued against an older
//    revision can be told apart.
//  - Auth can be enabled only while a user named "root" holds the role "root"; while enabled,
//    that user cannot be deleted nor lose that role, and the role cannot be deleted (etcd's rules).
//  - A user's roles and a role's permissions stay sorted and unique, users and roles by name, so
//    equal states have equal images.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "kv/errors.h"
#include "regentpb/auth.pb.h"

namespace regent::server {

inline constexpr std::string_view kRootName = "root";  // The root user and the root role.

class AuthStore {
 public:
  Expected<void, kv::Error> apply(const regentpb::AuthChange& change);

  bool enabled() const { return enabled_; }
  uint64_t revision() const { return revision_; }
  const regentpb::AuthUser* user(std::string_view name) const;
  const regentpb::AuthRole* role(std::string_view name) const;
  std::vector<std::string> user_names() const;  // Sorted.
  std::vector<std::string> role_names() const;  // Sorted.

  // Whether `user` holds the root role (etcd's hasRootRole): every key, Compact, the auth
  // changes and the member-wide calls.
  bool is_root(std::string_view user) const;
  // Whether `user` may do `need` on every key of [key, range_end) (auth_ranges.h); READWRITE
  // asks for both, which may come from different roles. Always, while auth is disabled; never
  // for a user that does not exist.
  bool permitted(std::string_view user, regentpb::AuthPermissionType need, std::string_view key,
                 std::string_view range_end) const;

  regentpb::AuthImage image() const;
  // A store from a snapshot's image, checked: names unique and not empty, a role a user holds
  // that does not exist is kept (etcd keeps it too; it grants nothing).
  static Expected<AuthStore, std::string> restore(const regentpb::AuthImage& image);

 private:
  using C = regentpb::AuthChange;
  // Accepted without a change: enabling when enabled, disabling when disabled, granting a role
  // held already. etcd answers these with success and no new revision.
  bool changes_nothing(const regentpb::AuthChange& change) const;
  Expected<void, kv::Error> enable();
  Expected<void, kv::Error> user_add(const C::UserAdd& r);
  Expected<void, kv::Error> user_delete(const C::UserDelete& r);
  Expected<void, kv::Error> user_change_password(const C::UserChangePassword& r);
  Expected<void, kv::Error> user_grant_role(const C::UserGrantRole& r);
  Expected<void, kv::Error> user_revoke_role(const C::UserRevokeRole& r);
  Expected<void, kv::Error> role_add(const C::RoleAdd& r);
  Expected<void, kv::Error> role_delete(const C::RoleDelete& r);
  Expected<void, kv::Error> role_grant_permission(const C::RoleGrantPermission& r);
  Expected<void, kv::Error> role_revoke_permission(const C::RoleRevokePermission& r);

  std::map<std::string, regentpb::AuthUser, std::less<>> users_;
  std::map<std::string, regentpb::AuthRole, std::less<>> roles_;
  bool enabled_ = false;
  uint64_t revision_ = 0;
};

}  // namespace regent::server
