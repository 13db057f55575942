// When the client authenticates and re-sends a call the server refused for its token, without a
// server: the server's answers are scripted, Authenticate is a counting stand-in.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "client/internal/tokens.h"

namespace regent::client::internal {
namespace {

const grpc::Status kInvalidToken(grpc::StatusCode::UNAUTHENTICATED,
                                 "etcdserver: invalid auth token");
const grpc::Status kOldRevision(grpc::StatusCode::INVALID_ARGUMENT,
                                "etcdserver: revision of auth store is old");
const grpc::Status kUserEmpty(grpc::StatusCode::INVALID_ARGUMENT, "etcdserver: user name is empty");
const grpc::Status kPermissionDenied(grpc::StatusCode::PERMISSION_DENIED,
                                     "etcdserver: permission denied");

TEST(AuthRetryTest, OnlyEtcdsTokenErrorsBuyAFreshToken) {
  struct Case {
    Code code;
    std::string message;
    bool configured;
    AuthRetry want;
  };
  const Case cases[] = {
      {Code::kUnauthenticated, "etcdserver: invalid auth token", true, AuthRetry::kReauthenticate},
      {Code::kUnauthenticated, "etcdserver: invalid auth token", false, AuthRetry::kNone},
      {Code::kInvalidArgument, "etcdserver: revision of auth store is old", true,
       AuthRetry::kReauthenticate},
      // No credentials (a TLS common name): the request is repeated, no Authenticate.
      {Code::kInvalidArgument, "etcdserver: revision of auth store is old", false,
       AuthRetry::kResend},
      {Code::kInvalidArgument, "etcdserver: user name is empty", true, AuthRetry::kReauthenticate},
      {Code::kInvalidArgument, "etcdserver: user name is empty", false, AuthRetry::kNone},
      // Errors a fresh token cannot cure reach the caller.
      {Code::kInvalidArgument, "etcdserver: authentication failed, invalid user ID or password",
       true, AuthRetry::kNone},
      {Code::kPermissionDenied, "etcdserver: permission denied", true, AuthRetry::kNone},
      {Code::kResourceExhausted, "etcdserver: too many requests", true, AuthRetry::kNone},
      {Code::kFailedPrecondition, "etcdserver: authentication is not enabled", true,
       AuthRetry::kNone},
      // etcd's text under another code is not etcd's error.
      {Code::kUnavailable, "etcdserver: invalid auth token", true, AuthRetry::kNone},
      {Code::kUnauthenticated, "invalid auth token", true, AuthRetry::kNone},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(code_name(c.code)) + " " + c.message +
                 (c.configured ? " (credentials)" : " (none)"));
    EXPECT_EQ(auth_retry_for(c.code, c.message, c.configured), c.want);
  }
}

// A scripted server: answers the sends in order (OK once the script runs out) and records the
// token each carried; Authenticate hands out tok1, tok2, ... or a scripted failure.
struct FakeServer {
  std::deque<grpc::Status> answers;
  std::vector<std::string> tokens_sent;
  std::deque<Error> authenticate_failures;
  int authenticates = 0;

  AuthenticateFn authenticate() {
    return [this](const std::string& name, const std::string& password) -> Result<std::string> {
      EXPECT_EQ(name, "alice");
      EXPECT_EQ(password, "secret");
      ++authenticates;
      if (!authenticate_failures.empty()) {
        Error e = authenticate_failures.front();
        authenticate_failures.pop_front();
        return fail(e);
      }
      return "tok" + std::to_string(authenticates);
    };
  }
  SendWithTokenFn send() {
    return [this](const std::string& token) {
      tokens_sent.push_back(token);
      if (answers.empty()) return grpc::Status::OK;
      grpc::Status s = answers.front();
      answers.pop_front();
      return s;
    };
  }
};

TEST(SendWithTokenTest, WithoutCredentialsNothingIsAuthenticated) {
  Tokens tokens("", "");
  FakeServer server;
  auto r = send_with_token(tokens, server.authenticate(), server.send());
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(server.authenticates, 0);
  EXPECT_EQ(server.tokens_sent, std::vector<std::string>{""});
  // A name without a password is not credentials either (etcd's clientv3 wants both).
  Tokens name_only("alice", "");
  EXPECT_FALSE(name_only.configured());
  ASSERT_TRUE(send_with_token(name_only, server.authenticate(), server.send()));
  EXPECT_EQ(server.authenticates, 0);
}

TEST(SendWithTokenTest, AuthenticatesBeforeTheFirstCallOnlyAndSendsTheTokenOnEvery) {
  Tokens tokens("alice", "secret");
  FakeServer server;
  for (int i = 0; i < 3; ++i) {
    auto r = send_with_token(tokens, server.authenticate(), server.send());
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->ok());
  }
  EXPECT_EQ(server.authenticates, 1);
  EXPECT_EQ(server.tokens_sent, (std::vector<std::string>{"tok1", "tok1", "tok1"}));
}

TEST(SendWithTokenTest, ARefusedTokenIsRenewedAndTheCallResentOnce) {
  for (const grpc::Status& refusal : {kInvalidToken, kOldRevision, kUserEmpty}) {
    SCOPED_TRACE(refusal.error_message());
    Tokens tokens("alice", "secret");
    FakeServer server;
    server.answers = {refusal};
    auto r = send_with_token(tokens, server.authenticate(), server.send());
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->ok());
    EXPECT_EQ(server.authenticates, 2);
    EXPECT_EQ(server.tokens_sent, (std::vector<std::string>{"tok1", "tok2"}));
  }
}

