// regent-sim: runs the real consensus core in simulated worlds, one per seed, and reports any
// violated property with the seed that replays it and the events that led to it.
//
//   regent-sim --seed 42                 one world, verbose on failure
//   regent-sim --seeds 1..2000           many worlds; a summary line at the end
//   regent-sim --soak                    seeds from 1 until stopped, with progress
//   regent-sim --seeds 1..200 --members 3 --failover
//                                        crashes only, no other faults: prints the simulated
//                                        time from a leader's crash to the next leader
//   regent-sim --algorithm bully --seed 7 --verbose
//                                        one election algorithm (raft, bully, ring) in the
//                                        comparison world of sim/algos/, narrating its faults
//   regent-sim --compare-algorithms --seeds 1..100
//                                        Raft, Bully and Ring over the same seeds, one table
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "algorithms.h"
#include "sim/options.h"
#include "sim/world.h"

namespace {

struct Range {
  uint64_t first = 1;
  uint64_t last = 1;
};

std::optional<Range> parse_range(const std::string& text) {
  const size_t dots = text.find("..");
  try {
    if (dots == std::string::npos) {
      const uint64_t s = std::stoull(text);
      return Range{s, s};
    }
    Range r{std::stoull(text.substr(0, dots)), std::stoull(text.substr(dots + 2))};
    if (r.first > r.last) return std::nullopt;
    return r;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Crashes alone, on a clean network: what remains is the protocol's own failover time.
void failover_only(regent::sim::Options& o) {
  o.loss_percent = 0;
  o.duplicate_percent = 0;
  o.partitions = false;
  o.transfers = false;
  o.churn = false;
  o.flap_leaders = false;
  o.crashes = true;
}

// A broken invariant aborts (REGENT_ASSERT); the seed that replays it is written first.
char g_abort_line[160];
size_t g_abort_length = 0;

// --expect-violation: an aborted run is the violation looked for, and the program succeeds.
volatile std::sig_atomic_t g_abort_is_success = 0;

void on_abort(int) {
  // Only async-signal-safe calls here; the default action (core, exit status) follows.
  if (g_abort_length > 0) (void)!write(STDERR_FILENO, g_abort_line, g_abort_length);
  if (g_abort_is_success) _exit(0);
}

void arm_abort_line(uint64_t seed) {
  const int n =
      std::snprintf(g_abort_line, sizeof g_abort_line,
                    "FAIL seed=%llu: an invariant check aborted the run (message "
                    "above); replay with regent-sim --seed %llu\n",
                    static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  g_abort_length = n > 0 ? std::min<size_t>(static_cast<size_t>(n), sizeof g_abort_line) : 0;
}

bool run_one(uint64_t seed, size_t members, uint64_t steps, const std::string& down_reports,
             regent::server::NodeFault fault, bool verbose,
             std::vector<regent::sim::Time>* failovers, regent::sim::StorageCoverage& disks) {
  arm_abort_line(seed);
  auto opt = regent::sim::Options::from_seed(seed, members);
  if (steps != 0) opt.steps = steps;
  if (failovers != nullptr) failover_only(opt);
  opt.aim_at(fault);
  if (down_reports != "seed") {
    opt.campaign_on_leader_down = down_reports == "on";
    // Only safe (and only allowed) with both.
    if (opt.campaign_on_leader_down) opt.pre_vote = opt.check_quorum = true;
  }
  regent::sim::World world(opt);
  const auto r = world.run();
  disks.recoveries += r.storage.recoveries;
  disks.torn_tails += r.storage.torn_tails;
  disks.segments_created += r.storage.segments_created;
  disks.snapshots_made += r.storage.snapshots_made;
  disks.snapshots_installed += r.storage.snapshots_installed;
  disks.damage_refusals += r.storage.damage_refusals;
  if (failovers != nullptr) {
    failovers->insert(failovers->end(), world.failover_times().begin(),
                      world.failover_times().end());
  }
  if (!r.ok) {
    fmt::print("FAIL seed={}: {}\n  world: {}\n  last events:\n{}", seed, r.violation,
               opt.describe(), r.trace);
    fmt::print("  replay: {} --seed {}{}{}\n",
               fault == regent::server::NodeFault::kNone ? "regent-sim" : "regent-sim-node-faults",
               seed, members != 0 ? fmt::format(" --members {}", members) : "",
               fault == regent::server::NodeFault::kNone
                   ? ""
                   : fmt::format(" --fault {}", regent::server::to_string(fault)));
  } else if (verbose) {
    fmt::print("ok seed={}: {} events, {} operations, {:.1f}s simulated\n  world: {}\n", seed,
               r.events, r.operations, static_cast<double>(r.sim_time_us) / 1e6, opt.describe());
  }
  return r.ok;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Runs Regent's consensus core in deterministic simulated worlds."};
  uint64_t seed = 0;
  std::string seeds;
  uint64_t steps = 0;
  size_t members = 0;
  bool soak = false;
  bool failover = false;
  bool expect_violation = false;
  std::string down_reports = "seed";
  std::string fault_name = "none";
  app.add_option("--seed", seed, "Run one world with this seed");
  app.add_option("--seeds", seeds, "Run a range of seeds, e.g. 1..2000");
  app.add_option("--steps", steps, "Events in the fault phase (default: 20000)");
  app.add_option("--members", members, "Voters at start (3 or 5; default: chosen by the seed)")
      ->check(CLI::IsMember({0, 3, 5}));
  app.add_flag("--soak", soak, "Run seeds from --seed (or 1) until stopped, printing progress");
  app.add_flag("--expect-violation", expect_violation,
               "Succeed only if some seed fails (stops at the first): for fault-injection builds");
  app.add_flag("--failover", failover,
               "Crashes only, clean network; report time from leader crash to new leader");
  app.add_option("--leader-down-reports", down_reports,
                 "Whether members learn at once that a crashed node is down and campaign early: "
                 "seed (as the seed draws it), on or off")
      ->check(CLI::IsMember({"seed", "on", "off"}))
      ->capture_default_str();
  app.add_option("--fault", fault_name,
                 "Break one ordering of the node core on purpose (the test variant only): "
                 "leader-counts-before-durable, ack-before-durable, apply-before-commit, "
                 "image-at-wrong-index, read-before-applied")
      ->capture_default_str();
  std::string algorithm;
  bool compare_algorithms = false;
  bool narrate = false;
  app.add_option("--algorithm", algorithm,
                 "Run one election algorithm (raft, bully, ring) in the comparison world of "
                 "sim/algos/ instead of the node simulator");
  app.add_flag("--compare-algorithms", compare_algorithms,
               "Run Raft, Bully and Ring over the same seeds and print one table");
  app.add_flag("--verbose", narrate,
               "With --algorithm and one seed: narrate faults and every start of split brain");
  CLI11_PARSE(app, argc, argv);
  if (!algorithm.empty() || compare_algorithms) {
    auto parsed = parse_range(seeds.empty() ? std::to_string(seed != 0 ? seed : 1) : seeds);
    if (!parsed) {
      fmt::print(stderr, "regent-sim: --seeds wants A..B with A <= B, got '{}'\n", seeds);
      return 2;
    }
    return regent::sim::tool::run_algorithms({.algorithm = algorithm,
                                              .compare = compare_algorithms,
                                              .first_seed = parsed->first,
                                              .last_seed = parsed->last,
                                              .members = members,
                                              .verbose = narrate});
  }
  const auto fault = regent::server::node_fault_from_string(fault_name);
  if (!fault) {
    fmt::print(stderr, "regent-sim: unknown fault '{}'\n", fault_name);
    return 2;
  }
  if (*fault != regent::server::NodeFault::kNone && !regent::server::node_fault_points_built()) {
    fmt::print(stderr,
               "regent-sim: --fault needs the test variant of the node core "
               "(regent-sim-node-faults)\n");
    return 2;
  }
  g_abort_is_success = expect_violation ? 1 : 0;
  std::signal(SIGABRT, on_abort);

  Range range{seed != 0 ? seed : 1, seed != 0 ? seed : 1};
  if (!seeds.empty()) {
    auto parsed = parse_range(seeds);
    if (!parsed) {
      fmt::print(stderr, "regent-sim: --seeds wants A..B with A <= B, got '{}'\n", seeds);
      return 2;
    }
    range = *parsed;
  } else if (seed == 0 && !soak) {
    fmt::print(stderr, "regent-sim: give --seed N, --seeds A..B or --soak\n");
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  uint64_t passed = 0, failed = 0;
  std::vector<regent::sim::Time> failovers;
  regent::sim::StorageCoverage disks;
  const uint64_t last = soak ? UINT64_MAX : range.last;
  for (uint64_t s = range.first; s <= last; ++s) {
    const bool verbose = range.first == range.last && !soak;
    (run_one(s, members, steps, down_reports, *fault, verbose, failover ? &failovers : nullptr,
             disks)
         ? passed
         : failed) += 1;
    if (expect_violation && failed > 0) break;
    if (soak && (passed + failed) % 100 == 0) {
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      fmt::print("{} seeds ({} failed), {:.1f} seeds/s\n", passed + failed, failed,
                 static_cast<double>(passed + failed) / secs);
      std::fflush(stdout);
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failover && !failovers.empty()) {
    std::sort(failovers.begin(), failovers.end());
    auto ms = [&](double q) {
      return static_cast<double>(failovers[static_cast<size_t>(q * (failovers.size() - 1))]) / 1e3;
    };
    fmt::print(
        "failover after leader crash ({} crashes): median {:.0f} ms, p90 {:.0f} ms, "
        "max {:.0f} ms (simulated)\n",
        failovers.size(), ms(0.5), ms(0.9), ms(1.0));
  }
  fmt::print("{} passed, {} failed\n", passed, failed);
  // What the storage code went through on the simulated disks: recoveries are its real recovery
  // path, torn tails its cutting of writes a crash interrupted.
  fmt::print(
      "storage: {} recoveries from disk, {} torn tails cut, {} segments, {} snapshots made, {} "
      "installed from a leader, {} starts refused on synced data damaged at rest\n",
      disks.recoveries, disks.torn_tails, disks.segments_created, disks.snapshots_made,
      disks.snapshots_installed, disks.damage_refusals);
  fmt::print("regent-sim: {} seeds in {:.1f}s ({:.1f} seeds/s)\n", passed + failed, secs,
             static_cast<double>(passed + failed) / secs);
  if (expect_violation) {
    if (failed == 0) fmt::print("regent-sim: expected a violation, found none\n");
    return failed > 0 ? 0 : 1;
  }
  return failed == 0 ? 0 : 1;
}
