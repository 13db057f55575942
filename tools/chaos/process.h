// Child processes of the harness: members and the commands that shape the network.
//
// Invariants:
//  - A child is started by fork + exec from the thread that will outlive it (the harness's main
//    thread), with PR_SET_PDEATHSIG so that it dies with the harness even if the harness is
//    SIGKILLed; the harness itself stops every child it started by its pid, never by name.
//  - A child asked to run inside a network namespace joins it (setns) before exec, so it never
//    opens a socket anywhere else.
//  - Every wait is bounded: run_command() kills a command that outlives its timeout.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/expected.h"

namespace regent::chaos {

struct SpawnSpec {
  std::vector<std::string> argv;
  std::vector<std::string> extra_env;  // "NAME=value", added to (or replacing in) the harness's.
  std::string netns;                   // Empty: the harness's own namespace.
  std::string log_path;                // Empty: /dev/null. Appended to.
};

Expected<pid_t, std::string> spawn(const SpawnSpec& spec);

// Reaps `pid` if it exited within `timeout`; true once it is gone.
bool wait_exit(pid_t pid, std::chrono::milliseconds timeout);

// SIGKILL, then reap (bounded). For children of this process only.
void kill_and_reap(pid_t pid);

// Runs a command to its end. Returns its exit status, or an error naming the command when it
// could not start, was killed, or outlived `timeout` (then it is killed).
Expected<int, std::string> run_command(const SpawnSpec& spec, std::chrono::milliseconds timeout);

// run_command that must exit 0.
Expected<void, std::string> run_ok(const SpawnSpec& spec,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

std::string join_argv(const std::vector<std::string>& argv);

}  // namespace regent::chaos
