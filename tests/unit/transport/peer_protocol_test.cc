// The listener against a hand-driven client: what a buggy or hostile peer could send.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "regentpb/peer.grpc.pb.h"
#include "transport/message_codec.h"
#include "unit/transport/transport_test_util.h"

namespace regent::transport::testing {
namespace {

class PeerProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    start_member(member_, member_options(2, "127.0.0.1:0", {{1, "127.0.0.1:1"}}));
    stub_ = regentpb::Peer::NewStub(grpc::CreateChannel(
        local_address(member_.transport->bound_port()), grpc::InsecureChannelCredentials()));
  }

  // A stream as member `from` of `cluster_id` to member `to`; its deadline bounds the test.
  struct RawStream {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReaderWriter<regentpb::PeerBatch, regentpb::PeerAck>> stream;
  };
  std::unique_ptr<RawStream> open(uint64_t cluster_id = kClusterId) {
    auto raw = std::make_unique<RawStream>();
    raw->context.set_deadline(std::chrono::system_clock::now() + kWaitLimit);
    raw->stream = stub_->Stream(&raw->context);
    cluster_id_ = cluster_id;
    return raw;
  }
  regentpb::PeerBatch batch() const {
    regentpb::PeerBatch batch;
    batch.set_cluster_id(cluster_id_);
    batch.set_from(1);
    batch.set_to(2);
    return batch;
  }
  // Writes the hello and reads the acceptance.
  void handshake(RawStream& raw) {
    ASSERT_TRUE(raw.stream->Write(batch()));
    regentpb::PeerAck ack;
    ASSERT_TRUE(raw.stream->Read(&ack));
  }
  regentpb::PeerBatch with_messages(const std::vector<raft::Message>& messages) const {
    regentpb::PeerBatch b = batch();
    for (const raft::Message& message : messages) {
      encode_message(message, b.mutable_messages()->add_messages());
    }
    return b;
  }
  regentpb::PeerBatch chunk(const raft::Message* header, uint64_t total, uint64_t offset,
                            std::string data) const {
    regentpb::PeerBatch b = batch();
    regentpb::SnapshotChunk* c = b.mutable_snapshot_chunk();
    if (header) {
      encode_message(*header, c->mutable_message());
      c->set_total_size(total);
    }
    c->set_offset(offset);
    c->set_data(std::move(data));
    return b;
  }
  static grpc::Status finish(RawStream& raw) {
    raw.stream->WritesDone();
    return raw.stream->Finish();
  }

  Member member_;
  std::unique_ptr<regentpb::Peer::Stub> stub_;
  uint64_t cluster_id_ = kClusterId;
};

TEST_F(PeerProtocolTest, TheRefusalNamesBothClusterIds) {
  auto raw = open(0xdead);
  ASSERT_TRUE(raw->stream->Write(batch()));
  regentpb::PeerAck ack;
  EXPECT_FALSE(raw->stream->Read(&ack));
  const grpc::Status status = raw->stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(),
            "cluster id mismatch: this member is in cluster c1, the peer in dead");
}

TEST_F(PeerProtocolTest, MalformedMessagesAreDroppedAndTheStreamKept) {
  auto raw = open();
  handshake(*raw);
  regentpb::PeerBatch first = with_messages({numbered(1, 2, 1)});
  first.mutable_messages()->mutable_messages(0)->set_type(static_cast<regentpb::MessageType>(99));
  encode_message(numbered(1, 2, 2), first.mutable_messages()->add_messages());
  ASSERT_TRUE(raw->stream->Write(first));

  regentpb::PeerBatch second =
      with_messages({numbered(1, 2, 3), numbered(1, 2, 4), numbered(3, 2, 5), numbered(1, 2, 6)});
  second.mutable_messages()->mutable_messages(0)->set_index(raft::kMaxIndex + 1);
  second.mutable_messages()->mutable_messages(1)->set_to(7);  // Not this member.
  // messages(2) claims to come from 3 on 1's stream.
  ASSERT_TRUE(raw->stream->Write(second));
  ASSERT_TRUE(raw->stream->Write(batch()));  // No body: ignored.
  ASSERT_TRUE(raw->stream->Write(with_messages({numbered(1, 2, 7)})));

  ASSERT_TRUE(eventually([&] { return member_.handler.message_count() >= 3; }))
      << member_.logger.dump();
  EXPECT_EQ(indexes(member_.handler.messages()), (std::vector<raft::Index>{2, 6, 7}));
  EXPECT_EQ(member_.logger.count("malformed", LogLevel::kWarning), 1) << member_.logger.dump();
  EXPECT_TRUE(finish(*raw).ok());
  ASSERT_TRUE(eventually([&] {
    return member_.logger.count("dropped 4 malformed", LogLevel::kWarning) == 1;
  })) << member_.logger.dump();
}

