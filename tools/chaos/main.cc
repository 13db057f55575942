// regent-chaos: issue 16's "our own Jepsen". Real members on network-namespace hosts, client
// workers running workloads through every member, a nemesis injecting faults, and every client
// history checked afterwards. The order of a run:
//
//   lock, remove leftovers -> build the network -> start the members -> wait until they serve
//   -> workers + nemesis for --time seconds -> heal everything, wait until they serve again
//   -> final reads -> checks -> report, timeline -> stop members, remove the network
//
// Invariants: everything the run creates (namespaces, links, rules, processes) is removed before
// it exits, on success, failure and SIGINT/SIGTERM alike (SIGKILL leaves namespaces that the next
// run removes first); the last line printed is "N operations, V violations, L acknowledged writes
// lost" whenever checks ran; the exit status is 0 only if V = 0 and L = 0 (inverted by
// --expect-violation), 2 for a run that could not be made or checked nothing (no operation
// succeeded, or a fault could not be injected), 77 without root.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "cluster.h"
#include "nemesis.h"
#include "net_world.h"
#include "op_log.h"
#include "options.h"
#include "report.h"
#include "run_lock.h"
#include "timeline.h"
#include "workload.h"

namespace regent::chaos {
namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop.store(true); }

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGHUP, &sa, nullptr);
}

void say(const std::string& what) {
  fmt::print("[{:7.1f}s] {}\n", run_micros() / 1e6, what);
  std::fflush(stdout);
}

// Workers until `stop`: worker w runs workload w mod k, one operation after another.
std::vector<std::thread> start_workers(const Options& o,
                                       std::vector<std::unique_ptr<Workload>>& workloads,
                                       std::atomic<bool>& stop) {
  std::vector<std::thread> threads;
  for (int w = 0; w < o.workers; ++w) {
    Workload* workload = workloads[static_cast<size_t>(w) % workloads.size()].get();
    threads.emplace_back([workload, w, seed = o.seed, &stop] {
      Prng rng(seed * 1000003 + static_cast<uint64_t>(w));
      while (!stop.load() && !g_stop.load()) workload->step(w, rng);
    });
  }
  return threads;
}

// After the load, with the faults healed: final reads, checks, timeline, report. Returns the exit
// status.
int check_and_report(const Options& o, const std::string& command, Cluster& cluster,
                     const OpLog& log, std::vector<std::unique_ptr<Workload>>& workloads,
                     const Nemesis& nemesis) {
  std::vector<std::string> notes = nemesis.notes();
  say("load stopped, faults healed; waiting for every member to serve");
  if (!cluster.wait_healthy(std::chrono::seconds(60))) {
    notes.push_back("not every member served within 60 s of the heal");
  }
  for (auto& w : workloads) w->finish();
  std::vector<CheckResult> checks;
  for (auto& w : workloads) {
    say("checking " + w->name());
    checks.push_back(w->check());
    checks.back().workload = w->name();
  }
  std::string timeline;
  if (auto t =
          write_timeline(o.dir, log.samples(), nemesis.schedule(),
                         fmt::format("{} members of {}, seed {}", o.members,
                                     std::filesystem::path(o.server).filename().string(), o.seed));
      t) {
    timeline = *t;
  } else {
    notes.push_back("no timeline: " + t.error());
  }
  if (!log.write_tsv(o.dir + "/operations.tsv")) notes.push_back("operations.tsv not written");
  cluster.stop_all();
  const RunSummary s = write_report(o, command, nemesis.schedule(), log, checks, notes, timeline);
  const bool clean = s.violations == 0 && s.acknowledged_lost == 0;
  // Data directories are kept for a verdict that fails (to look into), dropped otherwise: a
  // faulty build caught as expected needs no diagnosis, and each leaves hundreds of MB.
  if (clean != o.expect_violation && !o.keep_data) {
    for (int i = 0; i < cluster.size(); ++i) {
      std::filesystem::remove_all(cluster.member(i).config().data_dir);
    }
  }
  // A run in which nothing succeeded checked nothing; it must not pass.
  const auto counts = log.counts();
  uint64_t ok = 0;
  for (const auto& [name, by] : counts) ok += by.count(Outcome::kOk) ? by.at(Outcome::kOk) : 0;
  if (ok == 0) {
    fmt::print(stderr, "regent-chaos: no operation succeeded; nothing was checked\n");
    fmt::print("{}\n", last_line(s));
    return 2;
  }
  if (nemesis.harness_failures() > 0) {
    fmt::print(stderr, "regent-chaos: {} faults could not be injected or healed (notes above)\n",
               nemesis.harness_failures());
    fmt::print("{}\n", last_line(s));
    return 2;
  }
  fmt::print("{}\n", last_line(s));
  if (o.expect_violation) return clean ? 1 : 0;
  return clean ? 0 : 1;
}

