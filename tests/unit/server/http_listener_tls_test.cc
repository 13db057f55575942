// The client port's listener on https:// URLs: TLS is terminated before the sniff, so gRPC and
// the HTTP face get plaintext they can answer through; a plain-text client reaches neither.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <future>

#include "server/http/listener.h"
#include "server/http/sniff.h"
#include "tls/self_signed.h"
#include "tls/tunnel.h"
#include "unit/server/loopback.h"

namespace regent::server::http {
namespace {

// A connection whose reads give up after 5 s, so a test cannot hang on a silent listener.
int connect_with_timeout(int port) {
  const int fd = connect_to(port);
  timeval tv{.tv_sec = 5, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

class HttpListenerTlsTest : public ::testing::Test {
 protected:
  HttpListenerTlsTest() {
    char pattern[] = "/tmp/regent-listener-tls-XXXXXX";
    dir_ = ::mkdtemp(pattern);
    auto pair = tls::self_signed_pair(dir_, {"127.0.0.1"});
    EXPECT_TRUE(pair.has_value());
    auto context = tls::ServerContext::create(
        tls::TlsFlags{.cert_file = pair->cert_file, .key_file = pair->key_file}, logger_);
    EXPECT_TRUE(context.has_value());
    context_ = std::move(*context);
    ListenerOptions o;
    o.addresses = {"127.0.0.1:0"};
    o.sniff_timeout = std::chrono::milliseconds(1000);
    o.tls = context_.get();
    auto l = ClientListener::bind(o, logger_);
    EXPECT_TRUE(l.has_value());
    listener_ = std::move(*l);
  }
  ~HttpListenerTlsTest() override {
    listener_->stop();
    std::filesystem::remove_all(dir_);
  }

  // A TLS client on a new connection offering `alpn` (wire format), without verification.
  tls::SslPtr connect_tls(int fd, std::string_view alpn) {
    client_ctx_.reset(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
    SSL_CTX_set_alpn_protos(client_ctx_.get(), reinterpret_cast<const unsigned char*>(alpn.data()),
                            static_cast<unsigned>(alpn.size()));
    tls::SslPtr ssl(SSL_new(client_ctx_.get()));
    SSL_set_fd(ssl.get(), fd);
    EXPECT_EQ(SSL_connect(ssl.get()), 1);
    return ssl;
  }

  std::string dir_;
  NullLogger logger_;
  std::unique_ptr<tls::ServerContext> context_;
  std::unique_ptr<ClientListener> listener_;
  tls::SslContextPtr client_ctx_;
};

TEST_F(HttpListenerTlsTest, HttpAndGrpcGetThePlaintextAndAnswerThroughTheTunnel) {
  std::promise<std::string> grpc_got;
  listener_->start(
      [&](int fd) {
        char buffer[64] = {};
        const ssize_t n = ::recv(fd, buffer, kHttp2Preface.size(), MSG_WAITALL);
        grpc_got.set_value(std::string(buffer, n > 0 ? static_cast<size_t>(n) : 0));
        ::close(fd);  // The hand-over owns it.
      },
      [](int fd) {
        char buffer[64] = {};
        const ssize_t n = ::recv(fd, buffer, 4, MSG_WAITALL);
        const std::string answer = "you said " + std::string(buffer, n > 0 ? n : 0);
        EXPECT_EQ(::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL),
                  static_cast<ssize_t>(answer.size()));
      });
  const int h1 = connect_with_timeout(listener_->ports()[0]);
  tls::SslPtr http = connect_tls(h1, "\x08http/1.1\x02h2");
  const unsigned char* chosen = nullptr;
  unsigned chosen_len = 0;
  SSL_get0_alpn_selected(http.get(), &chosen, &chosen_len);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(chosen), chosen_len), "http/1.1");
  ASSERT_EQ(SSL_write(http.get(), "GET / HTTP/1.1\r\n\r\n", 18), 18);
  char reply[64] = {};
  const int n = SSL_read(http.get(), reply, sizeof reply);
  EXPECT_EQ(std::string(reply, n > 0 ? static_cast<size_t>(n) : 0), "you said GET ");

  const int h2 = connect_with_timeout(listener_->ports()[0]);
  tls::SslPtr grpc = connect_tls(h2, "\x02h2");
  SSL_get0_alpn_selected(grpc.get(), &chosen, &chosen_len);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(chosen), chosen_len), "h2");
  ASSERT_EQ(SSL_write(grpc.get(), kHttp2Preface.data(), static_cast<int>(kHttp2Preface.size())),
            static_cast<int>(kHttp2Preface.size()));
  auto got = grpc_got.get_future();
  ASSERT_EQ(got.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(got.get(), kHttp2Preface);
  ::close(h1);
  ::close(h2);
}

TEST_F(HttpListenerTlsTest, PlainTextReachesNeitherHandover) {
  std::atomic<int> handed{0};
  listener_->start(
      [&](int fd) {
        ++handed;
        ::close(fd);
      },
      [&](int) { ++handed; });
  const int fd = connect_with_timeout(listener_->ports()[0]);
  const std::string request = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  char buffer[256];
  ssize_t got = 0;
  // Bounded: the listener answers with a TLS alert at most, then closes.
  for (int i = 0; i < 10; ++i) {
    got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0) break;
    EXPECT_NE(std::string_view(buffer, static_cast<size_t>(got)).substr(0, 4), "HTTP");
  }
  EXPECT_LE(got, 0);  // Closed (or reset), not left waiting.
  EXPECT_EQ(handed.load(), 0);
  ::close(fd);
}

}  // namespace
}  // namespace regent::server::http
