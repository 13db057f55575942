#include "server/http/member_calls.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "etcdserverpb/rpc.grpc.pb.h"

namespace regent::server::http {

namespace {

void set_deadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
}

std::shared_ptr<grpc::ChannelInterface> borrowed(grpc::Channel& channel) {
  // The stubs want shared ownership; the channel outlives every call made here.
  return std::shared_ptr<grpc::ChannelInterface>(&channel, [](grpc::ChannelInterface*) {});
}

}  // namespace

std::optional<int64_t> lease_ttl_left(grpc::Channel& channel, int64_t lease) {
  auto stub = etcdserverpb::Lease::NewStub(borrowed(channel));
  grpc::ClientContext context;
  set_deadline(context);
  etcdserverpb::LeaseTimeToLiveRequest request;
  request.set_id(lease);
  etcdserverpb::LeaseTimeToLiveResponse response;
  if (!stub->LeaseTimeToLive(&context, request, &response).ok()) return std::nullopt;
  return response.ttl();
}

Expected<std::vector<Alarm>, std::string> list_alarms(grpc::Channel& channel) {
  auto stub = etcdserverpb::Maintenance::NewStub(borrowed(channel));
  grpc::ClientContext context;
  set_deadline(context);
  etcdserverpb::AlarmRequest request;
  request.set_action(etcdserverpb::AlarmRequest::GET);
  etcdserverpb::AlarmResponse response;
  const grpc::Status status = stub->Alarm(&context, request, &response);
  if (!status.ok()) return unexpected(status.error_message());
  std::vector<Alarm> alarms;
  for (const etcdserverpb::AlarmMember& a : response.alarms()) {
    alarms.push_back({fmt::format("{:x}", a.memberid()), etcdserverpb::AlarmType_Name(a.alarm())});
  }
  return alarms;
}

}  // namespace regent::server::http
