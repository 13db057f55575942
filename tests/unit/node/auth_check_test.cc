// The auth checks at apply (auth_check.h), through the state machine as members run them: who
// may write which keys, txns checked on every compare and branch, the root-only requests, stale
// callers, and requests the member makes itself, which no check may refuse.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/node/auth_errors.h"
#include "server/node/state_machine.h"
#include "unit/node/auth_changes.h"

namespace regent::server {
namespace {

using namespace testing;  // NOLINT: the change builders.

class RecordingSink final : public AuthTokenSink {
 public:
  void assign(std::string_view token, std::string_view user, int64_t) override {
    assigned.emplace_back(token, user);
  }
  void forget_user(std::string_view user) override { forgotten.emplace_back(user); }
  void forget_all() override { ++cleared; }
  std::vector<std::pair<std::string, std::string>> assigned;
  std::vector<std::string> forgotten;
  int cleared = 0;
};

class AuthCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sm_.set_token_sink(&sink_);
    for (const auto& c : {user_add("root"), grant_role("root", "root"), role_add("a"),
                          grant_perm("a", regentpb::READWRITE, "a/", "a0"), role_add("r"),
                          grant_perm("r", regentpb::READ, "r/", "r0"), role_add("w"),
                          grant_perm("w", regentpb::WRITE, "w/", "w0"), user_add("u"),
                          grant_role("u", "a"), grant_role("u", "r"), grant_role("u", "w")}) {
      ASSERT_TRUE(apply_as("", c));
    }
    ASSERT_TRUE(apply_as("", enable()));
  }

  regentpb::InternalRequest stamped(const std::string& user) const {
    regentpb::InternalRequest r;
    r.mutable_header()->mutable_caller()->set_username(user);
    r.mutable_header()->mutable_caller()->set_auth_revision(sm_.auth_revision());
    return r;
  }
  WriteResult apply_as(const std::string& user, const regentpb::AuthChange& c) {
    auto r = stamped(user);
    *r.mutable_auth() = c;
    return sm_.apply(r);
  }
  WriteResult put_as(const std::string& user, const std::string& key, int64_t lease = 0,
                     bool prev_kv = false) {
    auto r = stamped(user);
    r.mutable_put()->set_key(key);
    r.mutable_put()->set_value("v");
    r.mutable_put()->set_lease(lease);
    r.mutable_put()->set_prev_kv(prev_kv);
    return sm_.apply(r);
  }
  static void expect_denied(const WriteResult& r) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, kv::ErrorCode::kPermissionDenied);
    EXPECT_EQ(r.error().message, "etcdserver: permission denied");
  }

  RecordingSink sink_;
  StateMachine sm_;
};

TEST_F(AuthCheckTest, AUserWritesInsideItsRolesRangeOnly) {
  EXPECT_TRUE(put_as("u", "a/1"));
  expect_denied(put_as("u", "b/1"));
  expect_denied(put_as("u", "r/1"));           // Read only.
  EXPECT_TRUE(put_as("u", "w/1"));             // Write only...
  expect_denied(put_as("u", "w/1", 0, true));  // ...so not with the previous value.
  EXPECT_TRUE(put_as("root", "b/1"));
  expect_denied(put_as("nobody", "a/1"));  // No such user.
}

TEST_F(AuthCheckTest, NoUserAndStaleCallersAreRefusedWithEtcdsWords) {
  auto r = put_as("", "a/1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "etcdserver: user name is empty");
  auto stale = stamped("u");
  ASSERT_TRUE(apply_as("root", role_add("other")));  // The auth revision moves on.
  stale.mutable_put()->set_key("a/1");
  r = sm_.apply(stale);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "etcdserver: revision of auth store is old");
}