TEST_F(PeerProtocolTest, AHeaderThatChangesEndsTheStream) {
  auto raw = open();
  handshake(*raw);
  regentpb::PeerBatch forged = with_messages({numbered(3, 2, 1)});
  forged.set_from(3);
  ASSERT_TRUE(raw->stream->Write(forged));
  regentpb::PeerAck ack;
  EXPECT_FALSE(raw->stream->Read(&ack));
  const grpc::Status status = raw->stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(member_.handler.message_count(), 0u);
}

TEST_F(PeerProtocolTest, ANewStreamFromTheSameMemberSupersedesTheOld) {
  auto old_stream = open();
  handshake(*old_stream);
  ASSERT_TRUE(old_stream->stream->Write(with_messages({numbered(1, 2, 1)})));
  ASSERT_TRUE(eventually([&] { return member_.handler.message_count() == 1; }));
  auto new_stream = open();
  handshake(*new_stream);
  // Whatever still comes on the old stream would arrive out of order with the new one's.
  ASSERT_TRUE(old_stream->stream->Write(with_messages({numbered(1, 2, 2)})));
  ASSERT_TRUE(new_stream->stream->Write(with_messages({numbered(1, 2, 3)})));
  ASSERT_TRUE(eventually([&] { return member_.handler.message_count() >= 2; }));
  EXPECT_TRUE(finish(*old_stream).ok());
  EXPECT_TRUE(finish(*new_stream).ok());
  EXPECT_EQ(indexes(member_.handler.messages()), (std::vector<raft::Index>{1, 3}));
}

TEST_F(PeerProtocolTest, APartialSnapshotIsDiscardedWithItsStream) {
  const raft::Message header = snapshot_message(1, 2, 0);
  {
    auto raw = open();
    handshake(*raw);
    ASSERT_TRUE(raw->stream->Write(chunk(&header, 10, 0, "01234")));
    EXPECT_TRUE(finish(*raw).ok());
  }
  {
    auto raw = open();
    handshake(*raw);
    // A gap: dropped, and so is the snapshot it belonged to.
    ASSERT_TRUE(raw->stream->Write(chunk(&header, 10, 0, "01234")));
    ASSERT_TRUE(raw->stream->Write(chunk(nullptr, 0, 6, "6789")));
    ASSERT_TRUE(raw->stream->Write(chunk(nullptr, 0, 5, "56789")));
    // Then a whole one, and a message after it.
    ASSERT_TRUE(raw->stream->Write(chunk(&header, 6, 0, "abc")));
    ASSERT_TRUE(raw->stream->Write(chunk(nullptr, 0, 3, "def")));
    ASSERT_TRUE(raw->stream->Write(with_messages({numbered(1, 2, 9)})));
    ASSERT_TRUE(eventually([&] { return member_.handler.message_count() >= 2; }))
        << member_.logger.dump();
    EXPECT_TRUE(finish(*raw).ok());
  }
  const std::vector<raft::Message> received = member_.handler.messages();
  ASSERT_EQ(received.size(), 2u);
  raft::Message expected = header;
  expected.snapshot.data = "abcdef";
  EXPECT_EQ(received[0], expected);
  EXPECT_EQ(received[1].index, 9u);
}

}  // namespace
}  // namespace regent::transport::testing
