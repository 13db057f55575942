// etcdserverpb.Cluster: etcdctl's `member list|add|remove|update|promote`.
//
// MemberList answers from this member's table (learners flagged). A change is proposed through
// the Raft loop (NodeCore::propose_member_change), whose checks need the leader's view of its
// followers: a follower that gets one forwards it to the leader's Cluster service (its client
// URL from the member table, the call marked kForwardedKey so that it is forwarded at most once)
// and relays the answer. etcd's rules and errors (member_table.h, reconfig_checks.h); the answer
// comes once the change is applied and lists the members after it, as etcd's does.
#pragma once

#include <chrono>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/api/service_context.h"

namespace regent::server {

class ClusterService final : public etcdserverpb::Cluster::CallbackService {
 public:
  ClusterService(const ServiceContext& context, std::chrono::milliseconds timeout)
      : ctx_(context), timeout_(timeout) {}

  grpc::ServerUnaryReactor* MemberList(grpc::CallbackServerContext* call,
                                       const etcdserverpb::MemberListRequest* request,
                                       etcdserverpb::MemberListResponse* response) override;
  grpc::ServerUnaryReactor* MemberAdd(grpc::CallbackServerContext* call,
                                      const etcdserverpb::MemberAddRequest* request,
                                      etcdserverpb::MemberAddResponse* response) override;
  grpc::ServerUnaryReactor* MemberRemove(grpc::CallbackServerContext* call,
                                         const etcdserverpb::MemberRemoveRequest* request,
                                         etcdserverpb::MemberRemoveResponse* response) override;
  grpc::ServerUnaryReactor* MemberUpdate(grpc::CallbackServerContext* call,
                                         const etcdserverpb::MemberUpdateRequest* request,
                                         etcdserverpb::MemberUpdateResponse* response) override;
  grpc::ServerUnaryReactor* MemberPromote(grpc::CallbackServerContext* call,
                                          const etcdserverpb::MemberPromoteRequest* request,
                                          etcdserverpb::MemberPromoteResponse* response) override;

 private:
  const ServiceContext& ctx_;
  const std::chrono::milliseconds timeout_;  // Of a forwarded call.
};

}  // namespace regent::server
