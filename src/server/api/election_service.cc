#include "server/api/election_service.h"

#include <deque>

#include "server/api/candidate_ops.h"
#include "server/grpc_status.h"
#include "server/node/kv_convert.h"

namespace regent::server {

namespace {

std::string queue_prefix(const std::string& name) { return name + "/"; }

// Whether the call's caller may `need` the keys of the election or lock `name` (its candidates'
// keys all start with queue_prefix(name)), as etcd's election and lock services, which are
// clients of its KV API with the caller's token, would find; the failure to answer if not.
std::optional<Failure> refuse_on_queue(const ServiceContext& ctx,
                                       const grpc::CallbackServerContext& call,
                                       regentpb::AuthPermissionType need, const std::string& name) {
  if (!ctx.auth) return std::nullopt;
  const std::string prefix = queue_prefix(name);
  return ctx.auth->access_call(call, need, prefix, prefix_end(prefix));
}

// The same for one candidate's key (resign, proclaim, unlock).
std::optional<Failure> refuse_on_key(const ServiceContext& ctx,
                                     const grpc::CallbackServerContext& call,
                                     const std::string& key) {
  if (!ctx.auth) return std::nullopt;
  return ctx.auth->access_call(call, regentpb::WRITE, key);
}

Failure no_election_leader() {
  return {StatusCode::FAILED_PRECONDITION, "etcdserver: election: no leader"};
}

// Streams the election's leader each time it or its value changes (etcd's Observe). Owns itself
// until gRPC is done with the call.
class ObserveCall final : public grpc::ServerWriteReactor<v3electionpb::LeaderResponse> {
 public:
  ObserveCall(const ServiceContext& ctx, CandidateQueues& queues, const std::string& name)
      : ctx_(ctx), queues_(queues) {
    handle_ = queues_.watch_head(queue_prefix(name), [this](const std::optional<kv::KeyValue>& kv) {
      if (!kv) return;  // etcd's Observe reports leaders only.
      v3electionpb::LeaderResponse r;
      ctx_.fill(r.mutable_header());
      *r.mutable_kv() = to_proto(*kv);
      std::lock_guard lock(mu_);
      if (done_) return;
      pending_.push_back(std::move(r));
      if (!writing_) write_next();
    });
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    writing_ = false;
    if (!ok) return;  // The stream broke; OnCancel or OnDone follows.
    pending_.pop_front();
    if (!pending_.empty() && !done_) write_next();
  }
  void OnCancel() override {
    queues_.cancel(handle_);
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    Finish(grpc::Status::OK);
  }
  void OnDone() override {
    queues_.cancel(handle_);
    delete this;
  }

 private:
  void write_next() {  // Under mu_.
    writing_ = true;
    StartWrite(&pending_.front());
  }

