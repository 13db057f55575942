// DiskStorage over the real disk: what a member gets back after a restart, the one-sync group
// commit, segment rolling, conflict truncation, snapshots, the directory lock, and failures.
#include "storage/disk_storage.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "storage/posix_fs.h"
#include "unit/storage/storage_test_util.h"

namespace regent::storage {
namespace {

using testing::entries;
using testing::files_in;
using testing::TempDir;

class DiskStorageTest : public ::testing::Test {
 protected:
  std::unique_ptr<DiskStorage> open(Options options = {}) {
    auto s = DiskStorage::open(fs_, dir_.path(), options, logger_);
    EXPECT_TRUE(s.has_value()) << s.error().message;
    return s.has_value() ? std::move(*s) : nullptr;
  }
  static Options small_segments() {
    Options o;
    o.segment_bytes = 8192;
    o.catch_up_entries = 10;
    return o;
  }
  static std::vector<raft::Entry> all_entries(const DiskStorage& s) {
    auto got = s.entries(s.first_index(), s.last_index() + 1, raft::kNoLimit);
    EXPECT_TRUE(got.has_value());
    return got.has_value() ? *got : std::vector<raft::Entry>{};
  }

  TempDir dir_;
  PosixFs fs_;
  NullLogger logger_;
};

TEST_F(DiskStorageTest, AFreshDirectoryStartsEmpty) {
  auto s = open();
  EXPECT_TRUE(s->recovery().fresh);
  EXPECT_EQ(s->first_index(), 1u);
  EXPECT_EQ(s->last_index(), 0u);
  EXPECT_TRUE(s->initial_state().first.empty());
  EXPECT_EQ(files_in(dir_ / "wal"),
            (std::vector<std::string>{"0000000000000001-0000000000000001.wal", "LAST"}));
}

TEST_F(DiskStorageTest, ADirectoryWhereNothingWasSavedIsStillFresh) {
  open().reset();  // As if the member crashed before saving its bootstrap state.
  auto s = open();
  EXPECT_TRUE(s->recovery().fresh);
  ASSERT_TRUE(s->save(entries(1, 1, 1), std::nullopt, std::nullopt).has_value());
  s.reset();
  EXPECT_FALSE(open()->recovery().fresh);
}

TEST_F(DiskStorageTest, WhatWasSavedIsWhatARestartRecovers) {
  const raft::HardState hs{.term = 3, .vote = 2, .commit = 4};
  {
    auto s = open();
    ASSERT_TRUE(s->save(entries(1, 5, 3), hs, std::nullopt).has_value());
    ASSERT_TRUE(s->save(entries(6, 9, 3), std::nullopt, std::nullopt).has_value());
  }
  auto s = open();
  EXPECT_FALSE(s->recovery().fresh);
  EXPECT_EQ(s->initial_state().first, hs);
  EXPECT_EQ(all_entries(*s), entries(1, 9, 3));
  EXPECT_EQ(s->recovery().last_index, 9u);
  EXPECT_FALSE(s->recovery().torn_tail.has_value());
}

TEST_F(DiskStorageTest, EachRoundCostsOneWalSync) {
  auto s = open();
  const uint64_t setup_syncs = s->stats().other_syncs;  // Creating the first segment.
  for (raft::Index i = 1; i <= 20; ++i) {
    ASSERT_TRUE(
        s->save({testing::entry(i, 1)}, raft::HardState{.term = 1, .commit = i - 1}, std::nullopt)
            .has_value());
  }
  EXPECT_EQ(s->stats().batches, 20u);
  EXPECT_EQ(s->stats().wal_syncs, 20u);
  EXPECT_EQ(s->stats().other_syncs, setup_syncs);  // No roll, no snapshot.
  // A round with nothing to persist costs nothing.
  ASSERT_TRUE(s->save({}, std::nullopt, std::nullopt).has_value());
  EXPECT_EQ(s->stats().wal_syncs, 20u);
}

TEST_F(DiskStorageTest, WritesAreInvisibleUntilSynced) {
  auto s = open();
  ASSERT_TRUE(s->write(entries(1, 3, 1), raft::HardState{.term = 1}, std::nullopt).has_value());
  EXPECT_EQ(s->last_index(), 0u);
  EXPECT_TRUE(s->initial_state().first.empty());
  ASSERT_TRUE(s->write(entries(4, 5, 1), std::nullopt, std::nullopt).has_value());
  ASSERT_TRUE(s->sync().has_value());
  EXPECT_EQ(s->last_index(), 5u);
  EXPECT_EQ(s->initial_state().first.term, 1u);
  EXPECT_EQ(s->stats().wal_syncs, 1u);  // Two writes, one sync: group commit.
}

TEST_F(DiskStorageTest, SegmentsRollAtTheSizeLimitAndRecoverInOrder) {
  {
    auto s = open(small_segments());
    for (raft::Index i = 1; i <= 200; i += 4) {
      ASSERT_TRUE(
          s->save(entries(i, i + 3, 2, 200), raft::HardState{.term = 2, .commit = i}, std::nullopt)
              .has_value());
    }
    EXPECT_GT(s->stats().segments_created, 5u);
  }
  auto names = files_in(dir_ / "wal");
  std::erase(names, "LAST");
  EXPECT_GT(names.size(), 5u);
  for (const auto& name : names) {
    EXPECT_LE(std::filesystem::file_size(dir_ / ("wal/" + name)), 8192u + 4096u) << name;
  }
  auto s = open(small_segments());
  EXPECT_EQ(all_entries(*s), entries(1, 200, 2, 200));
  EXPECT_EQ(s->initial_state().first.commit, 197u);
}

TEST_F(DiskStorageTest, ANewLeadersEntriesReplaceTheConflictingTailDurably) {
  {
    auto s = open();
    ASSERT_TRUE(s->save(entries(1, 10, 1), raft::HardState{.term = 1, .commit = 5}, std::nullopt)
                    .has_value());
    // Term 2's leader never had 7..10: its entries from 6 on replace them.
    ASSERT_TRUE(s->save(entries(6, 7, 2), raft::HardState{.term = 2, .commit = 5}, std::nullopt)
                    .has_value());
    EXPECT_EQ(s->last_index(), 7u);
  }
  auto s = open();
  EXPECT_EQ(s->last_index(), 7u);
  std::vector<raft::Entry> want = entries(1, 5, 1);
  for (const auto& e : entries(6, 7, 2)) want.push_back(e);
  EXPECT_EQ(all_entries(*s), want);
}

TEST_F(DiskStorageTest, SnapshotsCompactTheLogAndKeepOneOlder) {
  raft::ConfState cs;
  cs.voters = {1, 2, 3};
  {
    auto s = open(small_segments());
    raft::Index last = 0;
    for (int round = 1; round <= 3; ++round) {
      for (int k = 0; k < 40; ++k, last += 4) {
        ASSERT_TRUE(s->save(entries(last + 1, last + 4, 1, 200),
                            raft::HardState{.term = 1, .commit = last + 4}, std::nullopt)
                        .has_value());
      }
      ASSERT_TRUE(s->create_snapshot(last - 20, cs, "image " + std::to_string(round)).has_value());
    }
    EXPECT_EQ(files_in(dir_ / "snap").size(), 2u);  // The newest and one older.
    EXPECT_GT(s->stats().segments_removed, 0u);
    // The image is not held in memory (a whole store's worth): its file has it.
    EXPECT_TRUE(s->snapshot()->data.empty());
    EXPECT_EQ(s->read_snapshot(s->snapshot()->metadata)->data, "image 3");
    EXPECT_EQ(s->first_index(), 480 - 20 - 10 + 1);  // catch_up_entries = 10 kept.
  }
  auto s = open(small_segments());
  EXPECT_EQ(s->recovery().snapshot_index, 460u);
  EXPECT_TRUE(s->snapshot()->data.empty());
  EXPECT_EQ(s->take_snapshot()->data, "image 3");  // What recovery read, handed over once...
  EXPECT_EQ(s->take_snapshot()->data, "image 3");  // ...then read from the file again.
  EXPECT_EQ(s->snapshot()->metadata.conf_state, cs);
  EXPECT_EQ(s->first_index(), 461u);
  EXPECT_EQ(s->last_index(), 480u);
  EXPECT_EQ(s->initial_state().second, cs);
}

TEST_F(DiskStorageTest, ASnapshotFromTheLeaderReplacesTheLog) {
  raft::Snapshot snap;
  snap.data = "leader image";
  snap.metadata = {.conf_state = {.voters = {1, 2, 3}}, .index = 100, .term = 4};
  {
    auto s = open();
    ASSERT_TRUE(s->save(entries(1, 10, 1), raft::HardState{.term = 1, .commit = 3}, std::nullopt)
                    .has_value());
    ASSERT_TRUE(s->save({}, raft::HardState{.term = 4, .commit = 100}, snap).has_value());
    ASSERT_TRUE(s->save(entries(101, 102, 4), std::nullopt, std::nullopt).has_value());
  }
  auto s = open();
  EXPECT_EQ(s->take_snapshot()->data, "leader image");
  EXPECT_EQ(s->first_index(), 101u);
  EXPECT_EQ(all_entries(*s), entries(101, 102, 4));
  EXPECT_EQ(s->initial_state().first.commit, 100u);
}

TEST_F(DiskStorageTest, AnImageNoLongerOnDiskCannotBeReadAndSaysWhy) {
  raft::ConfState cs{.voters = {1}};
  auto s = open();
  ASSERT_TRUE(s->save(entries(1, 40, 1), raft::HardState{.term = 1, .commit = 40}, std::nullopt)
                  .has_value());
  ASSERT_TRUE(s->create_snapshot(10, cs, "at ten").has_value());
  const raft::SnapshotMetadata first = s->snapshot()->metadata;
  EXPECT_EQ(s->read_snapshot(first)->data, "at ten");
  // Two newer snapshots: only two files are kept, so the first one's is removed.
  ASSERT_TRUE(s->create_snapshot(20, cs, "at twenty").has_value());
  ASSERT_TRUE(s->create_snapshot(30, cs, "at thirty").has_value());
  auto gone = s->read_snapshot(first);
  ASSERT_FALSE(gone.has_value());
  EXPECT_NE(gone.error().message.find("000000000000000a.snap"), std::string::npos)
      << gone.error().message;
  EXPECT_EQ(s->take_snapshot()->data, "at thirty");
}

TEST_F(DiskStorageTest, ASnapshotFileTheLogNeverMarkedIsDiscarded) {
  {
    auto s = open();
    ASSERT_TRUE(s->save(entries(1, 10, 1), raft::HardState{.term = 1, .commit = 10}, std::nullopt)
                    .has_value());
  }
  // As if the member crashed after writing a leader's snapshot but before logging its mark.
  raft::Snapshot orphan;
  orphan.metadata = {.conf_state = {.voters = {1}}, .index = 50, .term = 2};
  std::filesystem::create_directories(dir_ / "snap");
  testing::write_all(dir_ / "snap/0000000000000002-0000000000000032.snap",
                     encode_snapshot_file(orphan));
  auto s = open();
  EXPECT_EQ(s->last_index(), 10u);
  EXPECT_EQ(s->recovery().snapshot_index, 0u);
  ASSERT_EQ(s->recovery().warnings.size(), 1u);
  EXPECT_NE(s->recovery().warnings[0].find("no mark"), std::string::npos);
  EXPECT_TRUE(files_in(dir_ / "snap").empty());
}

TEST_F(DiskStorageTest, ADamagedNewestSnapshotFallsBackToTheOlderOne) {
  raft::ConfState cs{.voters = {1}};
  {
    auto s = open();
    ASSERT_TRUE(s->save(entries(1, 30, 1), raft::HardState{.term = 1, .commit = 30}, std::nullopt)
                    .has_value());
    ASSERT_TRUE(s->create_snapshot(10, cs, "at ten").has_value());
    ASSERT_TRUE(s->create_snapshot(20, cs, "at twenty").has_value());
  }
  const std::string newest = dir_ / "snap/0000000000000001-0000000000000014.snap";
  std::string bytes = testing::read_all(newest);
  bytes[bytes.size() / 2] ^= 0x40;
  testing::write_all(newest, bytes);
  auto s = open();
  EXPECT_EQ(s->take_snapshot()->data, "at ten");
  EXPECT_EQ(s->first_index(), 11u);
  EXPECT_EQ(s->last_index(), 30u);
  ASSERT_FALSE(s->recovery().warnings.empty());
  EXPECT_NE(s->recovery().warnings[0].find("damaged"), std::string::npos);
}

TEST_F(DiskStorageTest, ASecondOpenOfTheSameDirectoryFailsAtOnce) {
  auto first = open();
  auto second = DiskStorage::open(fs_, dir_.path(), {}, logger_);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().kind, FailureKind::kLocked);
  EXPECT_NE(second.error().message.find("locked by another process"), std::string::npos)
      << second.error().message;
  EXPECT_NE(second.error().message.find(dir_.path()), std::string::npos);
  first.reset();
  EXPECT_TRUE(DiskStorage::open(fs_, dir_.path(), {}, logger_).has_value());
}

TEST_F(DiskStorageTest, AFailedSyncStopsTheStorageForGood) {
  testing::FailingFs fs;
  auto opened = DiskStorage::open(fs, dir_.path(), {}, logger_);
  ASSERT_TRUE(opened.has_value());
  DiskStorage& s = **opened;
  ASSERT_TRUE(s.save(entries(1, 2, 1), std::nullopt, std::nullopt).has_value());
  fs.fail_syncs_with = EIO;
  auto failed = s.save(entries(3, 4, 1), std::nullopt, std::nullopt);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().kind, FailureKind::kIo);
  EXPECT_NE(failed.error().message.find("fdatasync"), std::string::npos) << failed.error().message;
  EXPECT_NE(failed.error().message.find("member stops"), std::string::npos);
  // It names the segment by its real name, not the temporary one it was created under.
  EXPECT_EQ(failed.error().message.find(".tmp"), std::string::npos) << failed.error().message;
  EXPECT_EQ(s.last_index(), 2u);  // Nothing unsynced became visible.
  fs.fail_syncs_with = 0;         // Even if the disk recovers, the storage does not pretend to.
  EXPECT_FALSE(s.save(entries(3, 4, 1), std::nullopt, std::nullopt).has_value());
  EXPECT_TRUE(s.failure().has_value());
}

