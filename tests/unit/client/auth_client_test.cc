// The client's token on the wire, against an in-process stand-in for an auth-enabled member
// (fake_auth_server.h): what a user of the library notices when etcd's auth is on.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "client/kv.h"
#include "client/watch.h"
#include "unit/client/fake_auth_server.h"

namespace regent::client::testing {
namespace {

using Tokens = std::vector<std::string>;

std::shared_ptr<Client> connect_as(const FakeAuthServer& server, std::string user,
                                   std::string password) {
  auto c = Client::connect(ClientOptions{.endpoints = {server.endpoint()},
                                         .username = std::move(user),
                                         .password = std::move(password)});
  EXPECT_TRUE(c);
  return *c;
}

TEST(AuthClientTest, EveryCallCarriesTheTokenOfOneAuthenticate) {
  FakeAuthServer server("secret");
  KV kv(connect_as(server, "alice", "secret"));
  ASSERT_TRUE(kv.get("a"));
  ASSERT_TRUE(kv.put("a", "1"));
  ASSERT_TRUE(kv.get("a"));
  EXPECT_EQ(server.authenticates(), 1);
  EXPECT_EQ(server.tokens_seen(), (Tokens{"tok1", "tok1", "tok1"}));
}

TEST(AuthClientTest, AnExpiredTokenIsRenewedWithoutTheCallerNoticing) {
  FakeAuthServer server("secret");
  KV kv(connect_as(server, "alice", "secret"));
  ASSERT_TRUE(kv.get("a"));
  server.expire_tokens();
  auto got = kv.get("a");
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_EQ(server.authenticates(), 2);
  EXPECT_EQ(server.tokens_seen(), (Tokens{"tok1", "tok1", "tok2"}));
}

TEST(AuthClientTest, AWriteRefusedForItsTokenIsAppliedOnce) {
  FakeAuthServer server("secret");
  KV kv(connect_as(server, "alice", "secret"));
  ASSERT_TRUE(kv.get("a"));
  server.expire_tokens();
  auto put = kv.put("a", "1");
  ASSERT_TRUE(put) << put.error().describe();
  EXPECT_EQ(server.puts_applied(), 1);
}

TEST(AuthClientTest, AWrongPasswordIsEtcdsErrorAndNoRequestIsSent) {
  FakeAuthServer server("secret");
  KV kv(connect_as(server, "alice", "wrong"));
  auto got = kv.get("a");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Code::kInvalidArgument);
  EXPECT_EQ(got.error().message, "etcdserver: authentication failed, invalid user ID or password");
  EXPECT_TRUE(server.tokens_seen().empty());
}

TEST(AuthClientTest, PermissionDeniedReachesTheCallerWithoutANewToken) {
  FakeAuthServer server("secret");
  KV kv(connect_as(server, "alice", "secret"));
  auto got = kv.get("secret/x");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Code::kPermissionDenied);
  EXPECT_EQ(got.error().message, "etcdserver: permission denied");
  EXPECT_EQ(server.authenticates(), 1);
  EXPECT_EQ(server.tokens_seen().size(), 1u);
}

TEST(AuthClientTest, WithoutCredentialsAuthOnAsksForAUser) {
  FakeAuthServer server("secret");
  KV kv(connect_as(server, "", ""));
  auto got = kv.get("a");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().message, "etcdserver: user name is empty");
  EXPECT_EQ(server.authenticates(), 0);
}

TEST(AuthClientTest, AuthTurnedOnLaterMakesTheClientLogIn) {
  FakeAuthServer server("secret");
  server.set_auth_enabled(false);
  KV kv(connect_as(server, "alice", "secret"));
  ASSERT_TRUE(kv.get("a"));  // Authenticate said "not enabled": no token.
  server.set_auth_enabled(true);
  auto got = kv.get("a");
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_EQ(server.tokens_seen(), (Tokens{"", "", "tok2"}));
}

TEST(AuthClientTest, ThreadsSharingAClientAuthenticateOnce) {
  FakeAuthServer server("secret");
  KV kv(connect_as(server, "alice", "secret"));
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&kv] { EXPECT_TRUE(kv.get("a")); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(server.authenticates(), 1);
}

TEST(AuthClientTest, AWatchCarriesTheTokenAndResumesWithAFreshOne) {
  FakeAuthServer server("secret");
  auto client = connect_as(server, "alice", "secret");
  ASSERT_TRUE(KV(client).get("a"));
  server.expire_tokens();
  auto watcher = Watcher::start(client, "a");
  auto created = watcher->wait_created(Context::with_timeout(std::chrono::seconds(5)));
  ASSERT_TRUE(created) << created.error().describe();
  EXPECT_EQ(server.stream_tokens_seen(), (Tokens{"tok1", "tok2"}));
  EXPECT_EQ(server.authenticates(), 2);
}

}  // namespace
}  // namespace regent::client::testing
