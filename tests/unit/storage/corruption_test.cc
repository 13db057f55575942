// What a member does with damaged files, case by case (the documented outcomes, README of
// docs/ARCHITECTURE.md "Storage"): a torn tail is cut off with a warning naming file and offset;
// a flipped bit, a segment cut mid-record before the newest, or a missing segment stop the member
// with an error naming the file, the offset and the way to recover.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "storage/codec.h"
#include "storage/disk_storage.h"
#include "storage/posix_fs.h"
#include "storage/record.h"
#include "unit/storage/storage_test_util.h"

namespace regent::storage {
namespace {

using testing::entries;
using testing::files_in;
using testing::read_all;
using testing::TempDir;
using testing::write_all;

class CapturingLogger final : public Logger {
 public:
  void log(LogLevel level, std::string_view message) override {
    if (level == LogLevel::kWarning) warnings.emplace_back(message);
  }
  std::vector<std::string> warnings;
};

class CorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.segment_bytes = 8192;
    auto s = DiskStorage::open(fs_, dir_.path(), options_, logger_);
    ASSERT_TRUE(s.has_value());
    // About 12 segments of 20-entry batches, the newest still open.
    for (raft::Index i = 1; i <= 400; i += 20) {
      ASSERT_TRUE((*s)->save(entries(i, i + 19, 1, 100), raft::HardState{.term = 1, .commit = i},
                             std::nullopt)
                      .has_value());
    }
    segments_ = files_in(dir_ / "wal");
    std::erase(segments_, "LAST");
    ASSERT_GE(segments_.size(), 4u);
  }

  Expected<std::unique_ptr<DiskStorage>, Failure> reopen() {
    return DiskStorage::open(fs_, dir_.path(), options_, logger_);
  }
  std::string segment(size_t i) const { return dir_ / ("wal/" + segments_[i]); }
  std::string newest() const { return segment(segments_.size() - 1); }

  static void expect_corrupt(const Expected<std::unique_ptr<DiskStorage>, Failure>& opened,
                             const std::vector<std::string>& words) {
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().kind, FailureKind::kCorrupt);
    for (const std::string& w : words) {
      EXPECT_NE(opened.error().message.find(w), std::string::npos)
          << "missing \"" << w << "\" in: " << opened.error().message;
    }
    // Every corruption error tells the operator the way out.
    EXPECT_NE(opened.error().message.find("catches up from the leader"), std::string::npos);
  }

  TempDir dir_;
  PosixFs fs_;
  CapturingLogger logger_;
  Options options_;
  std::vector<std::string> segments_;
};

TEST_F(CorruptionTest, ATornTailIsCutOffWithAWarningNamingFileAndOffset) {
  // A crash in the middle of the next batch: the sectors up to one boundary reached the disk,
  // the rest of the record still reads as the preallocated zeros.
  std::string bytes = read_all(newest());
  const uint64_t end = decode_segment(bytes, true).end_offset;
  std::string partial;
  append_record(partial, RecordType::kEntry, std::string(2000, 'T'));
  const uint64_t boundary = (end / kSectorBytes + 2) * kSectorBytes;
  bytes.replace(end, boundary - end, partial.substr(0, boundary - end));
  write_all(newest(), bytes);

  auto opened = reopen();
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  EXPECT_EQ((*opened)->last_index(), 400u);
  ASSERT_TRUE((*opened)->recovery().torn_tail.has_value());
  const std::string& torn = *(*opened)->recovery().torn_tail;
  EXPECT_NE(torn.find(segments_.back()), std::string::npos) << torn;
  EXPECT_NE(torn.find("offset " + std::to_string(end)), std::string::npos) << torn;
  ASSERT_FALSE(logger_.warnings.empty());
  EXPECT_NE(logger_.warnings[0].find("torn tail"), std::string::npos) << logger_.warnings[0];

  // The cut-off bytes are zeros again, so the log goes on cleanly and stays recoverable.
  ASSERT_TRUE((*opened)->save(entries(401, 405, 1), std::nullopt, std::nullopt).has_value());
  opened->reset();
  auto again = reopen();
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ((*again)->last_index(), 405u);
  EXPECT_FALSE((*again)->recovery().torn_tail.has_value());
}

