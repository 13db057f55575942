#include "server/http/fd_stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace regent::server::http {

namespace {

bool wait_for(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd p{.fd = fd, .events = events, .revents = 0};
  int ready;
  do {
    ready = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(timeout.count(), 0)));
  } while (ready < 0 && errno == EINTR);
  return ready > 0;
}

void address_of(const sockaddr_storage& a, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    port = ntohs(in6->sin6_port);
  } else {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&a);
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    port = ntohs(in->sin_port);
  }
  ip = text;
}

}  // namespace

bool FdStream::is_readable() const {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
  return left.count() > 0 && wait_for(fd_, POLLIN, std::min(left, read_timeout_));
}

bool FdStream::is_writable() const { return wait_for(fd_, POLLOUT, write_timeout_); }

ssize_t FdStream::read(char* ptr, size_t size) {
  if (!is_readable()) return -1;
  ssize_t got;
  do {
    got = ::recv(fd_, ptr, size, 0);
  } while (got < 0 && errno == EINTR);
  return got;
}

ssize_t FdStream::write(const char* ptr, size_t size) {
  if (hijacked_) return static_cast<ssize_t>(size);
  if (!is_writable()) return -1;
  ssize_t sent;
  do {
    sent = ::send(fd_, ptr, size, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  return sent;
}

bool FdStream::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = write(bytes.data(), bytes.size());
    if (sent <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
  return true;
}

void FdStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) address_of(a, ip, port);
}

void FdStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) address_of(a, ip, port);
}

}  // namespace regent::server::http
