// ETCD_* and REGENT_* variables into regentd's flags, by etcd 3.4's rules.
#include "env_flags.h"

#include <gtest/gtest.h>

namespace regent::regentd {
namespace {

std::vector<std::pair<std::string, std::string>> values_of(const EnvScan& scan) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const FlagValue& v : scan.values) out.emplace_back(v.flag, v.value);
  return out;
}

TEST(EnvFlags, Names) {
  EXPECT_EQ(env_name("ETCD_", "initial-cluster"), "ETCD_INITIAL_CLUSTER");
  EXPECT_EQ(env_name("REGENT_", "campaign-on-leader-down"), "REGENT_CAMPAIGN_ON_LEADER_DOWN");
}

// What an etcd unit's environment file sets (etcd's docs, "Configuration flags").
TEST(EnvFlags, EtcdUnitEnvironmentSetsTheFlags) {
  auto scan = scan_environment(
      {"PATH=/usr/bin", "ETCD_NAME=infra1", "ETCD_DATA_DIR=/var/lib/etcd",
       "ETCD_INITIAL_CLUSTER=infra1=http://10.0.0.1:2380", "ETCD_INITIAL_CLUSTER_STATE=new",
       "ETCD_LISTEN_CLIENT_URLS=http://10.0.0.1:2379,http://127.0.0.1:2379",
       "ETCD_HEARTBEAT_INTERVAL=100", "ETCDCTL_API=3"},
      {});
  ASSERT_TRUE(scan.has_value()) << scan.error();
  const std::vector<std::pair<std::string, std::string>> want = {
      {"data-dir", "/var/lib/etcd"},
      {"heartbeat-interval", "100"},
      {"initial-cluster", "infra1=http://10.0.0.1:2380"},
      {"initial-cluster-state", "new"},
      {"listen-client-urls", "http://10.0.0.1:2379,http://127.0.0.1:2379"},
      {"name", "infra1"},
  };
  EXPECT_EQ(values_of(*scan), want);
  EXPECT_TRUE(scan->warnings.empty());
  ASSERT_EQ(scan->used.size(), 6u);
  EXPECT_EQ(scan->used[1], "recognized and used environment variable ETCD_DATA_DIR=/var/lib/etcd");
  EXPECT_EQ(scan->values.back().origin, "ETCD_NAME");
}

TEST(EnvFlags, RegentPrefixReachesEveryFlag) {
  auto scan = scan_environment(
      {"REGENT_CAMPAIGN_ON_LEADER_DOWN=false", "REGENT_E2E_TMP=/tmp/x", "REGENT_NAME=n1"}, {});
  ASSERT_TRUE(scan.has_value()) << scan.error();
  const std::vector<std::pair<std::string, std::string>> want = {
      {"campaign-on-leader-down", "false"}, {"name", "n1"}};
  EXPECT_EQ(values_of(*scan), want);
  EXPECT_TRUE(scan->warnings.empty());  // REGENT_E2E_TMP belongs to the tests: left alone.
}

TEST(EnvFlags, UnknownEtcdVariablesAreWarnedAbout) {
  auto scan = scan_environment(
      {"ETCD_FOO_BAR=1", "ETCD_CAMPAIGN_ON_LEADER_DOWN=true", "ETCD_MAX_WALS=9", "ETCD_WAL_DIR="},
      {});
  ASSERT_TRUE(scan.has_value()) << scan.error();
  EXPECT_TRUE(scan->values.empty());
  ASSERT_EQ(scan->warnings.size(), 3u);
  EXPECT_EQ(scan->warnings[0], "unrecognized environment variable ETCD_FOO_BAR=1");
  // A Regent-only flag under etcd's prefix is not etcd's: unrecognized, as etcd would say.
  EXPECT_EQ(scan->warnings[1],
            "unrecognized environment variable ETCD_CAMPAIGN_ON_LEADER_DOWN=true");
  EXPECT_NE(scan->warnings[2].find("ETCD_MAX_WALS: \"9\" ignored"), std::string::npos);
}

TEST(EnvFlags, EmptyVariableIsUnset) {
  auto scan = scan_environment({"ETCD_NAME=", "REGENT_DATA_DIR="}, {"name"});
  ASSERT_TRUE(scan.has_value()) << scan.error();
  EXPECT_TRUE(scan->values.empty());
}

TEST(EnvFlags, BothPrefixesAgreeing) {
  auto scan = scan_environment({"ETCD_NAME=n1", "REGENT_NAME=n1"}, {});
  ASSERT_TRUE(scan.has_value()) << scan.error();
  ASSERT_EQ(scan->values.size(), 1u);
}

TEST(EnvFlags, RefusedCases) {
  struct Case {
    std::vector<std::string> environment;
    std::set<std::string> given;
    const char* error;
  };
  const Case cases[] = {
      {{"ETCD_NAME=a"},
       {"name"},
       "conflicting environment variable ETCD_NAME is shadowed by corresponding command-line "
       "flag --name"},
      {{"REGENT_SNAPSHOT_COUNT=5"}, {"snapshot-count"}, "REGENT_SNAPSHOT_COUNT is shadowed"},
      {{"ETCD_NAME=a", "REGENT_NAME=b"}, {}, "ETCD_NAME=a and REGENT_NAME=b disagree"},
      {{"ETCD_CLIENT_CRL_FILE=/c.pem"}, {}, "ETCD_CLIENT_CRL_FILE: \"/c.pem\" is refused"},
      {{"ETCD_DISCOVERY=https://d.example/x"}, {}, "etcd's discovery is not implemented"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.error);
    auto scan = scan_environment(c.environment, c.given);
    ASSERT_FALSE(scan.has_value());
    EXPECT_NE(scan.error().find(c.error), std::string::npos) << scan.error();
  }
}

TEST(EnvFlags, Lookup) {
  const std::vector<std::string> env = {"ETCD_NAMES=x", "ETCD_NAME=n1", "A=b=c"};
  EXPECT_EQ(lookup_env(env, "ETCD_NAME"), "n1");
  EXPECT_EQ(lookup_env(env, "A"), "b=c");
  EXPECT_EQ(lookup_env(env, "ETCD"), "");
}

}  // namespace
}  // namespace regent::regentd
