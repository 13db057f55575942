// elect: campaign and hold leadership (printing the leader as etcdctl does), observe an
// election (-l), or run a command only while leading (after `--`).
#include <fmt/format.h>

#include <cstdio>

#include "client/election.h"
#include "commands.h"
#include "format.h"
#include "hold.h"
#include "supervisor.h"

namespace regent::ctl {

namespace {

struct ElectFlags {
  std::vector<std::string> args;  // name [proposal]
  bool listen = false;
  int64_t ttl = 10;
  std::string grace = "10s";
  std::string margin = "0s";
};

int observe(const Globals& g, const std::string& name, const PrintOptions& o) {
  auto client = connect(g);
  if (!client) return kExitError;
  auto observer = client::ElectionObserver::start(client, name, [o](const client::KeyValue& kv) {
    print_kv(kv, o);
    std::fflush(stdout);
  });
  interrupted().sleep_until(client::Context::Clock::time_point::max());
  observer->cancel();
  return kExitOk;
}

int run_elect(const Globals& g, const ElectFlags& f) {
  auto o = print_options(g, false);
  if (!o) return kExitUsage;
  if (f.listen) {
    if (f.args.size() != 1 || !g.exec.empty()) {
      return usage("elect -l takes one election name argument");
    }
    return observe(g, f.args[0], *o);
  }
  if (f.args.empty() || f.args.size() > 2) {
    return usage("elect takes one election name argument and an optional proposal argument");
  }
  const auto grace = parse_duration(f.grace);
  const auto margin = parse_duration(f.margin);
  if (!grace || !margin || f.ttl <= 0) return usage("bad --ttl, --grace-period or --margin");
  // A command that cannot run must fail before anything is campaigned for or locked.
  if (!g.exec.empty() && !find_program(g.exec[0])) return usage(g.exec[0] + ": command not found");
  const std::string& name = f.args[0];
  const std::string proposal = f.args.size() == 2 ? f.args[1] : default_identity();
  auto client = connect(g);
  if (!client) return kExitError;
  auto session = client::Session::create(
      client, client::SessionOptions{.ttl = std::chrono::seconds(f.ttl)}, command_context(g));
  if (!session) return report(session.error());
  client::Election election(*session, name);
  auto won = election.campaign(proposal, interrupted());
  if (!won) {
    (*session)->close(client::Context::with_timeout(std::chrono::seconds(2)));
    if (interrupted().cancelled()) return 128 + received_signal();
    return report(won.error());
  }
  if (g.exec.empty()) {
    print_kv(client::KeyValue{.key = won->key, .value = proposal}, *o);
    std::fflush(stdout);
  }
  std::string endpoints;
  for (const auto& e : g.endpoints) endpoints += (endpoints.empty() ? "" : ",") + e;
  const std::map<std::string, std::string> env = {
      {"REGENT_FENCING_TOKEN", std::to_string(won->rev)},
      {"REGENT_LEADER_KEY", won->key},
      {"REGENT_ELECTION", name},
      {"REGENT_LEASE", fmt::format("{:016x}", won->lease)},
      {"REGENT_ENDPOINTS", endpoints}};
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  return hold(
      g, *session, won->key, won->rev, env,
      HoldSettings{.grace = duration_cast<milliseconds>(*grace),
                   .margin = duration_cast<milliseconds>(*margin),
                   .what = "leadership of election " + name},
      [&election] { election.resign(client::Context::with_timeout(std::chrono::seconds(2))); });
}

}  // namespace

void add_elect_command(CLI::App& app, Globals& g, int& exit_code) {
  auto f = std::make_shared<ElectFlags>();
  auto* elect = app.add_subcommand(
      "elect",
      "Observes and participates in leader election; with `-- CMD ARGS...`, runs CMD only "
      "while leading (exit status: CMD's own if it ends by itself; 3 if leadership is lost, "
      "after CMD is stopped; 128+N on signal N)");
  elect->add_option("args", f->args, "<election-name> [proposal]");
  elect->add_flag("-l,--listen", f->listen, "observation mode");
  elect->add_option("--ttl", f->ttl, "session TTL in seconds (how soon a dead leader is replaced)")
      ->capture_default_str();
  elect
      ->add_option("--grace-period", f->grace,
                   "time between SIGTERM and SIGKILL when stopping the command")
      ->capture_default_str();
  elect->add_option("--margin", f->margin,
                    "step down this long before the lease may expire (default TTL/5)");
  elect->callback([&g, &exit_code, f] { exit_code = run_elect(g, *f); });
}

}  // namespace regent::ctl
