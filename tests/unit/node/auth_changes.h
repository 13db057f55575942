// AuthChange entries for the auth store's tests, one helper per kind.
#pragma once

#include <string>

#include "regentpb/auth.pb.h"

namespace regent::server::testing {

inline regentpb::AuthChange enable() {
  regentpb::AuthChange c;
  c.mutable_enable();
  return c;
}
inline regentpb::AuthChange disable() {
  regentpb::AuthChange c;
  c.mutable_disable();
  return c;
}
inline regentpb::AuthChange user_add(const std::string& name, const std::string& hash = "$2b$h") {
  regentpb::AuthChange c;
  c.mutable_user_add()->set_name(name);
  c.mutable_user_add()->set_password_hash(hash);
  return c;
}
inline regentpb::AuthChange user_delete(const std::string& name) {
  regentpb::AuthChange c;
  c.mutable_user_delete()->set_name(name);
  return c;
}
inline regentpb::AuthChange change_password(const std::string& name, const std::string& hash) {
  regentpb::AuthChange c;
  c.mutable_user_change_password()->set_name(name);
  c.mutable_user_change_password()->set_password_hash(hash);
  return c;
}
inline regentpb::AuthChange grant_role(const std::string& user, const std::string& role) {
  regentpb::AuthChange c;
  c.mutable_user_grant_role()->set_user(user);
  c.mutable_user_grant_role()->set_role(role);
  return c;
}
inline regentpb::AuthChange revoke_role(const std::string& user, const std::string& role) {
  regentpb::AuthChange c;
  c.mutable_user_revoke_role()->set_user(user);
  c.mutable_user_revoke_role()->set_role(role);
  return c;
}
inline regentpb::AuthChange role_add(const std::string& name) {
  regentpb::AuthChange c;
  c.mutable_role_add()->set_name(name);
  return c;
}
inline regentpb::AuthChange role_delete(const std::string& name) {
  regentpb::AuthChange c;
  c.mutable_role_delete()->set_name(name);
  return c;
}
inline regentpb::AuthChange grant_perm(const std::string& role, regentpb::AuthPermissionType type,
                                       const std::string& key, const std::string& range_end = "") {
  regentpb::AuthChange c;
  auto* g = c.mutable_role_grant_permission();
  g->set_role(role);
  g->mutable_permission()->set_type(type);
  g->mutable_permission()->set_key(key);
  g->mutable_permission()->set_range_end(range_end);
  return c;
}
inline regentpb::AuthChange revoke_perm(const std::string& role, const std::string& key,
                                        const std::string& range_end = "") {
  regentpb::AuthChange c;
  auto* r = c.mutable_role_revoke_permission();
  r->set_role(role);
  r->set_key(key);
  r->set_range_end(range_end);
  return c;
}

}  // namespace regent::server::testing
