// The JSON gateway: an HTTP request under /v3/ becomes a call of the member's own gRPC server,
// through its in-process channel (grpc::Server::InProcessChannel), so the gateway runs the very
// code, checks and limits a gRPC client gets (see docs/ARCHITECTURE.md, "The HTTP face").
//
// Invariants: a call is made only for a body that parsed; every answer is JSON (gateway_json.h);
// a stream writes one {"result": ...} line per message and ends with an {"error": ...} line
// when the call failed for another reason than the HTTP client leaving.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/generic/generic_stub.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/expected.h"
#include "server/http/gateway_json.h"
#include "server/http/gateway_routes.h"
#include "server/http/generic_call.h"

namespace regent::server::http {

class Gateway {
 public:
  explicit Gateway(std::shared_ptr<grpc::Channel> channel)
      : stub_(std::shared_ptr<grpc::ChannelInterface>(std::move(channel))) {}

  // A request for `route` made from `body`, or the 400 reply saying why it is malformed.
  static Expected<std::unique_ptr<google::protobuf::Message>, Reply> parse(
      const GatewayRoute& route, std::string_view body);
  // A unary route's answer. `client_fd` (-1: none) is watched for the client hanging up;
  // `metadata` goes with the call (gateway_metadata()).
  Reply call(const GatewayRoute& route, const google::protobuf::Message& request, int client_fd,
             const GenericCall::Metadata& metadata = {});
  // A streaming route: each line through `write` until the call ends or `write` fails.
  void stream(const GatewayRoute& route, const google::protobuf::Message& request, int client_fd,
              const std::function<bool(const std::string&)>& write,
              const GenericCall::Metadata& metadata = {});

 private:
  grpc::GenericStub stub_;
};

}  // namespace regent::server::http
