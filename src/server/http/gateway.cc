#include "server/http/gateway.h"

#include <google/protobuf/descriptor.h>

#include "common/assert.h"
#include "etcdserverpb/rpc.pb.h"
#include "server/http/generic_call.h"
#include "v3electionpb/v3election.pb.h"
#include "v3lockpb/v3lock.pb.h"

namespace regent::server::http {

namespace {

const google::protobuf::MethodDescriptor& method_of(const GatewayRoute& route) {
  // The routes name methods by string; naming one message of each .proto here links its
  // generated code (from static libraries) and registers its descriptors in the pool.
  [[maybe_unused]] static const bool linked = etcdserverpb::RangeRequest::descriptor() &&
                                              v3electionpb::CampaignRequest::descriptor() &&
                                              v3lockpb::LockRequest::descriptor();
  const google::protobuf::MethodDescriptor* m =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          std::string(route.method));
  REGENT_ASSERT(m != nullptr, "gateway route {} names no compiled method", route.method);
  return *m;
}

std::string grpc_path(const google::protobuf::MethodDescriptor& m) {
  return "/" + m.service()->full_name() + "/" + m.name();
}

std::unique_ptr<google::protobuf::Message> new_message(const google::protobuf::Descriptor* d) {
  return std::unique_ptr<google::protobuf::Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(d)->New());
}

}  // namespace

Expected<std::unique_ptr<google::protobuf::Message>, Reply> Gateway::parse(
    const GatewayRoute& route, std::string_view body) {
  auto request = new_message(method_of(route).input_type());
  if (auto parsed = parse_request(body, *request); !parsed) {
    return unexpected(error_reply(400, grpc::StatusCode::INVALID_ARGUMENT, parsed.error()));
  }
  return request;
}

Reply Gateway::call(const GatewayRoute& route, const google::protobuf::Message& request,
                    int client_fd, const GenericCall::Metadata& metadata) {
  const google::protobuf::MethodDescriptor& m = method_of(route);
  auto response = new_message(m.output_type());
  GenericCall call(stub_, grpc_path(m), client_fd, metadata);
  const bool answered = call.write(request, /*last=*/true) && call.read(*response);
  const grpc::Status status = call.finish();
  if (!status.ok()) return error_reply(status);
  if (!answered) {
    return error_reply(grpc::Status(grpc::StatusCode::INTERNAL, "the call ended with no answer"));
  }
  return Reply{.status = 200, .body = print_response(*response)};
}

void Gateway::stream(const GatewayRoute& route, const google::protobuf::Message& request,
                     int client_fd, const std::function<bool(const std::string&)>& write,
                     const GenericCall::Metadata& metadata) {
  const google::protobuf::MethodDescriptor& m = method_of(route);
  auto response = new_message(m.output_type());
  GenericCall call(stub_, grpc_path(m), client_fd, metadata);
  // The body's one request is all this client sends. Keep-alive and observe are told so: their
  // streams end once answered. A watch goes on until its HTTP client leaves (etcd's too).
  const bool last = route.method != "etcdserverpb.Watch.Watch";
  if (call.write(request, last)) {
    while (call.read(*response)) {
      if (!write(stream_result_line(*response))) return;  // The client left; ~GenericCall cancels.
    }
  }
  const grpc::Status status = call.finish();
  if (!status.ok() && !call.client_gone()) write(stream_error_line(status));
}

}  // namespace regent::server::http
