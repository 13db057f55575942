#include "net_world.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "process.h"

namespace regent::chaos {

namespace {

const std::string kIp = "/usr/sbin/ip";
const std::string kIptables = "/usr/sbin/iptables";

Expected<void, std::string> ip(std::vector<std::string> args) {
  args.insert(args.begin(), kIp);
  return run_ok(SpawnSpec{.argv = std::move(args)});
}

std::string ns_name(const std::string& host) { return fmt::format("{}-{}", kPrefix, host); }

}  // namespace

std::vector<std::string> NetWorld::remove_leftovers() {
  std::vector<std::string> removed;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/var/run/netns", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(std::string(kPrefix) + "-", 0) != 0) continue;
    // Processes a SIGKILLed harness left inside (its members, if PDEATHSIG did not reach them).
    auto pids = run_command(
        SpawnSpec{.argv = {kIp, "netns", "pids", name}, .log_path = "/tmp/rgchaos-netns-pids"},
        std::chrono::seconds(5));
    std::ifstream in("/tmp/rgchaos-netns-pids");
    for (std::string line; std::getline(in, line);) {
      const pid_t pid = static_cast<pid_t>(std::atoi(line.c_str()));
      if (pid > 1) {
        ::kill(pid, SIGKILL);
        removed.push_back(fmt::format("process {} in {}", pid, name));
      }
    }
    std::filesystem::remove("/tmp/rgchaos-netns-pids", ec);
    if (ip({"netns", "del", name})) removed.push_back("namespace " + name);
  }
  return removed;
}

Expected<std::unique_ptr<NetWorld>, std::string> NetWorld::create(int members) {
  std::unique_ptr<NetWorld> w(new NetWorld());
  w->hub_ = ns_name("hub");
  auto setup = [&]() -> Expected<void, std::string> {
    if (auto r = ip({"netns", "add", w->hub_}); !r) return r;
    w->namespaces_.push_back(w->hub_);
    for (auto args : std::vector<std::vector<std::string>>{
             {"-n", w->hub_, "link", "set", "lo", "up"},
             {"-n", w->hub_, "link", "add", "br0", "type", "bridge"},
             {"-n", w->hub_, "link", "set", "br0", "up"}}) {
      if (auto r = ip(args); !r) return r;
    }
    for (int i = 0; i < members; ++i) {
      Host h{ns_name(fmt::format("n{}", i + 1)), fmt::format("10.77.0.{}", 11 + i)};
      if (auto r = w->add_host(h, fmt::format("n{}", i + 1)); !r) return r;
      w->hosts_.push_back(h);
    }
    w->clients_ = Host{ns_name("clients"), "10.77.0.100"};
    return w->add_host(w->clients_, "clients");
  };
  if (auto r = setup(); !r) return unexpected("building the network: " + r.error());
  w->has_cuts_.assign(static_cast<size_t>(members), false);
  return w;
}

Expected<void, std::string> NetWorld::add_host(const Host& host, const std::string& link) {
  if (auto r = ip({"netns", "add", host.netns}); !r) return r;
  namespaces_.push_back(host.netns);
  const std::string hub_end = "rgc-" + link;
  for (auto args : std::vector<std::vector<std::string>>{
           {"-n", hub_, "link", "add", hub_end, "type", "veth", "peer", "name", "eth0", "netns",
            host.netns},
           {"-n", hub_, "link", "set", hub_end, "master", "br0"},
           {"-n", hub_, "link", "set", hub_end, "up"},
           {"-n", host.netns, "addr", "add", host.ip + "/24", "dev", "eth0"},
           {"-n", host.netns, "link", "set", "eth0", "up"},
           {"-n", host.netns, "link", "set", "lo", "up"}}) {
    if (auto r = ip(args); !r) return r;
  }
  return {};
}

NetWorld::~NetWorld() { destroy(); }

void NetWorld::destroy() {
  // Deleting a namespace removes its links, addresses and iptables rules with it.
  for (auto it = namespaces_.rbegin(); it != namespaces_.rend(); ++it) {
    (void)ip({"netns", "del", *it});
  }
  namespaces_.clear();
}

Expected<void, std::string> NetWorld::cut(int to, int from) {
  has_cuts_.at(static_cast<size_t>(to)) = true;
  return run_ok(
      SpawnSpec{.argv = {kIptables, "-w", "5", "-A", "INPUT", "-s", member(from).ip, "-j", "DROP"},
                .netns = member(to).netns});
}

Expected<void, std::string> NetWorld::heal() {
  for (int i = 0; i < members(); ++i) {
    if (!has_cuts_[static_cast<size_t>(i)]) continue;
    if (auto r = run_ok(
            SpawnSpec{.argv = {kIptables, "-w", "5", "-F", "INPUT"}, .netns = member(i).netns});
        !r) {
      return r;
    }
    has_cuts_[static_cast<size_t>(i)] = false;
  }
  return {};
}

Expected<void, std::string> NetWorld::enter_clients() const {
  const std::string path = "/var/run/netns/" + clients_.netns;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return unexpected(fmt::format("open {}: {}", path, std::strerror(errno)));
  const int r = ::setns(fd, CLONE_NEWNET);
  const int err = errno;
  ::close(fd);
  if (r != 0) return unexpected(fmt::format("setns {}: {}", path, std::strerror(err)));
  return {};
}

}  // namespace regent::chaos
