#include "client/internal/tokens.h"

namespace regent::client::internal {

namespace {

// etcd's texts (rpctypes), matched whole as its clients match them.
constexpr std::string_view kInvalidToken = "etcdserver: invalid auth token";
constexpr std::string_view kOldRevision = "etcdserver: revision of auth store is old";
constexpr std::string_view kUserEmpty = "etcdserver: user name is empty";
constexpr std::string_view kAuthNotEnabled = "etcdserver: authentication is not enabled";

}  // namespace

AuthRetry auth_retry_for(Code code, std::string_view message, bool credentials_configured) {
  if (code == Code::kUnauthenticated && message == kInvalidToken) {
    return credentials_configured ? AuthRetry::kReauthenticate : AuthRetry::kNone;
  }
  if (code == Code::kInvalidArgument && message == kOldRevision) {
    // Without credentials (a TLS common name is the identity) there is no token to renew, and
    // the request is simply repeated against the newer auth store, as clientv3 does.
    return credentials_configured ? AuthRetry::kReauthenticate : AuthRetry::kResend;
  }
  if (code == Code::kInvalidArgument && message == kUserEmpty) {
    return credentials_configured ? AuthRetry::kReauthenticate : AuthRetry::kNone;
  }
  return AuthRetry::kNone;
}

bool auth_is_off(const Error& error) {
  return (error.code == Code::kFailedPrecondition && error.message == kAuthNotEnabled) ||
         error.code == Code::kUnimplemented;
}

Tokens::Tokens(std::string username, std::string password)
    : username_(std::move(username)), password_(std::move(password)) {}

Result<std::string> Tokens::current(const AuthenticateFn& authenticate) {
  if (!configured()) return std::string();
  {
    std::lock_guard lock(mu_);
    if (token_) return *token_;
  }
  std::lock_guard one_at_a_time(authenticating_);
  {
    // Another thread may have authenticated while this one waited.
    std::lock_guard lock(mu_);
    if (token_) return *token_;
  }
  auto got = authenticate(username_, password_);
  std::string token;
  if (got) {
    token = std::move(*got);
  } else if (!auth_is_off(got.error())) {
    return fail(got.error());
  }
  // Auth off: calls go without a token until a server says "user name is empty" (auth was
  // enabled since), which makes the caller forget("") and authenticate again.
  std::lock_guard lock(mu_);
  token_ = token;
  return token;
}

void Tokens::forget(const std::string& stale) {
  std::lock_guard lock(mu_);
  if (token_ && *token_ == stale) token_.reset();
}

Result<grpc::Status> send_with_token(Tokens& tokens, const AuthenticateFn& authenticate,
                                     const SendWithTokenFn& send) {
  auto token = tokens.current(authenticate);
  if (!token) return fail(token.error());
  grpc::Status status = send(*token);
  if (status.ok()) return status;
  const auto retry = auth_retry_for(static_cast<Code>(status.error_code()), status.error_message(),
                                    tokens.configured());
  if (retry == AuthRetry::kNone) return status;
  if (retry == AuthRetry::kReauthenticate) {
    tokens.forget(*token);
    token = tokens.current(authenticate);
    if (!token) return fail(token.error());
  }
  return send(*token);
}

}  // namespace regent::client::internal