TEST(SendWithTokenTest, ASecondRefusalReachesTheCaller) {
  Tokens tokens("alice", "secret");
  FakeServer server;
  server.answers = {kInvalidToken, kInvalidToken, grpc::Status::OK};
  auto r = send_with_token(tokens, server.authenticate(), server.send());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(r->error_message(), "etcdserver: invalid auth token");
  EXPECT_EQ(server.tokens_sent.size(), 2u);
  EXPECT_EQ(server.authenticates, 2);
}

TEST(SendWithTokenTest, OtherAuthErrorsAreReturnedUnchanged) {
  Tokens tokens("alice", "secret");
  FakeServer server;
  server.answers = {kPermissionDenied};
  auto r = send_with_token(tokens, server.authenticate(), server.send());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(r->error_message(), "etcdserver: permission denied");
  EXPECT_EQ(server.tokens_sent.size(), 1u);
  EXPECT_EQ(server.authenticates, 1);
}

TEST(SendWithTokenTest, AFailedAuthenticateIsTheCallersErrorAndNothingIsSent) {
  for (const Error& refusal :
       {Error{.code = Code::kInvalidArgument,
       .message = "etcdserver: authentication failed, invalid user ID or password"},
        Error{.code = Code::kResourceExhausted, .message = "too many authentication attempts"}}) {
    SCOPED_TRACE(refusal.message);
    Tokens tokens("alice", "secret");
    FakeServer server;
    server.authenticate_failures = {refusal};
    auto r = send_with_token(tokens, server.authenticate(), server.send());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, refusal.code);
    EXPECT_EQ(r.error().message, refusal.message);
    EXPECT_TRUE(server.tokens_sent.empty());
    // The failure is not remembered: the next call tries again.
    ASSERT_TRUE(send_with_token(tokens, server.authenticate(), server.send()));
    EXPECT_EQ(server.tokens_sent, std::vector<std::string>{"tok2"});
  }
}

TEST(SendWithTokenTest, AuthOffMeansNoTokenUntilTheServerAsksForAUser) {
  Tokens tokens("alice", "secret");
  FakeServer server;
  server.authenticate_failures = {Error{.code = Code::kFailedPrecondition,
                                        .message = "etcdserver: authentication is not enabled"}};
  ASSERT_TRUE(send_with_token(tokens, server.authenticate(), server.send()));
  ASSERT_TRUE(send_with_token(tokens, server.authenticate(), server.send()));
  EXPECT_EQ(server.authenticates, 1);
  EXPECT_EQ(server.tokens_sent, (std::vector<std::string>{"", ""}));
  // Auth enabled since: the server wants a user, the client logs in and re-sends.
  server.answers = {kUserEmpty};
  auto r = send_with_token(tokens, server.authenticate(), server.send());
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(server.tokens_sent, (std::vector<std::string>{"", "", "", "tok2"}));
}

TEST(SendWithTokenTest, AServerWithoutTheAuthServiceIsUsedWithoutToken) {
  Tokens tokens("alice", "secret");
  FakeServer server;
  server.authenticate_failures = {Error{.code = Code::kUnimplemented, .message = ""}};
  auto r = send_with_token(tokens, server.authenticate(), server.send());
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(server.tokens_sent, std::vector<std::string>{""});
}

TEST(SendWithTokenTest, WithoutCredentialsAnOldAuthRevisionIsResentOnceWithoutToken) {
  Tokens tokens("", "");
  FakeServer server;
  server.answers = {kOldRevision, kOldRevision};
  auto r = send_with_token(tokens, server.authenticate(), server.send());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error_message(), "etcdserver: revision of auth store is old");
  EXPECT_EQ(server.tokens_sent, (std::vector<std::string>{"", ""}));
  EXPECT_EQ(server.authenticates, 0);
}

TEST(TokensTest, AStaleTokenDoesNotEvictTheFreshOne) {
  Tokens tokens("alice", "secret");
  FakeServer server;
  ASSERT_EQ(*tokens.current(server.authenticate()), "tok1");
  tokens.forget("tok1");  // One thread saw tok1 refused and renewed it...
  ASSERT_EQ(*tokens.current(server.authenticate()), "tok2");
  tokens.forget("tok1");  // ...and a second thread, refused with tok1 too, must not drop tok2.
  EXPECT_EQ(*tokens.current(server.authenticate()), "tok2");
  EXPECT_EQ(server.authenticates, 2);
}

TEST(TokensTest, ThreadsStartingTogetherAuthenticateOnce) {
  Tokens tokens("alice", "secret");
  std::atomic<int> authenticates{0};
  AuthenticateFn slow = [&](const std::string&, const std::string&) -> Result<std::string> {
    ++authenticates;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return std::string("tok");
  };
  std::vector<std::thread> threads;
  std::atomic<int> got_token{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto t = tokens.current(slow);
      if (t && *t == "tok") ++got_token;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(authenticates.load(), 1);
  EXPECT_EQ(got_token.load(), 8);
}

}  // namespace
}  // namespace regent::client::internal
