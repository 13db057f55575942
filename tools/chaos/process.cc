#include "process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace regent::chaos {

namespace {

// The environment a child gets: the harness's, with `extra` added or replacing by name.
std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  auto name_of = [](const std::string& s) { return s.substr(0, s.find('=')); };
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    bool replaced = false;
    for (const auto& x : extra) replaced = replaced || name_of(x) == name_of(entry);
    if (!replaced) out.push_back(std::move(entry));
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::string join_argv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

Expected<pid_t, std::string> spawn(const SpawnSpec& spec) {
  if (spec.argv.empty()) return unexpected(std::string("spawn: empty command"));
  // Everything the child needs is prepared before fork: between fork and exec a child of a
  // multi-threaded process may only make async-signal-safe calls.
  std::vector<std::string> argv = spec.argv;
  std::vector<std::string> env = child_environment(spec.extra_env);
  std::vector<char*> argv_p = pointers(argv);
  std::vector<char*> env_p = pointers(env);
  int ns_fd = -1;
  if (!spec.netns.empty()) {
    const std::string path = "/var/run/netns/" + spec.netns;
    ns_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns_fd < 0) return unexpected(fmt::format("open {}: {}", path, std::strerror(errno)));
  }
  const std::string log = spec.log_path.empty() ? "/dev/null" : spec.log_path;
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    if (ns_fd >= 0) ::close(ns_fd);
    return unexpected(fmt::format("open {}: {}", log, std::strerror(errno)));
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // The harness died before prctl took effect.
    if (ns_fd >= 0 && ::setns(ns_fd, CLONE_NEWNET) != 0) ::_exit(126);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    // A process group of its own: a terminal's Ctrl-C reaches the harness alone, which then
    // stops its children in order instead of having them die mid-write on their own.
    ::setpgid(0, 0);
    ::execve(argv_p[0], argv_p.data(), env_p.data());
    ::_exit(127);
  }
  const int fork_errno = errno;
  if (ns_fd >= 0) ::close(ns_fd);
  ::close(log_fd);
  if (pid < 0) return unexpected(fmt::format("fork: {}", std::strerror(fork_errno)));
  return pid;
}

bool wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void kill_and_reap(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  ::kill(pid, SIGCONT);  // A stopped process dies of SIGKILL too; this is for its group's sake.
  wait_exit(pid, std::chrono::seconds(10));
}

Expected<int, std::string> run_command(const SpawnSpec& spec, std::chrono::milliseconds timeout) {
  auto pid = spawn(spec);
  if (!pid) return unexpected(pid.error());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(*pid, &status, WNOHANG);
    if (r == *pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return unexpected(fmt::format("'{}' died of signal {}", join_argv(spec.argv),
                                    WIFSIGNALED(status) ? WTERMSIG(status) : -1));
    }
    if (r < 0) return unexpected(fmt::format("waitpid: {}", std::strerror(errno)));
    if (std::chrono::steady_clock::now() >= deadline) {
      kill_and_reap(*pid);
      return unexpected(fmt::format("'{}' took longer than {} ms and was killed",
                                    join_argv(spec.argv), timeout.count()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

Expected<void, std::string> run_ok(const SpawnSpec& spec, std::chrono::milliseconds timeout) {
  auto status = run_command(spec, timeout);
  if (!status) return unexpected(status.error());
  if (*status != 0) {
    return unexpected(fmt::format("'{}' exited {}", join_argv(spec.argv), *status));
  }
  return {};
}

}  // namespace regent::chaos