TEST_F(CorruptionTest, AFlippedBitInTheMiddleOfASegmentStopsTheMember) {
  std::string bytes = read_all(segment(1));
  const uint64_t middle = decode_segment(bytes, false).end_offset / 2;
  bytes[middle] ^= 0x01;
  write_all(segment(1), bytes);
  expect_corrupt(reopen(), {segments_[1], "corrupt at offset", "checksum mismatch"});
}

TEST_F(CorruptionTest, AFlippedBitInTheNewestSegmentIsNotMistakenForATornTail) {
  std::string bytes = read_all(newest());
  const uint64_t end = decode_segment(bytes, true).end_offset;
  bytes[end / 2] ^= 0x20;
  write_all(newest(), bytes);
  expect_corrupt(reopen(), {segments_.back(), "corrupt at offset"});
}

TEST_F(CorruptionTest, AnOlderSegmentCutMidRecordStopsTheMember) {
  std::string bytes = read_all(segment(1));
  const uint64_t end = decode_segment(bytes, false).end_offset;
  std::filesystem::resize_file(segment(1), end - 40);
  expect_corrupt(reopen(), {segments_[1], "cut off by the end of the file"});
}

TEST_F(CorruptionTest, TheNewestSegmentCutMidRecordLosesOnlyThatRecord) {
  std::string bytes = read_all(newest());
  const DecodedSegment d = decode_segment(bytes, true);
  const Record& last = d.records.back();
  std::filesystem::resize_file(newest(), last.offset + kRecordHeaderBytes + 3);
  auto opened = reopen();
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  EXPECT_TRUE((*opened)->recovery().torn_tail.has_value());
  // The cut record was the batch's hard state; the entries before it survive.
  EXPECT_EQ((*opened)->last_index(), 400u);
  EXPECT_EQ((*opened)->initial_state().first.commit, 361u);
}

// Writes entry 401 with a 4 KiB value in a batch of its own (then, if later_batch, one more
// batch after a sync) and zeroes one whole sector inside that value, as a disk that lost a
// sector would. Returns the zeroed sector's offset.
class ZeroedSectorTest : public CorruptionTest {
 protected:
  uint64_t write_big_entry_and_zero_a_sector(bool later_batch) {
    {
      auto s = reopen();
      EXPECT_TRUE(s.has_value());
      EXPECT_TRUE((*s)->save(entries(401, 401, 1, 4096), raft::HardState{.term = 1, .commit = 400},
                             std::nullopt)
                      .has_value());
      if (later_batch) {
        EXPECT_TRUE((*s)->save(entries(402, 405, 1, 100), raft::HardState{.term = 1, .commit = 401},
                               std::nullopt)
                        .has_value());
      }
    }
    segments_ = files_in(dir_ / "wal");
    std::erase(segments_, "LAST");
    std::string bytes = read_all(newest());
    const DecodedSegment d = decode_segment(bytes, true);
    const auto big = std::find_if(d.records.begin(), d.records.end(),
                                  [](const Record& r) { return r.payload.size() > 4000; });
    EXPECT_NE(big, d.records.end());
    const uint64_t sector = (big->offset / kSectorBytes + 2) * kSectorBytes;
    bytes.replace(sector, kSectorBytes, kSectorBytes, '\0');
    write_all(newest(), bytes);
    return sector;
  }
};

TEST_F(ZeroedSectorTest, AZeroedSectorInASyncedRecordThatLaterWritesFollowStopsTheMember) {
  // A sector lost after the record was synced: the later batch's sync point proves the record
  // was durable, so cutting it as a torn tail would drop an entry this member acknowledged.
  write_big_entry_and_zero_a_sector(/*later_batch=*/true);
  expect_corrupt(reopen(),
                 {segments_.back(), "corrupt at offset", "sync point", "not a torn write"});
}

