// TLS termination for a socket the member accepted itself: the handshake (bounded by a timeout)
// and the pump that carries bytes between the TLS session and a plaintext socket, so that whoever
// serves the plaintext end (gRPC, the HTTP face) never sees TLS.
//
// Invariants:
//  - accept_tls() never waits longer than its timeout: a client that connects and stays silent
//    cannot hold the thread that accepted it.
//  - run_tunnel() returns once both directions are done or either end failed; an end of file on
//    one side is passed on as a half close (shutdown(SHUT_WR) on the plaintext socket, a TLS
//    close_notify towards the client), so a request-then-close client still gets its answer.
//  - A client gone mid-write is an error returned, never a SIGPIPE: both functions block SIGPIPE
//    in the calling thread (a thread that runs them is taken to be the caller's own).
//  - At most kTunnelBufferBytes are held per direction: a side that stops reading stops the
//    other side from being read (back-pressure), it does not grow a buffer.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/expected.h"

namespace regent::tls {

inline constexpr size_t kTunnelBufferBytes = 16 * 1024;

struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslPtr = std::unique_ptr<SSL, SslFree>;

// Runs the server side of a handshake on `fd` (made non-blocking). The error says why the client
// was refused (OpenSSL's reason: no certificate, unknown CA, not TLS, ...) or that it timed out.
Expected<SslPtr, std::string> accept_tls(SSL_CTX* ctx, int fd, std::chrono::milliseconds timeout);

// The Common Name of the certificate the client presented, if the handshake verified it against
// the trusted CAs (--client-cert-auth); nullopt otherwise. Auth takes it as the user's name.
std::optional<std::string> verified_common_name(SSL* ssl);

// Pumps bytes between `ssl` (over `tls_fd`) and `plain_fd` (made non-blocking) until both
// directions end or either end fails. Closes neither fd; shutting either down ends it (the
// listener's stop does so to `tls_fd`).
void run_tunnel(SSL* ssl, int tls_fd, int plain_fd);

}  // namespace regent::tls
