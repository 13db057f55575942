// singleton-worker: a service meant to run as several replicas, of which only the leader works.
//
//   singleton-worker run   --endpoints E --identity NAME [--election jobs] [--lease-seconds 5]
//   singleton-worker write --endpoints E --token T --unit U
//
// `run` campaigns through regent's LeaderElector; while it leads, it does one unit of work every
// --interval-ms and stores each, stamped with its fencing token, through FencedStore, so that a
// deposed leader's late writes are refused. It prints one line per event (for people and tests):
//   leading token=T | unit N written token=T | unit N refused token=T |
//   stopped leading token=T: WHY | leader is ID token=T
// `write` makes one fenced write with a given token, as a stale leader would: exit 0 if it was
// stored, 3 if it was refused, 1 on error.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <thread>

#include "client/leader_elector.h"
#include "fenced_store.h"

namespace {

using regent::examples::FencedStore;
using regent::examples::WriteOutcome;

std::mutex out_mu;
template <class... Args>
void say(fmt::format_string<Args...> f, Args&&... args) {
  std::lock_guard lock(out_mu);
  fmt::print("{}\n", fmt::format(f, std::forward<Args>(args)...));
  std::fflush(stdout);
}

std::atomic<bool> stop_requested{false};
extern "C" void on_signal(int) { stop_requested = true; }

// The work a leader does: numbered units, each written under the term's fencing token, until
// the term ends.
class Worker {
 public:
  Worker(FencedStore& store, std::string identity, std::chrono::milliseconds interval)
      : store_(store), identity_(std::move(identity)), interval_(interval) {}
  ~Worker() { stop(); }

  void start(int64_t token) {
    stop();
    running_ = true;
    thread_ = std::thread([this, token] { run(token); });
  }
  void stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run(int64_t token) {
    while (running_) {
      const uint64_t unit = ++units_;
      // Named after the term, so units of successive leaders never share a key.
      auto r = store_.write(token, fmt::format("{}-{:08d}", FencedStore::encode_token(token), unit),
                            fmt::format("{} token={}", identity_, token));
      if (!r) {
        say("unit {} failed token={}: {}", unit, token, r.error().message);
      } else if (*r == WriteOutcome::kWritten) {
        say("unit {} written token={}", unit, token);
      } else {
        say("unit {} refused token={}", unit, token);
      }
      std::this_thread::sleep_for(interval_);
    }
  }

  FencedStore& store_;
  std::string identity_;
  std::chrono::milliseconds interval_;
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> units_{0};
  std::thread thread_;
};

std::shared_ptr<regent::client::Client> connect(const std::vector<std::string>& endpoints) {
  auto client = regent::client::Client::connect({.endpoints = endpoints});
  if (!client) {
    fmt::print(stderr, "singleton-worker: {}\n", client.error().message);
    std::exit(1);
  }
  return *client;
}

int run(const std::vector<std::string>& endpoints, const std::string& election,
        const std::string& identity, const std::string& prefix, int lease_seconds,
        int interval_ms) {
  auto client = connect(endpoints);
  FencedStore store(client, prefix);
  Worker worker(store, identity, std::chrono::milliseconds(interval_ms));
  regent::client::LeaderElectorOptions o;
  o.name = election;
  o.identity = identity;
  o.lease_duration = std::chrono::seconds(lease_seconds);
  o.on_started_leading = [&](const regent::client::LeadershipTerm& term) {
    say("leading token={}", term.fencing_token);
    worker.start(term.fencing_token);
  };
  o.on_stopped_leading = [&](const regent::client::LeadershipTerm& term,
                             const regent::client::Error& why) {
    worker.stop();  // Before returning: no unit of this term starts after leadership ends.
    say("stopped leading token={}: {}", term.fencing_token, why.message);
  };
  o.on_new_leader = [](const std::string& leader, int64_t token) {
    say("leader is {} token={}", leader, token);
  };
  regent::client::LeaderElector elector(client, o);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  elector.start();
  while (!stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  elector.stop();
  worker.stop();
  return 0;
}

int write_once(const std::vector<std::string>& endpoints, const std::string& prefix, int64_t token,
               const std::string& unit) {
  FencedStore store(connect(endpoints), prefix);
  auto r = store.write(token, unit, fmt::format("late write token={}", token));
  if (!r) {
    fmt::print(stderr, "singleton-worker: {}\n", r.error().message);
    return 1;
  }
  if (*r == WriteOutcome::kRefused) {
    auto fence = store.fence();
    say("refused token={}: the fence holds token {}", token, fence ? *fence : -1);
    return 3;
  }
  say("written token={}", token);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"singleton-worker: only the leader among the replicas does the work"};
  std::vector<std::string> endpoints{"http://127.0.0.1:2379"};
  std::string election = "singleton-worker";
  std::string prefix = "/singleton-worker/";
  app.add_option("--endpoints", endpoints, "Cluster endpoints")->delimiter(',');
  app.add_option("--election", election, "Election name")->capture_default_str();
  app.add_option("--prefix", prefix, "Where the fenced work is stored")->capture_default_str();
  app.require_subcommand(1);

  auto* run_cmd = app.add_subcommand("run", "Campaign, and work while leading");
  std::string identity;
  int lease_seconds = 5, interval_ms = 200;
  run_cmd->add_option("--identity", identity, "This replica's name")->required();
  run_cmd->add_option("--lease-seconds", lease_seconds, "Lease duration")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  run_cmd->add_option("--interval-ms", interval_ms, "Pause between units of work")
      ->capture_default_str()
      ->check(CLI::Range(1, 600000));

  auto* write_cmd = app.add_subcommand("write", "One fenced write with a given token");
  int64_t token = 0;
  std::string unit = "late";
  write_cmd->add_option("--token", token, "The fencing token to write under")->required();
  write_cmd->add_option("--unit", unit, "The unit's name")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (run_cmd->parsed())
    return run(endpoints, election, identity, prefix, lease_seconds, interval_ms);
  return write_once(endpoints, prefix, token, unit);
}
