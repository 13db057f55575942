#include "unit/client/process_cluster.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "client/client.h"
#include "client/maintenance.h"

namespace regent::client::testing {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string test_server_binary() {
  if (const char* env = std::getenv("REGENT_TEST_SERVER"); env && *env) return env;
#ifdef REGENT_DEFAULT_TEST_SERVER
  return REGENT_DEFAULT_TEST_SERVER;
#else
  return "regentd";
#endif
}

namespace {

// Distinct free ports: every socket stays bound until all are picked.
std::vector<int> free_ports(int n) {
  std::vector<int> fds, ports;
  for (int i = 0; i < n; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      if (fd >= 0) ::close(fd);
      ports.push_back(0);
      continue;
    }
    fds.push_back(fd);
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) ::close(fd);
  return ports;
}

}  // namespace

ProcessCluster::ProcessCluster(int size) : binary_(test_server_binary()) {
  char pattern[] = "/tmp/regent-client-test-XXXXXX";
  const char* made = ::mkdtemp(pattern);
  dir_ = made ? made : "/tmp";
  token_ =
      fmt::format("regent-client-test-{}-{}", ::getpid(), Clock::now().time_since_epoch().count());
  const auto ports = free_ports(2 * size);
  for (int i = 0; i < size; ++i) {
    Member m;
    m.name = fmt::format("n{}", i + 1);
    m.client_port = ports[2 * i];
    m.peer_port = ports[2 * i + 1];
    const std::string mdir = fmt::format("{}/{}", dir_, m.name);
    fs::create_directories(mdir);
    m.data_dir = mdir + "/data";
    m.log_path = mdir + "/log.txt";
    members_.push_back(std::move(m));
  }
}

ProcessCluster::~ProcessCluster() {
  stop();
  std::error_code ignored;
  if (dir_.rfind("/tmp/regent-client-test-", 0) == 0) fs::remove_all(dir_, ignored);
}

bool ProcessCluster::is_etcd() const { return fs::path(binary_).filename() == "etcd"; }

std::string ProcessCluster::endpoint(int i) const {
  return fmt::format("http://127.0.0.1:{}", members_[i].client_port);
}

std::vector<std::string> ProcessCluster::endpoints() const {
  std::vector<std::string> out;
  for (int i = 0; i < size(); ++i) out.push_back(endpoint(i));
  return out;
}

std::vector<std::string> ProcessCluster::command(int i) const {
  const Member& m = members_[i];
  std::string initial;
  for (const auto& p : members_) {
    if (!initial.empty()) initial += ",";
    initial += fmt::format("{}=http://127.0.0.1:{}", p.name, p.peer_port);
  }
  const std::string client_url = endpoint(i);
  const std::string peer_url = fmt::format("http://127.0.0.1:{}", m.peer_port);
  return {binary_,    "--name",
          m.name,     "--data-dir",
          m.data_dir, "--listen-client-urls",
          client_url, "--advertise-client-urls",
          client_url, "--listen-peer-urls",
          peer_url,   "--initial-advertise-peer-urls",
          peer_url,   "--initial-cluster",
          initial,    "--initial-cluster-token",
          token_,     "--initial-cluster-state",
          "new",      "--heartbeat-interval",
          "100",      "--election-timeout",
          "1000"};
}

bool ProcessCluster::spawn(int i) {
  Member& m = members_[i];
  const auto args = command(i);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const int log = ::open(m.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    if (log >= 0) ::close(log);
    return false;
  }
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec: the test process has threads.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  if (log >= 0) ::close(log);
  m.pid = pid;
  return true;
}

std::optional<std::string> ProcessCluster::start(std::chrono::seconds timeout) {
  for (int i = 0; i < size(); ++i) {
    if (!spawn(i)) return fmt::format("cannot start {}", binary_);
  }
  auto client = Client::connect(ClientOptions{.endpoints = endpoints()});
  if (!client) return client.error().describe();
  Maintenance maintenance(*client);
  const auto deadline = Clock::now() + timeout;
  // Bounded by the deadline: one Status round per 100 ms at most.
  for (int i = 0; i < size(); ++i) {
    for (;;) {
      if (!running(i)) return "member exited:\n" + all_log_tails();
      int status = 0;
      if (::waitpid(members_[i].pid, &status, WNOHANG) == members_[i].pid) {
        members_[i].pid = -1;
        return fmt::format("member {} exited at start-up:\n{}", i, all_log_tails());
      }
      auto st = maintenance.status(i, Context::with_timeout(std::chrono::seconds(1)));
      if (st && st->leader != 0) break;
      if (Clock::now() >= deadline) {
        return fmt::format("member {} not ready within {}s:\n{}", i, timeout.count(),
                           all_log_tails());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (!wait_leader(std::max(left, std::chrono::milliseconds(1000)))) {
    return "members do not agree on a leader:\n" + all_log_tails();
  }
  return std::nullopt;
}

void ProcessCluster::kill(int i) {
  Member& m = members_[i];
  if (m.pid <= 0) return;
  ::kill(m.pid, SIGCONT);  // A stopped process must run to die cleanly.
  ::kill(m.pid, SIGKILL);
  int status = 0;
  ::waitpid(m.pid, &status, 0);
  m.pid = -1;
}

void ProcessCluster::pause(int i) {
  if (members_[i].pid > 0) ::kill(members_[i].pid, SIGSTOP);
}

void ProcessCluster::resume(int i) {
  if (members_[i].pid > 0) ::kill(members_[i].pid, SIGCONT);
}

void ProcessCluster::stop() {
  for (int i = 0; i < size(); ++i) kill(i);
}

std::optional<int> ProcessCluster::wait_leader(std::chrono::milliseconds timeout) {
  auto client = Client::connect(ClientOptions{.endpoints = endpoints()});
  if (!client) return std::nullopt;
  Maintenance maintenance(*client);
  const auto deadline = Clock::now() + timeout;
  // Bounded by the deadline.
  while (Clock::now() < deadline) {
    std::set<uint64_t> leaders;
    std::vector<uint64_t> ids(size(), 0);
    bool all = true;
    for (int i = 0; i < size(); ++i) {
      if (!running(i)) continue;
      auto st = maintenance.status(i, Context::with_timeout(std::chrono::seconds(1)));
      if (!st) {
        all = false;
        break;
      }
      leaders.insert(st->leader);
      ids[i] = st->header.member_id;
    }
    if (all && leaders.size() == 1 && *leaders.begin() != 0) {
      for (int i = 0; i < size(); ++i) {
        if (ids[i] == *leaders.begin()) return i;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return std::nullopt;
}

std::string ProcessCluster::log_tail(int i, size_t max_bytes) const {
  std::ifstream in(members_[i].log_path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > max_bytes) text = text.substr(text.size() - max_bytes);
  return text;
}

std::string ProcessCluster::all_log_tails() const {
  std::string out;
  for (int i = 0; i < size(); ++i) {
    out += fmt::format("---- {} ({})\n{}\n", members_[i].name, members_[i].log_path, log_tail(i));
  }
  return out;
}

}  // namespace regent::client::testing
