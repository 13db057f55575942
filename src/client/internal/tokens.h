// The auth token of one Client (etcd's simple token, sent as gRPC metadata `token`) and the rule
// for when a refused call gets a fresh one: the client half of etcd's authentication.
//
// Invariants:
//  - Without credentials (username and password both set, as etcd's clientv3 requires) no
//    Authenticate is ever sent and no token is attached.
//  - Every call of a Client shares one token; a token is obtained lazily, by one thread at a
//    time, so that N threads starting together cost one Authenticate, not N (etcd counts
//    Authenticate attempts per connection and answers ResourceExhausted beyond its limit).
//  - A token is dropped only by the caller that saw it refused (forget(stale)), and only while it
//    is still the current one: a second thread refused with the same stale token does not throw
//    away the fresh token the first thread already bought.
//  - A call is re-sent at most once after a refusal, with at most one new Authenticate (etcd's
//    clientv3 retry interceptor does the same); the second answer is the caller's, whatever it is.
#pragma once

#include <grpcpp/support/status.h>

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "client/error.h"

namespace regent::client::internal {

// What a refused call asks of the client.
enum class AuthRetry {
  kNone,            // Return the error to the caller.
  kResend,          // Send again with the same credentials (none configured).
  kReauthenticate,  // Get a fresh token, then send again.
};

// etcd's clientv3 rule: an expired or unknown token ("etcdserver: invalid auth token") and a
// request that raced an auth change ("etcdserver: revision of auth store is old") get a fresh
// token; "etcdserver: user name is empty" too when credentials are configured (the server lost
// or never saw our token). Without credentials only the auth-store race is worth repeating.
AuthRetry auth_retry_for(Code code, std::string_view message, bool credentials_configured);

// An answer to Authenticate meaning the server checks no tokens, so the client goes on without
// one: etcd's while auth is off, or gRPC's Unimplemented from a server without the Auth service
// (a Regent older than issue 17), which cannot have auth on either.
bool auth_is_off(const Error& error);

// Makes the Authenticate call; returns the token or the server's error.
using AuthenticateFn =
    std::function<Result<std::string>(const std::string& name, const std::string& password)>;

class Tokens {
 public:
  Tokens(std::string username, std::string password);

  bool configured() const { return !username_.empty() && !password_.empty(); }
  const std::string& username() const { return username_; }

  // The token to attach ("" when none is configured or the server has auth off), calling
  // `authenticate` first when none is held. An Authenticate failure is returned unchanged.
  Result<std::string> current(const AuthenticateFn& authenticate);
  // Drops `stale` if it is still the token held, so that the next current() authenticates.
  void forget(const std::string& stale);

 private:
  const std::string username_;
  const std::string password_;
  std::mutex authenticating_;  // Held across one Authenticate; taken before mu_.
  mutable std::mutex mu_;
  std::optional<std::string> token_;  // nullopt: none obtained yet (or the last one refused).
};

// Sends one request with the client's token, re-authenticating and re-sending once when the
// answer asks for it (auth_retry_for). `send` makes one gRPC call carrying the given token ("" for
// none). Returns the last answer, or the error of an Authenticate that failed.
using SendWithTokenFn = std::function<grpc::Status(const std::string& token)>;
Result<grpc::Status> send_with_token(Tokens& tokens, const AuthenticateFn& authenticate,
                                     const SendWithTokenFn& send);

}  // namespace regent::client::internal
