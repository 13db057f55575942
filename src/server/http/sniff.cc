#include "server/http/sniff.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <thread>

namespace regent::server::http {

Protocol classify(std::string_view head) {
  const size_t n = std::min(head.size(), kHttp2Preface.size());
  if (head.substr(0, n) != kHttp2Preface.substr(0, n)) return Protocol::kHttp1;
  return n == kHttp2Preface.size() ? Protocol::kGrpc : Protocol::kUndecided;
}

std::optional<Protocol> sniff(int fd, std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  char head[kHttp2Preface.size()];
  size_t seen = 0;  // Bytes peeked last time: a partial preface waits for more, not in a spin.
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    if (seen > 0) {
      // The socket stays readable while peeked bytes wait in it: poll() would not block.
      std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(5)));
    } else {
      pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno != EINTR) return std::nullopt;
      if (ready <= 0) continue;
    }
    const ssize_t got = ::recv(fd, head, sizeof head, MSG_PEEK | MSG_DONTWAIT);
    if (got == 0) return std::nullopt;  // Closed before saying anything.
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      return std::nullopt;
    }
    seen = static_cast<size_t>(got);
    const Protocol p = classify(std::string_view(head, seen));
    if (p != Protocol::kUndecided) return p;
  }
}

}  // namespace regent::server::http
