// Supervisor mode of elect and lock: run a command only while leadership (or the lock) is
// held, and stop it as soon as it is not.
//
// Invariants:
//  - The command runs in its own process group, with PR_SET_PDEATHSIG: if regentctl dies
//    (even by SIGKILL) the command is killed too, since its lease will soon stop protecting it.
//  - It is started only after the campaign (lock) was won and checked, with the fencing token
//    and the held key in its environment.
//  - The moment the OwnershipMonitor reports a loss, or regentctl gets SIGINT/SIGTERM/SIGHUP,
//    the command's group gets SIGTERM, then SIGKILL after the grace period. The command is
//    always reaped before supervise() returns.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "client/ownership.h"
#include "common/expected.h"

namespace regent::ctl {

class Child {
 public:
  // Resolves argv[0] on PATH; forks (call from the main thread: PR_SET_PDEATHSIG follows the
  // thread that forked) and execs with the current environment plus `env`.
  static Expected<Child, std::string> spawn(const std::vector<std::string>& argv,
                                            const std::map<std::string, std::string>& env);
  // The exit status once it ended (its code, or 128 + the signal that killed it).
  std::optional<int> poll();
  // SIGTERM to its group, SIGKILL after `grace`; returns its status.
  int stop(std::chrono::milliseconds grace);
  pid_t pid() const { return pid_; }

 private:
  explicit Child(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  std::optional<int> status_;
};

// Where to find a program, as the shell would: argv0 itself if it names a path, else on $PATH.
std::optional<std::string> find_program(const std::string& argv0);

struct Supervised {
  enum class Ending { kExited, kLost, kSignal };
  Ending ending;
  int status = 0;   // The command's exit status.
  std::string why;  // For kLost: what was lost.
};

// Waits for the first of: the command ends, the monitor reports a loss, a signal arrives.
Supervised supervise(Child& child, const client::OwnershipMonitor& monitor,
                     std::chrono::milliseconds grace);

}  // namespace regent::ctl
