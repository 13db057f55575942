#include "options.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <sstream>

#include "nemesis.h"

namespace regent::chaos {

namespace {

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// "all" is every known name; anything else must be known.
Expected<std::vector<std::string>, std::string> resolve(const std::string& list,
                                                        const std::vector<std::string>& known,
                                                        const char* what) {
  if (list == "all") return known;
  if (list == "none") return std::vector<std::string>{};
  auto items = split(list);
  for (const auto& item : items) {
    if (std::find(known.begin(), known.end(), item) == known.end()) {
      std::string names;
      for (const auto& k : known) names += (names.empty() ? "" : ",") + k;
      return unexpected(fmt::format("unknown {} '{}' (known: {}, all)", what, item, names));
    }
  }
  return items;
}

// A file built beside this program (the build tree's), if there is one.
std::string sibling_of_self(const std::string& name) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  auto sibling = self.parent_path() / name;
  return std::filesystem::exists(sibling, ec) ? sibling.string() : std::string();
}

}  // namespace

const std::vector<std::string>& known_workloads() {
  static const std::vector<std::string> names = {"register", "set",  "append",
                                                 "watch",    "lock", "lease"};
  return names;
}

Expected<Options, std::string> parse_options(int argc, char** argv, int* exit_code) {
  Options o;
  std::string nemesis = "all", workload = "all";
  o.seed = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  CLI::App app{
      "regent-chaos: real members on network-namespace hosts, concurrent client workloads\n"
      "through every member, a nemesis injecting faults, and every history checked afterwards.\n"
      "Needs root (network namespaces, iptables). Exit status 0 only with no violation and no\n"
      "acknowledged write lost."};
  app.add_option("--server", o.server,
                 "The member binary: a path, or 'etcd' for /usr/bin/etcd (default: the regentd "
                 "beside this program)");
  app.add_option("--members", o.members, "Cluster size")
      ->check(CLI::IsMember({3, 5}))
      ->capture_default_str();
  app.add_option("--time", o.seconds, "Seconds of faults and load")
      ->check(CLI::Range(5, 86400))
      ->capture_default_str();
  app.add_option("--nemesis", nemesis, "Comma-separated faults, 'all' or 'none'")
      ->capture_default_str();
  app.add_option("--workload", workload, "Comma-separated workloads, or 'all'")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "Seed of every random choice (default: the time)");
  app.add_option("--workers", o.workers, "Client threads (default: 3 per workload)")
      ->check(CLI::Range(1, 64));
  app.add_option("--dir", o.dir, "The run's directory (default: chaos-runs/<time>-<seed>)");
  app.add_option("--member-env", o.member_env, "NAME=VALUE given to every member (repeatable)");
  app.add_flag("--expect-violation", o.expect_violation,
               "Invert the verdict: exit 0 only if a violation was found (proof that the checkers "
               "catch a broken build)");
  app.add_option("--unsynced-loss-library", o.unsynced_loss_library,
                 "The power nemesis's LD_PRELOAD library (default: the one beside this program)")
      ->check(CLI::ExistingFile);
  app.add_flag("--keep-data", o.keep_data, "Keep the members' data directories after a pass");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    *exit_code = app.exit(e);
    return unexpected(std::string());
  }
  *exit_code = 2;
  auto n = resolve(nemesis, known_nemeses(), "nemesis");
  if (!n) return unexpected(n.error());
  auto w = resolve(workload, known_workloads(), "workload");
  if (!w) return unexpected(w.error());
  if (w->empty()) return unexpected(std::string("at least one workload is needed"));
  o.nemeses = *n;
  o.workloads = *w;
  if (o.server.empty()) o.server = sibling_of_self("regentd");
  if (o.server.empty()) o.server = "regentd";
  if (o.server == "etcd") o.server = "/usr/bin/etcd";
  o.server = std::filesystem::absolute(o.server).string();
  if (::access(o.server.c_str(), X_OK) != 0) {
    return unexpected(fmt::format("--server {} is not an executable file", o.server));
  }
  if (std::find(o.nemeses.begin(), o.nemeses.end(), "power") != o.nemeses.end()) {
    if (o.unsynced_loss_library.empty()) {
      o.unsynced_loss_library = sibling_of_self("libregent-chaos-unsynced-loss.so");
    }
    if (o.unsynced_loss_library.empty()) {
      return unexpected(
          std::string("the power nemesis needs --unsynced-loss-library (built as "
                      "libregent-chaos-unsynced-loss.so beside regent-chaos)"));
    }
    o.unsynced_loss_library = std::filesystem::absolute(o.unsynced_loss_library).string();
  }
  if (o.workers == 0) o.workers = 3 * static_cast<int>(o.workloads.size());
  if (o.dir.empty()) {
    const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::gmtime(&t));
    o.dir = fmt::format("chaos-runs/{}-{}-seed{}", stamp,
                        std::filesystem::path(o.server).filename().string(), o.seed);
  }
  o.dir = std::filesystem::absolute(o.dir).string();
  return o;
}

}  // namespace regent::chaos
