// The client port's protocol sniffing (server/http/sniff.h): the decision from the first bytes,
// and sniff() on a real socket pair, which must leave the bytes in place and give up on a client
// that says nothing (or only part of the HTTP/2 preface) within its timeout.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "server/http/sniff.h"

namespace regent::server::http {
namespace {

TEST(HttpSniffTest, ClassifiesByTheFirstBytes) {
  struct Case {
    std::string head;
    Protocol want;
  };
  const std::string preface(kHttp2Preface);
  const std::vector<Case> cases = {
      {"", Protocol::kUndecided},
      {"P", Protocol::kUndecided},
      {"PRI * HTTP/2.0\r\n", Protocol::kUndecided},
      {preface, Protocol::kGrpc},
      {preface + "\x00\x00\x12\x04", Protocol::kGrpc},  // The first SETTINGS frame follows.
      {"GET /health HTTP/1.1\r\n", Protocol::kHttp1},
      {"POST /v3/kv/range HTTP/1.1\r\n", Protocol::kHttp1},
      {"PUT / HTTP/1.1\r\n", Protocol::kHttp1},  // Starts like PRI, departs at the second byte.
      {"PRI * HTTP/1.1\r\n", Protocol::kHttp1},
      {"\x16\x03\x01", Protocol::kHttp1},  // A TLS hello is not gRPC either (TLS: not served).
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(classify(cases[i].head), cases[i].want);
  }
}

class HttpSniffSocketTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0); }
  void TearDown() override {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  void send(std::string_view bytes) {
    ASSERT_EQ(::write(fds_[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  int server() const { return fds_[0]; }
  int fds_[2] = {-1, -1};
};

TEST_F(HttpSniffSocketTest, GrpcPrefaceIsSeenAndLeftInTheSocket) {
  send(kHttp2Preface);
  EXPECT_EQ(sniff(server(), std::chrono::milliseconds(1000)), Protocol::kGrpc);
  char buf[64];
  ASSERT_EQ(::read(server(), buf, sizeof buf), static_cast<ssize_t>(kHttp2Preface.size()));
  EXPECT_EQ(std::string_view(buf, kHttp2Preface.size()), kHttp2Preface);
}

TEST_F(HttpSniffSocketTest, HttpRequestIsSeenAndLeftInTheSocket) {
  send("GET /version HTTP/1.1\r\n\r\n");
  EXPECT_EQ(sniff(server(), std::chrono::milliseconds(1000)), Protocol::kHttp1);
  char buf[4];
  ASSERT_EQ(::read(server(), buf, sizeof buf), 4);
  EXPECT_EQ(std::string_view(buf, 4), "GET ");
}

TEST_F(HttpSniffSocketTest, PrefaceInPiecesIsWaitedFor) {
  send(kHttp2Preface.substr(0, 10));
  std::thread rest([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    send(kHttp2Preface.substr(10));
  });
  EXPECT_EQ(sniff(server(), std::chrono::milliseconds(2000)), Protocol::kGrpc);
  rest.join();
}

TEST_F(HttpSniffSocketTest, SilentClientIsGivenUpOnAtTheTimeout) {
  const auto began = std::chrono::steady_clock::now();
  EXPECT_EQ(sniff(server(), std::chrono::milliseconds(100)), std::nullopt);
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(2));
}

TEST_F(HttpSniffSocketTest, PartialPrefaceThenSilenceIsGivenUpOn) {
  send("PRI * HTTP/2");
  EXPECT_EQ(sniff(server(), std::chrono::milliseconds(100)), std::nullopt);
}

TEST_F(HttpSniffSocketTest, ClosedClientIsGivenUpOn) {
  ::shutdown(fds_[1], SHUT_WR);
  EXPECT_EQ(sniff(server(), std::chrono::milliseconds(1000)), std::nullopt);
}

}  // namespace
}  // namespace regent::server::http
