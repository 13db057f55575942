// Where regentd's settings come from: command line, config file, environment, in etcd's order.
#include "settings.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace regent::regentd {
namespace {

// A config file that lives as long as the test.
class TempConfig {
 public:
  explicit TempConfig(const std::string& text) {
    char path[] = "/tmp/regentd-settings-test-XXXXXX";
    const int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = path;
    std::ofstream(path_) << text;
  }
  ~TempConfig() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

bool has_notice(const Loaded& loaded, LogLevel level, const std::string& part) {
  for (const Notice& n : loaded.notices) {
    if (n.level == level && n.text.find(part) != std::string::npos) return true;
  }
  return false;
}

TEST(Settings, CommandLineAlone) {
  auto loaded = load_settings({"regentd", "--name", "n1", "--heartbeat-interval", "50",
                               "--listen-client-urls", "http://127.0.0.1:1,http://127.0.0.1:2",
                               "--experimental-watch-progress-notify-interval", "30s"},
                              {});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().text;
  const auto& s = loaded->settings;
  EXPECT_EQ(s.server.cluster.name, "n1");
  EXPECT_EQ(s.server.heartbeat_interval, std::chrono::milliseconds(50));
  EXPECT_EQ(s.server.cluster.listen_client_urls.size(), 2u);
  EXPECT_EQ(s.server.watch_progress_notify_interval, std::chrono::seconds(30));
  EXPECT_EQ(s.logger, "capnslog");
  EXPECT_TRUE(loaded->notices.empty());
}

TEST(Settings, QuotaCorruptionChecksAndForceNewClusterFromEverySource) {
  auto flags = load_settings(
      {"regentd", "--quota-backend-bytes", "-1", "--experimental-initial-corrupt-check",
       "--experimental-corrupt-check-time", "2m"},
      {});
  ASSERT_TRUE(flags.has_value()) << flags.error().text;
  EXPECT_EQ(flags->settings.server.quota_backend_bytes, -1);
  EXPECT_TRUE(flags->settings.server.initial_corrupt_check);
  EXPECT_EQ(flags->settings.server.corrupt_check_interval, std::chrono::minutes(2));

  auto env = load_settings(
      {"regentd"}, {"ETCD_QUOTA_BACKEND_BYTES=8589934592",
                    "ETCD_EXPERIMENTAL_CORRUPT_CHECK_TIME=30s", "ETCD_FORCE_NEW_CLUSTER=true"});
  ASSERT_TRUE(env.has_value()) << env.error().text;
  EXPECT_EQ(env->settings.server.quota_backend_bytes, int64_t{8} << 30);
  EXPECT_EQ(env->settings.server.corrupt_check_interval, std::chrono::seconds(30));
  EXPECT_FALSE(env->settings.server.initial_corrupt_check);
  EXPECT_TRUE(env->settings.server.force_new_cluster);

  TempConfig file("quota-backend-bytes: 1048576\nexperimental-initial-corrupt-check: true\n");
  auto yaml = load_settings({"regentd", "--config-file", file.path()}, {});
  ASSERT_TRUE(yaml.has_value()) << yaml.error().text;
  EXPECT_EQ(yaml->settings.server.quota_backend_bytes, 1 << 20);
  EXPECT_TRUE(yaml->settings.server.initial_corrupt_check);

  EXPECT_FALSE(load_settings({"regentd", "--quota-backend-bytes", "lots"}, {}).has_value());
  EXPECT_FALSE(
      load_settings({"regentd", "--experimental-corrupt-check-time", "-5s"}, {}).has_value());
}

TEST(Settings, EnvironmentFillsWhatTheCommandLineLeaves) {
  auto loaded = load_settings({"regentd", "--data-dir", "/d"},
                              {"ETCD_NAME=n2", "ETCD_ELECTION_TIMEOUT=2000",
                               "REGENT_CAMPAIGN_ON_LEADER_DOWN=false", "ETCD_LOGGER=zap"});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().text;
  const auto& s = loaded->settings;
  EXPECT_EQ(s.server.cluster.name, "n2");
  EXPECT_EQ(s.server.data_dir, "/d");
  EXPECT_EQ(s.server.election_timeout, std::chrono::milliseconds(2000));
  EXPECT_FALSE(s.server.campaign_on_leader_down);
  EXPECT_EQ(s.logger, "zap");
  EXPECT_TRUE(has_notice(*loaded, LogLevel::kInfo,
                         "recognized and used environment variable ETCD_NAME=n2"));
}

TEST(Settings, ConfigFileIsTheWholeConfiguration) {
  TempConfig config("name: from-file\nheartbeat-interval: 200\nlog-level: fatal\n");
  auto loaded = load_settings({"regentd", "--config-file", config.path(), "--data-dir", "/flag"},
                              {"ETCD_ELECTION_TIMEOUT=3000", "ETCD_FOO=1"});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().text;
  const auto& s = loaded->settings;
  EXPECT_EQ(s.server.cluster.name, "from-file");
  EXPECT_EQ(s.server.heartbeat_interval, std::chrono::milliseconds(200));
  EXPECT_EQ(s.server.data_dir, "");                                       // The flag: ignored.
  EXPECT_EQ(s.server.election_timeout, std::chrono::milliseconds(1000));  // The variable too.
  EXPECT_EQ(s.log_level, "fatal");
  EXPECT_TRUE(has_notice(*loaded, LogLevel::kWarning, "flag --data-dir ignored"));
  EXPECT_TRUE(has_notice(*loaded, LogLevel::kInfo, "loaded server configuration from"));
  // etcd does not look at the environment at all then: no warning about ETCD_FOO.
  EXPECT_FALSE(has_notice(*loaded, LogLevel::kWarning, "ETCD_FOO"));
}

TEST(Settings, ConfigFileFromTheEnvironment) {
  TempConfig config("name: via-env\n");
  auto loaded = load_settings({"regentd"}, {"ETCD_CONFIG_FILE=" + config.path()});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().text;
  EXPECT_EQ(loaded->settings.server.cluster.name, "via-env");
  auto ours = load_settings({"regentd"}, {"REGENT_CONFIG_FILE=" + config.path()});
  ASSERT_TRUE(ours.has_value()) << ours.error().text;
  EXPECT_EQ(ours->settings.server.cluster.name, "via-env");
}

TEST(Settings, BadValuesNameTheirSource) {
  TempConfig wrong_type("heartbeat-interval: abc\n");
  TempConfig wrong_range("election-timeout: 0\n");
  TempConfig wrong_bool("campaign-on-leader-down: maybe\n");
  TempConfig wrong_level("log-level: loud\n");
  TempConfig wrong_logger("logger: capnslog2\n");
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> environment;
    std::string error;
  };
  const Case cases[] = {
      {{"regentd", "--config-file", wrong_type.path()},
       {},
       "config file " + wrong_type.path() + ": key heartbeat-interval: invalid value \"abc\""},
      {{"regentd", "--config-file", wrong_range.path()},
       {},
       "key election-timeout: invalid value \"0\""},
      {{"regentd", "--config-file", wrong_bool.path()},
       {},
       "key campaign-on-leader-down: invalid value \"maybe\""},
      {{"regentd", "--config-file", wrong_level.path()},
       {},
       "key log-level: invalid value \"loud\""},
      {{"regentd", "--config-file", wrong_logger.path()}, {}, "key logger: invalid value"},
      {{"regentd"},
       {"ETCD_HEARTBEAT_INTERVAL=xyz"},
       "ETCD_HEARTBEAT_INTERVAL: invalid value \"xyz\""},
      {{"regentd"},
       {"ETCD_EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL=10"},
       "ETCD_EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL: invalid value \"10\""},
      {{"regentd"}, {"REGENT_MAX_TXN_OPS=-1"}, "REGENT_MAX_TXN_OPS: invalid value \"-1\""},
      {{"regentd"}, {"ETCD_SNAPSHOT_COUNT=-1"}, "ETCD_SNAPSHOT_COUNT: invalid value \"-1\""},
      {{"regentd"},
       {"ETCD_SNAPSHOT_COUNT=99999999999999999999"},
       "ETCD_SNAPSHOT_COUNT: invalid value \"99999999999999999999\""},
      {{"regentd"}, {"ETCD_MAX_REQUEST_BYTES=1.5"}, "ETCD_MAX_REQUEST_BYTES: invalid value"},
      {{"regentd", "--name", "a"}, {"ETCD_NAME=b"}, "conflicting environment variable ETCD_NAME"},
      {{"regentd", "--config-file", "/nonexistent.yml"},
       {},
       "config file /nonexistent.yml: cannot be read"},
      {{"regentd"},
       {"ETCD_CONFIG_FILE=/a.yml", "REGENT_CONFIG_FILE=/b.yml"},
       "REGENT_CONFIG_FILE=/b.yml and ETCD_CONFIG_FILE=/a.yml disagree"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.error);
    auto loaded = load_settings(c.args, c.environment);
    ASSERT_FALSE(loaded.has_value());
    EXPECT_EQ(loaded.error().exit_code, 1);
    EXPECT_NE(loaded.error().text.find(c.error), std::string::npos) << loaded.error().text;
  }
}

TEST(Settings, CommandLineErrorsAndHelp) {
  auto bad = load_settings({"regentd", "--no-such-flag"}, {});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().exit_code, 0);
  EXPECT_NE(bad.error().text.find("--no-such-flag"), std::string::npos);
  auto help = load_settings({"regentd", "--help"}, {});
  ASSERT_FALSE(help.has_value());
  EXPECT_TRUE(help.error().is_help);
  EXPECT_EQ(help.error().exit_code, 0);
  EXPECT_NE(help.error().text.find("--config-file"), std::string::npos);
}

}  // namespace
}  // namespace regent::regentd

