// A TCP forwarder on 127.0.0.1 that a test can turn into a black hole: while blocked it keeps
// every connection open but moves no bytes, as a network partition looks to both sides (no
// reset, no answer). Used to cut one client off the cluster without touching the members.
#pragma once

#include <atomic>
#include <thread>

namespace regent::client::testing {

class TcpProxy {
 public:
  explicit TcpProxy(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  void set_blocked(bool blocked) { blocked_ = blocked; }

 private:
  void run();

  const int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> blocked_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace regent::client::testing
