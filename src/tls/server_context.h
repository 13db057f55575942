// The OpenSSL context of the client port (the listener terminates TLS itself, docs/ARCHITECTURE.md
// "TLS"), rebuilt when its files change so that certificates rotate without a restart.
//
// Like etcd, which reads the certificate on every handshake, current() looks at the files'
// identity (inode, size, modification time) each time a connection is accepted and builds a new
// context when any of them changed. A new context that fails to build (a half-written file, a key
// that does not match the certificate) is not used: connections keep the last good one and the
// failure is logged once per change.
//
// ALPN: gRPC clients offer "h2" only; HTTP clients offer "http/1.1" (curl and browsers offer both).
// The port serves HTTP/2 to gRPC only, so "http/1.1" is chosen whenever it is offered and "h2"
// otherwise; a client that offers neither gets no ALPN and the listener sniffs its first bytes.
//
// Thread-safe: current() may be called from every accept thread at once.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/expected.h"
#include "common/logger.h"
#include "tls/tls_flags.h"

namespace regent::tls {

using SslContextPtr = std::shared_ptr<SSL_CTX>;

// A context from the files as they are now; the error names the file and OpenSSL's reason.
Expected<SslContextPtr, std::string> build_server_context(const TlsFlags& flags);

class ServerContext {
 public:
  // `flags` with the certificate files set (auto-TLS resolved by the caller); fails if they
  // cannot be read now, so a wrong path stops the start.
  static Expected<std::unique_ptr<ServerContext>, std::string> create(const TlsFlags& flags,
                                                                      Logger& logger);

  // The context for a connection accepted now.
  SslContextPtr current();

 private:
  struct FileStamp {
    unsigned long long device = 0, inode = 0, size = 0;
    long long mtime_ns = 0;
    bool operator==(const FileStamp&) const = default;
  };
  ServerContext(const TlsFlags& flags, Logger& logger) : flags_(flags), logger_(logger) {}
  std::vector<FileStamp> stamps() const;

  const TlsFlags flags_;
  Logger& logger_;
  std::mutex mu_;
  SslContextPtr context_;
  std::vector<FileStamp> built_from_;  // The stamps context_ (or the last failed try) came from.
};

}  // namespace regent::tls
