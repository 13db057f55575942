#include "raft/conf_change.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace regent::raft {
namespace {

ConfChangeSingle add(NodeId id) { return {ConfChangeType::kAddNode, id}; }
ConfChangeSingle remove(NodeId id) { return {ConfChangeType::kRemoveNode, id}; }
ConfChangeSingle learner(NodeId id) { return {ConfChangeType::kAddLearnerNode, id}; }

ConfChange make(ConfChangeTransition t, std::vector<ConfChangeSingle> changes,
                std::string context = "") {
  ConfChange cc;
  cc.transition = t;
  cc.changes = std::move(changes);
  cc.context = std::move(context);
  return cc;
}

TEST(ConfChangeTest, EnterJoint) {
  struct Case {
    std::string name;
    ConfChange cc;
    bool want_joint;
    bool want_auto_leave;
  };
  using T = ConfChangeTransition;
  const std::vector<Case> cases = {
      {"empty auto leaves joint", make(T::kAuto, {}), false, false},
      {"empty explicit leaves joint", make(T::kJointExplicit, {}), false, false},
      {"empty implicit leaves joint", make(T::kJointImplicit, {}), false, false},
      {"one change, auto: simple", make(T::kAuto, {add(1)}), false, false},
      {"two changes, auto: joint, auto-leave", make(T::kAuto, {add(1), remove(2)}), true, true},
      {"one change, implicit", make(T::kJointImplicit, {add(1)}), true, true},
      {"two changes, implicit", make(T::kJointImplicit, {add(1), learner(2)}), true, true},
      {"one change, explicit", make(T::kJointExplicit, {add(1)}), true, false},
      {"three changes, explicit", make(T::kJointExplicit, {add(1), add(2), add(3)}), true, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    bool auto_leave = !c.want_auto_leave;  // Must be overwritten either way.
    EXPECT_EQ(c.cc.enter_joint(&auto_leave), c.want_joint);
    EXPECT_EQ(auto_leave, c.want_auto_leave);
    EXPECT_EQ(c.cc.enter_joint(nullptr), c.want_joint);
    EXPECT_EQ(c.cc.leave_joint(), c.cc.changes.empty());
  }
}

std::vector<ConfChange> valid_conf_changes() {
  using T = ConfChangeTransition;
  std::vector<ConfChangeSingle> many;
  for (NodeId id = 1; id <= 200; ++id) many.push_back(ConfChangeSingle{ConfChangeType(id % 3), id});
  return {
      make(T::kAuto, {}),
      make(T::kAuto, {add(1)}),
      make(T::kJointImplicit, {add(1), remove(2), learner(3)}),
      make(T::kJointExplicit, {learner(UINT64_MAX), add(kNone)}, "http://10.0.0.1:2380"),
      make(T::kAuto, {}, std::string("\0\x01\xff binary", 10)),
      make(T::kAuto, {add(0x0102030405060708)}, std::string(300, 'x')),  // 2-byte length.
      make(T::kJointImplicit, many, "ctx"),                              // 2-byte count.
  };
}

TEST(ConfChangeCodecTest, RoundTrip) {
  for (const ConfChange& cc : valid_conf_changes()) {
    SCOPED_TRACE(testing::Message()
                 << cc.changes.size() << " changes, context " << cc.context.size() << " bytes");
    std::optional<ConfChange> got = decode_conf_change(encode_conf_change(cc));
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, cc);
  }
}

// Pins the format: entries written by one version must decode in the next.
TEST(ConfChangeCodecTest, GoldenEncoding) {
  ConfChange cc =
      make(ConfChangeTransition::kJointExplicit, {learner(0x0102030405060708), remove(300)}, "ab");
  const std::string want(
      "\x01"                                  // version
      "\x02"                                  // transition: kJointExplicit
      "\x02"                                  // count
      "\x02\x08\x07\x06\x05\x04\x03\x02\x01"  // kAddLearnerNode, id little-endian
      "\x01\x2c\x01\x00\x00\x00\x00\x00\x00"  // kRemoveNode 300
      "\x02"
      "ab",  // context
      24);
  EXPECT_EQ(encode_conf_change(cc), want);
  EXPECT_EQ(decode_conf_change(want), cc);
}

TEST(ConfChangeCodecTest, EveryTruncationIsRejected) {
  for (const ConfChange& cc : valid_conf_changes()) {
    const std::string bytes = encode_conf_change(cc);
    for (size_t n = 0; n < bytes.size(); ++n) {
      SCOPED_TRACE(testing::Message() << "prefix of " << n << "/" << bytes.size() << " bytes");
      EXPECT_FALSE(decode_conf_change(std::string_view(bytes).substr(0, n)).has_value());
    }
  }
}

TEST(ConfChangeCodecTest, TrailingBytesAreRejected) {
  for (const ConfChange& cc : valid_conf_changes()) {
    for (const std::string& tail : {std::string(1, '\0'), std::string("x"), std::string(9, 'y')}) {
      SCOPED_TRACE(testing::Message() << "tail of " << tail.size());
      EXPECT_FALSE(decode_conf_change(encode_conf_change(cc) + tail).has_value());
    }
  }
}

TEST(ConfChangeCodecTest, MalformedInputsAreRejected) {
  struct Case {
    std::string name;
    std::string bytes;
  };
  using namespace std::string_literals;
  const std::string id1 = "\x01\x00\x00\x00\x00\x00\x00\x00"s;
  const std::vector<Case> cases = {
      {"empty", ""s},
      {"version 0", "\x00\x00\x00\x00"s},
      {"version 2", "\x02\x00\x00\x00"s},
      {"version 255", "\xff\x00\x00\x00"s},
      {"transition 3", "\x01\x03\x00\x00"s},
      {"transition 255", "\x01\xff\x00\x00"s},
      {"change type 3", "\x01\x00\x01\x03"s + id1 + "\x00"s},
      {"change type 255", "\x01\x00\x01\xff"s + id1 + "\x00"s},
      {"count beyond the bytes left", "\x01\x00\x02\x00"s + id1 + "\x00"s},
      {"absurd count", "\x01\x00\xff\xff\xff\xff\xff\xff\xff\xff\x7f\x00"s},
      {"count overflows 64 bits", "\x01\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s},
      {"count varint too long", "\x01\x00\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00"s},
      {"count varint unterminated", "\x01\x00\x80"s},
      {"count varint not minimal", "\x01\x00\x80\x00\x00"s},
      {"context length not minimal", "\x01\x00\x00\x81\x00x"s},
      {"context longer than the input",
       "\x01\x00\x00\x05"
       "abcd"s},
      {"absurd context length", "\x01\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s},
      {"missing context length", "\x01\x00\x01\x00"s + id1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_FALSE(decode_conf_change(c.bytes).has_value());
  }
}

TEST(ConfChangeCodecTest, MinimalVarintsAreAccepted) {
  using namespace std::string_literals;
  std::optional<ConfChange> cc =
      decode_conf_change("\x01\x00\x00\x80\x01"s + std::string(128, 'z'));
  ASSERT_TRUE(cc.has_value());
  EXPECT_EQ(cc->context, std::string(128, 'z'));
}

// Random bytes and random corruptions of valid encodings never crash the decoder, and whatever
// it accepts re-encodes to exactly the input (the encoding is canonical).
TEST(ConfChangeCodecTest, FuzzedInputsDecodeCanonicallyOrNotAtAll) {
  std::mt19937_64 rng(1234);
  const std::vector<ConfChange> valid = valid_conf_changes();
  size_t accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string bytes;
    if (round % 2 == 0) {
      bytes.resize(rng() % 40);
      for (char& b : bytes) b = static_cast<char>(rng() % 4 == 0 ? rng() : rng() % 3);
      if (!bytes.empty()) bytes[0] = 1;  // Mostly get past the version byte.
    } else {
      bytes = encode_conf_change(valid[rng() % valid.size()]);
      for (int flips = 1 + rng() % 3; flips > 0; --flips) {
        bytes[rng() % bytes.size()] = static_cast<char>(rng());
      }
    }
    std::optional<ConfChange> cc = decode_conf_change(bytes);
    if (!cc) continue;
    ++accepted;
    EXPECT_EQ(encode_conf_change(*cc), bytes) << "round " << round;
  }
  EXPECT_GT(accepted, 100u);
}

}  // namespace
}  // namespace regent::raft
