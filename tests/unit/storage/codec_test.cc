// Payload encodings and the snapshot file format: round trips and refusal of malformed bytes.
#include "storage/codec.h"

#include <gtest/gtest.h>

namespace regent::storage {
namespace {

TEST(CodecTest, EntriesRoundTrip) {
  for (const raft::Entry& e :
       {raft::Entry{.term = 1, .index = 1},
        raft::Entry{.term = 7,
        .index = raft::kMaxIndex,
        .type = raft::EntryType::kConfChange,
        .data = std::string("\0\1\2", 3)},
        raft::Entry{.term = 300, .index = 5, .data = std::string(5000, 'd')}}) {
    auto decoded = decode_entry(encode_entry(e));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, e);
    EXPECT_EQ(peek_entry_index(encode_entry(e)), e.index);
  }
}

TEST(CodecTest, MalformedEntriesAreRefused) {
  EXPECT_FALSE(decode_entry(""));
  EXPECT_FALSE(decode_entry(encode_entry({.term = 1, .index = 0})));  // No entry has index 0.
  std::string bad_type = encode_entry({.term = 1, .index = 1});
  bad_type[2] = 9;
  EXPECT_FALSE(decode_entry(bad_type));
}

TEST(CodecTest, HardStatesMarksAndHeadersRoundTripAndRejectTrailingBytes) {
  const raft::HardState hs{.term = 9, .vote = 3, .commit = 1234567};
  EXPECT_EQ(decode_hard_state(encode_hard_state(hs)), hs);
  EXPECT_FALSE(decode_hard_state(encode_hard_state(hs) + "x"));
  const SnapshotMark mark{.index = 100, .term = 4, .replaces_log = true};
  EXPECT_EQ(decode_snapshot_mark(encode_snapshot_mark(mark)), mark);
  EXPECT_FALSE(decode_snapshot_mark(encode_snapshot_mark(mark).substr(1)));
  const SegmentHeader h{.seq = 3, .first_index = 77, .snapshot_index = 50, .snapshot_term = 2};
  EXPECT_EQ(decode_segment_header(encode_segment_header(h)), h);
  SegmentHeader future = h;
  future.version = 2;
  EXPECT_FALSE(decode_segment_header(encode_segment_header(future)));
}

raft::Snapshot sample_snapshot() {
  raft::Snapshot s;
  s.data = "the state machine";
  s.metadata.index = 42;
  s.metadata.term = 5;
  s.metadata.conf_state.voters = {1, 2, 3};
  s.metadata.conf_state.learners = {9};
  s.metadata.conf_state.voters_outgoing = {1, 2, 4};
  s.metadata.conf_state.auto_leave = true;
  return s;
}

TEST(CodecTest, SnapshotFilesRoundTrip) {
  const raft::Snapshot s = sample_snapshot();
  auto decoded = decode_snapshot_file(encode_snapshot_file(s));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().what;
  EXPECT_EQ(*decoded, s);
}

TEST(CodecTest, DamagedSnapshotFilesSayWhatIsWrong) {
  const std::string good = encode_snapshot_file(sample_snapshot());
  std::string flipped = good;
  flipped[good.size() - 3] ^= 1;
  auto a = decode_snapshot_file(flipped);
  ASSERT_FALSE(a.has_value());
  EXPECT_NE(a.error().what.find("checksum mismatch"), std::string::npos) << a.error().what;
  auto b = decode_snapshot_file(good.substr(0, good.size() - 1));
  ASSERT_FALSE(b.has_value());
  auto c = decode_snapshot_file("RGSNAP02" + good.substr(8));
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().what, "bad magic");
  EXPECT_FALSE(decode_snapshot_file("RG").has_value());
}

}  // namespace
}  // namespace regent::storage
