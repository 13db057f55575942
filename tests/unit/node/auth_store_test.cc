// The auth store's rules, as etcd's auth store has them: the root user and role, the errors, the
// revision, permissions through roles, and the image round trip.
#include "server/node/auth_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/node/auth_errors.h"
#include "unit/node/auth_changes.h"

namespace regent::server {
namespace {

using namespace testing;  // NOLINT: the change builders.
namespace err = auth_error;

const std::string kFromKey(1, '\0');

// The message of a refused change, or "" when it was applied.
std::string refusal(AuthStore& store, const regentpb::AuthChange& change) {
  auto r = store.apply(change);
  return r ? std::string() : r.error().message;
}

void apply_all(AuthStore& store, const std::vector<regentpb::AuthChange>& changes) {
  for (const auto& c : changes) ASSERT_EQ(refusal(store, c), "") << c.ShortDebugString();
}

// root holding root, and auth enabled.
AuthStore enabled_store() {
  AuthStore s;
  apply_all(s, {user_add("root"), grant_role("root", "root"), enable()});
  return s;
}

TEST(AuthStoreTest, EnableNeedsRootUserWithRootRole) {
  AuthStore s;
  EXPECT_EQ(refusal(s, enable()), err::kRootUserNotExist);
  ASSERT_EQ(refusal(s, user_add("root")), "");
  EXPECT_EQ(refusal(s, enable()), err::kRootRoleNotExist);
  EXPECT_FALSE(s.enabled());
  // The root role need not exist as a role to be granted.
  ASSERT_EQ(refusal(s, grant_role("root", "root")), "");
  EXPECT_EQ(refusal(s, enable()), "");
  EXPECT_TRUE(s.enabled());
}

TEST(AuthStoreTest, RootIsProtectedWhileEnabled) {
  AuthStore s = enabled_store();
  ASSERT_EQ(refusal(s, role_add("root")), "");
  EXPECT_EQ(refusal(s, user_delete("root")), err::kInvalidAuthMgmt);
  EXPECT_EQ(refusal(s, revoke_role("root", "root")), err::kInvalidAuthMgmt);
  EXPECT_EQ(refusal(s, role_delete("root")), err::kInvalidAuthMgmt);
  EXPECT_TRUE(s.is_root("root"));
  // Once disabled, the same changes are allowed.
  ASSERT_EQ(refusal(s, disable()), "");
  EXPECT_EQ(refusal(s, revoke_role("root", "root")), "");
  EXPECT_EQ(refusal(s, role_delete("root")), "");
  EXPECT_EQ(refusal(s, user_delete("root")), "");
}

TEST(AuthStoreTest, EtcdErrors) {
  AuthStore s;
  struct Case {
    regentpb::AuthChange change;
    std::string_view message;
    kv::ErrorCode code;
  };
  apply_all(s, {user_add("u"), role_add("r")});
  const std::vector<Case> cases = {
      {user_add(""), err::kUserEmpty, kv::ErrorCode::kInvalidArgument},
      {user_add("u"), err::kUserAlreadyExist, kv::ErrorCode::kAuthRefused},
      {user_delete("nobody"), err::kUserNotFound, kv::ErrorCode::kAuthRefused},
      {change_password("nobody", "$2b$x"), err::kUserNotFound, kv::ErrorCode::kAuthRefused},
      {grant_role("nobody", "r"), err::kUserNotFound, kv::ErrorCode::kAuthRefused},
      {grant_role("u", "nope"), err::kRoleNotFound, kv::ErrorCode::kAuthRefused},
      {revoke_role("u", "r"), err::kRoleNotGranted, kv::ErrorCode::kAuthRefused},
      {role_add(""), err::kRoleEmpty, kv::ErrorCode::kInvalidArgument},
      {role_add("r"), err::kRoleAlreadyExist, kv::ErrorCode::kAuthRefused},
      {role_delete("nope"), err::kRoleNotFound, kv::ErrorCode::kAuthRefused},
      {grant_perm("nope", regentpb::READ, "a"), err::kRoleNotFound, kv::ErrorCode::kAuthRefused},
      {grant_perm("r", regentpb::READ, "b", "a"), err::kInvalidAuthMgmt,
       kv::ErrorCode::kInvalidArgument},
      {revoke_perm("r", "a"), err::kPermissionNotGranted, kv::ErrorCode::kAuthRefused},
      {revoke_perm("nope", "a"), err::kRoleNotFound, kv::ErrorCode::kAuthRefused},
  };
  const regentpb::AuthImage before = s.image();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.change.ShortDebugString());
    auto r = s.apply(c.change);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, c.message);
    EXPECT_EQ(r.error().code, c.code);
  }
  // A refused change changes nothing, the revision included.
  EXPECT_EQ(s.image().SerializeAsString(), before.SerializeAsString());
}