namespace regent::regentd {
namespace {

// packaging/ ships a config file and an environment file for a unit; both must be accepted and
// say the same thing.
TEST(Settings, PackagingSamplesAreAccepted) {
  const std::string dir = REGENT_PACKAGING_DIR;
  auto from_file = load_settings({"regentd", "--config-file", dir + "/regentd.conf.yml"}, {});
  ASSERT_TRUE(from_file.has_value()) << from_file.error().text;

  std::vector<std::string> environment;
  std::ifstream in(dir + "/regentd.default");
  ASSERT_TRUE(in.good());
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') environment.push_back(line);
  }
  auto from_env = load_settings({"regentd"}, environment);
  ASSERT_TRUE(from_env.has_value()) << from_env.error().text;

  const auto& a = from_file->settings.server;
  const auto& b = from_env->settings.server;
  EXPECT_EQ(a.cluster.name, "infra1");
  EXPECT_EQ(a.cluster.name, b.cluster.name);
  EXPECT_EQ(a.data_dir, b.data_dir);
  EXPECT_EQ(a.cluster.listen_client_urls, b.cluster.listen_client_urls);
  EXPECT_EQ(a.cluster.initial_cluster, b.cluster.initial_cluster);
  EXPECT_EQ(a.cluster.initial_cluster_token, b.cluster.initial_cluster_token);
}

}  // namespace
}  // namespace regent::regentd

