#include "server/http/listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "server/http/sniff.h"
#include "tls/tunnel.h"

namespace regent::server::http {

namespace {

int port_of(const sockaddr* a) {
  return ntohs(a->sa_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(a)->sin6_port
                                        : reinterpret_cast<const sockaddr_in*>(a)->sin_port);
}

void set_port(sockaddr* a, int port) {
  const auto p = htons(static_cast<uint16_t>(port));
  if (a->sa_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(a)->sin6_port = p;
  } else {
    reinterpret_cast<sockaddr_in*>(a)->sin_port = p;
  }
}

// A listening socket on `a`; -1 with errno set if it cannot be had.
int listen_at(const addrinfo& a) {
  const int fd = ::socket(a.ai_family, a.ai_socktype | SOCK_CLOEXEC, a.ai_protocol);
  if (fd < 0) return -1;
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  // An IPv6 socket for IPv6 only: "::" and "0.0.0.0" of one wildcard host are bound apart.
  if (a.ai_family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  if (::bind(fd, a.ai_addr, a.ai_addrlen) != 0 || ::listen(fd, 1024) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

// Listens on every address `address` (host:port) resolves to, as gRPC's AddListeningPort did
// ("localhost" is 127.0.0.1 and ::1), all on one port (the first one's, for port 0); succeeds
// if one did. Appends the sockets to `fds` and returns the port.
Expected<int, std::string> listen_on(const std::string& address, std::vector<int>& fds,
                                     Logger& logger) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return unexpected("no port in " + address);
  std::string host = address.substr(0, colon);
  const std::string service = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (int rc =
          ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
      rc != 0) {
    return unexpected(address + ": " + ::gai_strerror(rc));
  }
  std::string error = address + ": no usable address";
  int port = 0;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (port != 0) set_port(a->ai_addr, port);
    const int fd = listen_at(*a);
    if (fd < 0) {
      error = address + ": " + std::strerror(errno);
      if (port != 0) logger.warn("client port: {} (one of its addresses): {}", address, error);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
    port = port_of(reinterpret_cast<sockaddr*>(&bound));
    fds.push_back(fd);
  }
  ::freeaddrinfo(found);
  if (port == 0) return unexpected(error);
  return port;
}

// "127.0.0.1:51234", for log lines about a connection.
std::string peer_of(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  char host[INET6_ADDRSTRLEN] = "?";
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return "?";
  const void* raw = a.ss_family == AF_INET6
                        ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&a)->sin6_addr)
                        : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&a)->sin_addr);
  ::inet_ntop(a.ss_family, raw, host, sizeof host);
  return fmt::format("{}:{}", host, port_of(reinterpret_cast<sockaddr*>(&a)));
}

}  // namespace

ClientListener::ClientListener(ListenerOptions options, Logger& logger)
    : options_(std::move(options)), logger_(logger) {}

Expected<std::unique_ptr<ClientListener>, std::string> ClientListener::bind(ListenerOptions options,
                                                                            Logger& logger) {
  std::unique_ptr<ClientListener> l(new ClientListener(std::move(options), logger));
  l->wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (l->wake_fd_ < 0) return unexpected(std::string("eventfd: ") + std::strerror(errno));
  for (const std::string& address : l->options_.addresses) {
    auto port = listen_on(address, l->listen_fds_, logger);
    if (!port) return unexpected("cannot listen for clients on " + port.error());
    l->ports_.push_back(*port);
  }
  return l;
}

ClientListener::~ClientListener() {
  stop();
  for (int fd : listen_fds_) ::close(fd);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void ClientListener::start(Handoff grpc, Handoff http) {
  grpc_ = std::move(grpc);
  http_ = std::move(http);
  for (int fd : listen_fds_) acceptors_.emplace_back([this, fd] { accept_loop(fd); });
}

void ClientListener::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  const uint64_t one = 1;
  if (wake_fd_ >= 0 && ::write(wake_fd_, &one, sizeof one) < 0) {
    logger_.warn("client listener: cannot wake the accept threads: {}", std::strerror(errno));
  }
  for (std::thread& t : acceptors_) t.join();
  acceptors_.clear();
  std::unique_lock lock(mu_);
  // A connection thread blocked reading its client wakes up to a shut-down socket.
  for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
  idle_.wait(lock, [this] { return running_ == 0; });
}

void ClientListener::accept_loop(int listen_fd) {
  pollfd fds[2] = {{.fd = listen_fd, .events = POLLIN, .revents = 0},
                   {.fd = wake_fd_, .events = POLLIN, .revents = 0}};
  while (true) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      logger_.error("client listener: poll: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;  // stop()
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      // Out of fds or a connection reset before accept: refuse this one, keep serving.
      if (errno == EMFILE || errno == ENFILE) ::usleep(10000);
      continue;
    }
    {
      std::lock_guard lock(mu_);
      if (stopping_ || open_.size() >= options_.max_connections) {
        ::close(fd);
        continue;
      }
      open_.insert(fd);
      ++running_;
    }
    std::thread([this, fd] { serve(fd); }).detach();
  }
}

void ClientListener::serve(int fd) {
  // On the client's TCP socket, plain or TLS: small gRPC frames must not wait for Nagle.
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  if (options_.tls != nullptr) {
    serve_tls(fd);
  } else {
    serve_plain(fd, ConnectionInfo{.remote = peer_of(fd), .cert_name = std::nullopt});
  }
  finish_thread();
}

void ClientListener::serve_tls(int fd) {
  const tls::SslContextPtr context = options_.tls->current();
  auto ssl = tls::accept_tls(context.get(), fd, options_.sniff_timeout);
  if (!ssl) {
    // Logged as etcd does ("rejected connection from ..."): a refused client is what an operator
    // looks for when a client cannot connect.
    logger_.warn("client port: rejected connection from {}: {}", peer_of(fd), ssl.error());
    return close_open(fd);
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    logger_.warn("client port: socketpair: {}", std::strerror(errno));
    return close_open(fd);
  }
  ConnectionInfo info{.remote = peer_of(fd), .cert_name = tls::verified_common_name(ssl->get())};
  bool started = false;
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      open_.insert(pair[1]);
      ++running_;
      std::thread([this, plain = pair[1], info = std::move(info)]() mutable {
        serve_plain(plain, std::move(info));
        finish_thread();
      }).detach();
      started = true;
    }
  }
  if (started) {
    tls::run_tunnel(ssl->get(), fd, pair[0]);
  } else {
    ::close(pair[1]);
  }
  ::close(pair[0]);  // The plaintext side reads its end of file and lets go of pair[1].
  close_open(fd);
}

void ClientListener::serve_plain(int fd, ConnectionInfo info) {
  const std::optional<Protocol> protocol = sniff(fd, options_.sniff_timeout);
  if (protocol == Protocol::kGrpc) {
    std::lock_guard lock(mu_);
    open_.erase(fd);  // gRPC owns it now; stop() must not touch a number gRPC may reuse.
    if (!stopping_) {
      if (options_.registry != nullptr) options_.registry->add(fd, std::move(info));
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      grpc_(fd);
      return;
    }
    ::close(fd);
    return;
  }
  if (protocol == Protocol::kHttp1) {
    http_(fd);  // Returns when the client is done; the fd is still ours to close.
  }
  close_open(fd);
}

void ClientListener::close_open(int fd) {
  std::lock_guard lock(mu_);
  open_.erase(fd);
  ::close(fd);
}

void ClientListener::finish_thread() {
  std::lock_guard lock(mu_);
  if (--running_ == 0) idle_.notify_all();
}

}  // namespace regent::server::http
