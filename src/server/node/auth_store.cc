#include "server/node/auth_store.h"

#include <algorithm>
#include <tuple>

#include "server/node/auth_errors.h"
#include "server/node/auth_ranges.h"

namespace regent::server {

namespace {

namespace err = auth_error;
using Result = Expected<void, kv::Error>;

bool perm_before(const regentpb::AuthPermission& a, const regentpb::AuthPermission& b) {
  return std::tie(a.key(), a.range_end()) < std::tie(b.key(), b.range_end());
}

// etcd's isValidPermissionRange: one key, from a key on ("\0"), or a range that is not empty.
bool valid_range(std::string_view key, std::string_view range_end) {
  if (range_end.empty()) return true;
  if (range_end.size() == 1 && range_end[0] == '\0') return true;
  return key < range_end;
}

template <class Map>
std::vector<std::string> names_of(const Map& map) {
  std::vector<std::string> out;
  out.reserve(map.size());
  for (const auto& [name, value] : map) out.push_back(name);
  return out;
}

}  // namespace

bool AuthStore::changes_nothing(const regentpb::AuthChange& change) const {
  switch (change.change_case()) {
    case C::kEnable:
      return enabled_;  // etcd: "Authentication already enabled".
    case C::kDisable:
      return !enabled_;
    case C::kUserGrantRole: {
      // A role held already: etcd ignores the grant.
      const regentpb::AuthUser* u = user(change.user_grant_role().user());
      return u && std::binary_search(u->roles().begin(), u->roles().end(),
                                     change.user_grant_role().role());
    }
    default:
      return false;
  }
}

Expected<void, kv::Error> AuthStore::apply(const regentpb::AuthChange& change) {
  if (changes_nothing(change)) return {};  // Accepted, and no new revision.
  Result result;
  switch (change.change_case()) {
    case C::kEnable:
      result = enable();
      break;
    case C::kDisable:
      enabled_ = false;
      break;
    case C::kUserAdd:
      result = user_add(change.user_add());
      break;
    case C::kUserDelete:
      result = user_delete(change.user_delete());
      break;
    case C::kUserChangePassword:
      result = user_change_password(change.user_change_password());
      break;
    case C::kUserGrantRole:
      result = user_grant_role(change.user_grant_role());
      break;
    case C::kUserRevokeRole:
      result = user_revoke_role(change.user_revoke_role());
      break;
    case C::kRoleAdd:
      result = role_add(change.role_add());
      break;
    case C::kRoleDelete:
      result = role_delete(change.role_delete());
      break;
    case C::kRoleGrantPermission:
      result = role_grant_permission(change.role_grant_permission());
      break;
    case C::kRoleRevokePermission:
      result = role_revoke_permission(change.role_revoke_permission());
      break;
    case C::kAuthenticate:  // Changes no auth state: the state machine hands out its token.
      return unexpected(kv::invalid_argument("etcdserver: authenticate outside its path"));
    case C::CHANGE_NOT_SET:
      return unexpected(kv::invalid_argument("etcdserver: empty auth request"));
  }
  if (result) ++revision_;
  return result;
}

Result AuthStore::enable() {
  const regentpb::AuthUser* root = user(kRootName);
  if (!root) return unexpected(err::refused(err::kRootUserNotExist));
  if (!std::binary_search(root->roles().begin(), root->roles().end(), kRootName)) {
    return unexpected(err::refused(err::kRootRoleNotExist));
  }
  enabled_ = true;
  return {};
}

Result AuthStore::user_add(const C::UserAdd& r) {
  if (r.name().empty()) return unexpected(err::invalid(err::kUserEmpty));
  if (users_.contains(r.name())) return unexpected(err::refused(err::kUserAlreadyExist));
  regentpb::AuthUser u;
  u.set_name(r.name());
  u.set_no_password(r.no_password());
  if (!r.no_password()) u.set_password_hash(r.password_hash());
  users_.emplace(r.name(), std::move(u));
  return {};
}

Result AuthStore::user_delete(const C::UserDelete& r) {
  if (enabled_ && r.name() == kRootName) return unexpected(err::invalid(err::kInvalidAuthMgmt));
  auto it = users_.find(r.name());
  if (it == users_.end()) return unexpected(err::refused(err::kUserNotFound));
  users_.erase(it);
  return {};
}

Result AuthStore::user_change_password(const C::UserChangePassword& r) {
  auto it = users_.find(r.name());
  if (it == users_.end()) return unexpected(err::refused(err::kUserNotFound));
  it->second.set_password_hash(r.password_hash());
  return {};
}

Result AuthStore::user_grant_role(const C::UserGrantRole& r) {
  auto it = users_.find(r.user());
  if (it == users_.end()) return unexpected(err::refused(err::kUserNotFound));
  // The root role need not exist as a role record to be granted (etcd's rule).
  if (r.role() != kRootName && !roles_.contains(r.role())) {
    return unexpected(err::refused(err::kRoleNotFound));
  }
  auto* roles = it->second.mutable_roles();
  auto at = std::lower_bound(roles->begin(), roles->end(), r.role());
  // RepeatedPtrField has no insert: append, then rotate into place.
  const auto pos = at - roles->begin();
  roles->Add(std::string(r.role()));
  std::rotate(roles->begin() + pos, roles->end() - 1, roles->end());
  return {};
}

Result AuthStore::user_revoke_role(const C::UserRevokeRole& r) {
  if (enabled_ && r.user() == kRootName && r.role() == kRootName) {
    return unexpected(err::invalid(err::kInvalidAuthMgmt));
  }
  auto it = users_.find(r.user());
  if (it == users_.end()) return unexpected(err::refused(err::kUserNotFound));
  auto* roles = it->second.mutable_roles();
  auto at = std::lower_bound(roles->begin(), roles->end(), r.role());
  if (at == roles->end() || *at != r.role()) return unexpected(err::refused(err::kRoleNotGranted));
  roles->erase(at);
  return {};
}

Result AuthStore::role_add(const C::RoleAdd& r) {
  if (r.name().empty()) return unexpected(err::invalid(err::kRoleEmpty));
  if (roles_.contains(r.name())) return unexpected(err::refused(err::kRoleAlreadyExist));
  regentpb::AuthRole role;
  role.set_name(r.name());
  roles_.emplace(r.name(), std::move(role));
  return {};
}

Result AuthStore::role_delete(const C::RoleDelete& r) {
  if (enabled_ && r.name() == kRootName) return unexpected(err::invalid(err::kInvalidAuthMgmt));
  auto it = roles_.find(r.name());
  if (it == roles_.end()) return unexpected(err::refused(err::kRoleNotFound));
  roles_.erase(it);
  // Users lose the role too, as in etcd, so that a role added again later grants nothing to
  // those who held the old one.
  for (auto& [name, u] : users_) {
    auto* roles = u.mutable_roles();
    auto at = std::lower_bound(roles->begin(), roles->end(), r.name());
    if (at != roles->end() && *at == r.name()) roles->erase(at);
  }
  return {};
}

Result AuthStore::role_grant_permission(const C::RoleGrantPermission& r) {
  auto it = roles_.find(r.role());
  if (it == roles_.end()) return unexpected(err::refused(err::kRoleNotFound));
  if (!r.has_permission()) return unexpected(err::invalid(err::kPermissionNotGiven));
  const regentpb::AuthPermission& p = r.permission();
  if (!valid_range(p.key(), p.range_end())) return unexpected(err::invalid(err::kInvalidAuthMgmt));
  auto* perms = it->second.mutable_permissions();
  auto at = std::lower_bound(perms->begin(), perms->end(), p, perm_before);
  if (at != perms->end() && at->key() == p.key() && at->range_end() == p.range_end()) {
    at->set_type(p.type());  // The same range granted again: its type is replaced (etcd).
    return {};
  }
  const auto pos = at - perms->begin();
  *perms->Add() = p;
  std::rotate(perms->begin() + pos, perms->end() - 1, perms->end());
  return {};
}

Result AuthStore::role_revoke_permission(const C::RoleRevokePermission& r) {
  auto it = roles_.find(r.role());
  if (it == roles_.end()) return unexpected(err::refused(err::kRoleNotFound));
  auto* perms = it->second.mutable_permissions();
  regentpb::AuthPermission probe;
  probe.set_key(r.key());
  probe.set_range_end(r.range_end());
  auto at = std::lower_bound(perms->begin(), perms->end(), probe, perm_before);
  if (at == perms->end() || at->key() != r.key() || at->range_end() != r.range_end()) {
    return unexpected(err::refused(err::kPermissionNotGranted));
  }
  perms->erase(at);
  return {};
}

const regentpb::AuthUser* AuthStore::user(std::string_view name) const {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : &it->second;
}

const regentpb::AuthRole* AuthStore::role(std::string_view name) const {
  auto it = roles_.find(name);
  return it == roles_.end() ? nullptr : &it->second;
}

std::vector<std::string> AuthStore::user_names() const { return names_of(users_); }
std::vector<std::string> AuthStore::role_names() const { return names_of(roles_); }

bool AuthStore::is_root(std::string_view name) const {
  const regentpb::AuthUser* u = user(name);
  return u && std::binary_search(u->roles().begin(), u->roles().end(), kRootName);
}

bool AuthStore::permitted(std::string_view name, regentpb::AuthPermissionType need,
                          std::string_view key, std::string_view range_end) const {
  if (!enabled_) return true;
  if (need == regentpb::READWRITE) {  // Both, each possibly granted by another role.
    return permitted(name, regentpb::READ, key, range_end) &&
           permitted(name, regentpb::WRITE, key, range_end);
  }
  const regentpb::AuthUser* u = user(name);
  if (!u) return false;
  if (is_root(name)) return true;
  std::vector<const regentpb::AuthPermission*> perms;
  for (const std::string& role_name : u->roles()) {
    const regentpb::AuthRole* r = role(role_name);
    if (!r) continue;
    for (const regentpb::AuthPermission& p : r->permissions()) perms.push_back(&p);
  }
  return covers(perms, need, key, range_end);
}

regentpb::AuthImage AuthStore::image() const {
  regentpb::AuthImage out;
  out.set_enabled(enabled_);
  out.set_revision(revision_);
  for (const auto& [name, u] : users_) *out.add_users() = u;
  for (const auto& [name, r] : roles_) *out.add_roles() = r;
  return out;
}

Expected<AuthStore, std::string> AuthStore::restore(const regentpb::AuthImage& image) {
  AuthStore store;
  store.enabled_ = image.enabled();
  store.revision_ = image.revision();
  for (const regentpb::AuthUser& u : image.users()) {
    if (u.name().empty() || !store.users_.emplace(u.name(), u).second) {
      return unexpected(std::string("auth image: empty or repeated user name"));
    }
    auto* roles = store.users_[u.name()].mutable_roles();
    std::sort(roles->begin(), roles->end());
    if (std::adjacent_find(roles->begin(), roles->end()) != roles->end()) {
      return unexpected("auth image: user " + u.name() + " holds a role twice");
    }
  }
  for (const regentpb::AuthRole& r : image.roles()) {
    if (r.name().empty() || !store.roles_.emplace(r.name(), r).second) {
      return unexpected(std::string("auth image: empty or repeated role name"));
    }
    auto* perms = store.roles_[r.name()].mutable_permissions();
    std::sort(perms->begin(), perms->end(), perm_before);
    auto same_range = [](const regentpb::AuthPermission& a, const regentpb::AuthPermission& b) {
      return !perm_before(a, b) && !perm_before(b, a);
    };
    if (std::adjacent_find(perms->begin(), perms->end(), same_range) != perms->end()) {
      return unexpected("auth image: role " + r.name() + " holds a range twice");
    }
  }
  if (store.enabled_ && !store.is_root(kRootName)) {
    return unexpected(std::string("auth image: enabled without a root user holding root"));
  }
  return store;
}

}  // namespace regent::server
