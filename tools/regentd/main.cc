// regentd: one member of a Regent cluster. Flags are etcd's where the meaning is the same, so
// an operator who knows etcd can start a cluster without learning new words.
#include <absl/synchronization/mutex.h>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <mutex>

#include "server/duration_flag.h"
#include "server/server.h"

namespace {

// Timestamped lines on stderr, each naming the member, like etcd's.
class MemberLogger final : public regent::Logger {
 public:
  MemberLogger(std::string name, regent::LogLevel min) : name_(std::move(name)), min_(min) {}
  void log(regent::LogLevel level, std::string_view message) override {
    static constexpr const char* kNames[] = {"debug", "info", "warn", "error"};
    const auto now = std::chrono::system_clock::now();
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::lock_guard lock(mu_);
    fmt::print(stderr, "{:%Y-%m-%dT%H:%M:%S}.{:03d}Z {:5} {}: {}\n",
               std::chrono::floor<std::chrono::seconds>(now), ms, kNames[static_cast<int>(level)],
               name_, message);
  }
  bool enabled(regent::LogLevel level) const override { return level >= min_; }

 private:
  std::string name_;
  regent::LogLevel min_;
  std::mutex mu_;
};

}  // namespace

int main(int argc, char** argv) {
  // Debian builds abseil with mutex deadlock detection on: every gRPC mutex acquisition then
  // updates a global lock graph, a few percent of the CPU under load (GraphCycles in a profile).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  regent::server::ServerOptions o;
  auto& c = o.cluster;
  int64_t heartbeat_ms = 100, election_ms = 1000;
  std::string log_level = "info";
  std::string progress_interval = "10m";
  std::string lease_checkpoint_interval = "5s";

  CLI::App app{"regentd: a member of a Regent cluster (Raft + etcd v3 API)"};
  app.add_option("--name", c.name, "Human-readable name of this member")->capture_default_str();
  app.add_option("--data-dir", o.data_dir, "Data directory (default: <name>.regent)");
  app.add_option("--listen-client-urls", c.listen_client_urls, "URLs to serve clients on")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--listen-metrics-urls", o.listen_metrics_urls,
                 "More URLs to serve /metrics and /health on (HTTP only, as etcd's)")
      ->delimiter(',');
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
  app.add_option("--heartbeat-interval", heartbeat_ms, "Milliseconds between heartbeats")
      ->capture_default_str()
      ->check(CLI::Range(1, 60000));
  app.add_option("--election-timeout", election_ms, "Milliseconds before a follower campaigns")
      ->capture_default_str()
      ->check(CLI::Range(5, 600000));
  app.add_option("--snapshot-count", o.snapshot_count, "Applied entries between two snapshots")
      ->capture_default_str();
  app.add_option("--snapshot-catchup-entries", o.snapshot_catchup_entries,
                 "Entries kept after a snapshot for slow followers")
      ->capture_default_str();
  app.add_option("--max-request-bytes", o.max_request_bytes, "Largest client request accepted")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 30));
  app.add_option("--max-txn-ops", o.max_txn_ops, "Most operations in one txn")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--experimental-watch-progress-notify-interval", progress_interval,
                 "Between progress notifications to idle watchers that ask for them (Go "
                 "duration: 10m, 30s, 500ms)")
      ->capture_default_str()
      ->check([](const std::string& text) {
        auto d = regent::server::parse_duration(text);
        if (!d) return d.error();
        return *d < std::chrono::milliseconds(1) ? std::string("must be at least 1ms")
                                                 : std::string();
      });
  app.add_option("--experimental-lease-checkpoint-interval", lease_checkpoint_interval,
                 "How far a lease's recorded remaining TTL may drift from the leader's clock "
                 "before the leader records it through the log (Go duration; 0: never)")
      ->capture_default_str()
      ->check([](const std::string& text) {
        auto d = regent::server::parse_duration(text);
        return d ? std::string() : d.error();
      });
  app.add_option("--campaign-on-leader-down", o.campaign_on_leader_down,
                 "Campaign as soon as the leader's process is seen gone (its peer connection "
                 "broke and it refuses new ones) rather than after the election timeout; a "
                 "pre-vote keeps a live leader in place")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "debug, info, warn or error")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);
  o.heartbeat_interval = std::chrono::milliseconds(heartbeat_ms);
  o.election_timeout = std::chrono::milliseconds(election_ms);
  o.watch_progress_notify_interval = std::chrono::duration_cast<std::chrono::milliseconds>(
      *regent::server::parse_duration(progress_interval));
  o.lease_checkpoint_interval = std::chrono::duration_cast<std::chrono::milliseconds>(
      *regent::server::parse_duration(lease_checkpoint_interval));

  const regent::LogLevel level = log_level == "debug"   ? regent::LogLevel::kDebug
                                 : log_level == "warn"  ? regent::LogLevel::kWarning
                                 : log_level == "error" ? regent::LogLevel::kError
                                                        : regent::LogLevel::kInfo;
  MemberLogger logger(c.name, level);

  // Signals are taken synchronously by this thread; every thread started later inherits the
  // mask, so no gRPC or Raft thread is ever interrupted by them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = regent::server::Server::start(o, logger);
  if (!server) {
    logger.log(regent::LogLevel::kError, server.error());
    return 1;
  }
  const timespec poll{.tv_sec = 0, .tv_nsec = 200'000'000};
  while (true) {
    const int sig = sigtimedwait(&signals, nullptr, &poll);
    if (sig == SIGTERM || sig == SIGINT) {
      logger.info("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      break;
    }
    if ((*server)->failed()) {
      (*server)->shutdown();
      return 1;
    }
  }
  (*server)->shutdown();
  return 0;
}
