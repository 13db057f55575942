#include "transport/members_query.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "regentpb/peer.grpc.pb.h"

namespace regent::transport {

Expected<regentpb::MembersResponse, std::string> query_members(
    const std::string& address, std::chrono::milliseconds timeout,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  auto channel = grpc::CreateChannel(address, credentials);
  auto stub = regentpb::PeerInfo::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  regentpb::MembersResponse response;
  const grpc::Status status = stub->Members(&context, regentpb::MembersRequest(), &response);
  if (!status.ok()) {
    return unexpected(fmt::format("{}: {} (gRPC code {})", address, status.error_message(),
                                  static_cast<int>(status.error_code())));
  }
  return response;
}

}  // namespace regent::transport
