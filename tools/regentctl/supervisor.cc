#include "supervisor.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <thread>

#include "command.h"

extern char** environ;

namespace regent::ctl {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

int decode_status(int raw) {
  if (WIFEXITED(raw)) return WEXITSTATUS(raw);
  if (WIFSIGNALED(raw)) return 128 + WTERMSIG(raw);
  return 1;
}

bool executable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::optional<std::string> find_program(const std::string& argv0) {
  if (argv0.empty()) return std::nullopt;
  if (argv0.find('/') != std::string::npos) {
    return executable(argv0) ? std::optional<std::string>(argv0) : std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  // Bounded by $PATH's length.
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + argv0;
    if (executable(candidate)) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

Expected<Child, std::string> Child::spawn(const std::vector<std::string>& argv,
                                          const std::map<std::string, std::string>& env) {
  if (argv.empty()) return unexpected(std::string("no command given"));
  const auto program = find_program(argv[0]);
  if (!program) return unexpected(argv[0] + ": command not found");
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    if (!env.count(name)) env_strings.push_back(entry);
  }
  for (const auto& [name, value] : env) env_strings.push_back(name + "=" + value);
  std::vector<char*> c_argv, c_env;
  for (const auto& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);
  for (const auto& e : env_strings) c_env.push_back(const_cast<char*>(e.c_str()));
  c_env.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return unexpected(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // regentctl died before prctl took effect.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // regentctl blocks these; the command must not.
    ::execve(program->c_str(), c_argv.data(), c_env.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // Also from the parent, so the group exists before any kill(-pid).
  return Child(pid);
}

std::optional<int> Child::poll() {
  if (status_) return status_;
  int raw = 0;
  if (::waitpid(pid_, &raw, WNOHANG) == pid_) status_ = decode_status(raw);
  return status_;
}

int Child::stop(milliseconds grace) {
  if (auto done = poll()) return *done;
  ::kill(-pid_, SIGTERM);
  const auto deadline = Clock::now() + grace;
  // Bounded by the grace period, then SIGKILL, which cannot be ignored.
  while (Clock::now() < deadline) {
    if (auto done = poll()) {
      ::kill(-pid_, SIGKILL);  // Anything the command left behind in its group.
      return *done;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  ::kill(-pid_, SIGKILL);
  int raw = 0;
  ::waitpid(pid_, &raw, 0);
  status_ = decode_status(raw);
  return *status_;
}

Supervised supervise(Child& child, const client::OwnershipMonitor& monitor, milliseconds grace) {
  // Ends when the command ends, ownership is lost, or a signal arrives; each round waits 50 ms
  // at most (the monitor's wait returns at once on a loss or a signal).
  for (;;) {
    if (auto status = child.poll())
      return Supervised{.ending = Supervised::Ending::kExited, .status = *status};
    if (interrupted().cancelled()) {
      return Supervised{.ending = Supervised::Ending::kSignal, .status = child.stop(grace)};
    }
    if (auto lost = monitor.lost()) {
      fmt::print(stderr, "regentctl: {}; stopping the command (pid {})\n", lost->message,
                 child.pid());
      const int status = child.stop(grace);
      return Supervised{
          .ending = Supervised::Ending::kLost, .status = status, .why = lost->message};
    }
    monitor.wait_lost(Clock::now() + milliseconds(50), interrupted());
  }
}

}  // namespace regent::ctl
