#include "client/election.h"

#include <fmt/format.h>

#include "client/internal/call.h"
#include "client/internal/candidacy.h"
#include "client/internal/connections.h"
#include "client/internal/convert.h"
#include "v3electionpb/v3election.grpc.pb.h"

namespace regent::client {

using internal::CallPolicy;
using internal::Retry;

namespace {

v3electionpb::LeaderKey to_pb(const LeaderKey& k) {
  v3electionpb::LeaderKey pb;
  pb.set_name(k.name);
  pb.set_key(k.key);
  pb.set_rev(k.rev);
  pb.set_lease(k.lease);
  return pb;
}

template <class Response, class Request, class Method>
Result<Response> election_call(Client& client, const Context& ctx, CallPolicy policy,
                               const Request& request, Method method) {
  Response response;
  auto done =
      internal::call(client.connections(), ctx, policy,
                     [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& cc) {
                       auto stub = v3electionpb::Election::NewStub(channel);
                       return ((*stub).*method)(&cc, request, &response);
                     });
  if (!done) return fail(done.error());
  return response;
}

}  // namespace

Election::Election(std::shared_ptr<Session> session, std::string name)
    : session_(std::move(session)), name_(std::move(name)) {}

std::string Election::candidate_key() const {
  return internal::candidate_key(name_, session_->lease());
}

std::optional<LeaderKey> Election::leader_key() const {
  std::lock_guard lock(mu_);
  return held_;
}

Result<LeaderKey> Election::campaign(const std::string& value, const Context& ctx) {
  v3electionpb::CampaignRequest request;
  request.set_name(name_);
  request.set_lease(session_->lease());
  request.set_value(value);
  auto won = internal::wait_for_turn(
      *session_, ctx, candidate_key(), [&](const Context& call_ctx) -> Result<std::string> {
        auto r = election_call<v3electionpb::CampaignResponse>(
            *session_->client(), call_ctx,
            CallPolicy{.retry = Retry::kIdempotent, .blocking = true}, request,
            &v3electionpb::Election::Stub::Campaign);
        if (!r) return fail(r.error());
        return r->leader().key();
      });
  if (!won) return fail(won.error());
  LeaderKey key{.name = name_, .key = won->key, .rev = won->create_revision, .lease = won->lease};
  std::lock_guard lock(mu_);
  held_ = key;
  return key;
}

Result<void> Election::proclaim(const std::string& value, const Context& ctx) {
  auto held = leader_key();
  if (!held) return fail(Code::kFailedPrecondition, "election: not leader");
  v3electionpb::ProclaimRequest request;
  *request.mutable_leader() = to_pb(*held);
  request.set_value(value);
  auto r = election_call<v3electionpb::ProclaimResponse>(
      *session_->client(), ctx, CallPolicy{.retry = Retry::kIdempotent}, request,
      &v3electionpb::Election::Stub::Proclaim);
  if (!r) return fail(r.error());
  return {};
}

Result<void> Election::resign(const Context& ctx) {
  auto held = leader_key();
  if (!held) return {};
  v3electionpb::ResignRequest request;
  *request.mutable_leader() = to_pb(*held);
  auto r = election_call<v3electionpb::ResignResponse>(
      *session_->client(), ctx, CallPolicy{.retry = Retry::kIdempotent}, request,
      &v3electionpb::Election::Stub::Resign);
  if (!r) return fail(r.error());
  std::lock_guard lock(mu_);
  held_.reset();
  return {};
}

Result<std::optional<KeyValue>> Election::leader(const Context& ctx) const {
  return election_leader(*session_->client(), name_, ctx);
}

Result<std::optional<KeyValue>> election_leader(Client& client, const std::string& name,
                                                const Context& ctx) {
  v3electionpb::LeaderRequest request;
  request.set_name(name);
  auto r = election_call<v3electionpb::LeaderResponse>(
      client, ctx, CallPolicy{.retry = Retry::kIdempotent}, request,
      &v3electionpb::Election::Stub::Leader);
  if (!r) {
    // etcd answers "election: no leader" rather than an empty response.
    if (r.error().message.find("election: no leader") != std::string::npos) {
      return std::optional<KeyValue>();
    }
    return fail(r.error());
  }
  if (!r->has_kv()) return std::optional<KeyValue>();
  return std::optional<KeyValue>(internal::from_pb(r->kv()));
}

}  // namespace regent::client
