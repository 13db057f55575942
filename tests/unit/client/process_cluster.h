// A cluster of real member processes on 127.0.0.1 for the client tests: regentd by default, or
// the binary named by $REGENT_TEST_SERVER (etcd's, to check the tests themselves against the
// server whose API Regent serves).
//
// Members get etcd-style flags (as tests/e2e/regent_cluster.py gives them), free ports, a data
// directory under a fresh temporary directory, and a log file there. Every process is started
// with PR_SET_PDEATHSIG so it dies with the test, and is killed by pid (SIGKILL after SIGCONT)
// in stop() and the destructor. Every wait is bounded in time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace regent::client::testing {

class ProcessCluster {
 public:
  explicit ProcessCluster(int size = 3);
  ~ProcessCluster();
  ProcessCluster(const ProcessCluster&) = delete;
  ProcessCluster& operator=(const ProcessCluster&) = delete;

  // Starts every member and waits until each answers Status and they agree on a leader. On
  // failure returns why, with the members' log tails.
  std::optional<std::string> start(std::chrono::seconds timeout = std::chrono::seconds(30));
  void stop();

  int size() const { return static_cast<int>(members_.size()); }
  bool is_etcd() const;
  std::vector<std::string> endpoints() const;  // http://127.0.0.1:<client port>, one per member
  std::string endpoint(int i) const;
  int client_port(int i) const { return members_[i].client_port; }

  void kill(int i);    // SIGKILL, then reap.
  void pause(int i);   // SIGSTOP
  void resume(int i);  // SIGCONT
  bool running(int i) const { return members_[i].pid > 0; }

  // The index of the member every running member names as leader; nullopt if none within timeout.
  std::optional<int> wait_leader(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  std::string log_tail(int i, size_t max_bytes = 3000) const;
  std::string all_log_tails() const;

 private:
  struct Member {
    std::string name;
    int client_port = 0;
    int peer_port = 0;
    std::string data_dir;
    std::string log_path;
    pid_t pid = -1;
  };
  std::vector<std::string> command(int i) const;
  bool spawn(int i);

  std::string binary_;
  std::string dir_;
  std::string token_;
  std::vector<Member> members_;
};

// The server binary the tests run: $REGENT_TEST_SERVER, else the regentd this build made.
std::string test_server_binary();

}  // namespace regent::client::testing
