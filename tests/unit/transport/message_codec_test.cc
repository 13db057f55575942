#include "transport/message_codec.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace regent::transport {
namespace {

raft::Message every_field() {
  raft::Message message{.type = raft::MessageType::kSnapshot,
                        .to = 0x8e9e05c52164694dull,
                        .from = 2,
                        .term = 11,
                        .log_term = 10,
                        .index = raft::kMaxIndex,
                        .commit = 9,
                        .reject = true,
                        .reject_hint = 8,
                        .context = std::string("ctx\0with nul", 12)};
  message.entries = {
      raft::Entry{.term = 10, .index = 20, .type = raft::EntryType::kNormal, .data = "put x"},
      raft::Entry{.term = 11, .index = 21, .type = raft::EntryType::kConfChange, .data = "cc"},
      raft::Entry{.term = 11, .index = 22}};  // The leader's no-op: empty data.
  message.snapshot.data = std::string("\x00\x01snapshot\xff", 11);
  message.snapshot.metadata.index = 19;
  message.snapshot.metadata.term = 9;
  raft::ConfState& conf = message.snapshot.metadata.conf_state;
  conf.voters = {1, 2, 3};
  conf.learners = {7};
  conf.voters_outgoing = {1, 2, 4};
  conf.learners_next = {4};
  conf.auto_leave = true;
  return message;
}

// Through the bytes a peer would see, not just the generated objects.
Expected<raft::Message, std::string> round_trip(const raft::Message& message) {
  regentpb::Message wire;
  encode_message(message, &wire);
  regentpb::Message parsed;
  EXPECT_TRUE(parsed.ParseFromString(wire.SerializeAsString()));
  return decode_message(std::move(parsed));
}

raft::Message minimal() {
  return raft::Message{.type = raft::MessageType::kHeartbeat, .to = 2, .from = 1};
}

TEST(MessageCodecTest, RoundTripsEveryField) {
  const raft::Message message = every_field();
  auto decoded = round_trip(message);
  ASSERT_TRUE(decoded.has_value()) << decoded.error();
  EXPECT_EQ(*decoded, message);
}

TEST(MessageCodecTest, RoundTripsEveryMessageType) {
  for (int type = 0; type <= static_cast<int>(raft::MessageType::kReadIndexResponse); ++type) {
    raft::Message message = minimal();
    message.type = static_cast<raft::MessageType>(type);
    message.term = 5;
    auto decoded = round_trip(message);
    ASSERT_TRUE(decoded.has_value()) << type << ": " << decoded.error();
    EXPECT_EQ(*decoded, message) << type;
  }
}

TEST(MessageCodecTest, RoundTripsAMessageWithNothingSet) {
  const raft::Message message = minimal();
  auto decoded = round_trip(message);
  ASSERT_TRUE(decoded.has_value()) << decoded.error();
  EXPECT_EQ(*decoded, message);
}

TEST(MessageCodecTest, EncodedSizeBoundCoversTheWireSize) {
  raft::Message big = every_field();
  big.entries.push_back(raft::Entry{
      .term = raft::kMaxIndex, .index = raft::kMaxIndex, .data = std::string(100000, 'x')});
  for (const raft::Message& message : {minimal(), every_field(), big}) {
    regentpb::MessageList list;
    encode_message(message, list.add_messages());
    EXPECT_GE(encoded_size_bound(message), list.ByteSizeLong());
  }
}

TEST(MessageCodecTest, RejectsAnUnknownMessageType) {
  regentpb::Message wire;
  encode_message(minimal(), &wire);
  // Field 1 (type) as varint 99, appended: the last value of a field wins when parsing.
  regentpb::Message parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire.SerializeAsString() + "\x08\x63"));
  auto decoded = decode_message(std::move(parsed));
  ASSERT_FALSE(decoded.has_value());
  EXPECT_NE(decoded.error().find("unknown message type 99"), std::string::npos);

  wire.set_type(static_cast<regentpb::MessageType>(-1));
  EXPECT_FALSE(decode_message(wire).has_value());
}

TEST(MessageCodecTest, RejectsAnUnknownEntryType) {
  regentpb::Message wire;
  encode_message(every_field(), &wire);
  wire.mutable_entries(1)->set_type(static_cast<regentpb::EntryType>(2));
  auto decoded = decode_message(wire);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_NE(decoded.error().find("unknown entry type 2"), std::string::npos);
}

