#include "loadgen/options.h"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "loadgen/key_chooser.h"

namespace regent::loadgen {

namespace {

constexpr std::array<std::pair<Workload, std::string_view>, 5> kNames{{
    {Workload::kPut, "put"},
    {Workload::kRange, "range"},
    {Workload::kTxnPut, "txn-put"},
    {Workload::kWatchLatency, "watch-latency"},
    {Workload::kLeaseKeepAlive, "lease-keepalive"},
}};

// Limits that keep a typo from exhausting memory or descriptors; far above any sensible run.
constexpr int kMaxClients = 100'000;
constexpr int kMaxThreads = 64;
constexpr int kMaxValueSize = 64 << 20;
constexpr int kMaxKeySize = 1 << 20;

}  // namespace

std::string_view workload_name(Workload w) {
  for (const auto& [workload, name] : kNames) {
    if (workload == w) return name;
  }
  return "?";
}

std::optional<Workload> parse_workload(std::string_view name) {
  for (const auto& [workload, n] : kNames) {
    if (n == name) return workload;
  }
  return std::nullopt;
}

std::optional<std::string> grpc_target(std::string_view endpoint) {
  std::string_view rest = endpoint;
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  const auto colon = rest.rfind(':');
  if (rest.empty() || colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size() ||
      rest.find('/') != std::string_view::npos) {
    return std::nullopt;
  }
  for (char c : rest.substr(colon + 1)) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::string(rest);
}

std::optional<std::string> validate(const Options& o) {
  if (o.endpoints.empty()) return "--endpoints: at least one endpoint is needed";
  for (const auto& e : o.endpoints) {
    if (!grpc_target(e)) return fmt::format("--endpoints: \"{}\" is not host:port", e);
  }
  if (o.clients < 1 || o.clients > kMaxClients) {
    return fmt::format("--clients must be in [1, {}]", kMaxClients);
  }
  if (o.conns < 1 || o.conns > o.clients) {
    return fmt::format("--conns must be in [1, --clients = {}]: a connection needs a client",
                       o.clients);
  }
  if (o.threads < 1 || o.threads > kMaxThreads) {
    return fmt::format("--threads must be in [1, {}]", kMaxThreads);
  }
  if (o.total < 1) return "--total must be at least 1";
  if (o.duration_s && !(*o.duration_s > 0)) return "--duration must be positive";
  if (!(o.timeout_s > 0)) return "--timeout must be positive";
  if (o.key_size < 1 || o.key_size > kMaxKeySize) {
    return fmt::format("--key-size must be in [1, {}]", kMaxKeySize);
  }
  if (o.val_size < 0 || o.val_size > kMaxValueSize) {
    return fmt::format("--val-size must be in [0, {}]", kMaxValueSize);
  }
  if (o.key_space_size < 1) return "--key-space-size must be at least 1";
  if (!key_fits(o.key_size, o.key_space_size)) {
    return fmt::format(
        "--key-size {} is too small for --key-space-size {}: keys are \"k\" and a zero-padded "
        "decimal index, so they need 1 + digits(key-space-size - 1) bytes",
        o.key_size, o.key_space_size);
  }
  if (o.txn_ops < 1) return "--txn-ops must be at least 1";
  if (o.workload == Workload::kTxnPut && static_cast<uint64_t>(o.txn_ops) > o.key_space_size) {
    return fmt::format("--txn-ops {} exceeds --key-space-size {}: a txn may not put a key twice",
                       o.txn_ops, o.key_space_size);
  }
  if (!(o.put_rate >= 0)) return "--put-rate must not be negative";
  if (o.putters < 1) return "--putters must be at least 1";
  if (o.lease_ttl_s < 1) return "--lease-ttl must be at least 1 second";
  return std::nullopt;
}

}  // namespace regent::loadgen
