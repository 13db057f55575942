// Rotation without restart: the client port's context follows its files, and keeps the last good
// certificate while the files on disk do not make a usable pair.
#include "tls/server_context.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <future>

#include "test_pki.h"
#include "tls/tunnel.h"

namespace regent::tls {
namespace {

using testing::fingerprint;
using testing::Pem;
using testing::TempDir;
using testing::TestCa;

// The certificate a new connection is shown by `context`.
std::string presented(SSL_CTX* context) {
  int sockets[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sockets), 0);
  auto server = std::async(std::launch::async, [&] {
    return accept_tls(context, sockets[0], std::chrono::milliseconds(3000)).has_value();
  });
  SslContextPtr client_ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  SslPtr ssl(SSL_new(client_ctx.get()));
  SSL_set_fd(ssl.get(), sockets[1]);
  std::string print;
  if (SSL_connect(ssl.get()) == 1) {
    X509* cert = SSL_get1_peer_certificate(ssl.get());
    print = fingerprint(cert);
    X509_free(cert);
  }
  EXPECT_TRUE(server.get());
  ::close(sockets[0]);
  ::close(sockets[1]);
  return print;
}

class ServerContextTest : public ::testing::Test {
 protected:
  ServerContextTest() : ca_("rotation-ca") {}

  void install(const Pem& pem) {
    flags_.cert_file = dir_.write("server.pem", pem.cert);
    flags_.key_file = dir_.write("server-key.pem", pem.key);
  }

  TempDir dir_;
  // A context serving first_, then the certificate a new connection is shown.
  std::string start() {
    install(first_);
    auto context = ServerContext::create(flags_, logger_);
    EXPECT_TRUE(context.has_value()) << context.error();
    context_ = std::move(*context);
    return shown();
  }
  std::string shown() { return presented(context_->current().get()); }

  TestCa ca_;
  const Pem first_ = ca_.issue("first");
  const Pem second_ = ca_.issue("second");
  TlsFlags flags_;
  NullLogger logger_;
  std::unique_ptr<ServerContext> context_;
};

TEST_F(ServerContextTest, NewConnectionsGetTheReplacedCertificate) {
  EXPECT_EQ(start(), fingerprint(first_.cert));
  install(second_);
  EXPECT_EQ(shown(), fingerprint(second_.cert));
}

TEST_F(ServerContextTest, KeepsTheLastGoodCertificateWhileTheFilesDisagree) {
  EXPECT_EQ(start(), fingerprint(first_.cert));
  // Half way through a rotation: the new certificate, the old key.
  dir_.write("server.pem", second_.cert);
  EXPECT_EQ(shown(), fingerprint(first_.cert));
  // The rotation completes.
  dir_.write("server-key.pem", second_.key);
  EXPECT_EQ(shown(), fingerprint(second_.cert));
}

TEST_F(ServerContextTest, UnusableFilesFailTheStartNamingTheFile) {
  flags_.cert_file = dir_.path() + "/missing.pem";
  flags_.key_file = dir_.path() + "/missing-key.pem";
  auto context = ServerContext::create(flags_, logger_);
  ASSERT_FALSE(context.has_value());
  EXPECT_NE(context.error().find("missing.pem"), std::string::npos) << context.error();

  const Pem a = ca_.issue("a");
  const Pem b = ca_.issue("b");
  flags_.cert_file = dir_.write("a.pem", a.cert);
  flags_.key_file = dir_.write("b-key.pem", b.key);
  context = ServerContext::create(flags_, logger_);
  ASSERT_FALSE(context.has_value());
  EXPECT_NE(context.error().find("does not match"), std::string::npos) << context.error();
}

}  // namespace
}  // namespace regent::tls
