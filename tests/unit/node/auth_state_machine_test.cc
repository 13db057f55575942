// Auth changes as log entries: applied by the state machine like any write (answered with the
// auth revision or etcd's refusal, the same on every member), kept in its image, and kept by the
// background image job (the snapshot a member sends or writes).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/node/auth_errors.h"
#include "server/node/failure.h"
#include "server/node/state_machine.h"
#include "unit/node/auth_changes.h"

namespace regent::server {
namespace {

using namespace testing;  // NOLINT: the change builders.

regentpb::InternalRequest entry(const regentpb::AuthChange& change) {
  regentpb::InternalRequest r;
  *r.mutable_auth() = change;
  return r;
}

std::vector<regentpb::InternalRequest> log() {
  return {entry(user_add("root", "$2b$10$root")),
          entry(grant_role("root", "root")),
          entry(role_add("r")),
          entry(grant_perm("r", regentpb::READWRITE, "/a/", "/a0")),
          entry(user_add("u", "$2b$10$u")),
          entry(grant_role("u", "r")),
          entry(enable())};
}

bool may_write(const StateMachine& sm, const std::string& user, const std::string& key) {
  return sm.read_auth(
      [&](const AuthStore& a) { return a.permitted(user, regentpb::WRITE, key, ""); });
}

TEST(AuthStateMachineTest, AppliesAndAnswersWithTheAuthRevision) {
  StateMachine sm;
  uint64_t last = 0;
  for (const auto& e : log()) {
    WriteResult r = sm.apply(e);
    ASSERT_TRUE(r) << r.error().message;
    const auto* applied = std::get_if<AuthApplied>(&*r);
    ASSERT_NE(applied, nullptr);
    EXPECT_EQ(applied->revision, last + 1);
    last = applied->revision;
  }
  EXPECT_TRUE(sm.read_auth([](const AuthStore& a) { return a.enabled(); }));
  EXPECT_TRUE(may_write(sm, "u", "/a/x"));
  EXPECT_FALSE(may_write(sm, "u", "/b/x"));
}

TEST(AuthStateMachineTest, RefusalIsEtcdsStatus) {
  StateMachine sm;
  WriteResult r = sm.apply(entry(enable()));
  ASSERT_FALSE(r);
  const Failure f = from_kv(r.error());
  EXPECT_EQ(f.code, StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(f.message, auth_error::kRootUserNotExist);
  r = sm.apply(entry(user_add("")));
  ASSERT_FALSE(r);
  EXPECT_EQ(from_kv(r.error()).code, StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(from_kv(r.error()).message, auth_error::kUserEmpty);
}

TEST(AuthStateMachineTest, MembersApplyingTheSameLogHaveTheSameImage) {
  StateMachine a;
  StateMachine b;
  for (const auto& e : log()) {
    ASSERT_TRUE(a.apply(e));
    ASSERT_TRUE(b.apply(e));
  }
  EXPECT_EQ(a.image(), b.image());
}

TEST(AuthStateMachineTest, ImageAndImageJobKeepTheAuthStore) {
  StateMachine sm;
  for (const auto& e : log()) ASSERT_TRUE(sm.apply(e));
  ImageJob job = sm.begin_image();
  // Changed after the job began: the job's image must not see it.
  ASSERT_TRUE(sm.apply(entry(revoke_perm("r", "/a/", "/a0"))));
  auto from_job = job.run();
  ASSERT_TRUE(from_job) << from_job.error();

  StateMachine restored;
  ASSERT_TRUE(restored.restore(*from_job));
  EXPECT_TRUE(may_write(restored, "u", "/a/x"));
  EXPECT_TRUE(restored.read_auth([](const AuthStore& a) { return a.enabled(); }));

  StateMachine now;
  ASSERT_TRUE(now.restore(sm.image()));
  EXPECT_FALSE(may_write(now, "u", "/a/x"));
  EXPECT_EQ(now.image(), sm.image());
}

TEST(AuthStateMachineTest, AnImageWithoutAuthRestoresAuthDisabled) {
  StateMachine sm;
  for (const auto& e : log()) ASSERT_TRUE(sm.apply(e));
  regentpb::SnapshotData old;
  ASSERT_TRUE(old.ParseFromString(StateMachine().image()));
  old.clear_auth();
  ASSERT_TRUE(sm.restore(old.SerializeAsString()));
  EXPECT_FALSE(sm.read_auth([](const AuthStore& a) { return a.enabled(); }));
  EXPECT_TRUE(may_write(sm, "anyone", "/b/x"));
}

}  // namespace
}  // namespace regent::server
