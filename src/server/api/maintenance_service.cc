#include "server/api/maintenance_service.h"

#include "server/api/snapshot_stream.h"
#include "server/disk_usage.h"
#include "server/grpc_status.h"
#include "server/node/alarm_set.h"
#include "server/node/kv_convert.h"

namespace regent::server {

// Defragment, Hash, HashKV, MoveLeader and Snapshot need the root role while auth is enabled
// (etcd's authMaintenanceServer); Status and listing alarms need nothing.
std::optional<Failure> MaintenanceService::refuse_unless_root(
    const grpc::CallbackServerContext& call) const {
  if (!ctx_.auth) return std::nullopt;
  return ctx_.auth->admin_call(call);
}

grpc::ServerUnaryReactor* MaintenanceService::Alarm(grpc::CallbackServerContext* call,
                                                    const etcdserverpb::AlarmRequest* request,
                                                    etcdserverpb::AlarmResponse* response) {
  if (request->action() == etcdserverpb::AlarmRequest::GET) {
    for (const etcdserverpb::AlarmMember& a : ctx_.machine->alarms()) *response->add_alarms() = a;
    ctx_.fill(response->mutable_header());
    return finish_now(call, grpc::Status::OK);
  }
  // Raised and cleared through the log: every member refuses the same writes from the same
  // index (node/alarm_set.h). Root only while auth is enabled (node/auth_check.h).
  regentpb::InternalRequest proposal;
  *proposal.mutable_alarm() = *request;
  if (auto refused = stamp_caller(ctx_, *call, proposal))
    return finish_now(call, to_grpc(*refused));
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  ctx_.node->propose(
      std::move(proposal), [this, reactor, response](Expected<WriteResponse, Failure> outcome) {
        if (!outcome) return reactor->Finish(to_grpc(outcome.error()));
        for (const etcdserverpb::AlarmMember& a : std::get<AlarmChange>(*outcome).alarms) {
          *response->add_alarms() = a;
        }
        ctx_.fill(response->mutable_header());
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerUnaryReactor* MaintenanceService::Status(grpc::CallbackServerContext* call,
                                                     const etcdserverpb::StatusRequest*,
                                                     etcdserverpb::StatusResponse* response) {
  const NodeStatus s = ctx_.node->status();
  ctx_.fill(response->mutable_header());
  response->mutable_header()->set_raft_term(s.term);
  response->set_version(kApiVersion);
  response->set_dbsize(state_disk_bytes(ctx_.data_dir, s.reserved_disk_bytes));
  response->set_dbsizeinuse(static_cast<int64_t>(ctx_.machine->bytes_in_use()));
  response->set_leader(s.leader);
  response->set_raftindex(s.commit);
  response->set_raftterm(s.term);
  response->set_raftappliedindex(s.applied);
  for (const std::string& e : s.errors) response->add_errors(e);
  for (const etcdserverpb::AlarmMember& a : ctx_.machine->alarms()) {
    response->add_errors(describe(a));
  }
  return finish_now(call, grpc::Status::OK);
}

grpc::ServerUnaryReactor* MaintenanceService::Defragment(
    grpc::CallbackServerContext* call, const etcdserverpb::DefragmentRequest*,
    etcdserverpb::DefragmentResponse* response) {
  // A member's state on disk is its log and snapshots: written compactly again by a snapshot of
  // everything applied, after which the log before it and older snapshot files go.
  if (auto denied = refuse_unless_root(*call)) return finish_now(call, to_grpc(*denied));
  const int64_t before = state_disk_bytes(ctx_.data_dir, ctx_.node->status().reserved_disk_bytes);
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  ctx_.node->defragment([this, reactor, response, before](Expected<void, Failure> done) {
    if (!done) return reactor->Finish(to_grpc(done.error()));
    const int64_t after = state_disk_bytes(ctx_.data_dir, ctx_.node->status().reserved_disk_bytes);
    logger_.info("defragmented: the state on disk went from {} to {} bytes", before, after);
    ctx_.fill(response->mutable_header());
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* MaintenanceService::Hash(grpc::CallbackServerContext* call,
                                                   const etcdserverpb::HashRequest*,
                                                   etcdserverpb::HashResponse* response) {
  if (auto denied = refuse_unless_root(*call)) return finish_now(call, to_grpc(*denied));
  const uint32_t hash = ctx_.machine->read([](const kv::Store& s) { return s.hash(); });
  ctx_.fill(response->mutable_header());
  response->set_hash(hash);
  return finish_now(call, grpc::Status::OK);
}

grpc::ServerUnaryReactor* MaintenanceService::HashKV(grpc::CallbackServerContext* call,
                                                     const etcdserverpb::HashKVRequest* request,
                                                     etcdserverpb::HashKVResponse* response) {
  if (auto denied = refuse_unless_root(*call)) return finish_now(call, to_grpc(*denied));
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
  if (auto denied = refuse_unless_root(*call)) return finish_now(call, to_grpc(*denied));
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
    grpc::CallbackServerContext* call, const etcdserverpb::SnapshotRequest* /*request*/) {
  if (auto denied = refuse_unless_root(*call)) {
    return new RefusedStream<etcdserverpb::SnapshotResponse>(to_grpc(*denied));
  }
  return new SnapshotStream(ctx_, logger_);  // Deletes itself when done.
}

}  // namespace regent::server