  const ServiceContext& ctx_;
  CandidateQueues& queues_;
  uint64_t handle_ = 0;
  std::mutex mu_;
  std::deque<v3electionpb::LeaderResponse> pending_;  // front() is being written when writing_.
  bool writing_ = false;
  bool done_ = false;
};

}  // namespace

grpc::ServerUnaryReactor* ElectionService::Campaign(grpc::CallbackServerContext* call,
                                                    const v3electionpb::CampaignRequest* request,
                                                    v3electionpb::CampaignResponse* response) {
  if (auto denied = refuse_on_queue(ctx_, *call, regentpb::READWRITE, request->name())) {
    return finish_now(call, to_grpc(*denied));
  }
  const std::string name = request->name();
  const std::string value = request->value();
  const int64_t lease = request->lease();
  // QueueCall is the reactor of this call: gRPC accepts any reactor returned here.
  QueueCall* queued =
      QueueCall::start(ctx_, queues_, queue_prefix(name), lease, request->value(),
                       [this, response, name, value, lease](const kv::KeyValue& own) {
                         ctx_.fill(response->mutable_header());
                         auto* leader = response->mutable_leader();
                         leader->set_name(name);
                         leader->set_key(own.key);
                         leader->set_rev(own.create_revision);
                         leader->set_lease(lease);
                         // A re-campaign with another value proclaims it (etcd's
                         // Campaign does the same).
                         if (own.value != value) {
                           proclaim(ctx_, own.key, own.create_revision, lease, value,
                                    [](Expected<void, Failure>) {});
                         }
                       });
  return queued;
}

grpc::ServerUnaryReactor* ElectionService::Proclaim(grpc::CallbackServerContext* call,
                                                    const v3electionpb::ProclaimRequest* request,
                                                    v3electionpb::ProclaimResponse* response) {
  const auto& leader = request->leader();
  if (auto denied = refuse_on_key(ctx_, *call, leader.key())) {
    return finish_now(call, to_grpc(*denied));
  }
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  proclaim(ctx_, leader.key(), leader.rev(), leader.lease(), request->value(),
           [this, reactor, response](Expected<void, Failure> done) {
             if (!done) return reactor->Finish(to_grpc(done.error()));
             ctx_.fill(response->mutable_header());
             reactor->Finish(grpc::Status::OK);
           });
  return reactor;
}

grpc::ServerUnaryReactor* ElectionService::Leader(grpc::CallbackServerContext* call,
                                                  const v3electionpb::LeaderRequest* request,
                                                  v3electionpb::LeaderResponse* response) {
  if (auto denied = refuse_on_queue(ctx_, *call, regentpb::READ, request->name())) {
    return finish_now(call, to_grpc(*denied));
  }
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  ctx_.node->read_index([this, reactor, response,
                         prefix = queue_prefix(request->name())](Expected<void, Failure> ready) {
    if (!ready) return reactor->Finish(to_grpc(ready.error()));
    auto head = queues_.head(prefix);
    if (!head) return reactor->Finish(to_grpc(no_election_leader()));
    ctx_.fill(response->mutable_header());
    *response->mutable_kv() = to_proto(*head);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerWriteReactor<v3electionpb::LeaderResponse>* ElectionService::Observe(
    grpc::CallbackServerContext* call, const v3electionpb::LeaderRequest* request) {
  if (auto denied = refuse_on_queue(ctx_, *call, regentpb::READ, request->name())) {
    return new RefusedStream<v3electionpb::LeaderResponse>(to_grpc(*denied));
  }
  return new ObserveCall(ctx_, queues_, request->name());  // Deletes itself in OnDone.
}

grpc::ServerUnaryReactor* ElectionService::Resign(grpc::CallbackServerContext* call,
                                                  const v3electionpb::ResignRequest* request,
                                                  v3electionpb::ResignResponse* response) {
  if (auto denied = refuse_on_key(ctx_, *call, request->leader().key())) {
    return finish_now(call, to_grpc(*denied));
  }
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  leave_queue(ctx_, request->leader().key(), request->leader().rev(),
              [this, reactor, response](Expected<void, Failure> done) {
                if (!done) return reactor->Finish(to_grpc(done.error()));
                ctx_.fill(response->mutable_header());
                reactor->Finish(grpc::Status::OK);
              });
  return reactor;
}

grpc::ServerUnaryReactor* LockService::Lock(grpc::CallbackServerContext* call,
                                            const v3lockpb::LockRequest* request,
                                            v3lockpb::LockResponse* response) {
  if (auto denied = refuse_on_queue(ctx_, *call, regentpb::READWRITE, request->name())) {
    return finish_now(call, to_grpc(*denied));
  }
  return QueueCall::start(ctx_, queues_, queue_prefix(request->name()), request->lease(), "",
                          [this, response](const kv::KeyValue& own) {
                            ctx_.fill(response->mutable_header());
                            response->set_key(own.key);
                          });
}

grpc::ServerUnaryReactor* LockService::Unlock(grpc::CallbackServerContext* call,
                                              const v3lockpb::UnlockRequest* request,
                                              v3lockpb::UnlockResponse* response) {
  regentpb::InternalRequest proposal;
  proposal.mutable_delete_range()->set_key(request->key());
  if (auto refused = stamp_caller(ctx_, *call, proposal))
    return finish_now(call, to_grpc(*refused));
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  ctx_.node->propose(std::move(proposal),
                     [this, reactor, response](Expected<WriteResponse, Failure> done) {
                       if (!done) return reactor->Finish(to_grpc(done.error()));
                       ctx_.fill(response->mutable_header());
                       reactor->Finish(grpc::Status::OK);
                     });
  return reactor;
}

}  // namespace regent::server