TEST(MessageCodecTest, RejectsIndexesAndTermsBeyondTheLargestIndex) {
  using Setter = std::function<void(regentpb::Message&, uint64_t)>;
  const std::vector<std::pair<std::string, Setter>> fields = {
      {"term", [](regentpb::Message& m, uint64_t v) { m.set_term(v); }},
      {"log_term", [](regentpb::Message& m, uint64_t v) { m.set_log_term(v); }},
      {"index", [](regentpb::Message& m, uint64_t v) { m.set_index(v); }},
      {"commit", [](regentpb::Message& m, uint64_t v) { m.set_commit(v); }},
      {"reject_hint", [](regentpb::Message& m, uint64_t v) { m.set_reject_hint(v); }},
      {"entry term", [](regentpb::Message& m, uint64_t v) { m.mutable_entries(0)->set_term(v); }},
      {"entry index", [](regentpb::Message& m, uint64_t v) { m.mutable_entries(2)->set_index(v); }},
      {"snapshot index",
       [](regentpb::Message& m, uint64_t v) {
         m.mutable_snapshot()->mutable_metadata()->set_index(v);
       }},
      {"snapshot term", [](regentpb::Message& m, uint64_t v) {
         m.mutable_snapshot()->mutable_metadata()->set_term(v);
       }}};
  for (const auto& [name, set] : fields) {
    for (uint64_t value : {raft::kMaxIndex + 1, ~uint64_t{0}}) {
      regentpb::Message wire;
      encode_message(every_field(), &wire);
      set(wire, value);
      auto decoded = decode_message(wire);
      ASSERT_FALSE(decoded.has_value()) << name << " = " << value;
      EXPECT_NE(decoded.error().find(name), std::string::npos) << decoded.error();
    }
    regentpb::Message wire;
    encode_message(every_field(), &wire);
    set(wire, raft::kMaxIndex);
    EXPECT_TRUE(decode_message(wire).has_value()) << name << " = kMaxIndex";
  }
}

TEST(MessageCodecTest, RejectsNodeZero) {
  {
    regentpb::Message wire;
    encode_message(minimal(), &wire);
    wire.set_to(0);
    EXPECT_FALSE(decode_message(wire).has_value());
  }
  {
    regentpb::Message wire;
    encode_message(minimal(), &wire);
    wire.set_from(0);
    EXPECT_FALSE(decode_message(wire).has_value());
  }
  for (int list = 0; list < 4; ++list) {
    regentpb::Message wire;
    encode_message(every_field(), &wire);
    regentpb::ConfState* conf = wire.mutable_snapshot()->mutable_metadata()->mutable_conf_state();
    google::protobuf::RepeatedField<uint64_t>* ids[] = {
        conf->mutable_voters(), conf->mutable_learners(), conf->mutable_voters_outgoing(),
        conf->mutable_learners_next()};
    ids[list]->Add(0);
    auto decoded = decode_message(wire);
    ASSERT_FALSE(decoded.has_value()) << list;
    EXPECT_NE(decoded.error().find("node 0"), std::string::npos) << decoded.error();
  }
}

TEST(MessageCodecTest, GarbageBytesNeverDecodeToAnInvalidMessage) {
  // Whatever protobuf makes of random bytes, the decoder yields a valid message or an error.
  uint64_t x = 12345;
  int decoded_ok = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string bytes(static_cast<size_t>(round % 64 + 1), '\0');
    for (char& c : bytes) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      c = static_cast<char>(x >> 56);
    }
    regentpb::Message wire;
    if (!wire.ParseFromString(bytes)) continue;
    auto decoded = decode_message(std::move(wire));
    if (!decoded) continue;
    ++decoded_ok;
    EXPECT_LE(decoded->term, raft::kMaxIndex);
    EXPECT_LE(decoded->index, raft::kMaxIndex);
    EXPECT_NE(decoded->to, raft::kNone);
    for (const raft::Entry& entry : decoded->entries) EXPECT_LE(entry.index, raft::kMaxIndex);
  }
  SUCCEED() << decoded_ok << " of 2000 decoded";
}

}  // namespace
}  // namespace regent::transport
