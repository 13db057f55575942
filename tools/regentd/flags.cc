#include "flags.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "server/duration_flag.h"

namespace regent::regentd {
namespace {

// A Go duration at least `min`; CLI11 validators answer an empty string for "valid".
CLI::Validator duration_at_least(std::chrono::nanoseconds min, std::string what) {
  return CLI::Validator(
      [min, what](const std::string& text) {
        auto d = server::parse_duration(text);
        if (!d) return d.error();
        return *d < min ? what : std::string();
      },
      "DURATION");
}

// Digits only, within uint64: CLI11's own conversion takes "-1" for an unsigned flag (as the
// largest value) and clamps what overflows, so "snapshot-count: -1" would pass unnoticed.
CLI::Validator unsigned_integer() {
  return CLI::Validator(
      [](const std::string& text) {
        uint64_t value = 0;
        const char* end = text.data() + text.size();
        auto [ptr, ec] = std::from_chars(text.data(), end, value);
        if (text.empty() || ec != std::errc() || ptr != end) {
          return "Value " + text + " is not a whole number from 0 to 18446744073709551615";
        }
        return std::string();
      },
      "");
}

void add_cluster_flags(CLI::App& app, server::ClusterFlags& c) {
  app.add_option("--name", c.name, "Human-readable name of this member")->capture_default_str();
  app.add_option("--listen-client-urls", c.listen_client_urls, "URLs to serve clients on")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--advertise-client-urls", c.advertise_client_urls,
                 "Client URLs told to the cluster (default: the listen URLs)")
      ->delimiter(',');
  app.add_option("--listen-peer-urls", c.listen_peer_urls, "URL to listen to peers on")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--initial-advertise-peer-urls", c.initial_advertise_peer_urls,
                 "This member's peer URLs as --initial-cluster gives them")
      ->delimiter(',');
  app.add_option("--initial-cluster", c.initial_cluster,
                 "Every member at bootstrap: name=http://host:port,...");
  app.add_option("--initial-cluster-token", c.initial_cluster_token,
                 "Distinguishes clusters started from the same URLs")
      ->capture_default_str();
  app.add_option("--initial-cluster-state", c.initial_cluster_state, "new or existing")
      ->capture_default_str();
}

// etcd's TLS flags (docs/OPERATIONS.md, "TLS"). The booleans are flags, as etcd's: "--auto-tls"
// alone means true, and "--auto-tls=false" (how a config file or variable is applied) false.
void add_tls_flags(CLI::App& app, tls::TlsFlags& t, const std::string& prefix,
                   const std::string& side) {
  app.add_option("--" + prefix + "cert-file", t.cert_file,
                 "Certificate (PEM) served on the " + side + " port's https:// URLs");
  app.add_option("--" + prefix + "key-file", t.key_file, "Key of --" + prefix + "cert-file");
  app.add_option("--" + prefix + "trusted-ca-file", t.trusted_ca_file,
                 "CA (PEM) that " + side + " certificates must be signed by");
  app.add_flag(
      "--" + prefix + "client-cert-auth", t.client_cert_auth,
      "Refuse " + side + " connections without a certificate from --" + prefix + "trusted-ca-file");
  app.add_flag("--" + prefix + "auto-tls", t.auto_tls,
               "Serve a self-signed certificate generated at start (encrypts, does not "
               "authenticate)");
}

