#include "server/api/maintenance_service.h"

#include "server/api/snapshot_stream.h"
#include "server/disk_usage.h"
#include "server/grpc_status.h"
#include "server/node/kv_convert.h"

namespace regent::server {

grpc::ServerUnaryReactor* MaintenanceService::Alarm(grpc::CallbackServerContext* call,
                                                    const etcdserverpb::AlarmRequest* request,
                                                    etcdserverpb::AlarmResponse* response) {
  if (request->action() != etcdserverpb::AlarmRequest::GET) {
    // Regent raises no alarms (no space quota, no corruption check yet), so there is nothing
    // to activate or clear.
    return finish_now(call, grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                         "regent: alarms can be listed, not activated or cleared"));
  }
  ctx_.fill(response->mutable_header());
  return finish_now(call, grpc::Status::OK);
}

grpc::ServerUnaryReactor* MaintenanceService::Status(grpc::CallbackServerContext* call,
                                                     const etcdserverpb::StatusRequest*,
                                                     etcdserverpb::StatusResponse* response) {
  const NodeStatus s = ctx_.node->status();
  ctx_.fill(response->mutable_header());
  response->mutable_header()->set_raft_term(s.term);
  response->set_version(kApiVersion);
  const int64_t bytes = directory_bytes(ctx_.data_dir);
  response->set_dbsize(bytes);
  response->set_dbsizeinuse(bytes);
  response->set_leader(s.leader);
  response->set_raftindex(s.commit);
  response->set_raftterm(s.term);
  response->set_raftappliedindex(s.applied);
  for (const std::string& e : s.errors) response->add_errors(e);
  return finish_now(call, grpc::Status::OK);
}

grpc::ServerUnaryReactor* MaintenanceService::Defragment(
    grpc::CallbackServerContext* call, const etcdserverpb::DefragmentRequest*,
    etcdserverpb::DefragmentResponse* response) {
  // Log segments are deleted whole and snapshots rewritten whole: nothing fragments.
  ctx_.fill(response->mutable_header());
  return finish_now(call, grpc::Status::OK);
}

grpc::ServerUnaryReactor* MaintenanceService::Hash(grpc::CallbackServerContext* call,
                                                   const etcdserverpb::HashRequest*,
                                                   etcdserverpb::HashResponse* response) {
  const uint32_t hash = ctx_.machine->read([](const kv::Store& s) { return s.hash(); });
  ctx_.fill(response->mutable_header());
  response->set_hash(hash);
  return finish_now(call, grpc::Status::OK);
}

grpc::ServerUnaryReactor* MaintenanceService::HashKV(grpc::CallbackServerContext* call,
                                                     const etcdserverpb::HashKVRequest* request,
                                                     etcdserverpb::HashKVResponse* response) {
  auto result =
      ctx_.machine->read([&](const kv::Store& s) { return s.hash_kv(request->revision()); });
  if (!result) return finish_now(call, to_grpc(from_kv(result.error())));
  etcdserverpb::ResponseHeader header;
  ctx_.fill(&header);
  *response = to_proto(*result, header);
  return finish_now(call, grpc::Status::OK);
}

grpc::ServerUnaryReactor* MaintenanceService::MoveLeader(
    grpc::CallbackServerContext* call, const etcdserverpb::MoveLeaderRequest* request,
    etcdserverpb::MoveLeaderResponse* response) {
  if (request->targetid() == raft::kNone) {
    return finish_now(call, to_grpc(bad_transferee()));
  }
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  ctx_.node->transfer_leadership(request->targetid(),
                                 [this, reactor, response](Expected<void, Failure> done) {
                                   if (!done) return reactor->Finish(to_grpc(done.error()));
                                   ctx_.fill(response->mutable_header());
                                   reactor->Finish(grpc::Status::OK);
                                 });
  return reactor;
}

grpc::ServerWriteReactor<etcdserverpb::SnapshotResponse>* MaintenanceService::Snapshot(
    grpc::CallbackServerContext* /*call*/, const etcdserverpb::SnapshotRequest* /*request*/) {
  return new SnapshotStream(ctx_, logger_);  // Deletes itself when done.
}

}  // namespace regent::server
