// The client port's TLS termination: handshakes that must be refused (plain text, no client
// certificate, one from another CA) and accepted ones, whose bytes the tunnel carries both ways.
#include "tls/tunnel.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <future>
#include <thread>

#include "test_pki.h"
#include "tls/server_context.h"

namespace regent::tls {
namespace {

using testing::Pem;
using testing::TempDir;
using testing::TestCa;

constexpr std::chrono::milliseconds kTimeout{3000};

struct Client {
  std::string ca_file;  // Empty: no verification of the server.
  std::optional<Pem> identity;
};

// Connects over `fd` as a TLS client (blocking); returns the SSL or null if refused.
SslPtr connect_tls(const Client& c, const TempDir& dir, int fd) {
  SslContextPtr ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!c.ca_file.empty()) {
    SSL_CTX_load_verify_locations(ctx.get(), c.ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  if (c.identity) {
    const std::string cert = dir.write("client-cert.pem", c.identity->cert);
    const std::string key = dir.write("client-key.pem", c.identity->key);
    SSL_CTX_use_certificate_file(ctx.get(), cert.c_str(), SSL_FILETYPE_PEM);
    SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM);
  }
  SslPtr ssl(SSL_new(ctx.get()));
  SSL_set_fd(ssl.get(), fd);
  if (SSL_connect(ssl.get()) != 1) return nullptr;
  // TLS 1.3 sends the verdict on a client certificate after the client's handshake ends: a
  // refused client learns it on its first read.
  return ssl;
}

class TunnelTest : public ::testing::Test {
 protected:
  TunnelTest() : ca_("test-ca"), other_ca_("other-ca") {
    // The test's own client writes with OpenSSL too; a refused one must see EPIPE, not die.
    std::signal(SIGPIPE, SIG_IGN);
    const Pem server = ca_.issue("server");
    flags_.cert_file = dir_.write("server.pem", server.cert);
    flags_.key_file = dir_.write("server-key.pem", server.key);
    flags_.trusted_ca_file = dir_.write("ca.pem", ca_.cert_pem());
  }

  // Runs accept_tls on one end of a socketpair and `client` on the other; on success, a tunnel
  // to a plaintext socket whose peer echoes one message upper-cased. Returns what the client
  // read back after sending "ping", or the server side's error.
  std::string exchange(const Client& client) {
    int sockets[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sockets), 0);
    auto context = build_server_context(flags_);
    EXPECT_TRUE(context.has_value());
    auto server = std::async(std::launch::async, [&, fd = sockets[0]]() -> std::string {
      auto ssl = accept_tls(context->get(), fd, kTimeout);
      if (!ssl) {
        ::shutdown(fd, SHUT_RDWR);
        return "refused: " + ssl.error();
      }
      int plain[2];
      ::socketpair(AF_UNIX, SOCK_STREAM, 0, plain);
      std::thread echo([fd = plain[1]] {
        char buffer[16] = {};
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        for (ssize_t i = 0; i < n; ++i) buffer[i] = static_cast<char>(std::toupper(buffer[i]));
        if (n > 0) {
          EXPECT_EQ(::write(fd, buffer, static_cast<size_t>(n)), n);
        }
        ::close(fd);  // The tunnel passes the end on as close_notify.
      });
      run_tunnel(ssl->get(), fd, plain[0]);
      echo.join();
      ::close(plain[0]);
      return "tunnel done";
    });
    std::string read_back;
    if (SslPtr ssl = connect_tls(client, dir_, sockets[1])) {
      char buffer[16] = {};
      if (SSL_write(ssl.get(), "ping", 4) == 4) {
        const int n = SSL_read(ssl.get(), buffer, sizeof buffer);
        if (n > 0) read_back.assign(buffer, static_cast<size_t>(n));
      }
    }
    ERR_clear_error();
    ::shutdown(sockets[1], SHUT_RDWR);
    const std::string server_says = server.get();
    ::close(sockets[0]);
    ::close(sockets[1]);
    return read_back.empty() ? server_says : read_back;
  }

  TempDir dir_;
  TestCa ca_;
  TestCa other_ca_;
  TlsFlags flags_;
};

TEST_F(TunnelTest, CarriesBytesBothWays) {
  EXPECT_EQ(exchange(Client{.ca_file = flags_.trusted_ca_file, .identity = std::nullopt}), "PING");
}

TEST_F(TunnelTest, PlainTextIsRefused) {
  int sockets[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sockets), 0);
  auto context = build_server_context(flags_);
  ASSERT_TRUE(context.has_value());
  const std::string http = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::write(sockets[1], http.data(), http.size()), static_cast<ssize_t>(http.size()));
  auto ssl = accept_tls(context->get(), sockets[0], kTimeout);
  EXPECT_FALSE(ssl.has_value());
  ::close(sockets[0]);
  ::close(sockets[1]);
}

TEST_F(TunnelTest, SilentClientTimesOut) {
  int sockets[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sockets), 0);
  auto context = build_server_context(flags_);
  ASSERT_TRUE(context.has_value());
  auto ssl = accept_tls(context->get(), sockets[0], std::chrono::milliseconds(100));
  ASSERT_FALSE(ssl.has_value());
  EXPECT_EQ(ssl.error(), "handshake timed out");
  ::close(sockets[0]);
  ::close(sockets[1]);
}

TEST_F(TunnelTest, ClientCertAuthRefusesClientsWithoutOne) {
  flags_.client_cert_auth = true;
  const std::string result = exchange(Client{.ca_file = flags_.trusted_ca_file, .identity = {}});
  EXPECT_TRUE(result.starts_with("refused: ")) << result;
}

TEST_F(TunnelTest, ClientCertAuthRefusesAnotherCasCertificate) {
  flags_.client_cert_auth = true;
  const std::string result =
      exchange(Client{.ca_file = flags_.trusted_ca_file, .identity = other_ca_.issue("intruder")});
  EXPECT_TRUE(result.starts_with("refused: ")) << result;
}

TEST_F(TunnelTest, ClientCertAuthAcceptsTheCasCertificate) {
  flags_.client_cert_auth = true;
  EXPECT_EQ(exchange(Client{.ca_file = flags_.trusted_ca_file, .identity = ca_.issue("client")}),
            "PING");
}

TEST_F(TunnelTest, ClientCertAuthNeedsATrustedCa) {
  flags_.client_cert_auth = true;
  flags_.trusted_ca_file.clear();
  NullLogger logger;
  auto context = ServerContext::create(flags_, logger);
  ASSERT_FALSE(context.has_value());
  EXPECT_NE(context.error().find("needs a trusted CA file"), std::string::npos);
}

}  // namespace
}  // namespace regent::tls
