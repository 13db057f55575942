// Who is making a call, for the auth checks (node/auth_check.h): from the call's token (gRPC
// metadata "token", or "authorization" as etcd's gateway sends it), else, with
// --client-cert-auth, from the Common Name of the client's verified certificate, as etcd's
// AuthInfoFromCtx decides it. While auth is disabled every call is an anonymous caller and costs
// no lock: tokens are ignored, as etcd ignores them then.
//
// Calls that go through the log carry the caller and are checked at apply; the others (reads,
// watch creation, the member-wide calls) are checked here with the same rules, against this
// member's auth store at the moment they are answered (after a linearizable read's wait).
#pragma once

#include <grpcpp/server_context.h>

#include <optional>
#include <string>
#include <string_view>

#include "common/expected.h"
#include "regentpb/auth.pb.h"
#include "server/auth/simple_tokens.h"
#include "server/http/connection_registry.h"
#include "server/node/failure.h"
#include "server/node/state_machine.h"

namespace regent::server {

class AuthGate {
 public:
  // `connections` (null: none known) tells which client connection a call came on;
  // `cert_auth` (--client-cert-auth): its verified certificate's Common Name names the user
  // when the call carries no token.
  AuthGate(const StateMachine& machine, SimpleTokens& tokens,
           const http::ConnectionRegistry* connections = nullptr, bool cert_auth = false)
      : machine_(machine), tokens_(tokens), connections_(connections), cert_auth_(cert_auth) {}

  // The caller to stamp on the call's request, or Unauthenticated "invalid auth token" for a
  // token this member does not know (unknown, expired, or its user's password changed).
  Expected<regentpb::AuthCaller, Failure> caller(const grpc::ServerContextBase& call) const;

  // Checks at the API layer, answering with etcd's error for the first rule broken.
  std::optional<Failure> check_access(const regentpb::AuthCaller& caller,
                                      regentpb::AuthPermissionType need, std::string_view key,
                                      std::string_view range_end = {}) const;
  std::optional<Failure> check_admin(const regentpb::AuthCaller& caller) const;
  // A user that exists (lease calls, status of one's own leases).
  std::optional<Failure> check_known(const regentpb::AuthCaller& caller) const;
  // caller() then check_admin(): the member-wide calls.
  std::optional<Failure> admin_call(const grpc::ServerContextBase& call) const;
  // caller() then check_access(): a call answered without the log (a watch's creation, an
  // election's or a lock's keys).
  std::optional<Failure> access_call(const grpc::ServerContextBase& call,
                                     regentpb::AuthPermissionType need, std::string_view key,
                                     std::string_view range_end = {}) const;

  bool enabled() const { return machine_.auth_enabled(); }
  // Which client connection `call` came on: its address, or the gateway's HTTP client's, or
  // gRPC's own peer name when neither is known. What Authenticate's attempt limit counts by.
  std::string connection_of(const grpc::ServerContextBase& call) const;
  SimpleTokens& tokens() const { return tokens_; }

 private:
  const StateMachine& machine_;
  SimpleTokens& tokens_;
  const http::ConnectionRegistry* connections_;
  bool cert_auth_;
};

// The token a call carries, if any.
std::optional<std::string> token_of(const grpc::ServerContextBase& call);

}  // namespace regent::server
