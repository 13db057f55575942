#include "etcd_options.h"

#include <fmt/format.h>

namespace regent::regentd {
namespace {

using enum Unsupported;

// From etcd 3.4's `etcd --help` and its config-file struct (embed.Config, etcdmain's proxy
// keys). The TLS pair of maps (client-transport-security, peer-transport-security) is read key by
// key by the config file reader: a key Regent has is its flag, any other is looked up here
// ("crl-file" under client-transport-security as "client-crl-file").
constexpr EtcdOnlyOption kOptions[] = {
    // TLS settings beyond the ones Regent has (docs/OPERATIONS.md, "TLS"): each asks for a
    // check Regent would not make, so it is refused rather than silently skipped.
    {"client-crl-file", "", kRefuse, "checks no certificate revocation lists"},
    {"client-cert-allowed-hostname", "", kRefuse, "checks no allowed client hostname"},
    {"peer-cert-allowed-hostname", "", kRefuse, "checks no allowed peer hostname"},
    {"peer-crl-file", "", kRefuse, "checks no certificate revocation lists"},
    {"cipher-suites", "", kRefuse, "uses OpenSSL's and gRPC's default cipher suites"},
    {"experimental-peer-skip-client-san-verification", "false", kRefuse, "has no such setting"},
    // Where data lives and how much of it: ignoring these changes what is on disk.
    {"wal-dir", "", kRefuse, "keeps its log in <data-dir>/wal and has no --wal-dir"},
    {"auto-compaction-retention", "0|0s", kRefuse,
     "does not compact automatically yet; compact with `etcdctl compact`"},
    {"auto-compaction-mode", "periodic", kRefuse, "does not compact automatically yet"},
    // Bootstrap by other means than --initial-cluster: the member would not find its cluster.
    {"discovery", "", kRefuse, "bootstraps from --initial-cluster only"},
    {"discovery-srv", "", kRefuse, "bootstraps from --initial-cluster only"},
    {"discovery-srv-name", "", kWarn, "bootstraps from --initial-cluster only"},
    {"discovery-fallback", "proxy", kWarn, "bootstraps from --initial-cluster only"},
    {"discovery-proxy", "", kWarn, "bootstraps from --initial-cluster only"},
    {"proxy", "off", kRefuse, "is never a v2 proxy"},
    {"proxy-failure-wait", "5000", kWarn, "is never a v2 proxy"},
    {"proxy-refresh-interval", "30000", kWarn, "is never a v2 proxy"},
    {"proxy-dial-timeout", "1000", kWarn, "is never a v2 proxy"},
    {"proxy-write-timeout", "5000", kWarn, "is never a v2 proxy"},
    {"proxy-read-timeout", "0", kWarn, "is never a v2 proxy"},
    // Tuning and features whose absence is harmless or shows at once.
    {"max-snapshots", "5", kWarn, "keeps its newest two snapshot files"},
    {"max-wals", "5", kWarn, "deletes log segments once a snapshot covers them"},
    {"initial-election-tick-advance", "true", kWarn, "has no such setting"},
    {"backend-batch-interval", "0|0s", kWarn, "has no bbolt backend"},
    {"backend-batch-limit", "0", kWarn, "has no bbolt backend"},
    {"experimental-backend-bbolt-freelist-type", "array", kWarn, "has no bbolt backend"},
    {"unsafe-no-fsync", "false", kWarn, "always syncs its log"},
    {"max-concurrent-streams", "4294967295|math.MaxUint32", kWarn, "has no such limit"},
    {"grpc-keepalive-min-time", "5s|5000000000", kWarn, "uses gRPC's keep-alive defaults"},
    {"grpc-keepalive-interval", "2h|7200000000000", kWarn, "uses gRPC's keep-alive defaults"},
    {"grpc-keepalive-timeout", "20s|20000000000", kWarn, "uses gRPC's keep-alive defaults"},
    {"pre-vote", "false|true", kWarn, "always runs pre-vote"},
    {"enable-v2", "false", kWarn, "serves the v3 API only"},
    {"experimental-enable-v2v3", "", kWarn, "serves the v3 API only"},
    {"enable-grpc-gateway", "true", kWarn, "always serves the JSON gateway"},
    {"cors", "*", kWarn, "has no CORS setting"},
    {"host-whitelist", "*", kWarn, "has no host whitelist"},
    {"enable-pprof", "false", kWarn, "has no pprof endpoints"},
    {"metrics", "basic", kWarn, "serves one set of metrics"},
    {"debug", "false", kWarn, "takes --log-level debug instead"},
    {"log-package-levels", "", kWarn, "has one log level for the whole member"},
    {"log-outputs", "default|stderr", kWarn, "logs to stderr only (journald takes it from there)"},
    {"log-output", "default|stderr", kWarn, "logs to stderr only (journald takes it from there)"},
    {"experimental-enable-lease-checkpoint", "false|true", kWarn,
     "always checkpoints leases (see --experimental-lease-checkpoint-interval)"},
    {"experimental-enable-lease-checkpoint-persist", "false|true", kWarn,
     "always checkpoints leases"},
    {"experimental-compaction-batch-limit", "1000", kWarn, "compacts in one pass"},
    {"experimental-warning-apply-duration", "100ms|100000000", kWarn, "has no such warning"},
};

}  // namespace

const EtcdOnlyOption* find_etcd_only(std::string_view name) {
  for (const EtcdOnlyOption& o : kOptions) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

bool is_etcd_default(const EtcdOnlyOption& option, std::string_view value) {
  if (value.empty()) return true;
  std::string_view rest = option.defaults;
  while (true) {
    const size_t bar = rest.find('|');
    if (rest.substr(0, bar) == value) return true;
    if (bar == std::string_view::npos) return false;
    rest.remove_prefix(bar + 1);
  }
}

std::string unsupported_message(const EtcdOnlyOption& option, std::string_view where,
                                std::string_view value) {
  if (option.when_set == Unsupported::kRefuse) {
    return fmt::format(
        "{}: \"{}\" is refused: etcd's {} is not implemented (Regent {}); remove it or set it "
        "to etcd's default",
        where, value, option.name, option.why);
  }
  return fmt::format("{}: \"{}\" ignored: etcd's {} is not implemented (Regent {})", where, value,
                     option.name, option.why);
}

}  // namespace regent::regentd
