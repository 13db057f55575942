// The client port's listener (server/http/listener.h) on a real socket: each connection reaches
// the hand-over its first bytes call for, with those bytes still to read; silent and surplus
// connections are closed; stop() ends connections still being served and waits for them.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>

#include "server/http/listener.h"
#include "server/http/sniff.h"
#include "unit/server/loopback.h"

namespace regent::server::http {
namespace {

void send_all(int fd, std::string_view bytes) {
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
}

// Reads until the peer closes (true) or it stays open for 3 s (false).
bool closed_by_peer(int fd) {
  timeval tv{.tv_sec = 3, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[256];
  for (int i = 0; i < 100; ++i) {
    const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
    if (got == 0) return true;
    if (got < 0) return errno == ECONNRESET;
  }
  return false;
}

class HttpListenerTest : public ::testing::Test {
 protected:
  std::unique_ptr<ClientListener> bind(ListenerOptions o) {
    o.addresses = {"127.0.0.1:0"};
    auto l = ClientListener::bind(o, logger_);
    EXPECT_TRUE(l.has_value()) << l.error();
    return std::move(*l);
  }
  NullLogger logger_;
};

TEST_F(HttpListenerTest, EachProtocolReachesItsHandoverWithItsBytesUnread) {
  auto listener = bind({});
  ASSERT_EQ(listener->ports().size(), 1u);
  std::promise<std::string> grpc_got;
  std::promise<std::string> http_got;
  auto read_some = [](int fd, size_t n) {
    std::string s(n, '\0');
    size_t have = 0;
    while (have < n) {
      const ssize_t got = ::recv(fd, s.data() + have, n - have, 0);
      if (got <= 0) break;
      have += static_cast<size_t>(got);
    }
    s.resize(have);
    return s;
  };
  listener->start(
      [&](int fd) {
        grpc_got.set_value(read_some(fd, kHttp2Preface.size()));
        ::close(fd);  // The hand-over owns it.
      },
      [&](int fd) { http_got.set_value(read_some(fd, 4)); });
  const int h2 = connect_to(listener->ports()[0]);
  const int h1 = connect_to(listener->ports()[0]);
  send_all(h2, kHttp2Preface);
  send_all(h1, "GET /health HTTP/1.1\r\n\r\n");
  auto grpc_bytes = grpc_got.get_future();
  auto http_bytes = http_got.get_future();
  ASSERT_EQ(grpc_bytes.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  ASSERT_EQ(http_bytes.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(grpc_bytes.get(), kHttp2Preface);
  EXPECT_EQ(http_bytes.get(), "GET ");
  EXPECT_TRUE(closed_by_peer(h1));  // The HTTP side returned: the listener closed it.
  listener->stop();
  ::close(h1);
  ::close(h2);
}

TEST_F(HttpListenerTest, SilentConnectionsAreClosedAndSurplusOnesRefused) {
  ListenerOptions o;
  o.sniff_timeout = std::chrono::milliseconds(200);
  o.max_connections = 2;
  auto listener = bind(o);
  std::atomic<int> handed{0};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  listener->start([&](int fd) { ::close(fd); },
                  [&](int) {
                    ++handed;
                    released.wait();  // Two HTTP connections held: the cap is reached.
                  });
  const int silent = connect_to(listener->ports()[0]);
  EXPECT_TRUE(closed_by_peer(silent));  // Said nothing within the sniff timeout.
  const int a = connect_to(listener->ports()[0]);
  const int b = connect_to(listener->ports()[0]);
  send_all(a, "GET / HTTP/1.1\r\n\r\n");
  send_all(b, "GET / HTTP/1.1\r\n\r\n");
  for (int i = 0; i < 100 && handed < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(handed.load(), 2);
  const int surplus = connect_to(listener->ports()[0]);
  EXPECT_TRUE(closed_by_peer(surplus));
  release.set_value();
  listener->stop();
  EXPECT_EQ(handed.load(), 2);
  for (int fd : {silent, a, b, surplus}) ::close(fd);
}

TEST_F(HttpListenerTest, StopShutsDownConnectionsStillServedAndWaitsForThem) {
  auto listener = bind({});
  std::atomic<bool> served_to_the_end{false};
  listener->start([](int fd) { ::close(fd); },
                  [&](int fd) {
                    char buf[64];
                    // Blocks until the client sends more, or stop() shuts the socket down.
                    while (::recv(fd, buf, sizeof buf, 0) > 0) {
                    }
                    served_to_the_end = true;
                  });
  const int client = connect_to(listener->ports()[0]);
  send_all(client, "GET / HTTP/1.1\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  listener->stop();
  EXPECT_TRUE(served_to_the_end.load());
  ::close(client);
}

TEST_F(HttpListenerTest, PortInUseIsRefusedNamingTheAddress) {
  auto first = bind({});
  ListenerOptions o;
  o.addresses = {"127.0.0.1:" + std::to_string(first->ports()[0])};
  auto second = ClientListener::bind(o, logger_);
  ASSERT_FALSE(second.has_value());
  EXPECT_NE(second.error().find("cannot listen for clients on 127.0.0.1:"), std::string::npos)
      << second.error();
}

}  // namespace
}  // namespace regent::server::http
