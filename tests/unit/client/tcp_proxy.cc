#include "unit/client/tcp_proxy.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

namespace regent::client::testing {

namespace {

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

// One direction of a connection: bytes read from `from` wait in `buffer` until written to `to`.
struct Pipe {
  int from = -1;
  int to = -1;
  std::string buffer;
  bool eof = false;
};

}  // namespace

TcpProxy::TcpProxy(int target_port) : target_port_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = loopback(0);
  socklen_t len = sizeof(addr);
  if (listen_fd_ >= 0 && ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
      ::listen(listen_fd_, 64) == 0 &&
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port_ = ntohs(addr.sin_port);
  }
  thread_ = std::thread([this] { run(); });
}

TcpProxy::~TcpProxy() {
  stop_ = true;
  thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void TcpProxy::run() {
  std::vector<Pipe> pipes;  // Pairs: 2k is client->target, 2k+1 is target->client.
  // Ends at destruction; each round polls for at most 20 ms.
  while (!stop_) {
    std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
    const bool moving = !blocked_;
    for (auto& p : pipes) {
      if (p.from < 0) continue;
      short events = 0;
      if (moving && p.buffer.empty() && !p.eof) events |= POLLIN;
      fds.push_back({p.from, events, 0});
      fds.push_back({p.to, static_cast<short>(moving && !p.buffer.empty() ? POLLOUT : 0), 0});
    }
    ::poll(fds.data(), fds.size(), 20);
    if (fds[0].revents & POLLIN) {
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      const int target = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr = loopback(target_port_);
      if (client >= 0 && target >= 0 &&
          ::connect(target, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
        pipes.push_back(Pipe{.from = client, .to = target});
        pipes.push_back(Pipe{.from = target, .to = client});
      } else {
        if (client >= 0) ::close(client);
        if (target >= 0) ::close(target);
      }
    }
    if (!moving) continue;
    char chunk[16384];
    for (size_t k = 0; k < pipes.size(); ++k) {
      Pipe& p = pipes[k];
      if (p.from < 0) continue;
      if (p.buffer.empty() && !p.eof) {
        const ssize_t n = ::recv(p.from, chunk, sizeof(chunk), MSG_DONTWAIT);
        if (n > 0) p.buffer.assign(chunk, static_cast<size_t>(n));
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) p.eof = true;
      }
      if (!p.buffer.empty()) {
        const ssize_t n =
            ::send(p.to, p.buffer.data(), p.buffer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) p.buffer.erase(0, static_cast<size_t>(n));
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) p.eof = true;
      }
    }
    // A connection ends when either direction ends: close both sockets of the pair.
    for (size_t k = 0; k + 1 < pipes.size(); k += 2) {
      Pipe& a = pipes[k];
      Pipe& b = pipes[k + 1];
      if (a.from >= 0 && ((a.eof && a.buffer.empty()) || (b.eof && b.buffer.empty()))) {
        ::close(a.from);
        ::close(a.to);
        a.from = a.to = b.from = b.to = -1;
      }
    }
  }
  for (size_t k = 0; k + 1 < pipes.size(); k += 2) {
    if (pipes[k].from >= 0) {
      ::close(pipes[k].from);
      ::close(pipes[k].to);
    }
  }
}

}  // namespace regent::client::testing
