// An in-process stand-in for an auth-enabled etcd member, enough to watch the client's token
// handling on the wire: Authenticate, KV Range/Put and Watch check the `token` metadata with
// etcd's errors and codes. Not a model of etcd's auth store: one user, one key prefix denied,
// and a few admin calls (AuthEnable, AuthStatus, UserAdd, UserGet, RoleAdd, RoleGet,
// UserGrantRole) that record what they were asked and answer with canned records.
#pragma once

#include <grpcpp/server.h>

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "etcdserverpb/rpc.grpc.pb.h"

namespace regent::client::testing {

class FakeAuthServer {
 public:
  // User "alice" with `password`; keys under "secret/" are denied to her.
  explicit FakeAuthServer(std::string password);
  ~FakeAuthServer();
  FakeAuthServer(const FakeAuthServer&) = delete;
  FakeAuthServer& operator=(const FakeAuthServer&) = delete;

  std::string endpoint() const;  // "127.0.0.1:<port>"

  // Every token handed out so far stops being valid (as after --auth-token-ttl idle seconds).
  void expire_tokens();
  void set_auth_enabled(bool enabled);

  int authenticates() const;
  int puts_applied() const;
  // The token each request carried ("" for none), in arrival order: unary calls, then streams.
  std::vector<std::string> tokens_seen() const;
  std::vector<std::string> stream_tokens_seen() const;

  // Used by the services (fake_auth_server.cc): etcd's answer for a request carrying `token`,
  // recorded under `stream` or unary.
  grpc::Status check(const grpc::ServerContext& ctx, bool stream);
  grpc::Status authenticate(const std::string& name, const std::string& password,
                            std::string* token);
  void note_put() {
    std::lock_guard lock(mu_);
    ++puts_;
  }
  // What the admin calls were asked, one line each ("UserAdd bob pw no_password=0", ...).
  void note_admin(const std::string& line) {
    std::lock_guard lock(mu_);
    admin_.push_back(line);
  }
  std::vector<std::string> admin_calls() const {
    std::lock_guard lock(mu_);
    return admin_;
  }

 private:
  const std::string password_;
  mutable std::mutex mu_;
  bool enabled_ = true;
  int authenticates_ = 0;
  int puts_ = 0;
  std::set<std::string> valid_;
  std::vector<std::string> seen_;
  std::vector<std::string> stream_seen_;
  std::vector<std::string> admin_;

  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace regent::client::testing
