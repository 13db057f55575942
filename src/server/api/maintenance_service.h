// etcdserverpb.Maintenance: what operators and etcdctl's `endpoint` commands ask a member about
// itself (the Cluster service is in cluster_service.h).
#pragma once

#include "common/logger.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/api/service_context.h"

namespace regent::server {

class MaintenanceService final : public etcdserverpb::Maintenance::CallbackService {
 public:
  MaintenanceService(const ServiceContext& context, Logger& logger)
      : ctx_(context), logger_(logger) {}

  grpc::ServerUnaryReactor* Alarm(grpc::CallbackServerContext* call,
                                  const etcdserverpb::AlarmRequest* request,
                                  etcdserverpb::AlarmResponse* response) override;
  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* call,
                                   const etcdserverpb::StatusRequest* request,
                                   etcdserverpb::StatusResponse* response) override;
  grpc::ServerUnaryReactor* Defragment(grpc::CallbackServerContext* call,
                                       const etcdserverpb::DefragmentRequest* request,
                                       etcdserverpb::DefragmentResponse* response) override;
  grpc::ServerUnaryReactor* Hash(grpc::CallbackServerContext* call,
                                 const etcdserverpb::HashRequest* request,
                                 etcdserverpb::HashResponse* response) override;
  grpc::ServerUnaryReactor* HashKV(grpc::CallbackServerContext* call,
                                   const etcdserverpb::HashKVRequest* request,
                                   etcdserverpb::HashKVResponse* response) override;
  grpc::ServerUnaryReactor* MoveLeader(grpc::CallbackServerContext* call,
                                       const etcdserverpb::MoveLeaderRequest* request,
                                       etcdserverpb::MoveLeaderResponse* response) override;
  // A backup of this member's state (snapshot_stream.h).
  grpc::ServerWriteReactor<etcdserverpb::SnapshotResponse>* Snapshot(
      grpc::CallbackServerContext* call, const etcdserverpb::SnapshotRequest* request) override;

 private:
  std::optional<Failure> refuse_unless_root(const grpc::CallbackServerContext& call) const;

  const ServiceContext& ctx_;
  Logger& logger_;
};

}  // namespace regent::server
