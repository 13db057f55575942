// Peers that are down, refuse, restart, misbehave or hang; and stop() in each case.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "regentpb/peer.grpc.pb.h"
#include "unit/transport/transport_test_util.h"

namespace regent::transport::testing {
namespace {

using Clock = std::chrono::steady_clock;

// stop() must finish this fast whatever the peers do; generous for a loaded machine.
constexpr auto kPromptly = 3s;

// Time `stop` takes.
std::chrono::milliseconds time_stop(Transport& transport) {
  const auto start = Clock::now();
  transport.stop();
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// A plain TCP socket on 127.0.0.1 that listens and never accepts or reads: the kernel completes
// connections and buffers what arrives until its buffers fill, as for a SIGSTOPped process.
class BlackHole {
 public:
  BlackHole() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~BlackHole() { ::close(fd_); }
  std::string address() const { return local_address(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Connects to 127.0.0.1:port and writes `bytes`, then closes; whether it could connect.
bool write_raw(int port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  size_t sent = 0;
  while (ok && sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // The listener may close on us part way: that is its right.
    sent += static_cast<size_t>(n);
  }
  ::close(fd);
  return ok;
}

TEST(TransportFailureTest, AMemberRemovedIsRefusedAtOnceAndOnAnOpenStreamOnceTheTableChanges) {
  ReservedPort port_a;
  ReservedPort port_b;
  Member a;
  Member b;
  std::atomic<bool> a_removed{false};
  start_member(a, member_options(1, port_a.address(), {{2, port_b.address()}}));
  Options ob = member_options(2, port_b.address(), {{1, port_a.address()}});
  ob.is_removed = [&](raft::NodeId id) { return id == 1 && a_removed.load(); };
  start_member(b, ob);
  a.transport->send({numbered(1, 2, 1)});
  ASSERT_TRUE(eventually([&] { return b.handler.message_count() == 1; })) << b.logger.dump();
  // Removed while its stream is open: the stream ends at its next batch after the table changes.
  a_removed = true;
  b.transport->update_peers({});
  a.transport->send({numbered(1, 2, 2)});
  ASSERT_TRUE(eventually([&] { return a.handler.removed_by(2) > 0; })) << a.logger.dump();
  EXPECT_GE(a.logger.count("the member has been permanently removed from the cluster",
                           LogLevel::kWarning),
            1)
      << a.logger.dump();
  // And every new stream is refused at its hello; nothing more is delivered.
  for (raft::Index i = 3; i < 6; ++i) a.transport->send({numbered(1, 2, i)});
  ASSERT_TRUE(eventually([&] { return a.handler.removed_by(2) > 1; })) << a.logger.dump();
  EXPECT_EQ(b.handler.message_count(), 1u);
}

TEST(TransportFailureTest, AStreamFromAnotherClusterIsRefused) {
  ReservedPort port_a;
  ReservedPort port_b;
  Member a;
  Member b;
  start_member(a, member_options(1, port_a.address(), {{2, port_b.address()}}, 0xaaa1));
  start_member(b, member_options(2, port_b.address(), {{1, port_a.address()}}, 0xbbb2));
  a.transport->send({numbered(1, 2, 1)});
  ASSERT_TRUE(eventually([&] { return a.handler.unreachable(2) > 0; })) << a.logger.dump();
  ASSERT_TRUE(eventually([&] {
    return b.logger.count("cluster id mismatch: this member is in cluster bbb2, the peer in aaa1",
                          LogLevel::kWarning) > 0;
  })) << b.logger.dump();
  ASSERT_TRUE(eventually([&] {
    return a.logger.count("refused the stream: cluster id mismatch", LogLevel::kWarning) > 0;
  })) << a.logger.dump();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(b.handler.message_count(), 0u);
  EXPECT_EQ(a.handler.message_count(), 0u);
  EXPECT_FALSE(a.transport->connected(2));
  EXPECT_FALSE(b.transport->connected(1));
  // Refused again and again, but said once on each side.
  EXPECT_EQ(a.logger.count("refused the stream", LogLevel::kWarning), 1) << a.logger.dump();
  EXPECT_EQ(b.logger.count("refused a stream from 1", LogLevel::kWarning), 1) << b.logger.dump();
}

TEST(TransportFailureTest, AStreamAddressedToAnotherMemberIsRefused) {
  ReservedPort port_a;
  ReservedPort port_b;
  Member a;
  Member b;
  // a believes member 3 listens where member 2 does.
  start_member(a, member_options(1, port_a.address(), {{3, port_b.address()}}));
  start_member(b, member_options(2, port_b.address(), {{1, port_a.address()}}));
  a.transport->send({numbered(1, 3, 1)});
  ASSERT_TRUE(eventually([&] { return a.handler.unreachable(3) > 0; })) << a.logger.dump();
  ASSERT_TRUE(eventually([&] {
    return a.logger.count("wrong recipient: this member is 2, the peer addressed 3") > 0;
  })) << a.logger.dump();
  EXPECT_EQ(b.handler.message_count(), 0u);
  EXPECT_FALSE(a.transport->connected(3));
}

TEST(TransportFailureTest, ARestartedPeerIsReachedAgain) {
  auto members = start_members({1, 2});
  Member& a = *members[0];
  a.transport->send({numbered(1, 2, 1)});
  ASSERT_TRUE(eventually([&] { return members[1]->handler.message_count() == 1; }));
  const int port = members[1]->transport->bound_port();
  const std::string address_a = local_address(a.transport->bound_port());

  members[1]->transport->stop();
  ASSERT_TRUE(eventually([&] { return !a.transport->connected(2); })) << a.logger.dump();
  members[1].reset();

  Member b;
  start_member(b, member_options(2, local_address(port), {{1, address_a}}));
  // Send until one arrives: those sent before the stream is back may be lost with it.
  raft::Index index = 2;
  ASSERT_TRUE(eventually(
      [&] {
        a.transport->send({numbered(1, 2, index++)});
        return b.handler.message_count() > 0;
      },
      10s))
      << a.logger.dump();
  EXPECT_TRUE(eventually([&] { return a.transport->connected(2); }));
  EXPECT_GT(a.handler.unreachable(2), 0);
  EXPECT_EQ(a.logger.count("connected to peer 2", LogLevel::kInfo), 2) << a.logger.dump();
  EXPECT_EQ(a.logger.count("lost the stream to peer 2", LogLevel::kInfo), 1) << a.logger.dump();
}

TEST(TransportFailureTest, GarbageOnThePeerPortHurtsNoOne) {
  auto members = start_members({1, 2});
  Member& b = *members[1];
  const int port = b.transport->bound_port();
  std::string noise(64 << 10, '\0');
  uint64_t x = 77;
  for (char& c : noise) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    c = static_cast<char>(x >> 56);
  }
  EXPECT_TRUE(write_raw(port, noise));
  EXPECT_TRUE(write_raw(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  // A valid HTTP/2 preface, then a frame header announcing 16 MB that never comes.
  EXPECT_TRUE(write_raw(port, std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") +
                                  std::string("\xff\xff\xff\x00\x00\x00\x00\x00\x01", 9)));
  EXPECT_TRUE(write_raw(port, ""));

  members[0]->transport->send({numbered(1, 2, 1), numbered(1, 2, 2)});
  ASSERT_TRUE(eventually([&] { return b.handler.message_count() == 2; }))
      << members[0]->logger.dump() << b.logger.dump();
  EXPECT_EQ(indexes(b.handler.messages()), one_to(2));
}

TEST(TransportFailureTest, StopIsPromptWhileThePeerIsUnreachable) {
  ReservedPort port_a;
  ReservedPort nobody;
  Member a;
  start_member(a, member_options(1, port_a.address(), {{2, nobody.address()}}));
  a.transport->send({numbered(1, 2, 1), snapshot_message(1, 2, 1 << 20)});
  ASSERT_TRUE(eventually([&] { return a.handler.unreachable(2) > 0; })) << a.logger.dump();
  EXPECT_FALSE(a.transport->connected(2));
  EXPECT_LT(time_stop(*a.transport), kPromptly);
}

TEST(TransportFailureTest, ADownPeerIsLoggedOnceNotPerRetry) {
  ReservedPort port_a;
  ReservedPort port_b;
  Member a;
  Options options = member_options(1, port_a.address(), {{2, port_b.address()}});
  options.min_backoff = 5ms;
  options.max_backoff = 20ms;
  start_member(a, options);
  a.transport->send({numbered(1, 2, 1)});
  // Dozens of failed attempts.
  ASSERT_TRUE(eventually([&] { return a.handler.unreachable(2) >= 20; })) << a.logger.dump();
  EXPECT_EQ(a.logger.count("peer 2", LogLevel::kInfo), 1) << a.logger.dump();

  Member b;
  start_member(b, member_options(2, port_b.address(), {{1, port_a.address()}}));
  ASSERT_TRUE(eventually([&] { return b.handler.message_count() == 1; })) << a.logger.dump();
  EXPECT_EQ(a.logger.count("connected to peer 2", LogLevel::kInfo), 1) << a.logger.dump();
}

TEST(TransportFailureTest, StopIsPromptWhileThePeerIsABlackHole) {
  BlackHole hole;
  ReservedPort port_a;
  Member a;
  Options options = member_options(1, port_a.address(), {{2, hole.address()}});
  options.max_queued_messages = 64;
  start_member(a, options);
  // Far more than the queue holds and the kernel buffers: send() must neither block nor grow
  // the queue without bound.
  const auto start = Clock::now();
  for (raft::Index index = 1; index <= 1000; ++index) {
    a.transport->send({numbered(1, 2, index, 16 << 10)});
  }
  a.transport->send({snapshot_message(1, 2, 1 << 20)});
  EXPECT_LT(Clock::now() - start, 2s) << "send() blocked";
  ASSERT_TRUE(eventually([&] { return a.handler.unreachable(2) > 0; })) << a.logger.dump();
  ASSERT_TRUE(eventually([&] { return !a.handler.snapshots_sent().empty(); }));
  EXPECT_EQ(a.handler.snapshots_sent()[0], (std::pair<raft::NodeId, bool>{2, false}))
      << "a snapshot dropped on a full queue is reported failed";
  EXPECT_EQ(a.logger.count("queue to peer 2 is full", LogLevel::kWarning), 1) << a.logger.dump();
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(a.transport->connected(2));
  EXPECT_LT(time_stop(*a.transport), kPromptly);
}

// A listener that accepts every stream, then never reads from it again, as a peer that hangs
// after connecting: the sender's writes fill HTTP/2's flow-control window and stay pending.
class StuckPeer final : public regentpb::Peer::Service {
 public:
  StuckPeer() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(this);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 500);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
    server_ = builder.BuildAndStart();
    EXPECT_TRUE(server_ != nullptr);
  }
  ~StuckPeer() override { shut_down(); }

  std::string address() const { return local_address(port_); }
  int accepted() const { return accepted_.load(); }
  // Ends every stream, as a peer process that dies would.
  void shut_down() {
    if (!server_) return;
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
    server_.reset();
  }

  grpc::Status Stream(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<regentpb::PeerAck, regentpb::PeerBatch>* stream) override {
    regentpb::PeerBatch hello;
    if (!stream->Read(&hello)) return grpc::Status::OK;
    // Counted before the ack goes out: the sender may call itself connected as soon as the ack
    // arrives, before this thread runs again.
    accepted_.fetch_add(1);
    if (!stream->Write(regentpb::PeerAck())) return grpc::Status::OK;
    for (int i = 0; i < 3000 && !context->IsCancelled(); ++i) std::this_thread::sleep_for(10ms);
    return grpc::Status::OK;
  }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::atomic<int> accepted_{0};
};

TEST(TransportFailureTest, StopIsPromptWhileThePeerStopsReading) {
  StuckPeer stuck;
  ReservedPort port_a;
  Member a;
  Options options = member_options(1, port_a.address(), {{2, stuck.address()}});
  options.max_queued_messages = 64;
  start_member(a, options);
  ASSERT_TRUE(eventually([&] { return a.transport->connected(2); })) << a.logger.dump();
  ASSERT_EQ(stuck.accepted(), 1);
  // Far beyond any flow-control window: the sender's write blocks, the queue fills.
  const auto start = Clock::now();
  for (raft::Index index = 1; index <= 2000; ++index) {
    a.transport->send({numbered(1, 2, index, 16 << 10)});
  }
  EXPECT_LT(Clock::now() - start, 2s) << "send() blocked";
  ASSERT_TRUE(eventually([&] { return a.handler.unreachable(2) > 0; })) << a.logger.dump();
  EXPECT_LT(time_stop(*a.transport), kPromptly);
}

TEST(TransportFailureTest, ASnapshotCutOffPartWayIsReportedFailed) {
  StuckPeer stuck;
  ReservedPort port_a;
  Member a;
  start_member(a, member_options(1, port_a.address(), {{2, stuck.address()}}));
  ASSERT_TRUE(eventually([&] { return a.transport->connected(2); })) << a.logger.dump();
  a.transport->send({snapshot_message(1, 2, 32 << 20)});
  std::this_thread::sleep_for(300ms);
  if (!a.handler.snapshots_sent().empty()) {
    GTEST_SKIP() << "the peer's buffers took all 32 MiB: nothing was cut off";
  }
  stuck.shut_down();
  ASSERT_TRUE(eventually([&] { return !a.handler.snapshots_sent().empty(); })) << a.logger.dump();
  EXPECT_EQ(a.handler.snapshots_sent(), (std::vector<std::pair<raft::NodeId, bool>>{{2, false}}));
  EXPECT_TRUE(eventually([&] { return a.handler.unreachable(2) > 0; }));
  EXPECT_EQ(a.logger.count("the snapshot at index 1000 to peer 2 failed", LogLevel::kWarning), 1)
      << a.logger.dump();
}

TEST(TransportFailureTest, StopIsIdempotentAndEndsHandlerCalls) {
  auto members = start_members({1, 2});
  Member& a = *members[0];
  Member& b = *members[1];
  a.transport->send({numbered(1, 2, 1)});
  b.transport->send({numbered(2, 1, 1)});
  ASSERT_TRUE(eventually([&] { return a.handler.message_count() == 1; }));
  ASSERT_TRUE(eventually([&] { return b.handler.message_count() == 1; }));
  a.transport->stop();
  const int calls = a.handler.calls();
  a.transport->stop();
  a.transport->send({numbered(1, 2, 2)});  // Dropped: nothing runs any more.
  b.transport->send({numbered(2, 1, 2), snapshot_message(2, 1, 1000)});
  ASSERT_TRUE(eventually([&] { return b.handler.unreachable(1) > 0; })) << b.logger.dump();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(a.handler.calls(), calls);
  EXPECT_EQ(b.handler.message_count(), 1u);
  EXPECT_FALSE(a.transport->connected(2));
  members[0].reset();  // The destructor after stop() is fine too.
}

TEST(TransportFailureTest, StartRejectsBadOptions) {
  Member m;
  auto fails = [&](Options options, std::string_view why) {
    auto started = Transport::start(options, m.handler, m.logger);
    ASSERT_FALSE(started.has_value()) << why;
    EXPECT_NE(started.error().find(why), std::string::npos) << started.error();
  };
  const std::string listen = "127.0.0.1:0";
  fails(member_options(0, listen, {}), "self");
  fails(member_options(1, listen, {{0, "127.0.0.1:1"}}), "id 0");
  fails(member_options(1, listen, {{1, "127.0.0.1:1"}}), "itself");
  fails(member_options(1, listen, {{2, "127.0.0.1:1"}, {2, "127.0.0.1:2"}}), "twice");
  fails(member_options(1, listen, {{2, ""}}), "empty address");
  Options zero_queue = member_options(1, listen, {});
  zero_queue.max_queued_messages = 0;
  fails(zero_queue, "positive");

  Member first;
  start_member(first, member_options(1, listen, {}));
  fails(member_options(2, local_address(first.transport->bound_port()), {}), "cannot listen");
  EXPECT_GT(first.transport->bound_port(), 0);
}

}  // namespace
}  // namespace regent::transport::testing
