// A member's TLS from its flags: the URL schemes decide, a side's URLs share one scheme, and
// certificate flags are refused where nothing would use them.
#include "server/member_security.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace regent::server {
namespace {

class MemberSecurityTest : public ::testing::Test {
 protected:
  MemberSecurityTest() {
    char pattern[] = "/tmp/regent-member-security-XXXXXX";
    dir_ = ::mkdtemp(pattern);
  }
  ~MemberSecurityTest() override { std::filesystem::remove_all(dir_); }

  Expected<MemberSecurity, std::string> make() {
    return make_member_security(flags_, cluster_, dir_, logger_);
  }

  std::string dir_;
  tls::SecurityFlags flags_;
  ClusterFlags cluster_;
  NullLogger logger_;
};

TEST_F(MemberSecurityTest, PlainUrlsServePlainText) {
  auto s = make();
  ASSERT_TRUE(s.has_value()) << s.error();
  EXPECT_EQ(s->client_port, nullptr);
  EXPECT_NE(s->peer_port, nullptr);
  EXPECT_NE(s->peer_dial, nullptr);
}

TEST_F(MemberSecurityTest, RefusalsNameTheFlag) {
  struct Case {
    const char* name;
    std::function<void(tls::SecurityFlags&, ClusterFlags&)> set;
    const char* error;
  };
  const Case cases[] = {
      {"https without a certificate",
       [](auto&, auto& c) { c.listen_client_urls = {"https://127.0.0.1:2379"}; },
       "--listen-client-urls: https:// needs --cert-file and --key-file, or --auto-tls"},
      {"a mix of schemes",
       [](auto& f, auto& c) {
         f.client.auto_tls = true;
         c.listen_client_urls = {"https://127.0.0.1:2379", "http://127.0.0.1:2479"};
       },
       "--listen-client-urls: all URLs must be http:// or all https://"},
      {"certificate flags on http", [](auto& f, auto&) { f.peer.cert_file = "/x.pem"; },
       "--peer-cert-file, --peer-auto-tls and the like are given but --listen-peer-urls are "
       "http://"},
      {"a missing certificate file",
       [](auto& f, auto& c) {
         c.listen_peer_urls = {"https://127.0.0.1:2380"};
         f.peer.cert_file = "/nonexistent/peer.pem";
         f.peer.key_file = "/nonexistent/peer-key.pem";
       },
       "/nonexistent/peer.pem"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    flags_ = {};
    cluster_ = {};
    c.set(flags_, cluster_);
    auto s = make();
    ASSERT_FALSE(s.has_value());
    EXPECT_NE(s.error().find(c.error), std::string::npos) << s.error();
  }
}

TEST_F(MemberSecurityTest, AutoTlsGeneratesIntoTheDataDirectory) {
  flags_.client.auto_tls = true;
  flags_.peer.auto_tls = true;
  cluster_.listen_client_urls = {"https://127.0.0.1:2379"};
  cluster_.listen_peer_urls = {"https://127.0.0.1:2380"};
  auto s = make();
  ASSERT_TRUE(s.has_value()) << s.error();
  EXPECT_NE(s->client_port, nullptr);
  EXPECT_NE(s->client_dial, nullptr);
  for (const char* side : {"client", "peer"}) {
    EXPECT_TRUE(std::filesystem::exists(dir_ + "/fixtures/" + side + "/cert.pem")) << side;
    EXPECT_TRUE(std::filesystem::exists(dir_ + "/fixtures/" + side + "/key.pem")) << side;
  }
}

}  // namespace
}  // namespace regent::server
