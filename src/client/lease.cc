#include "client/lease.h"

#include <fmt/format.h>

#include "client/internal/call.h"
#include "client/internal/connections.h"
#include "client/internal/convert.h"
#include "client/internal/lease_call.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace regent::client {

using internal::CallPolicy;
using internal::Retry;

Error lease_not_found() {
  return Error{.code = Code::kNotFound, .message = "etcdserver: requested lease not found"};
}

namespace {

template <class Response, class Request, class Method>
Result<Response> lease_call(Client& client, const Context& ctx, Retry retry, const Request& request,
                            Method method) {
  Response response;
  auto done =
      internal::call(client.connections(), ctx, CallPolicy{.retry = retry},
                     [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& cc) {
                       auto stub = etcdserverpb::Lease::NewStub(channel);
                       return ((*stub).*method)(&cc, request, &response);
                     });
  if (!done) return fail(done.error());
  return response;
}

}  // namespace

Result<LeaseGrantResponse> Lease::grant(int64_t ttl_seconds, int64_t id, const Context& ctx) const {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(ttl_seconds);
  request.set_id(id);
  auto r = lease_call<etcdserverpb::LeaseGrantResponse>(*client_, ctx, Retry::kWrite, request,
                                                        &etcdserverpb::Lease::Stub::LeaseGrant);
  if (!r) return fail(r.error());
  if (!r->error().empty()) return fail(Code::kUnknown, r->error());
  return LeaseGrantResponse{.header = internal::from_pb(r->header()),
                            .id = r->id(),
                            .ttl = r->ttl(),
                            .error = r->error()};
}

Result<ResponseHeader> Lease::revoke(int64_t id, const Context& ctx) const {
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(id);
  auto r = lease_call<etcdserverpb::LeaseRevokeResponse>(*client_, ctx, Retry::kWrite, request,
                                                         &etcdserverpb::Lease::Stub::LeaseRevoke);
  if (!r) return fail(r.error());
  return internal::from_pb(r->header());
}

Result<LeaseTimeToLiveResponse> Lease::time_to_live(int64_t id, bool keys,
                                                    const Context& ctx) const {
  etcdserverpb::LeaseTimeToLiveRequest request;
  request.set_id(id);
  request.set_keys(keys);
  auto r = lease_call<etcdserverpb::LeaseTimeToLiveResponse>(
      *client_, ctx, Retry::kIdempotent, request, &etcdserverpb::Lease::Stub::LeaseTimeToLive);
  if (!r) return fail(r.error());
  LeaseTimeToLiveResponse out{.header = internal::from_pb(r->header()),
                              .id = r->id(),
                              .ttl = r->ttl(),
                              .granted_ttl = r->grantedttl()};
  for (const auto& key : r->keys()) out.keys.push_back(key);
  return out;
}

Result<LeaseLeasesResponse> Lease::leases(const Context& ctx) const {
  auto r = lease_call<etcdserverpb::LeaseLeasesResponse>(*client_, ctx, Retry::kIdempotent,
                                                         etcdserverpb::LeaseLeasesRequest(),
                                                         &etcdserverpb::Lease::Stub::LeaseLeases);
  if (!r) return fail(r.error());
  LeaseLeasesResponse out{.header = internal::from_pb(r->header())};
  for (const auto& lease : r->leases()) out.leases.push_back(lease.id());
  return out;
}

Result<LeaseKeepAliveResponse> Lease::keep_alive_once(int64_t id, const Context& ctx) const {
  return internal::keep_alive_once(*client_, id, ctx, std::nullopt);
}

namespace internal {

Result<LeaseKeepAliveResponse> keep_alive_once(
    Client& client, int64_t id, const Context& ctx,
    std::optional<std::chrono::milliseconds> attempt_timeout) {
  etcdserverpb::LeaseKeepAliveResponse response;
  auto done = internal::call(
      client.connections(), ctx,
      CallPolicy{.retry = Retry::kIdempotent, .attempt_timeout = attempt_timeout},
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& cc) {
        // A member without a leader cannot renew; etcd's "hasleader" makes it say so at once.
        cc.AddMetadata("hasleader", "true");
        auto stub = etcdserverpb::Lease::NewStub(channel);
        auto stream = stub->LeaseKeepAlive(&cc);
        etcdserverpb::LeaseKeepAliveRequest request;
        request.set_id(id);
        if (stream->Write(request) && stream->Read(&response)) {
          cc.TryCancel();  // One answer is all we wanted; end the stream without waiting.
          stream->Finish().IgnoreError();
          return grpc::Status::OK;
        }
        stream->WritesDone();
        grpc::Status status = stream->Finish();
        // A stream that ended cleanly without an answer would otherwise look like success.
        return status.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "keep-alive stream ended")
                           : status;
      });
  if (!done) {
    if (done.error().is_lease_not_found()) return fail(lease_not_found());
    return fail(done.error());
  }
  if (response.ttl() <= 0) return fail(lease_not_found());
  return LeaseKeepAliveResponse{
      .header = internal::from_pb(response.header()), .id = response.id(), .ttl = response.ttl()};
}

}  // namespace internal
}  // namespace regent::client
