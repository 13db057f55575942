#include "transport/snapshot_assembler.h"

#include <gtest/gtest.h>

#include <string>

#include "transport/message_codec.h"

namespace regent::transport {
namespace {

raft::Message snapshot_header() {
  raft::Message message{.type = raft::MessageType::kSnapshot, .to = 2, .from = 1, .term = 4};
  message.snapshot.metadata.index = 50;
  message.snapshot.metadata.term = 4;
  message.snapshot.metadata.conf_state.voters = {1, 2, 3};
  return message;
}

regentpb::SnapshotChunk first_chunk(uint64_t total, std::string data) {
  regentpb::SnapshotChunk chunk;
  encode_message(snapshot_header(), chunk.mutable_message());
  chunk.set_total_size(total);
  chunk.set_offset(0);
  chunk.set_data(std::move(data));
  return chunk;
}

regentpb::SnapshotChunk next_chunk(uint64_t offset, std::string data) {
  regentpb::SnapshotChunk chunk;
  chunk.set_offset(offset);
  chunk.set_data(std::move(data));
  return chunk;
}

TEST(SnapshotAssemblerTest, ReassemblesChunksInOrder) {
  SnapshotAssembler assembler;
  auto step = assembler.add(first_chunk(10, "0123"));
  ASSERT_TRUE(step.has_value()) << step.error();
  EXPECT_FALSE(step->has_value());
  EXPECT_TRUE(assembler.in_progress());
  step = assembler.add(next_chunk(4, "4567"));
  ASSERT_TRUE(step.has_value()) << step.error();
  EXPECT_FALSE(step->has_value());
  step = assembler.add(next_chunk(8, "89"));
  ASSERT_TRUE(step.has_value()) << step.error();
  ASSERT_TRUE(step->has_value());
  raft::Message expected = snapshot_header();
  expected.snapshot.data = "0123456789";
  EXPECT_EQ(**step, expected);
  EXPECT_FALSE(assembler.in_progress());
}

TEST(SnapshotAssemblerTest, AnEmptySnapshotIsOneChunk) {
  SnapshotAssembler assembler;
  auto step = assembler.add(first_chunk(0, ""));
  ASSERT_TRUE(step.has_value()) << step.error();
  ASSERT_TRUE(step->has_value());
  EXPECT_EQ(**step, snapshot_header());
}

TEST(SnapshotAssemblerTest, RejectsChunksOutOfPlace) {
  {
    SnapshotAssembler assembler;
    EXPECT_FALSE(assembler.add(next_chunk(0, "x")).has_value()) << "no snapshot in progress";
  }
  {
    SnapshotAssembler assembler;
    ASSERT_TRUE(assembler.add(first_chunk(10, "0123")).has_value());
    EXPECT_FALSE(assembler.add(next_chunk(5, "5")).has_value()) << "a gap";
    EXPECT_FALSE(assembler.in_progress()) << "an error discards the partial snapshot";
  }
  {
    SnapshotAssembler assembler;
    ASSERT_TRUE(assembler.add(first_chunk(10, "0123")).has_value());
    EXPECT_FALSE(assembler.add(next_chunk(2, "23")).has_value()) << "a repeat";
  }
  {
    SnapshotAssembler assembler;
    ASSERT_TRUE(assembler.add(first_chunk(5, "0123")).has_value());
    EXPECT_FALSE(assembler.add(next_chunk(4, "45")).has_value()) << "beyond the total";
  }
  {
    SnapshotAssembler assembler;
    EXPECT_FALSE(assembler.add(first_chunk(3, "0123")).has_value()) << "first beyond the total";
  }
  {
    SnapshotAssembler assembler;
    regentpb::SnapshotChunk chunk = first_chunk(4, "0123");
    chunk.set_offset(1);
    EXPECT_FALSE(assembler.add(chunk).has_value()) << "first not at offset 0";
  }
}

TEST(SnapshotAssemblerTest, RejectsAMalformedHeader) {
  {
    SnapshotAssembler assembler;
    regentpb::SnapshotChunk chunk = first_chunk(4, "0123");
    chunk.mutable_message()->set_type(regentpb::MESSAGE_TYPE_APPEND);
    EXPECT_FALSE(assembler.add(chunk).has_value()) << "not a snapshot message";
  }
  {
    SnapshotAssembler assembler;
    regentpb::SnapshotChunk chunk = first_chunk(4, "0123");
    chunk.mutable_message()->mutable_snapshot()->set_data("inline");
    EXPECT_FALSE(assembler.add(chunk).has_value()) << "data inside the message";
  }
  {
    SnapshotAssembler assembler;
    regentpb::SnapshotChunk chunk = first_chunk(4, "0123");
    chunk.mutable_message()->mutable_snapshot()->mutable_metadata()->set_index(raft::kMaxIndex + 1);
    EXPECT_FALSE(assembler.add(chunk).has_value()) << "index beyond kMaxIndex";
  }
  {
    SnapshotAssembler assembler;
    // A forged size is not allocated up front: the assembler just waits for bytes.
    auto step = assembler.add(first_chunk(~uint64_t{0}, "0123"));
    ASSERT_TRUE(step.has_value()) << step.error();
    EXPECT_FALSE(step->has_value());
  }
}

TEST(SnapshotAssemblerTest, ANewSnapshotReplacesAPartialOne) {
  SnapshotAssembler assembler;
  ASSERT_TRUE(assembler.add(first_chunk(10, "0123")).has_value());
  auto step = assembler.add(first_chunk(2, "ab"));
  ASSERT_TRUE(step.has_value()) << step.error();
  ASSERT_TRUE(step->has_value());
  EXPECT_EQ((*step)->snapshot.data, "ab");
}

}  // namespace
}  // namespace regent::transport
