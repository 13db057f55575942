#include "server/api/lease_service.h"

#include <cmath>

#include "kv/lease_table.h"
#include "server/api/lease_keepalive.h"
#include "server/api/require_leader.h"
#include "server/api/write_call.h"
#include "server/grpc_status.h"
#include "server/node/lease_convert.h"

namespace regent::server {

namespace {

constexpr uint64_t kCounterBits = 48;
constexpr uint64_t kCounterMask = (uint64_t{1} << kCounterBits) - 1;

bool no_leader_for(const grpc::CallbackServerContext& call, const ServiceContext& ctx) {
  return requires_leader(call) && ctx.node->status().leader == raft::kNone;
}

}  // namespace

int64_t min_lease_ttl(std::chrono::milliseconds heartbeat, int election_ticks) {
  const auto min = (3 * election_ticks / 2) * heartbeat;
  return std::max<int64_t>(1, std::chrono::ceil<std::chrono::seconds>(min).count());
}

LeaseService::LeaseService(const ServiceContext& context, Lessor& lessor, LeaseForwarder& forwarder,
                           int64_t min_ttl)
    : ctx_(context), lessor_(lessor), forwarder_(forwarder), min_ttl_(min_ttl) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  next_id_ = (static_cast<uint64_t>(ms) << 8) & kCounterMask;
}

int64_t LeaseService::new_id() {
  // 15 bits of the member id keep the result positive.
  const uint64_t prefix = (ctx_.member_id & 0x7fff) << kCounterBits;
  while (true) {
    const auto id = static_cast<int64_t>(prefix | (next_id_.fetch_add(1) & kCounterMask));
    const bool taken =
        id == 0 || ctx_.machine->read([id](const kv::Store& s) { return s.leases().contains(id); });
    if (!taken) return id;
  }
}

grpc::ServerUnaryReactor* LeaseService::LeaseGrant(grpc::CallbackServerContext* call,
                                                   const etcdserverpb::LeaseGrantRequest* request,
                                                   etcdserverpb::LeaseGrantResponse* response) {
  if (no_leader_for(*call, ctx_)) return finish_now(call, to_grpc(no_leader()));
  if (request->ttl() > kv::kMaxLeaseTtl) {
    return finish_now(call, to_grpc(from_kv(kv::lease_ttl_too_large())));
  }
  regentpb::InternalRequest proposal;
  etcdserverpb::LeaseGrantRequest& grant = *proposal.mutable_lease_grant();
  grant.set_id(request->id() != 0 ? request->id() : new_id());
  grant.set_ttl(std::max(request->ttl(), min_ttl_));  // etcd raises a short TTL.
  return propose_write<kv::LeaseGrantResponse>(ctx_, call, std::move(proposal), response);
}

grpc::ServerUnaryReactor* LeaseService::LeaseRevoke(grpc::CallbackServerContext* call,
                                                    const etcdserverpb::LeaseRevokeRequest* request,
                                                    etcdserverpb::LeaseRevokeResponse* response) {
  if (no_leader_for(*call, ctx_)) return finish_now(call, to_grpc(no_leader()));
  regentpb::InternalRequest proposal;
  *proposal.mutable_lease_revoke() = *request;
  return propose_write<kv::LeaseRevokeResponse>(ctx_, call, std::move(proposal), response);
}

grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest, etcdserverpb::LeaseKeepAliveResponse>*
LeaseService::LeaseKeepAlive(grpc::CallbackServerContext* call) {
  return new KeepAliveStream(call, ctx_, lessor_, forwarder_);
}

grpc::ServerUnaryReactor* LeaseService::LeaseTimeToLive(
    grpc::CallbackServerContext* call, const etcdserverpb::LeaseTimeToLiveRequest* request,
    etcdserverpb::LeaseTimeToLiveResponse* response) {
  if (no_leader_for(*call, ctx_)) return finish_now(call, to_grpc(no_leader()));
  auto local = lessor_.time_to_live(request->id(), request->keys());
  if (local) {
    ctx_.fill(response->mutable_header());
    response->set_id(request->id());
    response->set_ttl(local->ttl);
    response->set_grantedttl(local->granted_ttl);
    for (std::string& key : local->keys) response->add_keys(std::move(key));
    return finish_now(call, grpc::Status::OK);
  }
  // Not the leader: ask it, unless this call came from a follower already.
  if (call->client_metadata().contains(kForwardedKey)) {
    return finish_now(call, to_grpc(leader_changed()));
  }
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  forwarder_.time_to_live(
      *request,
      [this, reactor, response](Expected<etcdserverpb::LeaseTimeToLiveResponse, Failure> leader) {
        if (!leader) return reactor->Finish(to_grpc(leader.error()));
        *response = std::move(*leader);
        ctx_.fill(response->mutable_header());  // The member the client asked answers.
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerUnaryReactor* LeaseService::LeaseLeases(grpc::CallbackServerContext* call,
                                                    const etcdserverpb::LeaseLeasesRequest*,
                                                    etcdserverpb::LeaseLeasesResponse* response) {
  if (no_leader_for(*call, ctx_)) return finish_now(call, to_grpc(no_leader()));
  ctx_.machine->read([response](const kv::Store& s) {
    for (const auto& [id, lease] : s.leases().all()) response->add_leases()->set_id(id);
  });
  ctx_.fill(response->mutable_header());
  return finish_now(call, grpc::Status::OK);
}

}  // namespace regent::server
