// The asking side of the PeerInfo service (members_service.h): one unary call on a fresh
// channel, bounded by a timeout, that fails at once when nothing listens on the address.
#pragma once

#include <grpcpp/security/credentials.h>

#include <chrono>
#include <memory>
#include <string>

#include "common/expected.h"
#include "regentpb/peer.pb.h"

namespace regent::transport {

// Asks the member whose peer listener is at address (host:port), dialed with `credentials` (the
// peer TLS, or plain text), for its member table. The error names the address and gRPC's status.
Expected<regentpb::MembersResponse, std::string> query_members(
    const std::string& address, std::chrono::milliseconds timeout,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials);

}  // namespace regent::transport
