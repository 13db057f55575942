#include "client/maintenance.h"

#include <fmt/format.h>

#include "client/internal/call.h"
#include "client/internal/connections.h"
#include "client/internal/convert.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace regent::client {

using internal::CallPolicy;
using internal::Retry;
using Clock = std::chrono::steady_clock;

size_t Maintenance::endpoint_count() const { return client_->connections().size(); }

const std::string& Maintenance::endpoint(size_t i) const {
  return client_->connections().endpoint(i);
}

Result<StatusResponse> Maintenance::status(size_t endpoint, const Context& ctx) const {
  etcdserverpb::StatusResponse r;
  auto done = internal::call(
      client_->connections(), ctx, CallPolicy{.retry = Retry::kIdempotent, .endpoint = endpoint},
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& cc) {
        return etcdserverpb::Maintenance::NewStub(channel)->Status(
            &cc, etcdserverpb::StatusRequest(), &r);
      });
  if (!done) return fail(done.error());
  StatusResponse out{.header = internal::from_pb(r.header()),
                     .version = r.version(),
                     .db_size = r.dbsize(),
                     .leader = r.leader(),
                     .raft_index = r.raftindex(),
                     .raft_term = r.raftterm(),
                     .raft_applied_index = r.raftappliedindex(),
                     .db_size_in_use = r.dbsizeinuse(),
                     .is_learner = r.islearner()};
  for (const auto& e : r.errors()) out.errors.push_back(e);
  return out;
}

HealthResponse Maintenance::health(size_t endpoint, const Context& ctx) const {
  const auto start = Clock::now();
  etcdserverpb::RangeRequest get;
  get.set_key("health");
  etcdserverpb::RangeResponse got;
  auto read = internal::call(
      client_->connections(), ctx, CallPolicy{.retry = Retry::kIdempotent, .endpoint = endpoint},
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& cc) {
        return etcdserverpb::KV::NewStub(channel)->Range(&cc, get, &got);
      });
  HealthResponse out{.took = Clock::now() - start};
  if (!read && read.error().code != Code::kPermissionDenied) {
    out.error = fmt::format("failed to commit proposal: {}", read.error().message);
    return out;
  }
  etcdserverpb::AlarmRequest alarms;
  alarms.set_action(etcdserverpb::AlarmRequest::GET);
  etcdserverpb::AlarmResponse raised;
  auto listed = internal::call(
      client_->connections(), ctx, CallPolicy{.retry = Retry::kIdempotent, .endpoint = endpoint},
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& cc) {
        return etcdserverpb::Maintenance::NewStub(channel)->Alarm(&cc, alarms, &raised);
      });
  if (listed && raised.alarms_size() > 0) {
    out.error =
        fmt::format("Active Alarm(s): {}", etcdserverpb::AlarmType_Name(raised.alarms(0).alarm()));
    return out;
  }
  out.healthy = true;
  return out;
}

Result<MemberListResponse> Maintenance::member_list(const Context& ctx) const {
  etcdserverpb::MemberListResponse r;
  auto done =
      internal::call(client_->connections(), ctx, CallPolicy{.retry = Retry::kIdempotent},
                     [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& cc) {
                       return etcdserverpb::Cluster::NewStub(channel)->MemberList(
                           &cc, etcdserverpb::MemberListRequest(), &r);
                     });
  if (!done) return fail(done.error());
  MemberListResponse out{.header = internal::from_pb(r.header())};
  for (const auto& m : r.members()) {
    Member member{.id = m.id(), .name = m.name(), .is_learner = m.islearner()};
    member.peer_urls.assign(m.peerurls().begin(), m.peerurls().end());
    member.client_urls.assign(m.clienturls().begin(), m.clienturls().end());
    out.members.push_back(std::move(member));
  }
  return out;
}

Result<Member> Maintenance::member_add(const std::vector<std::string>& peer_urls, bool learner,
                                       const Context& ctx) const {
  etcdserverpb::MemberAddRequest request;
  for (const auto& url : peer_urls) request.add_peerurls(url);
  request.set_islearner(learner);
  etcdserverpb::MemberAddResponse r;
  auto done =
      internal::call(client_->connections(), ctx, CallPolicy{.retry = Retry::kWrite},
                     [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& cc) {
                       return etcdserverpb::Cluster::NewStub(channel)->MemberAdd(&cc, request, &r);
                     });
  if (!done) return fail(done.error());
  Member member{
      .id = r.member().id(), .name = r.member().name(), .is_learner = r.member().islearner()};
  member.peer_urls.assign(r.member().peerurls().begin(), r.member().peerurls().end());
  return member;
}

Result<void> Maintenance::member_remove(uint64_t id, const Context& ctx) const {
  etcdserverpb::MemberRemoveRequest request;
  request.set_id(id);
  etcdserverpb::MemberRemoveResponse r;
  auto done = internal::call(
      client_->connections(), ctx, CallPolicy{.retry = Retry::kWrite},
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& cc) {
        return etcdserverpb::Cluster::NewStub(channel)->MemberRemove(&cc, request, &r);
      });
  if (!done) return fail(done.error());
  return {};
}

Result<uint64_t> Maintenance::move_leader(uint64_t target, const Context& ctx) const {
  // etcd serves MoveLeader on the leader only: find it among the endpoints.
  std::optional<size_t> leader_endpoint;
  uint64_t leader_id = 0;
  Error last{.code = Code::kUnavailable, .message = "no endpoint knows a leader"};
  for (size_t i = 0; i < endpoint_count() && !leader_endpoint; ++i) {
    auto st = status(i, ctx);
    if (!st) {
      last = st.error();
      continue;
    }
    if (st->leader != 0 && st->leader == st->header.member_id) {
      leader_endpoint = i;
      leader_id = st->leader;
    }
  }
  if (!leader_endpoint) return fail(last);
  etcdserverpb::MoveLeaderRequest request;
  request.set_targetid(target);
  etcdserverpb::MoveLeaderResponse r;
  auto done = internal::call(
      client_->connections(), ctx, CallPolicy{.retry = Retry::kWrite, .endpoint = leader_endpoint},
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& cc) {
        return etcdserverpb::Maintenance::NewStub(channel)->MoveLeader(&cc, request, &r);
      });
  if (!done) return fail(done.error());
  return leader_id;
}

Result<uint64_t> Maintenance::snapshot(size_t endpoint, const BlobSink& sink,
                                       const Context& ctx) const {
  uint64_t received = 0;
  bool gave_up = false;
  auto done = internal::call(
      client_->connections(), ctx, CallPolicy{.retry = Retry::kWrite, .endpoint = endpoint},
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& cc) {
        auto reader = etcdserverpb::Maintenance::NewStub(channel)->Snapshot(
            &cc, etcdserverpb::SnapshotRequest());
        etcdserverpb::SnapshotResponse r;
        while (reader->Read(&r)) {
          received += r.blob().size();
          if (!sink(r.blob(), r.remaining_bytes())) {
            gave_up = true;
            cc.TryCancel();
            break;
          }
        }
        return reader->Finish();
      });
  if (gave_up)
    return fail(Error{.code = Code::kCancelled, .message = "the snapshot was abandoned"});
  if (!done) return fail(done.error());
  return received;
}

}  // namespace regent::client
