// regent-bench: a load generator speaking etcd's v3 gRPC API (src/loadgen/), for etcd and regentd
// alike. This file holds only the flags and the wiring.
#include <absl/synchronization/mutex.h>
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "loadgen/loadgen.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;  // Nothing succeeded, or --fail-on-error and an error.
constexpr int kExitUsage = 2;

constexpr const char* kFooter =
    R"(Keys are "k" and a zero-padded decimal index, exactly --key-size bytes
(key 42 of size 8 is "k0000042"); values are --val-size bytes of 'v' (watch-latency: the put's
sequence number and send time, padded with '.').

Exit status:
  0  the run completed (even with errors, unless --fail-on-error)
  1  nothing succeeded, or --fail-on-error and some request failed
  2  usage error
)";

struct Flags {
  regent::loadgen::Options options;
  std::string consistency = "l";
  bool json = false;
  bool progress = false;
  bool no_progress = false;
  bool fail_on_error = false;
  double duration_s = 0;
};

void add_common_flags(CLI::App& app, Flags& f) {
  auto& o = f.options;
  app.add_option("--endpoints", o.endpoints, "gRPC endpoints, host:port, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--clients", o.clients, "concurrent closed-loop clients (watch: streams)")
      ->capture_default_str();
  app.add_option("--conns", o.conns, "gRPC connections the clients share round-robin")
      ->capture_default_str();
  app.add_option("--threads", o.threads, "poller threads (completion queues)")
      ->capture_default_str();
  app.add_option("--total", o.total, "requests to make (watch-latency: puts)")
      ->capture_default_str();
  app.add_option("--duration", f.duration_s, "run this many seconds instead of --total");
  app.add_option("--key-size", o.key_size, "key size in bytes")->capture_default_str();
  app.add_option("--val-size", o.val_size, "value size in bytes")->capture_default_str();
  app.add_option("--key-space-size", o.key_space_size, "number of distinct keys")
      ->capture_default_str();
  app.add_flag("--sequential-keys", o.sequential_keys,
               "use keys in order (request n: key n mod key-space-size), not at random");
  app.add_option("--timeout", o.timeout_s, "per-request timeout in seconds")->capture_default_str();
  app.add_option("--seed", o.seed, "seed of the random key choice")->capture_default_str();
  app.add_flag("--json", f.json, "print one JSON object on stdout instead of the summary");
  auto* progress = app.add_flag("--progress", f.progress,
                                "print a progress line on stderr every second (default: when "
                                "stderr is a terminal)");
  auto* no_progress = app.add_flag("--no-progress", f.no_progress, "no progress lines");
  progress->excludes(no_progress);
  app.add_flag("--max-gap", o.max_gap,
               "report the longest time without a successful completion (failover)");
  app.add_flag("--fail-on-error", f.fail_on_error, "exit 1 if any request failed");
}

void add_workloads(CLI::App& app, Flags& f) {
  auto& o = f.options;
  app.add_subcommand("put", "Put(key, value)");
  auto* range =
      app.add_subcommand("range", "single-key Range (each key of the key space is put once first)");
  range->add_option("--consistency", f.consistency, "l: linearizable, s: serializable")
      ->check(CLI::IsMember({"l", "s"}))
      ->capture_default_str();
  auto* txn = app.add_subcommand("txn-put", "Txn without compares putting --txn-ops keys");
  txn->add_option("--txn-ops", o.txn_ops, "puts per txn (distinct keys)")->capture_default_str();
  auto* watch = app.add_subcommand(
      "watch-latency", "--clients watch streams on one key; latency from put to each event");
  watch->add_option("--watch-key", o.watch_key, "the key watched (default: key 0)");
  watch->add_option("--put-rate", o.put_rate, "puts per second; 0: closed loop")
      ->capture_default_str();
  watch
      ->add_option("--putters", o.putters,
                   "puts in flight, each putter closed-loop (--put-rate paces each)")
      ->capture_default_str();
  auto* lease = app.add_subcommand("lease-keepalive",
                                   "grant a lease per client, keep it alive in a closed loop");
  lease->add_option("--lease-ttl", o.lease_ttl_s, "lease TTL in seconds")->capture_default_str();
  for (CLI::App* sub : app.get_subcommands({})) sub->fallthrough();
}

int exit_status(const regent::loadgen::Report& r, bool fail_on_error) {
  if (r.ok == 0) return kExitFailed;
  if (fail_on_error && r.errors > 0) return kExitFailed;
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian builds abseil with mutex deadlock detection on: every gRPC mutex acquisition then
  // updates a global lock graph, a few percent of the CPU under load (GraphCycles in a profile).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"regent-bench: a load generator for etcd's v3 gRPC API (etcd and regentd)",
               "regent-bench"};
  app.footer(kFooter);
  app.require_subcommand(1);
  Flags f;
  add_common_flags(app, f);
  add_workloads(app, f);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  auto& o = f.options;
  o.workload = *regent::loadgen::parse_workload(app.get_subcommands().front()->get_name());
  if (app.count("--duration") > 0) o.duration_s = f.duration_s;
  o.serializable = f.consistency == "s";
  o.progress = f.progress || (!f.no_progress && ::isatty(STDERR_FILENO));
  if (auto problem = regent::loadgen::validate(o)) {
    std::fprintf(stderr, "%s\nRun with --help for more information.\n", problem->c_str());
    return kExitUsage;
  }
  const auto report = regent::loadgen::run(o);
  if (!report) {
    std::fprintf(stderr, "%s\n", report.error().c_str());
    return kExitUsage;
  }
  const std::string out = f.json ? regent::loadgen::format_json(*report) + "\n"
                                 : regent::loadgen::format_human(*report);
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
  return exit_status(*report, f.fail_on_error);
}
