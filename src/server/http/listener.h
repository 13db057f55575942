// The client port, owned by the member itself: it accepts TCP connections on every client
// address, sniffs each (sniff.h) and hands it to gRPC (an HTTP/2 preface) or to the HTTP face
// (HTTP/1.1), so one port serves both as etcd's does.
//
// Threads: one accept thread per listening socket (an address's host may resolve to several); one
// thread per connection while it is sniffed and, for HTTP/1.1, while it is served. A gRPC
// connection's thread ends at the hand-over: gRPC's own threads serve it from then on.
//
// TLS (options.tls set, for https:// URLs): the connection's thread runs the handshake and then
// the tunnel (tls/tunnel.h) between the client's socket and one end of a socketpair; a second
// thread sniffs and hands over the other, plaintext, end exactly as above. So gRPC and the HTTP
// face serve TLS clients without knowing TLS, and the certificate is chosen per connection
// (tls/server_context.h reloads rotated files). A TLS connection counts twice against
// max_connections (its socket and its plaintext end).
//
// Invariants:
//  - At most max_connections connections are sniffed or served over HTTP at once; one beyond
//    that is closed at once, so idle or slow clients cannot take every thread.
//  - Every accepted fd is closed exactly once: by gRPC after the hand-over, or here (once the
//    HTTP face is done with it, the sniff failed, the cap was reached, or the listener stops).
//  - stop() returns only once no connection thread is left running, so the handlers' targets
//    may be destroyed after it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/expected.h"
#include "common/logger.h"
#include "server/http/connection_registry.h"
#include "tls/server_context.h"

namespace regent::server::http {

struct ListenerOptions {
  std::vector<std::string> addresses;  // host:port, as --listen-client-urls gives them.
  std::chrono::milliseconds sniff_timeout{5000};
  size_t max_connections = 1024;
  // Set: every connection must speak TLS (a plaintext client fails the handshake and is closed).
  // Not owned; outlives the listener.
  tls::ServerContext* tls = nullptr;
  // Set: each connection handed to gRPC is recorded there (its address, its certificate's
  // name). Not owned; outlives the listener.
  ConnectionRegistry* registry = nullptr;
};

class ClientListener {
 public:
  // `grpc` takes ownership of the fd; `http` serves it on the connection's thread and returns
  // when the client is done, leaving the fd to be closed here.
  using Handoff = std::function<void(int fd)>;

  // Binds every address (each host's every resolved address; the port each got, for ":0", is
  // in ports()), but accepts nothing until start().
  static Expected<std::unique_ptr<ClientListener>, std::string> bind(ListenerOptions options,
                                                                     Logger& logger);
  ~ClientListener();
  ClientListener(const ClientListener&) = delete;
  ClientListener& operator=(const ClientListener&) = delete;

  void start(Handoff grpc, Handoff http);
  // Stops accepting, shuts down every connection still sniffed or served over HTTP, and waits
  // for their threads. Idempotent.
  void stop();

  const std::vector<int>& ports() const { return ports_; }

 private:
  ClientListener(ListenerOptions options, Logger& logger);
  void accept_loop(int listen_fd);
  void serve(int fd);
  void serve_tls(int fd);
  // Sniffs `fd` and hands it over; closes it unless gRPC took it. `info`: the client's.
  void serve_plain(int fd, ConnectionInfo info);
  // Forgets and closes a connection's fd that is still the listener's.
  void close_open(int fd);
  void finish_thread();

  const ListenerOptions options_;
  Logger& logger_;
  Handoff grpc_;
  Handoff http_;
  std::vector<int> listen_fds_;
  std::vector<int> ports_;  // One per address of options_.
  int wake_fd_ = -1;        // An eventfd: written by stop() to end the accept loops.
  std::vector<std::thread> acceptors_;

  std::mutex mu_;
  std::condition_variable idle_;
  std::set<int> open_;  // Connections sniffed or served over HTTP, by their threads.
  size_t running_ = 0;  // Connection threads not yet finished (detached).
  bool stopping_ = false;
};

}  // namespace regent::server::http
