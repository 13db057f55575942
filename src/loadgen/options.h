// What one regent-bench run does: the workload and every knob of it, as the flags set them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace regent::loadgen {

enum class Workload { kPut, kRange, kTxnPut, kWatchLatency, kLeaseKeepAlive };

std::string_view workload_name(Workload w);
std::optional<Workload> parse_workload(std::string_view name);

struct Options {
  Workload workload = Workload::kPut;
  // host:port (an http:// prefix is accepted); channels go to them round-robin.
  std::vector<std::string> endpoints{"127.0.0.1:2379"};
  int clients = 1;  // Closed-loop clients (watch-latency: watch streams).
  int conns = 1;    // gRPC channels, each its own TCP connection; clients share them round-robin.
  int threads = 1;  // Poller threads, one completion queue each.
  uint64_t total = 10000;            // Requests (watch-latency: puts); ignored with duration.
  std::optional<double> duration_s;  // When set, the run lasts this long instead.
  int key_size = 8;
  int val_size = 8;
  uint64_t key_space_size = 1;
  bool sequential_keys = false;
  double timeout_s = 10;  // Per request.
  uint64_t seed = 1;      // Random keys: client i draws from seed + i.
  bool progress = false;  // A progress line on stderr every second.
  bool max_gap = false;   // Report the longest time without a success.

  bool serializable = false;  // range: serializable instead of linearizable reads.
  int txn_ops = 1;            // txn-put: puts per txn (distinct keys).
  std::string watch_key;      // watch-latency: empty means key 0 of the key space.
  double put_rate = 100;      // watch-latency: puts per second; 0 = closed loop.
  int putters = 1;            // watch-latency: puts in flight (each putter one at a time).
  int64_t lease_ttl_s = 60;   // lease-keepalive.
};

// The first problem with the options, naming the flag at fault; nullopt when they are usable.
std::optional<std::string> validate(const Options& options);

// "http://127.0.0.1:2379/" -> "127.0.0.1:2379"; nullopt unless it is [http://]host:port.
std::optional<std::string> grpc_target(std::string_view endpoint);

}  // namespace regent::loadgen
