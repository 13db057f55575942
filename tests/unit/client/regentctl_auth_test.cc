// regentctl's --user and its auth, user and role commands, run as a user runs them, against an
// in-process stand-in for an auth-enabled member (fake_auth_server.h): etcdctl's printouts and
// what reached the server.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "unit/client/fake_auth_server.h"

namespace regent::client::testing {
namespace {

struct CtlRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class RegentctlAuthTest : public ::testing::Test {
 protected:
  RegentctlAuthTest() : server_("secret") {}

  // regentctl with `args` (shell words, quoted by the caller), `input` on its stdin.
  CtlRun ctl(const std::string& args, const std::string& input = "") {
    char dir[] = "/tmp/regentctl-auth-XXXXXX";
    EXPECT_NE(mkdtemp(dir), nullptr);
    const std::string in = std::string(dir) + "/in", out = std::string(dir) + "/out",
                      err = std::string(dir) + "/err";
    std::ofstream(in) << input;
    const std::string cmd = std::string(REGENTCTL_BINARY) + " --endpoints=" + server_.endpoint() +
                            " --dial-timeout=2s --command-timeout=5s " + args + " <" + in + " >" +
                            out + " 2>" + err;
    const int status = std::system(cmd.c_str());
    CtlRun r{.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1,
             .out = read_all(out),
             .err = read_all(err)};
    std::system(("rm -rf " + std::string(dir)).c_str());
    return r;
  }

  FakeAuthServer server_;
};

TEST_F(RegentctlAuthTest, UserFlagFormsAllLogIn) {
  EXPECT_EQ(ctl("--user=alice:secret get a").exit_code, 0);
  EXPECT_EQ(ctl("--user=alice --password=secret get a").exit_code, 0);
  // No password in the flags and stdin not a terminal: one line of stdin.
  EXPECT_EQ(ctl("--user=alice get a", "secret\n").exit_code, 0);
  EXPECT_EQ(server_.authenticates(), 3);
  for (const auto& token : server_.tokens_seen()) EXPECT_FALSE(token.empty());
}

TEST_F(RegentctlAuthTest, AuthErrorsAreEtcdctlsErrorLines) {
  CtlRun wrong = ctl("--user=alice:nope get a");
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(wrong.err, "Error: etcdserver: authentication failed, invalid user ID or password\n");
  CtlRun anonymous = ctl("get a");
  EXPECT_EQ(anonymous.exit_code, 1);
  EXPECT_EQ(anonymous.err, "Error: etcdserver: user name is empty\n");
  CtlRun denied = ctl("--user=alice:secret get secret/x");
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_EQ(denied.err, "Error: etcdserver: permission denied\n");
}

TEST_F(RegentctlAuthTest, RoleGetPrintsEtcdctlsLayout) {
  CtlRun r = ctl("--user=alice:secret role get reader");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Role reader\n"
            "KV Read:\n"
            "\t[a, b) (prefix a)\n"  // etcdctl marks any range that is a prefix's.
            "\t[p/, p0) (prefix p/)\n"
            "\tk\n"
            "KV Write:\n"
            "\t[p/, p0) (prefix p/)\n"
            "\t[z, <open ended>\n");
}

TEST_F(RegentctlAuthTest, UserGetAndAuthStatusPrintEtcdctlsLines) {
  EXPECT_EQ(ctl("--user=alice:secret user get alice").out, "User: alice\nRoles: reader root\n");
  EXPECT_EQ(ctl("--user=alice:secret auth status").out,
            "Authentication Status: true\nAuthRevision: 7\n");
  EXPECT_EQ(ctl("--user=alice:secret user get bob").err,
            "Error: etcdserver: user name not found\n");
}

TEST_F(RegentctlAuthTest, UserAddTakesThePasswordEveryWayEtcdctlDoes) {
  EXPECT_EQ(ctl("--user=alice:secret user add bob:pw1").out, "User bob created\n");
  EXPECT_EQ(ctl("--user=alice:secret user add carol --new-user-password=pw2").out,
            "User carol created\n");
  EXPECT_EQ(ctl("--user=alice:secret user add dave", "pw3\n").out, "User dave created\n");
  EXPECT_EQ(ctl("--user=alice:secret user add erin --no-password").out, "User erin created\n");
  // --user's password and the new one both from stdin: the new user's comes first, as etcdctl
  // reads it before connecting.
  EXPECT_EQ(ctl("--user=alice user add frank", "pw4\nsecret\n").out, "User frank created\n");
  EXPECT_EQ(
      server_.admin_calls(),
      (std::vector<std::string>{"UserAdd bob pw1 no_password=0", "UserAdd carol pw2 no_password=0",
                                "UserAdd dave pw3 no_password=0", "UserAdd erin  no_password=1",
                                "UserAdd frank pw4 no_password=0"}));
}

TEST_F(RegentctlAuthTest, GrantPermissionSendsEtcdctlsRanges) {
  const std::string u = "--user=alice:secret ";
  EXPECT_EQ(ctl(u + "role grant-permission reader read a b").out, "Role reader updated\n");
  EXPECT_EQ(ctl(u + "role grant-permission reader readwrite p/ --prefix").exit_code, 0);
  EXPECT_EQ(ctl(u + "role grant-permission reader WRITE z --from-key").exit_code, 0);
  EXPECT_EQ(ctl(u + "role grant-permission reader read k").exit_code, 0);
  EXPECT_EQ(ctl(u + "role grant-permission reader read '' --prefix").exit_code, 0);
  EXPECT_EQ(server_.admin_calls(),
            (std::vector<std::string>{
                "RoleGrantPermission reader 0 [a, b)", "RoleGrantPermission reader 2 [p/, p0)",
                "RoleGrantPermission reader 1 [z, \\0)", "RoleGrantPermission reader 0 [k, )",
                std::string("RoleGrantPermission reader 0 [") + '\0' + ", \\0)"}));
  CtlRun bad = ctl(u + "role grant-permission reader rw k");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "Error: invalid permission type: rw\n");
}

TEST_F(RegentctlAuthTest, RevokePermissionNamesTheKeyOrRange) {
  const std::string u = "--user=alice:secret role revoke-permission reader ";
  EXPECT_EQ(ctl(u + "k").out, "Permission of key k is revoked from role reader\n");
  EXPECT_EQ(ctl(u + "a b").out, "Permission of range [a, b) is revoked from role reader\n");
  EXPECT_EQ(ctl(u + "z --from-key").out,
            "Permission of range [z, <open ended> is revoked from role reader\n");
}

TEST_F(RegentctlAuthTest, AuthEnableGivesRootItsRoleFirst) {
  CtlRun r = ctl("auth enable");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Authentication Enabled\n");
  EXPECT_EQ(server_.admin_calls(),
            (std::vector<std::string>{"AuthEnable", "RoleAdd root", "UserGrantRole root root",
                                      "AuthEnable"}));
}

}  // namespace
}  // namespace regent::client::testing