namespace regent::regentd {
namespace {

// etcd's TLS flags mean the same from all three sources; the booleans are flags ("--auto-tls"
// alone), and the config file takes etcd's client-/peer-transport-security mappings.
void expect_tls(const Settings& s) {
  const tls::TlsFlags& c = s.server.security.client;
  EXPECT_EQ(c.cert_file, "/tls/server.pem");
  EXPECT_EQ(c.key_file, "/tls/server-key.pem");
  EXPECT_EQ(c.trusted_ca_file, "/tls/ca.pem");
  EXPECT_TRUE(c.client_cert_auth);
  EXPECT_FALSE(c.auto_tls);
  const tls::TlsFlags& p = s.server.security.peer;
  EXPECT_EQ(p.cert_file, "/tls/peer.pem");
  EXPECT_EQ(p.key_file, "/tls/peer-key.pem");
  EXPECT_EQ(p.trusted_ca_file, "/tls/ca.pem");
  EXPECT_TRUE(p.client_cert_auth);
  EXPECT_EQ(p.allowed_cn, "member");
}

TEST(Settings, TlsFlagsFromTheCommandLine) {
  auto loaded = load_settings(
      {"regentd", "--cert-file", "/tls/server.pem", "--key-file=/tls/server-key.pem",
       "--trusted-ca-file", "/tls/ca.pem", "--client-cert-auth", "--peer-cert-file",
       "/tls/peer.pem", "--peer-key-file", "/tls/peer-key.pem", "--peer-trusted-ca-file",
       "/tls/ca.pem", "--peer-client-cert-auth=true", "--peer-cert-allowed-cn", "member"},
      {});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().text;
  expect_tls(loaded->settings);
}

TEST(Settings, TlsFlagsFromTheEnvironment) {
  auto loaded = load_settings(
      {"regentd"}, {"ETCD_CERT_FILE=/tls/server.pem", "ETCD_KEY_FILE=/tls/server-key.pem",
                    "ETCD_TRUSTED_CA_FILE=/tls/ca.pem", "ETCD_CLIENT_CERT_AUTH=true",
                    "ETCD_PEER_CERT_FILE=/tls/peer.pem", "ETCD_PEER_KEY_FILE=/tls/peer-key.pem",
                    "ETCD_PEER_TRUSTED_CA_FILE=/tls/ca.pem", "ETCD_PEER_CLIENT_CERT_AUTH=true",
                    "ETCD_PEER_CERT_ALLOWED_CN=member", "ETCD_AUTO_TLS=false"});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().text;
  expect_tls(loaded->settings);
}

TEST(Settings, TlsFlagsFromEtcdsConfigFileMappings) {
  TempConfig config(
      "client-transport-security:\n"
      "  cert-file: /tls/server.pem\n"
      "  key-file: /tls/server-key.pem\n"
      "  client-cert-auth: true\n"
      "  trusted-ca-file: /tls/ca.pem\n"
      "  auto-tls: false\n"
      "peer-transport-security:\n"
      "  cert-file: /tls/peer.pem\n"
      "  key-file: /tls/peer-key.pem\n"
      "  client-cert-auth: true\n"
      "  trusted-ca-file: /tls/ca.pem\n"
      "  auto-tls: false\n"
      "peer-cert-allowed-cn: member\n");
  auto loaded = load_settings({"regentd", "--config-file", config.path()}, {});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().text;
  expect_tls(loaded->settings);
}

TEST(Settings, AutoTlsAsAFlag) {
  auto loaded = load_settings({"regentd", "--auto-tls", "--peer-auto-tls"}, {});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().text;
  EXPECT_TRUE(loaded->settings.server.security.client.auto_tls);
  EXPECT_TRUE(loaded->settings.server.security.peer.auto_tls);
  auto bad = load_settings({"regentd"}, {"ETCD_AUTO_TLS=maybe"});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().text.find("ETCD_AUTO_TLS"), std::string::npos) << bad.error().text;
}

}  // namespace
}  // namespace regent::regentd
