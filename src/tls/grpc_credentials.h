// gRPC credentials from TLS files, for the connections gRPC makes and accepts itself: the peer
// port and every channel a member or a client opens. Certificates come from gRPC's
// FileWatcherCertificateProvider, which re-reads the files every kRefreshSeconds, so a
// certificate replaced on disk is presented (and a CA replaced is trusted) by the next handshake
// without a restart, as etcd does.
//
// The files are read once here first: a wrong path or a key that does not match its certificate
// fails at start with a clear message, not as an anonymous handshake failure later.
#pragma once

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "common/expected.h"
#include "tls/tls_flags.h"

namespace regent::tls {

inline constexpr unsigned kRefreshSeconds = 1;

// The dialing side, as etcdctl's --cacert, --cert, --key and --insecure-skip-tls-verify.
struct ChannelTls {
  std::string ca_file;    // Empty: the system's trusted roots.
  std::string cert_file;  // A client certificate to present; both or neither of these two.
  std::string key_file;
  bool skip_verify = false;  // Accept any server certificate (encrypts, does not authenticate).
};

Expected<std::shared_ptr<grpc::ChannelCredentials>, std::string> channel_credentials(
    const ChannelTls& tls);

// The accepting side of a gRPC port (the peer port), with `flags` resolved (auto-TLS's files
// filled in): client certificates requested and verified as TlsFlags says, and a certificate
// whose Common Name is not flags.allowed_cn refused in the handshake.
Expected<std::shared_ptr<grpc::ServerCredentials>, std::string> server_credentials(
    const TlsFlags& flags);

// Checks that the files exist, parse, and (for a pair) belong together.
Expected<void, std::string> check_files(const std::string& cert_file, const std::string& key_file,
                                        const std::string& ca_file);

}  // namespace regent::tls