TEST_F(AuthCheckTest, ATxnIsCheckedOnEveryCompareAndBothBranches) {
  auto txn = [&](const std::string& compare_key, const std::string& success_key,
                 const std::string& failure_key) {
    auto r = stamped("u");
    auto* t = r.mutable_txn();
    auto* c = t->add_compare();
    c->set_key(compare_key);
    c->set_target(etcdserverpb::Compare::VERSION);
    t->add_success()->mutable_request_put()->set_key(success_key);
    t->add_failure()->mutable_request_range()->set_key(failure_key);
    return sm_.apply(r);
  };
  EXPECT_TRUE(txn("r/1", "a/1", "r/2"));
  expect_denied(txn("b/1", "a/1", "r/2"));  // Compare on an unreadable key.
  expect_denied(txn("r/1", "r/1", "r/2"));  // Success branch writes a read-only key.
  expect_denied(txn("r/1", "a/1", "b/2"));  // Failure branch reads an unreadable key.
  // A nested txn is checked too.
  auto r = stamped("u");
  r.mutable_txn()
      ->add_success()
      ->mutable_request_txn()
      ->add_success()
      ->mutable_request_put()
      ->set_key("b/nested");
  expect_denied(sm_.apply(r));
}

TEST_F(AuthCheckTest, ALeaseIsRevokedOrReusedOnlyByWhoMayWriteEveryKeyOnIt) {
  auto grant = stamped("u");
  grant.mutable_lease_grant()->set_id(7);
  grant.mutable_lease_grant()->set_ttl(60);
  ASSERT_TRUE(sm_.apply(grant));
  ASSERT_TRUE(put_as("root", "b/leased", 7));
  expect_denied(put_as("u", "a/2", 7));  // The lease carries a key u may not write.
  auto revoke = stamped("u");
  revoke.mutable_lease_revoke()->set_id(7);
  expect_denied(sm_.apply(revoke));
  revoke.mutable_header()->mutable_caller()->set_username("root");
  EXPECT_TRUE(sm_.apply(revoke));
}

TEST_F(AuthCheckTest, AuthChangesCompactionAndAlarmsAreRootOnly) {
  expect_denied(apply_as("u", role_add("sneaky")));
  auto compact = stamped("u");
  compact.mutable_compaction()->set_revision(1);
  expect_denied(sm_.apply(compact));
  auto alarm = stamped("u");
  alarm.mutable_alarm()->set_action(etcdserverpb::AlarmRequest::DEACTIVATE);
  expect_denied(sm_.apply(alarm));
  EXPECT_TRUE(apply_as("root", role_add("fine")));
}

TEST_F(AuthCheckTest, TheMembersOwnRequestsAreNeverRefused) {
  regentpb::InternalRequest expiry;  // No caller: the leader revoking an expired lease.
  expiry.mutable_lease_grant()->set_id(9);
  expiry.mutable_lease_grant()->set_ttl(60);
  ASSERT_TRUE(sm_.apply(expiry));
  regentpb::InternalRequest revoke;
  revoke.mutable_lease_revoke()->set_id(9);
  EXPECT_TRUE(sm_.apply(revoke));
}

TEST_F(AuthCheckTest, AuthenticateHandsOutTheTokenOnlyForAnUnchangedUserWithAPassword) {
  auto authenticate = [&](const std::string& name, uint64_t checked) {
    regentpb::InternalRequest r;
    auto* a = r.mutable_auth()->mutable_authenticate();
    a->set_name(name);
    a->set_token("tok-" + name);
    a->set_checked_revision(checked);
    return sm_.apply(r);
  };
  EXPECT_TRUE(authenticate("u", sm_.auth_revision()));
  ASSERT_EQ(sink_.assigned.size(), 1u);
  EXPECT_EQ(sink_.assigned[0], std::make_pair(std::string("tok-u"), std::string("u")));
  auto r = authenticate("ghost", sm_.auth_revision());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "etcdserver: authentication failed, invalid user ID or password");
  r = authenticate("u", sm_.auth_revision() - 1);  // The password may have changed since.
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "etcdserver: revision of auth store is old");
  EXPECT_EQ(sink_.assigned.size(), 1u);
  // Deleting a user or changing its password voids its tokens; disabling auth voids all.
  ASSERT_TRUE(apply_as("root", change_password("u", "$2b$new")));
  EXPECT_EQ(sink_.forgotten, std::vector<std::string>{"u"});
  ASSERT_TRUE(apply_as("root", disable()));
  EXPECT_EQ(sink_.cleared, 1);
}

}  // namespace
}  // namespace regent::server
