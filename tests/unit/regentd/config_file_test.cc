// regentd --config-file: etcd's keys read into regentd's flags, and every kind of bad file refused
// with the file and the key named.
#include "config_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace regent::regentd {
namespace {

TEST(ConfigFile, EtcdKeysBecomeFlags) {
  auto file = parse_config_yaml(R"(
# As etcd's etcd.conf.yml.sample writes them.
name: 'infra1'
data-dir: /var/lib/regent
listen-peer-urls: http://10.0.0.1:2380
listen-client-urls: http://10.0.0.1:2379,http://127.0.0.1:2379
initial-advertise-peer-urls: http://10.0.0.1:2380
advertise-client-urls: http://10.0.0.1:2379
initial-cluster: infra1=http://10.0.0.1:2380,infra2=http://10.0.0.2:2380
initial-cluster-state: 'new'
initial-cluster-token: 'etcd-cluster-1'
heartbeat-interval: 100
election-timeout: 1000
snapshot-count: 10000
max-request-bytes: 1572864
listen-metrics-urls: [http://10.0.0.1:2381, http://127.0.0.1:2381]
log-level: warn
logger: zap
experimental-watch-progress-notify-interval: 600000000000
)",
                                "f.yml");
  ASSERT_TRUE(file.has_value()) << file.error();
  std::vector<std::pair<std::string, std::string>> got;
  for (const FlagValue& v : file->values) got.emplace_back(v.flag, v.value);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"name", "infra1"},
      {"data-dir", "/var/lib/regent"},
      {"listen-peer-urls", "http://10.0.0.1:2380"},
      {"listen-client-urls", "http://10.0.0.1:2379,http://127.0.0.1:2379"},
      {"initial-advertise-peer-urls", "http://10.0.0.1:2380"},
      {"advertise-client-urls", "http://10.0.0.1:2379"},
      {"initial-cluster", "infra1=http://10.0.0.1:2380,infra2=http://10.0.0.2:2380"},
      {"initial-cluster-state", "new"},
      {"initial-cluster-token", "etcd-cluster-1"},
      {"heartbeat-interval", "100"},
      {"election-timeout", "1000"},
      {"snapshot-count", "10000"},
      {"max-request-bytes", "1572864"},
      {"listen-metrics-urls", "http://10.0.0.1:2381,http://127.0.0.1:2381"},
      {"log-level", "warn"},
      {"logger", "zap"},
      // etcd's YAML spells a duration as integer nanoseconds.
      {"experimental-watch-progress-notify-interval", "600000000000ns"},
  };
  EXPECT_EQ(got, want);
  EXPECT_TRUE(file->warnings.empty());
  EXPECT_EQ(file->values[0].origin, "config file f.yml: key name");
}

TEST(ConfigFile, NullAndEmptyMeanTheDefault) {
  auto file = parse_config_yaml("data-dir:\nname: ''\nwal-dir:\ncors:\n", "f.yml");
  ASSERT_TRUE(file.has_value()) << file.error();
  EXPECT_TRUE(file->values.empty());
  EXPECT_TRUE(parse_config_yaml("", "f.yml").has_value());  // Every default, as etcd.
}

// etcd's sample file spells out etcd's defaults for settings Regent lacks; those are accepted
// without a word, other values of tuning settings only warned about.
TEST(ConfigFile, EtcdDefaultsOfUnimplementedSettingsAreAccepted) {
  auto file = parse_config_yaml(R"(
wal-dir:
max-snapshots: 5
max-wals: 5
discovery-fallback: 'proxy'
enable-v2: false
proxy: 'off'
auto-compaction-retention: "0"
log-outputs: [stderr]
client-transport-security:
  crl-file:
peer-transport-security:
  crl-file:
)",
                                "f.yml");
  ASSERT_TRUE(file.has_value()) << file.error();
  EXPECT_TRUE(file->values.empty());
  EXPECT_TRUE(file->warnings.empty());

  auto tuned = parse_config_yaml("max-wals: 9\nenable-pprof: true\n", "f.yml");
  ASSERT_TRUE(tuned.has_value()) << tuned.error();
  ASSERT_EQ(tuned->warnings.size(), 2u);
  EXPECT_NE(tuned->warnings[0].find("config file f.yml: key max-wals: \"9\" ignored"),
            std::string::npos)
      << tuned->warnings[0];
}

struct BadCase {
  const char* name;
  const char* yaml;
  const char* error;  // A part of the message.
};

TEST(ConfigFile, BadFilesAreRefusedNamingFileAndKey) {
  const BadCase cases[] = {
      {"unknown key", "name: a\nbogus-key: 1\n",
       "config file f.yml: unknown key \"bogus-key\" (neither a regentd flag nor an etcd 3.4"},
      {"misspelt etcd key", "data_dir: /x\n", "unknown key \"data_dir\""},
      {"list for a single value", "name: [a, b]\n",
       "config file f.yml: key name: expects a single value, not a list"},
      {"mapping for a value", "heartbeat-interval: {a: 1}\n",
       "key heartbeat-interval: expects a value, not a mapping"},
      {"nested list", "listen-client-urls: [[a]]\n", "key listen-client-urls: expects a list"},
      {"top level not a mapping", "- name\n- data-dir\n", "the top level must be a mapping"},
      {"malformed", "name: [a\n", "config file f.yml: malformed YAML at line 2, column 1"},
      {"bad indentation", "name: a\n  data-dir: b\n", "malformed YAML at line 2"},
      {"duplicate key", "name: a\nname: b\n", "key name appears twice"},
      {"nested config file", "config-file: other.yml\n", "cannot name another one"},
      {"revocation list asked for", "client-crl-file: /etc/ssl/crl.pem\n",
       "key client-crl-file: \"/etc/ssl/crl.pem\" is refused: etcd's client-crl-file is not "
       "implemented (Regent checks no certificate revocation lists)"},
      {"revocation list in the mapping", "peer-transport-security:\n  crl-file: /crl.pem\n",
       "key peer-transport-security.crl-file: \"/crl.pem\" is refused"},
      {"unknown key in the mapping", "peer-transport-security:\n  bogus: 1\n",
       "unknown key \"peer-transport-security.bogus\""},
      {"a value for the mapping", "client-transport-security: true\n",
       "key client-transport-security: expects a mapping of TLS settings"},
      {"separate WAL directory", "wal-dir: /wal\n", "etcd's wal-dir is not implemented"},
      {"auto-compaction", "auto-compaction-retention: \"1\"\n", "does not compact automatically"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto file = parse_config_yaml(c.yaml, "f.yml");
    ASSERT_FALSE(file.has_value());
    EXPECT_NE(file.error().find(c.error), std::string::npos) << file.error();
  }
}

TEST(ConfigFile, UnreadableFilesAreRefusedNamingThePath) {
  auto missing = read_config_file("/nonexistent/regentd.yml");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error(),
            "config file /nonexistent/regentd.yml: cannot be read: No such file or directory");
  auto directory = read_config_file("/tmp");
  ASSERT_FALSE(directory.has_value());
  EXPECT_NE(directory.error().find("Is a directory"), std::string::npos) << directory.error();
}

TEST(ConfigFile, ReadsAFile) {
  char path[] = "/tmp/regentd-config-test-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "name: from-file\n";
  auto file = read_config_file(path);
  unlink(path);
  ASSERT_TRUE(file.has_value()) << file.error();
  ASSERT_EQ(file->values.size(), 1u);
  EXPECT_EQ(file->values[0].value, "from-file");
}

}  // namespace
}  // namespace regent::regentd
