#include "server/api/cluster_service.h"

#include <chrono>
#include <memory>
#include <optional>

#include "server/cluster_config.h"
#include "server/grpc_status.h"
#include "server/lease/lease_forwarder.h"
#include "server/node/member_table.h"

namespace regent::server {

namespace {

void to_proto(const regentpb::Member& m, etcdserverpb::Member* out) {
  out->set_id(m.id());
  out->set_name(m.name());
  for (const std::string& url : m.peer_urls()) out->add_peerurls(url);
  for (const std::string& url : m.client_urls()) out->add_clienturls(url);
  out->set_islearner(m.is_learner());
}

bool forwarded(const grpc::CallbackServerContext& call) {
  return call.client_metadata().find(kForwardedKey) != call.client_metadata().end();
}

// The leader's first client URL, from the member table; nullopt when none is known.
std::optional<std::string> leader_url(const ServiceContext& ctx) {
  const raft::NodeId leader = ctx.node->status().leader;
  if (leader == raft::kNone || leader == ctx.member_id) return std::nullopt;
  for (const regentpb::Member& m : ctx.machine->members()) {
    if (m.id() != leader || m.client_urls().empty()) continue;
    if (url_to_address(m.client_urls(0))) return m.client_urls(0);
  }
  return std::nullopt;
}

// Sends the call to the leader's Cluster service and finishes `reactor` with its answer.
// `invoke(async, context, request, response, callback)` names the method.
template <class Request, class Response, class Invoke>
void forward(const ServiceContext& ctx, std::chrono::milliseconds timeout, const Request& request,
             Response* response, grpc::ServerUnaryReactor* reactor, Invoke invoke,
             const std::optional<std::string>& token) {
  auto url = leader_url(ctx);
  if (!url) return reactor->Finish(to_grpc(no_leader()));
  struct Call {
    grpc::ClientContext context;
    Request request;
    Response response;
    std::unique_ptr<etcdserverpb::Cluster::Stub> stub;
  };
  auto call = std::make_shared<Call>();
  call->request = request;
  call->stub = etcdserverpb::Cluster::NewStub(
      grpc::CreateChannel(*url_to_address(*url), ctx.security->dial_client_url(*url)));
  call->context.set_deadline(std::chrono::system_clock::now() + timeout);
  call->context.AddMetadata(kForwardedKey, "1");
  // The leader checks the caller's rights again, with the same token (tokens are cluster-wide).
  if (token) call->context.AddMetadata("token", *token);
  invoke(call->stub->async(), &call->context, &call->request, &call->response,
         [call, response, reactor](grpc::Status status) {
           if (status.ok()) *response = call->response;
           reactor->Finish(status);
         });
}

// Proposes `change` here; a follower's "not leader" sends the call on to the leader.
template <class Request, class Response, class Invoke, class Fill>
grpc::ServerUnaryReactor* change_membership(const ServiceContext& ctx,
                                            std::chrono::milliseconds timeout,
                                            grpc::CallbackServerContext* call,
                                            const Request* request, Response* response,
                                            regentpb::MemberChange change, Invoke invoke,
                                            Fill fill) {
  // Root only while auth is enabled (etcd 3.5's rule; 3.4 checked nothing here).
  if (ctx.auth) {
    if (auto denied = ctx.auth->admin_call(*call)) return finish_now(call, to_grpc(*denied));
  }
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  const bool may_forward = !forwarded(*call);
  ctx.node->propose_member_change(
      std::move(change), [&ctx, timeout, request, response, reactor, may_forward, invoke, fill,
                          token = token_of(*call)](Expected<WriteResponse, Failure> done) {
        if (!done) {
          if (may_forward && done.error().message == not_leader().message) {
            return forward(ctx, timeout, *request, response, reactor, invoke, token);
          }
          return reactor->Finish(to_grpc(done.error()));
        }
        const auto& changed = std::get<MemberChangeResponse>(*done);
        ctx.fill(response->mutable_header());
        fill(changed, response);
        for (const regentpb::Member& m : changed.members) to_proto(m, response->add_members());
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

constexpr auto kNothingMore = [](const MemberChangeResponse&, auto*) {};

}  // namespace

grpc::ServerUnaryReactor* ClusterService::MemberList(grpc::CallbackServerContext* call,
                                                     const etcdserverpb::MemberListRequest*,
                                                     etcdserverpb::MemberListResponse* response) {
  ctx_.fill(response->mutable_header());
  for (const regentpb::Member& m : ctx_.machine->members()) to_proto(m, response->add_members());
  return finish_now(call, grpc::Status::OK);
}

grpc::ServerUnaryReactor* ClusterService::MemberAdd(grpc::CallbackServerContext* call,
                                                    const etcdserverpb::MemberAddRequest* request,
                                                    etcdserverpb::MemberAddResponse* response) {
  std::vector<std::string> urls(request->peerurls().begin(), request->peerurls().end());
  if (urls.empty()) return finish_now(call, to_grpc(bad_member_urls()));
  for (const std::string& url : urls) {
    if (!url_to_address(url)) return finish_now(call, to_grpc(bad_member_urls()));
  }
  regentpb::MemberChange change;
  change.set_kind(regentpb::MemberChange::ADD);
  regentpb::Member* m = change.mutable_member();
  // Chosen once, here: the entry carries it, so every member records the same id. A call
  // forwarded to the leader gets its id there.
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  m->set_id(new_member_id(urls, ctx_.cluster_token, now_s));
  for (const std::string& url : urls) m->add_peer_urls(url);
  m->set_is_learner(request->islearner());
  return change_membership(
      ctx_, timeout_, call, request, response, std::move(change),
      [](auto* async, auto* context, auto* req, auto* resp, auto done) {
        async->MemberAdd(context, req, resp, std::move(done));
      },
      [](const MemberChangeResponse& changed, etcdserverpb::MemberAddResponse* out) {
        to_proto(changed.member, out->mutable_member());
      });
}

grpc::ServerUnaryReactor* ClusterService::MemberRemove(
    grpc::CallbackServerContext* call, const etcdserverpb::MemberRemoveRequest* request,
    etcdserverpb::MemberRemoveResponse* response) {
  regentpb::MemberChange change;
  change.set_kind(regentpb::MemberChange::REMOVE);
  change.mutable_member()->set_id(request->id());
  return change_membership(
      ctx_, timeout_, call, request, response, std::move(change),
      [](auto* async, auto* context, auto* req, auto* resp, auto done) {
        async->MemberRemove(context, req, resp, std::move(done));
      },
      kNothingMore);
}

grpc::ServerUnaryReactor* ClusterService::MemberUpdate(
    grpc::CallbackServerContext* call, const etcdserverpb::MemberUpdateRequest* request,
    etcdserverpb::MemberUpdateResponse* response) {
  if (request->peerurls().empty()) return finish_now(call, to_grpc(bad_member_urls()));
  for (const std::string& url : request->peerurls()) {
    if (!url_to_address(url)) return finish_now(call, to_grpc(bad_member_urls()));
  }
  regentpb::MemberChange change;
  change.set_kind(regentpb::MemberChange::UPDATE);
  change.mutable_member()->set_id(request->id());
  for (const std::string& url : request->peerurls()) change.mutable_member()->add_peer_urls(url);
  return change_membership(
      ctx_, timeout_, call, request, response, std::move(change),
      [](auto* async, auto* context, auto* req, auto* resp, auto done) {
        async->MemberUpdate(context, req, resp, std::move(done));
      },
      kNothingMore);
}

grpc::ServerUnaryReactor* ClusterService::MemberPromote(
    grpc::CallbackServerContext* call, const etcdserverpb::MemberPromoteRequest* request,
    etcdserverpb::MemberPromoteResponse* response) {
  regentpb::MemberChange change;
  change.set_kind(regentpb::MemberChange::PROMOTE);
  change.mutable_member()->set_id(request->id());
  return change_membership(
      ctx_, timeout_, call, request, response, std::move(change),
      [](auto* async, auto* context, auto* req, auto* resp, auto done) {
        async->MemberPromote(context, req, resp, std::move(done));
      },
      kNothingMore);
}

}  // namespace regent::server
