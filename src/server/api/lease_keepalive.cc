#include "server/api/lease_keepalive.h"

#include "server/api/require_leader.h"
#include "server/grpc_status.h"

namespace regent::server {

namespace {

bool forwarded_call(const grpc::CallbackServerContext& call) {
  return call.client_metadata().find(kForwardedKey) != call.client_metadata().end();
}

}  // namespace

KeepAliveStream::KeepAliveStream(grpc::CallbackServerContext* call, const ServiceContext& context,
                                 Lessor& lessor, LeaseForwarder& forwarder)
    : ctx_(context), lessor_(lessor), forwarder_(forwarder), forwarded_(forwarded_call(*call)) {
  // Registered before the leader is checked, so that a loss in between is not missed.
  const bool needs_leader = requires_leader(*call);
  stream_token_ = lessor_.add_stream(needs_leader, [this](const Failure& why) {
    std::lock_guard lock(mu_);
    finish_when_idle(to_grpc(why));
  });
  std::lock_guard lock(mu_);
  if (needs_leader && ctx_.node->status().leader == raft::kNone) {
    finish_when_idle(to_grpc(no_leader()));
  }
  if (!finish_) StartRead(&request_);
}

void KeepAliveStream::OnReadDone(bool ok) {
  int64_t id = 0;
  {
    std::lock_guard lock(mu_);
    if (!ok || finish_) {
      finish_when_idle(grpc::Status::OK);  // The client closed its side, or we are ending.
      return;
    }
    busy_ = true;
    id = request_.id();
  }
  renew(id);
}

void KeepAliveStream::renew(int64_t id, bool after_barrier) {
  Expected<int64_t, Failure> ttl = lessor_.renew(id);
  if (ttl && *ttl == 0 && !after_barrier) {
    // Unknown here, but perhaps granted and answered already: the member that answered the grant
    // may apply entries before the leader does. A read barrier applies everything committed so
    // far; then the lease is looked up once more (etcd 3.5 waits for the applied index alike).
    ctx_.node->read_index([this, id](Expected<void, Failure> applied) {
      if (!applied) return answer(id, unexpected(applied.error()));
      renew(id, /*after_barrier=*/true);
    });
    return;
  }
  if (ttl) return answer(id, ttl);
  // Not the leader. A follower's forward that reached a member which no longer leads fails,
  // rather than travelling on.
  if (forwarded_) return answer(id, unexpected(leader_changed()));
  etcdserverpb::LeaseKeepAliveRequest request;
  request.set_id(id);
  forwarder_.keep_alive(request,
                        [this, id](Expected<etcdserverpb::LeaseKeepAliveResponse, Failure> leader) {
                          if (!leader) return answer(id, unexpected(leader.error()));
                          answer(id, leader->ttl());
                        });
}

void KeepAliveStream::answer(int64_t id, Expected<int64_t, Failure> ttl) {
  std::lock_guard lock(mu_);
  if (!ttl || finish_) {
    busy_ = false;
    finish_when_idle(ttl ? grpc::Status::OK : to_grpc(ttl.error()));
    return;
  }
  response_.Clear();
  ctx_.fill(response_.mutable_header());
  response_.set_id(id);
  response_.set_ttl(*ttl);
  StartWrite(&response_);  // Still busy until the write is done.
}

void KeepAliveStream::OnWriteDone(bool ok) {
  std::lock_guard lock(mu_);
  busy_ = false;
  if (!ok || finish_) {
    finish_when_idle(grpc::Status::OK);  // A failed write: the client is gone.
    return;
  }
  StartRead(&request_);
}

void KeepAliveStream::finish_when_idle(const grpc::Status& status) {
  if (!finish_) finish_ = status;
  if (busy_ || finished_) return;
  finished_ = true;
  Finish(*finish_);
}

void KeepAliveStream::OnDone() {
  lessor_.remove_stream(stream_token_);
  delete this;
}

}  // namespace regent::server
