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
  TestCa ca_;
  TlsFlags flags_;
  NullLogger logger_;
};

TEST_F(ServerContextTest, NewConnectionsGetTheReplacedCertificate) {
  const Pem first = ca_.issue("first");
  const Pem second = ca_.issue("second");
  install(first);
  auto context = ServerContext::create(flags_, logger_);
  ASSERT_TRUE(context.has_value()) << context.error();
  EXPECT_EQ(presented((*context)->current().get()), fingerprint(first.cert));

  install(second);
  EXPECT_EQ(presented((*context)->current().get()), fingerprint(second.cert));
}

TEST_F(ServerContextTest, KeepsTheLastGoodCertificateWhileTheFilesDisagree) {
  const Pem first = ca_.issue("first");
  const Pem second = ca_.issue("second");
  install(first);
  auto context = ServerContext::create(flags_, logger_);
  ASSERT_TRUE(context.has_value()) << context.error();
  // Half way through a rotation: the new certificate, the old key.
  dir_.write("server.pem", second.cert);
  EXPECT_EQ(presented((*context)->current().get()), fingerprint(first.cert));
  // The rotation completes.
  dir_.write("server-key.pem", second.key);
  EXPECT_EQ(presented((*context)->current().get()), fingerprint(second.cert));
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