void add_tuning_flags(CLI::App& app, Settings& s) {
  server::ServerOptions& o = s.server;
  app.add_option("--heartbeat-interval", s.heartbeat_ms, "Milliseconds between heartbeats")
      ->capture_default_str()
      ->check(CLI::Range(1, 60000));
  app.add_option("--election-timeout", s.election_ms, "Milliseconds before a follower campaigns")
      ->capture_default_str()
      ->check(CLI::Range(5, 600000));
  app.add_option("--snapshot-count", o.snapshot_count, "Applied entries between two snapshots")
      ->capture_default_str()
      ->check(unsigned_integer());
  app.add_option("--snapshot-catchup-entries", o.snapshot_catchup_entries,
                 "Entries kept after a snapshot for slow followers")
      ->capture_default_str()
      ->check(unsigned_integer());
  app.add_option("--max-request-bytes", o.max_request_bytes, "Largest client request accepted")
      ->capture_default_str()
      ->check(unsigned_integer())
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 30));
  app.add_option("--max-txn-ops", o.max_txn_ops, "Most operations in one txn")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--auth-token", s.auth_token,
                 "Kind of auth token: simple (etcd's jwt tokens are not supported)")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            if (v == "simple") return {};
            return "'" + v + "': only simple tokens are supported (etcd's jwt is not)";
          },
          "simple", "auth token kind"));
  app.add_option("--auth-token-ttl", s.auth_token_ttl_seconds,
                 "Seconds a simple token stays valid while unused")
      ->capture_default_str()
      ->check(CLI::Range(1, 100'000'000));
  app.add_option("--bcrypt-cost", o.bcrypt_cost, "bcrypt's cost for hashing passwords")
      ->capture_default_str()
      ->check(CLI::Range(4, 31));
  app.add_option("--experimental-watch-progress-notify-interval", s.progress_interval,
                 "Between progress notifications to idle watchers that ask for them (Go "
                 "duration: 10m, 30s, 500ms)")
      ->capture_default_str()
      ->check(duration_at_least(std::chrono::milliseconds(1), "must be at least 1ms"));
  app.add_option("--experimental-lease-checkpoint-interval", s.lease_checkpoint_interval,
                 "How far a lease's recorded remaining TTL may drift from the leader's clock "
                 "before the leader records it through the log (Go duration; 0: never)")
      ->capture_default_str()
      ->check(duration_at_least(std::chrono::nanoseconds(0), ""));
  app.add_option("--quota-backend-bytes", o.quota_backend_bytes,
                 "Raise a NOSPACE alarm and refuse writes that need space once the store's size "
                 "in use would pass this (0: etcd's default, 2 GiB; negative: no quota)")
      ->capture_default_str();
  app.add_flag("--experimental-initial-corrupt-check", o.initial_corrupt_check,
               "Before serving, compare this member's store hash with its peers' at the same "
               "revision, and refuse to start on a mismatch");
  app.add_option("--experimental-corrupt-check-time", s.corrupt_check_time,
                 "How often the leader compares the members' store hashes; a mismatch raises a "
                 "CORRUPT alarm (Go duration; 0: never)")
      ->capture_default_str()
      ->check(duration_at_least(std::chrono::nanoseconds(0), ""));
  app.add_flag("--force-new-cluster", o.force_new_cluster,
               "Disaster recovery: restart this member on its data dir as a cluster of one, "
               "removing every other member through the log (etcd's flag)");
  app.add_option("--strict-reconfig-check", o.strict_reconfig_check,
                 "Refuse a membership change that could cost the cluster its quorum (adding a "
                 "voter or removing one while too few members are active), as etcd")
      ->capture_default_str();
  app.add_option("--campaign-on-leader-down", o.campaign_on_leader_down,
                 "Campaign as soon as the leader's process is seen gone (its peer connection "
                 "broke and it refuses new ones) rather than after the election timeout; a "
                 "pre-vote keeps a live leader in place")
      ->capture_default_str();
}

void add_operator_flags(CLI::App& app, Settings& s) {
  app.add_option("--data-dir", s.server.data_dir, "Data directory (default: <name>.regent)");
  app.add_option("--listen-metrics-urls", s.server.listen_metrics_urls,
                 "More URLs to serve /metrics and /health on (HTTP only, as etcd's)")
      ->delimiter(',');
  // etcd's six levels; Regent has no panic or fatal messages of its own, so those two keep
  // the errors (an error is what Regent logs before it stops).
  app.add_option("--log-level", s.log_level, "debug, info, warn, error, panic or fatal")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warn", "error", "panic", "fatal"}));
  app.add_option("--logger", s.logger,
                 "capnslog: human-readable lines; zap: JSON lines as etcd's zap logger")
      ->capture_default_str()
      ->check(CLI::IsMember({"capnslog", "zap"}));
  app.add_option("--config-file", s.config_file,
                 "YAML file with etcd's config-file keys; when given it is the whole "
                 "configuration: other flags and environment variables are ignored, as etcd");
}

