// v3electionpb.Election and v3lockpb.Lock with etcd's semantics, served by the member itself:
// each candidate's key lives under `<name>/` with its lease, the lowest create revision leads
// (holds the lock), a waiter waits only for its predecessor, and a candidate whose lease expires
// loses its place (its key goes with the lease). The leader key's create revision is the
// fencing token of that term of leadership: it only grows.
#pragma once

#include "server/api/service_context.h"
#include "server/election/candidate_queue.h"
#include "v3electionpb/v3election.grpc.pb.h"
#include "v3lockpb/v3lock.grpc.pb.h"

namespace regent::server {

class ElectionService final : public v3electionpb::Election::CallbackService {
 public:
  ElectionService(const ServiceContext& context, CandidateQueues& queues)
      : ctx_(context), queues_(queues) {}

  grpc::ServerUnaryReactor* Campaign(grpc::CallbackServerContext* call,
                                     const v3electionpb::CampaignRequest* request,
                                     v3electionpb::CampaignResponse* response) override;
  grpc::ServerUnaryReactor* Proclaim(grpc::CallbackServerContext* call,
                                     const v3electionpb::ProclaimRequest* request,
                                     v3electionpb::ProclaimResponse* response) override;
  grpc::ServerUnaryReactor* Leader(grpc::CallbackServerContext* call,
                                   const v3electionpb::LeaderRequest* request,
                                   v3electionpb::LeaderResponse* response) override;
  grpc::ServerWriteReactor<v3electionpb::LeaderResponse>* Observe(
      grpc::CallbackServerContext* call, const v3electionpb::LeaderRequest* request) override;
  grpc::ServerUnaryReactor* Resign(grpc::CallbackServerContext* call,
                                   const v3electionpb::ResignRequest* request,
                                   v3electionpb::ResignResponse* response) override;

 private:
  const ServiceContext& ctx_;
  CandidateQueues& queues_;
};

class LockService final : public v3lockpb::Lock::CallbackService {
 public:
  LockService(const ServiceContext& context, CandidateQueues& queues)
      : ctx_(context), queues_(queues) {}

  grpc::ServerUnaryReactor* Lock(grpc::CallbackServerContext* call,
                                 const v3lockpb::LockRequest* request,
                                 v3lockpb::LockResponse* response) override;
  grpc::ServerUnaryReactor* Unlock(grpc::CallbackServerContext* call,
                                   const v3lockpb::UnlockRequest* request,
                                   v3lockpb::UnlockResponse* response) override;

 private:
  const ServiceContext& ctx_;
  CandidateQueues& queues_;
};

}  // namespace regent::server