TEST(AuthStoreTest, RevisionCountsChanges) {
  AuthStore s;
  EXPECT_EQ(s.revision(), 0u);
  apply_all(s, {user_add("root"), grant_role("root", "root")});
  EXPECT_EQ(s.revision(), 2u);
  apply_all(s, {grant_role("root", "root")});  // Held already: ignored, as etcd.
  EXPECT_EQ(s.revision(), 2u);
  apply_all(s, {enable(), enable()});  // The second one finds it enabled.
  EXPECT_EQ(s.revision(), 3u);
  apply_all(s, {disable(), disable()});
  EXPECT_EQ(s.revision(), 4u);
}

TEST(AuthStoreTest, PermissionsThroughRoles) {
  AuthStore s;
  apply_all(s, {role_add("r"), grant_perm("r", regentpb::READWRITE, "/a/", "/a0"), user_add("u"),
                grant_role("u", "r"), user_add("nobody")});
  // Disabled: everything is allowed, to anyone.
  EXPECT_TRUE(s.permitted("", regentpb::WRITE, "/b/x", ""));
  apply_all(s, {user_add("root"), grant_role("root", "root"), enable()});
  EXPECT_TRUE(s.permitted("u", regentpb::WRITE, "/a/x", ""));
  EXPECT_TRUE(s.permitted("u", regentpb::READ, "/a/", "/a0"));
  EXPECT_FALSE(s.permitted("u", regentpb::WRITE, "/b/x", ""));
  EXPECT_FALSE(s.permitted("nobody", regentpb::READ, "/a/x", ""));
  EXPECT_FALSE(s.permitted("ghost", regentpb::READ, "/a/x", ""));
  EXPECT_TRUE(s.permitted("root", regentpb::WRITE, "/anything", kFromKey));
  // Granting the same range again replaces its type; revoking takes effect at once.
  apply_all(s, {grant_perm("r", regentpb::READ, "/a/", "/a0")});
  EXPECT_EQ(s.role("r")->permissions_size(), 1);
  EXPECT_FALSE(s.permitted("u", regentpb::WRITE, "/a/x", ""));
  EXPECT_TRUE(s.permitted("u", regentpb::READ, "/a/x", ""));
  apply_all(s, {revoke_perm("r", "/a/", "/a0")});
  EXPECT_FALSE(s.permitted("u", regentpb::READ, "/a/x", ""));
}

TEST(AuthStoreTest, RoleDeleteTakesItFromUsers) {
  AuthStore s;
  apply_all(s, {role_add("r"), grant_perm("r", regentpb::READ, "k"), user_add("u"),
                grant_role("u", "r"), role_delete("r"), role_add("r")});
  EXPECT_EQ(s.user("u")->roles_size(), 0);
}