TEST_F(DiskStorageTest, ADiskFullWriteIsFatalToo) {
  testing::FailingFs fs;
  auto opened = DiskStorage::open(fs, dir_.path(), {}, logger_);
  ASSERT_TRUE(opened.has_value());
  fs.fail_writes_with = ENOSPC;
  auto failed = (*opened)->save(entries(1, 1, 1), std::nullopt, std::nullopt);
  ASSERT_FALSE(failed.has_value());
  EXPECT_NE(failed.error().message.find("No space left on device"), std::string::npos)
      << failed.error().message;
  EXPECT_TRUE((*opened)->failure().has_value());
}

TEST_F(DiskStorageTest, ImpossibleRequestsAreRefusedWithoutHarm) {
  auto s = open();
  ASSERT_TRUE(s->save(entries(1, 5, 1), std::nullopt, std::nullopt).has_value());
  auto beyond = s->create_snapshot(9, {}, "");
  ASSERT_FALSE(beyond.has_value());
  EXPECT_EQ(beyond.error().kind, FailureKind::kInvalid);
  EXPECT_FALSE(s->failure().has_value());
  EXPECT_TRUE(s->save(entries(6, 6, 1), std::nullopt, std::nullopt).has_value());

  Options bad;
  bad.keep_snapshots = 1;
  TempDir other;
  auto refused = DiskStorage::open(fs_, other.path(), bad, logger_);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, FailureKind::kInvalid);
}

}  // namespace
}  // namespace regent::storage
