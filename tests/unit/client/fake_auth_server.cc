#include "unit/client/fake_auth_server.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

namespace regent::client::testing {

namespace {

class AuthService final : public etcdserverpb::Auth::Service {
 public:
  explicit AuthService(FakeAuthServer& s) : s_(s) {}
  grpc::Status Authenticate(grpc::ServerContext*, const etcdserverpb::AuthenticateRequest* req,
                            etcdserverpb::AuthenticateResponse* resp) override {
    return s_.authenticate(req->name(), req->password(), resp->mutable_token());
  }

 private:
  FakeAuthServer& s_;
};

class KvService final : public etcdserverpb::KV::Service {
 public:
  explicit KvService(FakeAuthServer& s) : s_(s) {}
  grpc::Status Range(grpc::ServerContext* ctx, const etcdserverpb::RangeRequest* req,
                     etcdserverpb::RangeResponse* resp) override {
    grpc::Status checked = s_.check(*ctx, false);
    if (!checked.ok()) return checked;
    if (req->key().starts_with("secret/")) {
      return {grpc::StatusCode::PERMISSION_DENIED, "etcdserver: permission denied"};
    }
    resp->mutable_header()->set_revision(1);
    return grpc::Status::OK;
  }
  grpc::Status Put(grpc::ServerContext* ctx, const etcdserverpb::PutRequest*,
                   etcdserverpb::PutResponse* resp) override {
    grpc::Status checked = s_.check(*ctx, false);
    if (!checked.ok()) return checked;
    s_.note_put();
    resp->mutable_header()->set_revision(2);
    return grpc::Status::OK;
  }

 private:
  FakeAuthServer& s_;
};

class WatchService final : public etcdserverpb::Watch::Service {
 public:
  explicit WatchService(FakeAuthServer& s) : s_(s) {}
  grpc::Status Watch(grpc::ServerContext* ctx,
                     grpc::ServerReaderWriter<etcdserverpb::WatchResponse,
                                              etcdserverpb::WatchRequest>* stream) override {
    etcdserverpb::WatchRequest req;
    if (!stream->Read(&req)) return grpc::Status::OK;
    etcdserverpb::WatchResponse resp;
    resp.set_created(true);
    resp.mutable_header()->set_revision(1);
    // etcd checks a watch's token when the watch is created and cancels it on failure.
    grpc::Status checked = s_.check(*ctx, true);
    if (!checked.ok()) {
      resp.set_canceled(true);
      resp.set_cancel_reason(checked.error_message());
    }
    stream->Write(resp);
    while (stream->Read(&req)) {
    }
    return grpc::Status::OK;
  }

 private:
  FakeAuthServer& s_;
};

}  // namespace

FakeAuthServer::FakeAuthServer(std::string password) : password_(std::move(password)) {
  services_.push_back(std::make_unique<AuthService>(*this));
  services_.push_back(std::make_unique<KvService>(*this));
  services_.push_back(std::make_unique<WatchService>(*this));
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  for (auto& s : services_) builder.RegisterService(s.get());
  server_ = builder.BuildAndStart();
}

FakeAuthServer::~FakeAuthServer() { server_->Shutdown(); }

std::string FakeAuthServer::endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

void FakeAuthServer::expire_tokens() {
  std::lock_guard lock(mu_);
  valid_.clear();
}

void FakeAuthServer::set_auth_enabled(bool enabled) {
  std::lock_guard lock(mu_);
  enabled_ = enabled;
}

int FakeAuthServer::authenticates() const {
  std::lock_guard lock(mu_);
  return authenticates_;
}

int FakeAuthServer::puts_applied() const {
  std::lock_guard lock(mu_);
  return puts_;
}

std::vector<std::string> FakeAuthServer::tokens_seen() const {
  std::lock_guard lock(mu_);
  return seen_;
}

std::vector<std::string> FakeAuthServer::stream_tokens_seen() const {
  std::lock_guard lock(mu_);
  return stream_seen_;
}

grpc::Status FakeAuthServer::check(const grpc::ServerContext& ctx, bool stream) {
  const auto& md = ctx.client_metadata();
  const auto it = md.find("token");
  const std::string token = it == md.end() ? "" : std::string(it->second.data(), it->second.size());
  std::lock_guard lock(mu_);
  (stream ? stream_seen_ : seen_).push_back(token);
  if (!enabled_) return grpc::Status::OK;
  if (token.empty()) {
    return {grpc::StatusCode::INVALID_ARGUMENT, "etcdserver: user name is empty"};
  }
  if (!valid_.contains(token)) {
    return {grpc::StatusCode::UNAUTHENTICATED, "etcdserver: invalid auth token"};
  }
  return grpc::Status::OK;
}

grpc::Status FakeAuthServer::authenticate(const std::string& name, const std::string& password,
                                          std::string* token) {
  std::lock_guard lock(mu_);
  ++authenticates_;
  if (!enabled_) {
    return {grpc::StatusCode::FAILED_PRECONDITION, "etcdserver: authentication is not enabled"};
  }
  if (name != "alice" || password != password_) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            "etcdserver: authentication failed, invalid user ID or password"};
  }
  *token = "tok" + std::to_string(authenticates_);
  valid_.insert(*token);
  return grpc::Status::OK;
}

}  // namespace regent::client::testing