// etcd 3.4's flags that regentd has with the same meaning (etcd --help).
constexpr std::array<std::string_view, 38> kSharedWithEtcd = {
    "name",
    "data-dir",
    "listen-client-urls",
    "advertise-client-urls",
    "listen-peer-urls",
    "initial-advertise-peer-urls",
    "initial-cluster",
    "initial-cluster-token",
    "initial-cluster-state",
    "listen-metrics-urls",
    "heartbeat-interval",
    "election-timeout",
    "snapshot-count",
    "max-request-bytes",
    "max-txn-ops",
    "auth-token",
    "auth-token-ttl",
    "bcrypt-cost",
    "strict-reconfig-check",
    "quota-backend-bytes",
    "experimental-initial-corrupt-check",
    "experimental-corrupt-check-time",
    "force-new-cluster",
    "experimental-watch-progress-notify-interval",
    "log-level",
    "logger",
    "config-file",
    "cert-file",
    "key-file",
    "trusted-ca-file",
    "client-cert-auth",
    "auto-tls",
    "peer-cert-file",
    "peer-key-file",
    "peer-trusted-ca-file",
    "peer-client-cert-auth",
    "peer-auto-tls",
    "peer-cert-allowed-cn",
};

}  // namespace

std::unique_ptr<CLI::App> make_app(Settings& settings) {
  auto app = std::make_unique<CLI::App>(
      "regentd: a member of a Regent cluster (Raft + etcd v3 API)", "regentd");
  add_cluster_flags(*app, settings.server.cluster);
  add_tuning_flags(*app, settings);
  add_operator_flags(*app, settings);
  add_tls_flags(*app, settings.server.security.client, "", "client");
  add_tls_flags(*app, settings.server.security.peer, "peer-", "peer");
  app->add_option("--peer-cert-allowed-cn", settings.server.security.peer.allowed_cn,
                  "Common Name a peer's certificate must carry");
  app->footer(
      "Each flag may also be set by the environment: REGENT_<FLAG> (upper case, dashes as "
      "underscores: REGENT_DATA_DIR), and ETCD_<FLAG> for the flags etcd 3.4 has too "
      "(ETCD_INITIAL_CLUSTER). A flag on the command line and its variable together are refused, "
      "as etcd. See docs/OPERATIONS.md.");
  return app;
}

std::optional<FlagKind> flag_kind(std::string_view name) {
  static Settings scratch;
  static const std::unique_ptr<CLI::App> app = make_app(scratch);
  for (const CLI::Option* opt : app->get_options()) {
    const auto& names = opt->get_lnames();
    if (std::find(names.begin(), names.end(), name) == names.end()) continue;
    if (name == "help") return std::nullopt;
    return opt->get_items_expected_max() > 1 ? FlagKind::kList : FlagKind::kScalar;
  }
  return std::nullopt;
}

bool shared_with_etcd(std::string_view name) {
  return std::find(kSharedWithEtcd.begin(), kSharedWithEtcd.end(), name) != kSharedWithEtcd.end();
}

void finish_settings(Settings& s) {
  auto& o = s.server;
  o.heartbeat_interval = std::chrono::milliseconds(s.heartbeat_ms);
  o.election_timeout = std::chrono::milliseconds(s.election_ms);
  o.watch_progress_notify_interval = std::chrono::duration_cast<std::chrono::milliseconds>(
      *server::parse_duration(s.progress_interval));
  o.lease_checkpoint_interval = std::chrono::duration_cast<std::chrono::milliseconds>(
      *server::parse_duration(s.lease_checkpoint_interval));
  o.corrupt_check_interval = std::chrono::duration_cast<std::chrono::milliseconds>(
      *server::parse_duration(s.corrupt_check_time));
  o.auth_token_ttl = std::chrono::seconds(s.auth_token_ttl_seconds);
}

}  // namespace regent::regentd
