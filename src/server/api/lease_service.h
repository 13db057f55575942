// etcdserverpb.Lease over gRPC's callback API. Grant and Revoke are writes: proposed (a grant's
// ID, when the client leaves it 0, and its TTL, raised to etcd's minimum, are settled by the
// member that receives it, so every member applies the same grant) and answered on apply.
// KeepAlive and TimeToLive need the leader's clock: the leader's lessor answers, a follower
// forwards them. Leases lists the member's own table, as etcd does.
//
// Answers as etcd's: an unknown lease has TTL 0 in a keep-alive and -1 in TimeToLive; Revoke of
// an unknown lease fails NotFound "etcdserver: requested lease not found"; a call carrying
// `hasleader: true` fails Unavailable "etcdserver: no leader" when this member knows none.
#pragma once

#include <atomic>
#include <cstdint>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/api/service_context.h"
#include "server/lease/lease_forwarder.h"
#include "server/lease/lessor.h"

namespace regent::server {

// etcd's minimum lease TTL: one and a half election timeouts, in whole seconds rounded up, so a
// lease outlives the election that follows a leader's failure.
int64_t min_lease_ttl(std::chrono::milliseconds heartbeat, int election_ticks);

class LeaseService final : public etcdserverpb::Lease::CallbackService {
 public:
  LeaseService(const ServiceContext& context, Lessor& lessor, LeaseForwarder& forwarder,
               int64_t min_ttl);

  grpc::ServerUnaryReactor* LeaseGrant(grpc::CallbackServerContext* call,
                                       const etcdserverpb::LeaseGrantRequest* request,
                                       etcdserverpb::LeaseGrantResponse* response) override;
  grpc::ServerUnaryReactor* LeaseRevoke(grpc::CallbackServerContext* call,
                                        const etcdserverpb::LeaseRevokeRequest* request,
                                        etcdserverpb::LeaseRevokeResponse* response) override;
  grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest,
                          etcdserverpb::LeaseKeepAliveResponse>*
  LeaseKeepAlive(grpc::CallbackServerContext* call) override;
  grpc::ServerUnaryReactor* LeaseTimeToLive(
      grpc::CallbackServerContext* call, const etcdserverpb::LeaseTimeToLiveRequest* request,
      etcdserverpb::LeaseTimeToLiveResponse* response) override;
  grpc::ServerUnaryReactor* LeaseLeases(grpc::CallbackServerContext* call,
                                        const etcdserverpb::LeaseLeasesRequest* request,
                                        etcdserverpb::LeaseLeasesResponse* response) override;

 private:
  // A positive ID no lease of this member's table has: the member's id in the high bits, then
  // a counter started from the clock (etcd's scheme), so members and restarts do not collide.
  int64_t new_id();

  const ServiceContext& ctx_;
  Lessor& lessor_;
  LeaseForwarder& forwarder_;
  const int64_t min_ttl_;
  std::atomic<uint64_t> next_id_;
};

}  // namespace regent::server
