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
  // etcd's precondition on enabling: user root holds role root (granted through this fake).
  grpc::Status AuthEnable(grpc::ServerContext*, const etcdserverpb::AuthEnableRequest*,
                          etcdserverpb::AuthEnableResponse*) override {
    s_.note_admin("AuthEnable");
    std::lock_guard lock(mu_);
    if (!root_has_root_) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              "etcdserver: root user does not have root role"};
    }
    return grpc::Status::OK;
  }
  grpc::Status AuthStatus(grpc::ServerContext* ctx, const etcdserverpb::AuthStatusRequest*,
                          etcdserverpb::AuthStatusResponse* resp) override {
    if (auto checked = s_.check(*ctx, false); !checked.ok()) return checked;
    resp->set_enabled(true);
    resp->set_authrevision(7);
    return grpc::Status::OK;
  }
  grpc::Status UserAdd(grpc::ServerContext* ctx, const etcdserverpb::AuthUserAddRequest* req,
                       etcdserverpb::AuthUserAddResponse*) override {
    if (auto checked = s_.check(*ctx, false); !checked.ok()) return checked;
    s_.note_admin("UserAdd " + req->name() + " " + req->password() +
                  " no_password=" + std::to_string(req->options().no_password()));
    return grpc::Status::OK;
  }
  grpc::Status UserGet(grpc::ServerContext* ctx, const etcdserverpb::AuthUserGetRequest* req,
                       etcdserverpb::AuthUserGetResponse* resp) override {
    if (auto checked = s_.check(*ctx, false); !checked.ok()) return checked;
    if (req->name() != "alice") {
      return {grpc::StatusCode::FAILED_PRECONDITION, "etcdserver: user name not found"};
    }
    resp->add_roles("reader");
    resp->add_roles("root");
    return grpc::Status::OK;
  }
  grpc::Status RoleAdd(grpc::ServerContext*, const etcdserverpb::AuthRoleAddRequest* req,
                       etcdserverpb::AuthRoleAddResponse*) override {
    s_.note_admin("RoleAdd " + req->name());
    return grpc::Status::OK;
  }
  grpc::Status UserGrantRole(grpc::ServerContext*,
                             const etcdserverpb::AuthUserGrantRoleRequest* req,
                             etcdserverpb::AuthUserGrantRoleResponse*) override {
    s_.note_admin("UserGrantRole " + req->user() + " " + req->role());
    std::lock_guard lock(mu_);
    if (req->user() == "root" && req->role() == "root") root_has_root_ = true;
    return grpc::Status::OK;
  }
  // Role "reader": read [a, b), readwrite prefix p/, write from z, read key k.
  grpc::Status RoleGet(grpc::ServerContext* ctx, const etcdserverpb::AuthRoleGetRequest*,
                       etcdserverpb::AuthRoleGetResponse* resp) override {
    if (auto checked = s_.check(*ctx, false); !checked.ok()) return checked;
    auto add = [resp](authpb::Permission::Type type, std::string key, std::string end) {
      auto* p = resp->add_perm();
      p->set_permtype(type);
      p->set_key(std::move(key));
      p->set_range_end(std::move(end));
    };
    add(authpb::Permission::READ, "a", "b");
    add(authpb::Permission::READWRITE, "p/", "p0");
    add(authpb::Permission::WRITE, "z", std::string(1, '\0'));
    add(authpb::Permission::READ, "k", "");
    return grpc::Status::OK;
  }
  grpc::Status RoleRevokePermission(grpc::ServerContext*,
                                    const etcdserverpb::AuthRoleRevokePermissionRequest*,
                                    etcdserverpb::AuthRoleRevokePermissionResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status RoleGrantPermission(grpc::ServerContext*,
                                   const etcdserverpb::AuthRoleGrantPermissionRequest* req,
                                   etcdserverpb::AuthRoleGrantPermissionResponse*) override {
    const auto& p = req->perm();
    s_.note_admin("RoleGrantPermission " + req->name() + " " + std::to_string(p.permtype()) + " [" +
                  p.key() + ", " + (p.range_end() == std::string(1, '\0') ? "\\0" : p.range_end()) +
                  ")");
    return grpc::Status::OK;
  }

 private:
  FakeAuthServer& s_;
  std::mutex mu_;
  bool root_has_root_ = false;
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
