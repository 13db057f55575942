#include "tls/tunnel.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include <cerrno>
#include <csignal>

namespace regent::tls {

namespace {

using Clock = std::chrono::steady_clock;

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// OpenSSL writes to the socket with write(), not send(MSG_NOSIGNAL): a client gone mid-write would
// raise SIGPIPE and kill the member. SIGPIPE from a write goes to the writing thread, so blocking
// it here (these threads are the listener's own) turns it into EPIPE for OpenSSL to report.
void block_sigpipe() {
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
}

std::string handshake_error(int code) {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e != 0) {
    char text[256];
    ERR_error_string_n(e, text, sizeof text);
    return text;
  }
  return code == SSL_ERROR_SYSCALL ? "connection closed during the handshake"
                                   : fmt::format("handshake failed (SSL error {})", code);
}

// What one direction of the tunnel holds: bytes read from one side, not yet written to the other.
struct Buffer {
  char bytes[kTunnelBufferBytes];
  size_t begin = 0;
  size_t end = 0;
  bool eof = false;  // The source side ended; nothing more will be read from it.
  bool empty() const { return begin == end; }
};

enum class Step { kProgress, kWait, kFailed };

// After an SSL_read or SSL_write that did nothing: wait for what OpenSSL needs, or fail.
Step wait_for_ssl(int ssl_error, short& tls_events) {
  if (ssl_error == SSL_ERROR_WANT_READ) {
    tls_events |= POLLIN;
  } else if (ssl_error == SSL_ERROR_WANT_WRITE) {
    tls_events |= POLLOUT;
  } else {
    return Step::kFailed;
  }
  return Step::kWait;
}

// TLS -> plain. Sets the events to wait for in `tls_events` / `plain_events`.
Step pump_in(SSL* ssl, int plain_fd, Buffer& in, short& tls_events, short& plain_events) {
  if (in.empty() && !in.eof) {
    const int n = SSL_read(ssl, in.bytes, static_cast<int>(sizeof in.bytes));
    if (n > 0) {
      in.begin = 0;
      in.end = static_cast<size_t>(n);
      return Step::kProgress;
    }
    const int e = SSL_get_error(ssl, n);
    if (e == SSL_ERROR_ZERO_RETURN) {
      in.eof = true;
      ::shutdown(plain_fd, SHUT_WR);  // The client is done sending: say so to the server side.
      return Step::kProgress;
    }
    return wait_for_ssl(e, tls_events);
  }
  if (in.empty()) return Step::kWait;
  const ssize_t n = ::send(plain_fd, in.bytes + in.begin, in.end - in.begin, MSG_NOSIGNAL);
  if (n > 0) {
    in.begin += static_cast<size_t>(n);
    return Step::kProgress;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
    plain_events |= POLLOUT;
    return Step::kWait;
  }
  return Step::kFailed;
}

// plain -> TLS.
Step pump_out(SSL* ssl, int plain_fd, Buffer& out, short& tls_events, short& plain_events) {
  if (out.empty() && !out.eof) {
    const ssize_t n = ::recv(plain_fd, out.bytes, sizeof out.bytes, 0);
    if (n > 0) {
      out.begin = 0;
      out.end = static_cast<size_t>(n);
      return Step::kProgress;
    }
    if (n == 0) {
      out.eof = true;
      return Step::kProgress;
    }
    if (errno != EAGAIN && errno != EINTR) return Step::kFailed;
    plain_events |= POLLIN;
    return Step::kWait;
  }
  if (out.empty()) return Step::kWait;
  const int n = SSL_write(ssl, out.bytes + out.begin, static_cast<int>(out.end - out.begin));
  if (n > 0) {
    out.begin += static_cast<size_t>(n);
    return Step::kProgress;
  }
  return wait_for_ssl(SSL_get_error(ssl, n), tls_events);
}

}  // namespace

Expected<SslPtr, std::string> accept_tls(SSL_CTX* ctx, int fd, std::chrono::milliseconds timeout) {
  block_sigpipe();
  SslPtr ssl(SSL_new(ctx));
  if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) return unexpected(handshake_error(SSL_ERROR_SSL));
  // A client that drops the connection without close_notify ends its stream; it is not an error.
  SSL_set_options(ssl.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  set_nonblocking(fd);
  const Clock::time_point deadline = Clock::now() + timeout;
  // Bounded by the deadline: every pass waits for the socket or gives up.
  while (true) {
    const int rc = SSL_accept(ssl.get());
    if (rc == 1) return ssl;
    const int e = SSL_get_error(ssl.get(), rc);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
      return unexpected(handshake_error(e));
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return unexpected(std::string("handshake timed out"));
    pollfd p{.fd = fd,
             .events = static_cast<short>(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT),
             .revents = 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) {
      return unexpected(std::string("poll failed during the handshake"));
    }
  }
}

std::optional<std::string> verified_common_name(SSL* ssl) {
  if (SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  X509* cert = SSL_get_peer_certificate(ssl);
  if (cert == nullptr) return std::nullopt;
  std::optional<std::string> out;
  char cn[256];
  const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn,
                                          static_cast<int>(sizeof cn));
  if (n > 0) out = std::string(cn, static_cast<size_t>(n));
  X509_free(cert);
  return out;
}

void run_tunnel(SSL* ssl, int tls_fd, int plain_fd) {
  block_sigpipe();
  set_nonblocking(plain_fd);
  auto in = std::make_unique<Buffer>();   // client -> server
  auto out = std::make_unique<Buffer>();  // server -> client
  // Bounded by the connection's life: each pass moves bytes or waits for a socket, and the pass
  // after either side ends (or is shut down by the listener's stop) returns.
  while (true) {
    short tls_events = 0;
    short plain_events = 0;
    const Step a = pump_in(ssl, plain_fd, *in, tls_events, plain_events);
    const Step b = pump_out(ssl, plain_fd, *out, tls_events, plain_events);
    if (a == Step::kFailed || b == Step::kFailed) return;
    // The server side is done and everything it wrote is out: tell the client and end (an
    // HTTP/1.1 "Connection: close" response, a gRPC connection gRPC closed).
    if (out->eof && out->empty()) {
      SSL_shutdown(ssl);
      return;
    }
    if (a == Step::kProgress || b == Step::kProgress) continue;
    // Only the sockets waited for are polled (a negative fd is skipped): a hang-up reported on
    // a socket nothing waits for would wake this loop again and again.
    pollfd fds[2] = {
        {.fd = tls_events != 0 ? tls_fd : -1, .events = tls_events, .revents = 0},
        {.fd = plain_events != 0 ? plain_fd : -1, .events = plain_events, .revents = 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
    // The client is gone (or the listener stopped): nothing more can reach it.
    if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) return;
    // The server side's hang-up is read as its end of file by the next pass.
    if (fds[1].revents & POLLNVAL) return;
  }
}

}  // namespace regent::tls
