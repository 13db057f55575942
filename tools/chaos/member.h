// One member of the cluster under test: a regentd (or etcd) process on its own host, started,
// killed, paused and resumed by pid.
//
// Invariants:
//  - At most one process per member at a time; pid_ is 0 exactly when none runs.
//  - Every start uses the same flags (etcd's, which regentd shares), so a restart finds the data
//    directory it left; `--initial-cluster-state new` on an existing directory is ignored by both.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/expected.h"

namespace regent::chaos {

struct MemberConfig {
  std::string server;  // The binary.
  std::string name;    // n1, n2, ...
  std::string ip;
  std::string netns;
  std::string data_dir;
  std::string log_path;
  std::string initial_cluster;  // n1=http://10.77.0.11:2380,...
  std::string cluster_state = "new";
  std::vector<std::string> extra_env;  // e.g. the faulty build's REGENT_TEST_NODE_FAULT.
  std::vector<std::string> extra_flags;
  // With the clock nemesis: the libfaketime offset file this member's wall clock reads (it is
  // started with libfaketime preloaded); empty otherwise.
  std::string clock_file;
  // Libraries the member is started with (LD_PRELOAD): libfaketime, the unsynced-loss library.
  std::vector<std::string> preload;
  // With the power nemesis: the image of what the member synced (synced/synced_image.h),
  // started afresh from its data directory at every start; empty otherwise.
  std::string synced_image;
  // With the power nemesis: the file holding the slow disk's delay (µs; 0: none), which the
  // preload library reads.
  std::string sync_delay_file;
};

class MemberProcess {
 public:
  explicit MemberProcess(MemberConfig config) : config_(std::move(config)) {}
  ~MemberProcess() { stop(); }
  MemberProcess(const MemberProcess&) = delete;
  MemberProcess& operator=(const MemberProcess&) = delete;

  Expected<void, std::string> start();
  void kill9();  // SIGKILL and reap.
  // SIGKILL without waiting, so that several members die at the same moment; kill9() reaps.
  void send_kill();
  void pause();   // SIGSTOP.
  void resume();  // SIGCONT.
  void stop();    // SIGTERM, then SIGKILL after a bounded wait.
  bool running() const { return pid_ != 0; }
  bool paused() const { return paused_; }
  // True if the process exited on its own (reaped); its member is then down.
  bool exited();

  const MemberConfig& config() const { return config_; }
  MemberConfig& mutable_config() { return config_; }
  std::string client_url() const { return "http://" + config_.ip + ":2379"; }
  std::string peer_url() const { return "http://" + config_.ip + ":2380"; }

 private:
  MemberConfig config_;
  pid_t pid_ = 0;
  bool paused_ = false;
};

}  // namespace regent::chaos