TEST_F(ZeroedSectorTest, AZeroedSectorInTheLastUnsyncedWriteIsATornTailAndIsCut) {
  // Nothing was synced after the record: a crash during its write, with later sectors of the
  // same write (the batch's hard state) on disk and one sector still zeros. Cut all of it.
  const uint64_t sector = write_big_entry_and_zero_a_sector(/*later_batch=*/false);
  auto opened = reopen();
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  ASSERT_TRUE((*opened)->recovery().torn_tail.has_value());
  EXPECT_LT(sector, read_all(newest()).size());
  EXPECT_EQ((*opened)->last_index(), 400u);
  // The batch's own hard state went with it: the commit is the one synced before.
  EXPECT_EQ((*opened)->initial_state().first.commit, 381u);
  ASSERT_FALSE(logger_.warnings.empty());
  EXPECT_NE(logger_.warnings.back().find("1 valid records after it"), std::string::npos)
      << logger_.warnings.back();
}

TEST_F(CorruptionTest, AHardStateCommittingPastTheLogIsKeptForTheCoreToCatchUp) {
  // Entries 391..400 vanish from the newest segment while the hard state after them, which
  // says 381 is committed, and an added one committing 400 stay: the member synced entries it no
  // longer has. Recovery keeps that commit so that the core knows (raft.h, "Lost log").
  {
    auto s = reopen();
    ASSERT_TRUE(s.has_value());
    ASSERT_TRUE(
        (*s)->save({}, raft::HardState{.term = 1, .commit = 400}, std::nullopt).has_value());
  }
  segments_ = files_in(dir_ / "wal");
  std::erase(segments_, "LAST");
  const std::string bytes = read_all(newest());
  std::string kept;
  for (const Record& r : decode_segment(bytes, true).records) {
    if (r.type == RecordType::kEntry && *peek_entry_index(r.payload) > 390) continue;
    append_record(kept, r.type, r.payload);
  }
  kept.resize(bytes.size(), '\0');
  write_all(newest(), kept);

  auto opened = reopen();
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  EXPECT_EQ((*opened)->last_index(), 390u);
  EXPECT_EQ((*opened)->initial_state().first.commit, 400u);
  ASSERT_FALSE((*opened)->recovery().warnings.empty());
  EXPECT_NE((*opened)->recovery().warnings.back().find("will not vote"), std::string::npos);
}

TEST_F(CorruptionTest, AMissingMiddleSegmentStopsTheMember) {
  std::filesystem::remove(segment(2));
  expect_corrupt(reopen(), {"is missing", segments_[1], segments_[3]});
}

TEST_F(CorruptionTest, AMissingFirstSegmentLeavesAGapBeforeTheLog) {
  std::filesystem::remove(segment(0));
  expect_corrupt(reopen(), {"entries between are missing"});
}

TEST_F(CorruptionTest, AMissingNewestSegmentLosesCommittedEntries) {
  std::filesystem::remove(newest());
  expect_corrupt(reopen(), {"is missing", "acknowledged entries were lost"});
}

TEST_F(CorruptionTest, ADamagedOnlySnapshotStopsTheMember) {
  {
    auto s = reopen();
    ASSERT_TRUE(s.has_value());
    ASSERT_TRUE((*s)->create_snapshot(300, raft::ConfState{.voters = {1}}, "image").has_value());
  }
  const std::string snap = dir_ / ("snap/" + files_in(dir_ / "snap").at(0));
  std::string bytes = read_all(snap);
  bytes[10] ^= 0x01;
  write_all(snap, bytes);
  // Older segments still hold the whole log here, so this is the one case with no way back
  // from the files alone: the mark promises a snapshot that is not intact.
  expect_corrupt(reopen(), {"no intact snapshot file"});
}

}  // namespace
}  // namespace regent::storage