TEST(AuthStoreTest, RolesAndPermissionsStaySorted) {
  AuthStore s;
  apply_all(s, {role_add("b"), role_add("a"), role_add("c"), user_add("u"), grant_role("u", "c"),
                grant_role("u", "a"), grant_role("u", "b"), grant_perm("a", regentpb::READ, "z"),
                grant_perm("a", regentpb::READ, "m", "n"), grant_perm("a", regentpb::READ, "m")});
  const auto& roles = s.user("u")->roles();
  EXPECT_EQ(std::vector<std::string>(roles.begin(), roles.end()),
            (std::vector<std::string>{"a", "b", "c"}));
  const auto& perms = s.role("a")->permissions();
  ASSERT_EQ(perms.size(), 3);
  EXPECT_EQ(perms[0].key(), "m");
  EXPECT_EQ(perms[0].range_end(), "");
  EXPECT_EQ(perms[1].range_end(), "n");
  EXPECT_EQ(perms[2].key(), "z");
  EXPECT_EQ(s.role_names(), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(AuthStoreTest, NoPasswordUserKeepsNoHash) {
  AuthStore s;
  regentpb::AuthChange c = user_add("svc", "$2b$ignored");
  c.mutable_user_add()->set_no_password(true);
  apply_all(s, {c});
  EXPECT_TRUE(s.user("svc")->no_password());
  EXPECT_EQ(s.user("svc")->password_hash(), "");
}

// A store with some of everything, for the image tests.
std::vector<regentpb::AuthChange> history() {
  return {user_add("root"),
          grant_role("root", "root"),
          role_add("r2"),
          role_add("r1"),
          grant_perm("r1", regentpb::READWRITE, "/a/", "/a0"),
          grant_perm("r1", regentpb::READ, "/z", kFromKey),
          user_add("u", "$2b$10$hash"),
          grant_role("u", "r2"),
          grant_role("u", "r1"),
          enable()};
}

TEST(AuthStoreTest, SameChangesSameImage) {
  AuthStore a;
  AuthStore b;
  apply_all(a, history());
  apply_all(b, history());
  EXPECT_EQ(a.image().SerializeAsString(), b.image().SerializeAsString());
}

TEST(AuthStoreTest, ImageRoundTrip) {
  AuthStore a;
  apply_all(a, history());
  auto b = AuthStore::restore(a.image());
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(b->image().SerializeAsString(), a.image().SerializeAsString());
  EXPECT_TRUE(b->enabled());
  EXPECT_EQ(b->revision(), a.revision());
  EXPECT_TRUE(b->permitted("u", regentpb::WRITE, "/a/x", ""));
  EXPECT_FALSE(b->permitted("u", regentpb::WRITE, "/b/x", ""));
  EXPECT_EQ(b->user("u")->password_hash(), "$2b$10$hash");
  // Both go on the same way from there.
  apply_all(a, {revoke_perm("r1", "/a/", "/a0")});
  apply_all(*b, {revoke_perm("r1", "/a/", "/a0")});
  EXPECT_EQ(b->image().SerializeAsString(), a.image().SerializeAsString());
}

TEST(AuthStoreTest, RestoreRefusesBadImages) {
  regentpb::AuthImage twice;
  twice.add_users()->set_name("u");
  twice.add_users()->set_name("u");
  EXPECT_FALSE(AuthStore::restore(twice));
  regentpb::AuthImage unnamed;
  unnamed.add_roles();
  EXPECT_FALSE(AuthStore::restore(unnamed));
  regentpb::AuthImage range_twice;
  auto* role = range_twice.add_roles();
  role->set_name("r");
  role->add_permissions()->set_key("k");
  role->add_permissions()->set_key("k");
  EXPECT_FALSE(AuthStore::restore(range_twice));
  regentpb::AuthImage rootless;
  rootless.set_enabled(true);
  rootless.add_users()->set_name("root");
  EXPECT_FALSE(AuthStore::restore(rootless));
  EXPECT_TRUE(AuthStore::restore(regentpb::AuthImage{}));
}

}  // namespace
}  // namespace regent::server
