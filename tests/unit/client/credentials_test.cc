// etcdctl's --user/--password, as ClientOptions receives them: no server needed.
#include "client/credentials.h"

#include <gtest/gtest.h>

#include "client/auth.h"

namespace regent::client::testing {
namespace {

TEST(UserFlagTest, SplitsAsEtcdctlDoes) {
  struct Case {
    std::string user, password;
    std::string want_name;
    std::optional<std::string> want_password;
  };
  const Case cases[] = {
      // The name ends at the first colon; the password keeps any later one.
      {"alice:secret", "", "alice", "secret"},
      {"alice:pa:ss", "", "alice", "pa:ss"},
      {"alice:", "", "alice", ""},
      // No colon and no --password: the password is still to be asked for.
      {"alice", "", "alice", std::nullopt},
      // --password wins, and the whole --user is the name.
      {"alice", "pw", "alice", "pw"},
      {"alice:secret", "pw", "alice:secret", "pw"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.user + " / " + c.password);
    auto got = parse_user_flag(c.user, c.password);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->username, c.want_name);
    EXPECT_EQ(got->password, c.want_password);
  }
}

TEST(UserFlagTest, NoUserMeansNoAuthentication) {
  EXPECT_FALSE(parse_user_flag("", "").has_value());
  EXPECT_FALSE(parse_user_flag("", "pw").has_value());
}

TEST(PermissionTypeTest, TakesEtcdsNamesInAnyCase) {
  EXPECT_EQ(parse_permission_type("read"), PermissionType::kRead);
  EXPECT_EQ(parse_permission_type("Write"), PermissionType::kWrite);
  EXPECT_EQ(parse_permission_type("READWRITE"), PermissionType::kReadWrite);
  EXPECT_FALSE(parse_permission_type("rw").has_value());
  EXPECT_FALSE(parse_permission_type("").has_value());
}

}  // namespace
}  // namespace regent::client::testing
