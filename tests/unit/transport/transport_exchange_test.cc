// Members exchanging messages over real gRPC streams on 127.0.0.1.
#include <gtest/gtest.h>

#include <atomic>

#include "unit/transport/transport_test_util.h"

namespace regent::transport::testing {
namespace {

TEST(TransportExchangeTest, TwoMembersExchangeMessagesInOrder) {
  auto members = start_members({1, 2});
  Member& a = *members[0];
  Member& b = *members[1];
  // Until then a sender may find its peer not yet listening, which is not what this tests.
  ASSERT_TRUE(all_connected(members)) << a.logger.dump() << b.logger.dump();
  constexpr raft::Index kCount = 500;
  // Sent in calls of varying size, interleaved in both directions.
  raft::Index next = 1;
  for (int call = 0; next <= kCount && call < 1000; ++call) {
    std::vector<raft::Message> to_b;
    std::vector<raft::Message> to_a;
    for (int i = 0; i < call % 7 + 1 && next <= kCount; ++i, ++next) {
      to_b.push_back(numbered(1, 2, next));
      to_a.push_back(numbered(2, 1, next));
    }
    a.transport->send(std::move(to_b));
    b.transport->send(std::move(to_a));
  }
  ASSERT_TRUE(eventually([&] { return b.handler.message_count() >= kCount; }))
      << b.handler.message_count() << "\n"
      << a.logger.dump() << b.logger.dump();
  ASSERT_TRUE(eventually([&] { return a.handler.message_count() >= kCount; }))
      << a.handler.message_count() << "\n"
      << a.logger.dump() << b.logger.dump();
  EXPECT_EQ(indexes(b.handler.messages()), one_to(kCount));
  EXPECT_EQ(indexes(a.handler.messages()), one_to(kCount));
  // Every field made it, not only the index.
  EXPECT_EQ(b.handler.messages()[41], numbered(1, 2, 42));
  EXPECT_EQ(a.handler.messages()[kCount - 1], numbered(2, 1, kCount));
  EXPECT_TRUE(a.transport->connected(2));
  EXPECT_TRUE(b.transport->connected(1));
  EXPECT_FALSE(a.transport->connected(3));
  EXPECT_EQ(a.handler.unreachable(2), 0);
}

TEST(TransportExchangeTest, ThreeMembersEachReceiveEveryPeersMessagesInOrder) {
  const std::vector<raft::NodeId> ids = {1, 2, 3};
  auto members = start_members(ids);
  ASSERT_TRUE(all_connected(members));
  constexpr raft::Index kCount = 200;
  for (raft::Index index = 1; index <= kCount; ++index) {
    for (size_t i = 0; i < ids.size(); ++i) {
      std::vector<raft::Message> out;
      for (raft::NodeId to : ids) {
        if (to != ids[i]) out.push_back(numbered(ids[i], to, index));
      }
      members[i]->transport->send(std::move(out));
    }
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    Member& member = *members[i];
    ASSERT_TRUE(eventually([&] { return member.handler.message_count() >= 2 * kCount; }))
        << "member " << ids[i] << " got " << member.handler.message_count();
    for (raft::NodeId from : ids) {
      if (from == ids[i]) continue;
      EXPECT_EQ(indexes(member.handler.messages_from(from)), one_to(kCount))
          << "from " << from << " to " << ids[i];
    }
    for (const raft::Message& message : member.handler.messages()) {
      ASSERT_EQ(message.to, ids[i]);
    }
  }
}

TEST(TransportExchangeTest, MessagesQueuedTogetherTravelInFewerBatches) {
  auto members = start_members({1, 2});
  Member& a = *members[0];
  Member& b = *members[1];
  ASSERT_TRUE(all_connected(members)) << a.logger.dump();
  constexpr raft::Index kCount = 1000;
  std::vector<raft::Message> burst;
  for (raft::Index index = 1; index <= kCount; ++index) burst.push_back(numbered(1, 2, index));
  a.transport->send(std::move(burst));
  ASSERT_TRUE(eventually([&] { return b.handler.message_count() >= kCount; }));
  EXPECT_EQ(indexes(b.handler.messages()), one_to(kCount));
  // One send() of a thousand small messages: the sender drains its queue into whole batches.
  EXPECT_LT(b.handler.batch_sizes().size(), kCount / 10);
}

TEST(TransportExchangeTest, MessagesQueuedWhileThePeerIsDownArriveInBatchesWithinTheLimit) {
  ReservedPort port_a;
  ReservedPort port_b;
  constexpr size_t kMaxBatchBytes = 16 << 10;
  constexpr size_t kPayload = 1 << 10;
  Member a;
  Options options_a = member_options(1, port_a.address(), {{2, port_b.address()}});
  options_a.max_batch_bytes = kMaxBatchBytes;
  start_member(a, options_a);

  constexpr raft::Index kCount = 200;
  for (raft::Index index = 1; index <= kCount; ++index) {
    a.transport->send({numbered(1, 2, index, kPayload)});
  }
  // The peer is not listening yet: the sender says so, and keeps the queue.
  ASSERT_TRUE(eventually([&] { return a.handler.unreachable(2) > 0; })) << a.logger.dump();
  EXPECT_FALSE(a.transport->connected(2));

  Member b;
  start_member(b, member_options(2, port_b.address(), {{1, port_a.address()}}));
  ASSERT_TRUE(eventually([&] { return b.handler.message_count() >= kCount; }))
      << b.handler.message_count() << "\n"
      << a.logger.dump();
  EXPECT_EQ(indexes(b.handler.messages()), one_to(kCount));
  const std::vector<size_t> sizes = b.handler.batch_sizes();
  EXPECT_LT(sizes.size(), kCount / 4) << "batched";
  for (size_t size : sizes) {
    EXPECT_LE(size * kPayload, kMaxBatchBytes) << "a batch over max_batch_bytes";
  }
  EXPECT_TRUE(a.transport->connected(2));
}

void expect_snapshot_arrives(size_t snapshot_bytes, size_t chunk_bytes) {
  auto members =
      start_members({1, 2}, [&](Options& options) { options.snapshot_chunk_bytes = chunk_bytes; });
  Member& a = *members[0];
  Member& b = *members[1];
  const raft::Message snapshot = snapshot_message(1, 2, snapshot_bytes);
  // Messages before and after it keep their places around it.
  a.transport->send({numbered(1, 2, 1), snapshot, numbered(1, 2, 2)});
  ASSERT_TRUE(eventually([&] { return b.handler.message_count() >= 3; }))
      << b.handler.message_count() << "\n"
      << a.logger.dump() << b.logger.dump();
  const std::vector<raft::Message> received = b.handler.messages();
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[0], numbered(1, 2, 1));
  EXPECT_EQ(received[1].snapshot.data.size(), snapshot_bytes);
  EXPECT_TRUE(received[1] == snapshot) << "the snapshot arrived altered";
  EXPECT_EQ(received[2], numbered(1, 2, 2));
  ASSERT_TRUE(eventually([&] { return !a.handler.snapshots_sent().empty(); }));
  EXPECT_EQ(a.handler.snapshots_sent(), (std::vector<std::pair<raft::NodeId, bool>>{{2, true}}));
}

TEST(TransportExchangeTest, AFiveMebibyteSnapshotArrivesWhole) {
  expect_snapshot_arrives(5 << 20, 1 << 20);
}

TEST(TransportExchangeTest, ASnapshotInChunksThatDoNotDivideItArrivesWhole) {
  expect_snapshot_arrives((3 << 20) + 17, 300001);
}

TEST(TransportExchangeTest, AnEmptySnapshotArrives) { expect_snapshot_arrives(0, 1 << 20); }

TEST(TransportExchangeTest, ASnapshotWithoutItsImageGetsItFromReadSnapshotOnTheWay) {
  const raft::Message whole = snapshot_message(1, 2, (2 << 20) + 5);
  std::atomic<int> reads{0};
  auto members = start_members({1, 2}, [&](Options& options) {
    options.read_snapshot =
        [&](const raft::SnapshotMetadata& metadata) -> Expected<std::string, std::string> {
      ++reads;
      if (metadata.index != whole.snapshot.metadata.index) return unexpected(std::string("gone"));
      return whole.snapshot.data;
    };
  });
  Member& a = *members[0];
  Member& b = *members[1];
  raft::Message bare = whole;
  bare.snapshot.data.clear();
  a.transport->send({bare});
  ASSERT_TRUE(eventually([&] { return b.handler.message_count() >= 1; })) << a.logger.dump();
  EXPECT_TRUE(b.handler.messages()[0] == whole) << "the image read on the way did not arrive";
  EXPECT_EQ(reads.load(), 1);
  // An image no longer on disk: nothing goes, and the sender hears that it failed.
  raft::Message stale = bare;
  stale.snapshot.metadata.index = 3;
  a.transport->send({stale});
  ASSERT_TRUE(eventually([&] { return a.handler.snapshots_sent().size() >= 2; }));
  EXPECT_EQ(a.handler.snapshots_sent(),
            (std::vector<std::pair<raft::NodeId, bool>>{{2, true}, {2, false}}));
  EXPECT_EQ(a.logger.count("cannot send the snapshot at index 3", LogLevel::kWarning), 1);
  EXPECT_EQ(b.handler.message_count(), 1u);
}

TEST(TransportExchangeTest, AMessageLargerThanABatchIsDroppedAndReported) {
  auto members = start_members({1, 2}, [](Options& options) { options.max_batch_bytes = 4096; });
  Member& a = *members[0];
  Member& b = *members[1];
  ASSERT_TRUE(all_connected(members));
  a.transport->send({numbered(1, 2, 1), numbered(1, 2, 2, 8192), numbered(1, 2, 3)});
  ASSERT_TRUE(eventually([&] { return b.handler.message_count() >= 2; }));
  ASSERT_TRUE(eventually([&] { return a.handler.unreachable(2) > 0; }));
  EXPECT_EQ(indexes(b.handler.messages()), (std::vector<raft::Index>{1, 3}));
  EXPECT_EQ(a.logger.count("larger than max_batch_bytes", LogLevel::kWarning), 1);
  EXPECT_TRUE(a.transport->connected(2)) << "the stream stays up";
}

TEST(TransportExchangeTest, SendToAnUnknownPeerIsDroppedAndLoggedOnce) {
  auto members = start_members({1, 2});
  Member& a = *members[0];
  a.transport->send({numbered(1, 9, 1)});
  a.transport->send({numbered(1, 9, 2), numbered(1, 2, 1)});
  ASSERT_TRUE(eventually([&] { return members[1]->handler.message_count() >= 1; }));
  EXPECT_EQ(a.logger.count("unknown peer 9", LogLevel::kWarning), 1) << a.logger.dump();
}

TEST(TransportExchangeTest, PeersFollowTheMemberTable) {
  // 1 starts knowing nobody; 2 and 3 know 1. A membership change tells 1 of 2, then of 3 in
  // place of 2: messages reach whom the table names, and a forgotten peer gets none.
  Member a, b, c;
  ReservedPort pa, pb, pc;
  start_member(a, member_options(1, pa.address(), {}));
  start_member(b, member_options(2, pb.address(), {{1, pa.address()}}));
  start_member(c, member_options(3, pc.address(), {{1, pa.address()}}));
  a.transport->update_peers({{2, pb.address()}});
  a.transport->send({numbered(1, 2, 1)});
  ASSERT_TRUE(eventually([&] { return b.handler.message_count() >= 1; })) << a.logger.dump();
  a.transport->update_peers({{1, pa.address()}, {3, pc.address()}});  // Itself is skipped.
  a.transport->send({numbered(1, 3, 1), numbered(1, 2, 2)});
  ASSERT_TRUE(eventually([&] { return c.handler.message_count() >= 1; })) << a.logger.dump();
  EXPECT_EQ(b.handler.message_count(), 1u) << "a forgotten peer still got messages";
  EXPECT_FALSE(a.transport->connected(2));
  EXPECT_EQ(a.logger.count("forgetting peer 2"), 1) << a.logger.dump();
  a.transport->update_peers({{3, pc.address()}});  // Unchanged: the sender stays.
  EXPECT_EQ(a.logger.count("new peer 3"), 1) << a.logger.dump();
  a.transport->stop();
}

}  // namespace
}  // namespace regent::transport::testing
