#include "member.h"

#include <signal.h>
#include <sys/wait.h>

#include <chrono>

#include "process.h"
#include "synced_image.h"

namespace regent::chaos {

Expected<void, std::string> MemberProcess::start() {
  if (pid_ != 0) return {};
  const std::string client = client_url();
  const std::string peer = peer_url();
  std::vector<std::string> argv = {config_.server,
                                   "--name",
                                   config_.name,
                                   "--data-dir",
                                   config_.data_dir,
                                   "--listen-client-urls",
                                   client,
                                   "--advertise-client-urls",
                                   client,
                                   "--listen-peer-urls",
                                   peer,
                                   "--initial-advertise-peer-urls",
                                   peer,
                                   "--initial-cluster",
                                   config_.initial_cluster,
                                   "--initial-cluster-state",
                                   config_.cluster_state,
                                   "--initial-cluster-token",
                                   "rgchaos",
                                   "--heartbeat-interval",
                                   "100",
                                   "--election-timeout",
                                   "1000"};
  argv.insert(argv.end(), config_.extra_flags.begin(), config_.extra_flags.end());
  if (!config_.synced_image.empty()) {
    if (auto r = synced::seed(config_.data_dir, config_.synced_image); !r) {
      return unexpected("the synced image of " + config_.name + ": " + r.error());
    }
  }
  std::vector<std::string> env = config_.extra_env;
  if (!config_.preload.empty()) {
    std::string libs;
    for (const auto& lib : config_.preload) libs += (libs.empty() ? "" : ":") + lib;
    env.push_back("LD_PRELOAD=" + libs);
  }
  auto pid = spawn(SpawnSpec{.argv = std::move(argv),
                             .extra_env = std::move(env),
                             .netns = config_.netns,
                             .log_path = config_.log_path});
  if (!pid) return unexpected(pid.error());
  pid_ = *pid;
  paused_ = false;
  return {};
}

void MemberProcess::kill9() {
  if (pid_ == 0) return;
  kill_and_reap(pid_);
  pid_ = 0;
  paused_ = false;
}

void MemberProcess::send_kill() {
  if (pid_ != 0) ::kill(pid_, SIGKILL);
}

void MemberProcess::pause() {
  if (pid_ == 0 || paused_) return;
  ::kill(pid_, SIGSTOP);
  paused_ = true;
}

void MemberProcess::resume() {
  if (pid_ == 0 || !paused_) return;
  ::kill(pid_, SIGCONT);
  paused_ = false;
}

void MemberProcess::stop() {
  if (pid_ == 0) return;
  resume();
  ::kill(pid_, SIGTERM);
  if (!wait_exit(pid_, std::chrono::seconds(10))) kill_and_reap(pid_);
  pid_ = 0;
}

bool MemberProcess::exited() {
  if (pid_ == 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = 0;
    paused_ = false;
    return true;
  }
  return false;
}

}  // namespace regent::chaos
