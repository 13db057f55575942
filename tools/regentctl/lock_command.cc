// lock: acquire a named lock and hold it until interrupted (printing its key as etcdctl does),
// or run a command only while holding it (after `--`, or as extra arguments like etcdctl).
#include <fmt/format.h>

#include <cstdio>

#include "client/mutex.h"
#include "commands.h"
#include "format.h"
#include "hold.h"
#include "supervisor.h"

namespace regent::ctl {

namespace {

struct LockFlags {
  std::vector<std::string> args;  // name [command...]
  int64_t ttl = 10;
  std::string grace = "10s";
  std::string margin = "0s";
};

int run_lock(Globals g, const LockFlags& f) {
  if (f.args.empty())
    return usage("lock takes a lock name argument and an optional command to execute");
  // etcdctl's form `lock NAME CMD ARGS...` (arguments without dashes) works too.
  if (f.args.size() > 1) {
    if (!g.exec.empty()) return usage("give the command either after `--` or as arguments");
    g.exec.assign(f.args.begin() + 1, f.args.end());
  }
  const auto grace = parse_duration(f.grace);
  const auto margin = parse_duration(f.margin);
  if (!grace || !margin || f.ttl <= 0) return usage("bad --ttl, --grace-period or --margin");
  // A command that cannot run must fail before anything is campaigned for or locked.
  if (!g.exec.empty() && !find_program(g.exec[0])) return usage(g.exec[0] + ": command not found");
  const std::string& name = f.args[0];
  auto client = connect(g);
  if (!client) return kExitError;
  auto session = client::Session::create(
      client, client::SessionOptions{.ttl = std::chrono::seconds(f.ttl)}, command_context(g));
  if (!session) return report(session.error());
  client::Mutex mutex(*session, name);
  auto locked = mutex.lock(interrupted());
  if (!locked) {
    (*session)->close(client::Context::with_timeout(std::chrono::seconds(2)));
    if (interrupted().cancelled()) return 128 + received_signal();
    return report(locked.error());
  }
  if (g.exec.empty()) {
    fmt::print("{}\n", mutex.key());
    std::fflush(stdout);
  }
  std::string endpoints;
  for (const auto& e : g.endpoints) endpoints += (endpoints.empty() ? "" : ",") + e;
  const std::map<std::string, std::string> env = {
      {"REGENT_FENCING_TOKEN", std::to_string(mutex.revision())},
      {"REGENT_LOCK_KEY", mutex.key()},
      {"REGENT_LOCK_NAME", name},
      {"REGENT_LEASE", fmt::format("{:016x}", (*session)->lease())},
      {"REGENT_ENDPOINTS", endpoints},
      // etcdctl's names for the same facts, so scripts written for it work unchanged.
      {"ETCD_LOCK_KEY", mutex.key()},
      {"ETCD_LOCK_REV", std::to_string(mutex.revision())}};
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  return hold(g, *session, mutex.key(), mutex.revision(), env,
              HoldSettings{.grace = duration_cast<milliseconds>(*grace),
                           .margin = duration_cast<milliseconds>(*margin),
                           .what = "lock " + name},
              [&mutex] { mutex.unlock(client::Context::with_timeout(std::chrono::seconds(2))); });
}

}  // namespace

void add_lock_command(CLI::App& app, Globals& g, int& exit_code) {
  auto f = std::make_shared<LockFlags>();
  auto* lock = app.add_subcommand(
      "lock",
      "Acquires a named lock; with `-- CMD ARGS...`, runs CMD only while holding it (exit "
      "status: CMD's own if it ends by itself; 3 if the lock is lost, after CMD is stopped; "
      "128+N on signal N)");
  lock->add_option("args", f->args, "<lockname> [exec-command arg1 arg2 ...]");
  lock->add_option("--ttl", f->ttl, "timeout for session")->capture_default_str();
  lock->add_option("--grace-period", f->grace,
                   "time between SIGTERM and SIGKILL when stopping the command")
      ->capture_default_str();
  lock->add_option("--margin", f->margin,
                   "release this long before the lease may expire (default TTL/5)");
  lock->callback([&g, &exit_code, f] { exit_code = run_lock(g, *f); });
}

}  // namespace regent::ctl
