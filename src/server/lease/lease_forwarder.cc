#include "server/lease/lease_forwarder.h"

#include <utility>

namespace regent::server {

namespace {

// "http://host:port" -> "host:port"; gRPC dials the rest as it is.
std::string dial_target(const std::string& url) {
  const auto scheme = url.find("://");
  return scheme == std::string::npos ? url : url.substr(scheme + 3);
}

// A member is on the cluster's own network: no proxy; and a restarted leader is reached again
// within a second, not after gRPC's default backoff (up to two minutes).
grpc::ChannelArguments channel_arguments() {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return args;
}

template <class Response>
Expected<Response, Failure> outcome(const grpc::Status& status, Response response) {
  if (status.ok()) return response;
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return unexpected(request_timeout());
  }
  return unexpected(Failure{static_cast<StatusCode>(status.error_code()), status.error_message()});
}

}  // namespace

// One keep-alive through the leader: a stream carrying one request and one answer (the Lease
// service has no unary keep-alive). Deletes itself when gRPC is done with it.
class LeaseForwarder::KeepAliveCall final
    : public grpc::ClientBidiReactor<etcdserverpb::LeaseKeepAliveRequest,
                                     etcdserverpb::LeaseKeepAliveResponse> {
 public:
  KeepAliveCall(LeaseForwarder& owner, const etcdserverpb::LeaseKeepAliveRequest& request,
                Done<etcdserverpb::LeaseKeepAliveResponse> done)
      : owner_(owner), request_(request), done_(std::move(done)) {}

  grpc::ClientContext& context() { return context_; }

  // The call never started.
  void abandon(const Failure& f) {
    done_(unexpected(f));
    delete this;
  }

  void start(etcdserverpb::Lease::Stub& stub) {
    stub.async()->LeaseKeepAlive(&context_, this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }

 private:
  void OnReadDone(bool ok) override { answered_ = ok; }
  void OnDone(const grpc::Status& status) override {
    owner_.end(context_);
    if (status.ok() && !answered_) {
      done_(unexpected(leader_changed()));  // The leader ended the stream without an answer.
    } else {
      done_(outcome(status, std::move(response_)));
    }
    delete this;
  }

  LeaseForwarder& owner_;
  grpc::ClientContext context_;
  etcdserverpb::LeaseKeepAliveRequest request_;
  etcdserverpb::LeaseKeepAliveResponse response_;
  bool answered_ = false;  // Only gRPC's reactions touch it, one at a time.
  Done<etcdserverpb::LeaseKeepAliveResponse> done_;
};

LeaseForwarder::LeaseForwarder(const RaftNode& node, const StateMachine& machine, raft::NodeId self,
                               std::chrono::milliseconds timeout, const MemberSecurity& security)
    : node_(node), machine_(machine), self_(self), timeout_(timeout), security_(security) {}

Expected<std::shared_ptr<etcdserverpb::Lease::Stub>, Failure> LeaseForwarder::leader_stub() {
  const raft::NodeId leader = node_.status().leader;
  if (leader == raft::kNone) return unexpected(no_leader());
  // This member leads but its lessor has not heard yet (or just stepped down): a moment later
  // the client's retry finds the right one.
  if (leader == self_) return unexpected(leader_changed());
  std::string url;
  for (const regentpb::Member& m : machine_.members()) {
    if (m.id() == leader && m.client_urls_size() > 0) url = m.client_urls(0);
  }
  const std::string target = dial_target(url);
  if (target.empty()) return unexpected(leader_changed());  // Not published yet.
  std::lock_guard lock(mu_);
  if (leader != leader_ || target != target_ || !stub_) {
    leader_ = leader;
    target_ = target;
    stub_ = etcdserverpb::Lease::NewStub(
        grpc::CreateCustomChannel(target, security_.dial_client_url(url), channel_arguments()));
  }
  return stub_;
}

bool LeaseForwarder::begin(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + timeout_);
  context.AddMetadata(kForwardedKey, "1");
  std::lock_guard lock(mu_);
  if (stopped_) return false;
  in_flight_.insert(&context);
  return true;
}

void LeaseForwarder::end(grpc::ClientContext& context) {
  std::lock_guard lock(mu_);
  in_flight_.erase(&context);
}

void LeaseForwarder::stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  // A copy: a call completed by its cancellation leaves in_flight_ while this loop runs. The
  // others cannot be freed meanwhile: their completions wait for the lock.
  const std::set<grpc::ClientContext*> calls = in_flight_;
  for (grpc::ClientContext* c : calls) c->TryCancel();
}

void LeaseForwarder::time_to_live(const etcdserverpb::LeaseTimeToLiveRequest& request,
                                  Done<etcdserverpb::LeaseTimeToLiveResponse> done) {
  auto stub = leader_stub();
  if (!stub) return done(unexpected(stub.error()));
  struct Call {
    grpc::ClientContext context;
    etcdserverpb::LeaseTimeToLiveRequest request;
    etcdserverpb::LeaseTimeToLiveResponse response;
  };
  auto* call = new Call{.request = request};
  if (!begin(call->context)) {
    delete call;
    return done(unexpected(stopped()));
  }
  (*stub)->async()->LeaseTimeToLive(&call->context, &call->request, &call->response,
                                    [this, call, done = std::move(done)](grpc::Status status) {
                                      end(call->context);
                                      done(outcome(status, std::move(call->response)));
                                      delete call;
                                    });
}

void LeaseForwarder::keep_alive(const etcdserverpb::LeaseKeepAliveRequest& request,
                                Done<etcdserverpb::LeaseKeepAliveResponse> done) {
  auto stub = leader_stub();
  if (!stub) return done(unexpected(stub.error()));
  auto* call = new KeepAliveCall(*this, request, std::move(done));
  if (!begin(call->context())) return call->abandon(stopped());
  call->start(**stub);
}

}  // namespace regent::server
