#include "server/auth/auth_gate.h"

#include "server/node/auth_check.h"
#include "server/node/auth_errors.h"

namespace regent::server {

namespace {

std::optional<Failure> as_failure(const std::optional<kv::Error>& e) {
  if (!e) return std::nullopt;
  return from_kv(*e);
}

}  // namespace

std::optional<std::string> token_of(const grpc::ServerContextBase& call) {
  const auto& metadata = call.client_metadata();
  for (std::string_view key : {"token", "authorization"}) {
    auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
    if (it != metadata.end()) return std::string(it->second.data(), it->second.size());
  }
  return std::nullopt;
}

Expected<regentpb::AuthCaller, Failure> AuthGate::caller(
    const grpc::ServerContextBase& call) const {
  regentpb::AuthCaller out;
  // The revision first: a user looked up after it can only be newer, which apply accepts.
  out.set_auth_revision(machine_.auth_revision());
  if (!machine_.auth_enabled()) return out;
  if (std::optional<std::string> token = token_of(call)) {
    std::optional<std::string> user = tokens_.user_of(*token);
    if (!user) {
      return unexpected(
          Failure{StatusCode::UNAUTHENTICATED, std::string(auth_error::kInvalidAuthToken)});
    }
    out.set_username(std::move(*user));
    return out;
  }
  if (cert_auth_ && connections_) {
    auto connection = connections_->find(call.peer());
    if (connection && connection->cert_name) out.set_username(*connection->cert_name);
  }
  return out;
}

std::string AuthGate::connection_of(const grpc::ServerContextBase& call) const {
  const std::string peer = call.peer();
  if (connections_) {
    if (auto connection = connections_->find(peer)) return connection->remote;
  }
  // The gateway's calls come through the in-process channel, naming the HTTP client they
  // carry; only those may name one.
  if (peer.rfind("inproc", 0) == 0 || peer.empty()) {
    const auto& metadata = call.client_metadata();
    auto it = metadata.find("regent-http-client");
    if (it != metadata.end()) return "http:" + std::string(it->second.data(), it->second.size());
  }
  return peer;
}

std::optional<Failure> AuthGate::check_access(const regentpb::AuthCaller& caller,
                                              regentpb::AuthPermissionType need,
                                              std::string_view key,
                                              std::string_view range_end) const {
  if (!machine_.auth_enabled()) return std::nullopt;
  return as_failure(machine_.read_auth(
      [&](const AuthStore& auth) { return access_refusal(auth, caller, need, key, range_end); }));
}

std::optional<Failure> AuthGate::check_admin(const regentpb::AuthCaller& caller) const {
  if (!machine_.auth_enabled()) return std::nullopt;
  return as_failure(
      machine_.read_auth([&](const AuthStore& auth) { return admin_refusal(auth, caller); }));
}

std::optional<Failure> AuthGate::check_known(const regentpb::AuthCaller& caller) const {
  if (!machine_.auth_enabled()) return std::nullopt;
  return as_failure(machine_.read_auth([&](const AuthStore& auth) -> std::optional<kv::Error> {
    if (auto r = caller_refusal(auth, caller)) return r;
    if (auth.enabled() && !auth.user(caller.username())) return auth_error::denied();
    return std::nullopt;
  }));
}

std::optional<Failure> AuthGate::admin_call(const grpc::ServerContextBase& call) const {
  if (!machine_.auth_enabled()) return std::nullopt;
  auto who = caller(call);
  if (!who) return who.error();
  return check_admin(*who);
}

std::optional<Failure> AuthGate::access_call(const grpc::ServerContextBase& call,
                                             regentpb::AuthPermissionType need,
                                             std::string_view key,
                                             std::string_view range_end) const {
  if (!machine_.auth_enabled()) return std::nullopt;
  auto who = caller(call);
  if (!who) return who.error();
  return check_access(*who, need, key, range_end);
}

}  // namespace regent::server