int run(const Options& o, const std::string& command) {
  auto lock = RunLock::acquire(std::chrono::seconds(900));
  if (!lock) {
    fmt::print(stderr, "regent-chaos: {}\n", lock.error());
    return 2;
  }
  run_micros();  // The run's clock starts now, not while it waited for another run.
  for (const auto& left : NetWorld::remove_leftovers()) say("removed a leftover: " + left);
  std::filesystem::create_directories(o.dir);
  say(fmt::format("run directory {}, seed {}", o.dir, o.seed));
  auto world = NetWorld::create(o.members);
  if (!world) {
    fmt::print(stderr, "regent-chaos: {}\n", world.error());
    return 2;
  }
  // Clients live in a namespace of their own; every gRPC channel is made after this.
  if (auto r = (*world)->enter_clients(); !r) {
    fmt::print(stderr, "regent-chaos: {}\n", r.error());
    return 2;
  }
  Cluster cluster(**world, ClusterConfig{.server = o.server,
                                         .run_dir = o.dir,
                                         .member_env = o.member_env,
                                         .member_flags = {"--snapshot-count", "2000"},
                                         .fake_clock = std::find(o.nemeses.begin(), o.nemeses.end(),
                                                                 "clock") != o.nemeses.end(),
                                         .unsynced_loss_library = o.unsynced_loss_library});
  if (auto r = cluster.start(); !r) {
    fmt::print(stderr, "regent-chaos: starting the members: {}\n", r.error());
    return 2;
  }
  say(fmt::format("{} members of {} started", o.members, o.server));
  if (!cluster.wait_healthy(std::chrono::seconds(30))) {
    fmt::print(stderr, "regent-chaos: the cluster did not serve within 30 s (logs in {})\n", o.dir);
    return 2;
  }
  say("the cluster serves; workloads and nemesis begin");

  OpLog log;
  std::vector<std::unique_ptr<Workload>> workloads;
  for (const auto& name : o.workloads) workloads.push_back(make_workload(name, cluster, log));
  std::atomic<bool> stop_workers{false};
  auto threads = start_workers(o, workloads, stop_workers);
  Nemesis nemesis(**world, cluster, o.nemeses, o.seed);
  nemesis.run(std::chrono::steady_clock::now() + std::chrono::seconds(o.seconds), g_stop);
  stop_workers.store(true);
  for (auto& t : threads) t.join();
  nemesis.heal_all();
  if (g_stop.load()) {
    fmt::print(stderr, "regent-chaos: interrupted; members stopped, network removed\n");
    return 130;
  }
  return check_and_report(o, command, cluster, log, workloads, nemesis);
}

}  // namespace
}  // namespace regent::chaos

int main(int argc, char** argv) {
  using namespace regent::chaos;
  int code = 0;
  auto options = parse_options(argc, argv, &code);
  if (!options) {
    if (!options.error().empty()) fmt::print(stderr, "regent-chaos: {}\n", options.error());
    return code;
  }
  if (::geteuid() != 0) {
    fmt::print(stderr, "regent-chaos: needs root (network namespaces and iptables); skipped\n");
    return 77;
  }
  std::string command;
  for (int i = 0; i < argc; ++i) command += (i ? " " : "") + std::string(argv[i]);
  // gRPC honours proxy variables; the world's addresses are private and must be dialled directly,
  // by the harness and by the members (who inherit this environment).
  for (const char* v : {"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "grpc_proxy",
                        "all_proxy", "ALL_PROXY"}) {
    ::unsetenv(v);
  }
  install_signal_handlers();
  return run(*options, command);
}
