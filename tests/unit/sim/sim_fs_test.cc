// The simulator's disk keeps the durability contract of storage/fs.h: a crash keeps what was
// synced, loses what was not, and a torn crash keeps only a subset of the unsynced sectors.
#include "sim/sim_fs.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <string>

namespace regent::sim {
namespace {

using storage::File;
using storage::OpenMode;

std::unique_ptr<File> create(SimFs& fs, const std::string& path) {
  auto f = fs.open(path, OpenMode::kCreate);
  EXPECT_TRUE(f.has_value()) << path;
  return std::move(*f);
}

std::string read(SimFs& fs, const std::string& path) {
  auto r = fs.read_file(path);
  EXPECT_TRUE(r.has_value()) << path << ": " << r.error().op << " " << r.error().detail;
  return r.has_value() ? *r : "";
}

// A directory with one file, whose name and content are durable.
struct Synced {
  SimFs fs;
  std::unique_ptr<File> file;
  explicit Synced(const std::string& content) {
    EXPECT_TRUE(fs.create_dirs("/d").has_value());
    file = create(fs, "/d/f");
    EXPECT_TRUE(file->write_at(0, content).has_value());
    EXPECT_TRUE(file->sync().has_value());
    EXPECT_TRUE(fs.sync_dir("/d").has_value());
  }
};

TEST(SimFs, UnsyncedWritesAreLostOnCrash) {
  Synced s("durable");
  ASSERT_TRUE(s.file->write_at(7, "+volatile").has_value());
  EXPECT_EQ(read(s.fs, "/d/f"), "durable+volatile");
  Prng prng(1);
  s.fs.crash(prng, 0);
  EXPECT_EQ(read(s.fs, "/d/f"), "durable");
}

TEST(SimFs, SyncedWritesSurviveCrash) {
  Synced s("one");
  ASSERT_TRUE(s.file->write_at(3, ",two").has_value());
  ASSERT_TRUE(s.file->sync().has_value());
  ASSERT_TRUE(s.file->truncate(2).has_value());  // Not synced: the truncation is lost.
  Prng prng(1);
  s.fs.crash(prng, 0);
  EXPECT_EQ(read(s.fs, "/d/f"), "one,two");
  EXPECT_EQ(s.fs.stats().file_syncs, 2u);
  EXPECT_EQ(s.fs.stats().dir_syncs, 1u);
}

TEST(SimFs, NameOperationsNeedTheirDirectorySynced) {
  Synced s("x");
  ASSERT_TRUE(s.fs.rename("/d/f", "/d/g").has_value());
  auto created = create(s.fs, "/d/new");
  ASSERT_TRUE(created->sync().has_value());  // The data is durable, the name is not.
  EXPECT_EQ(*s.fs.list("/d"), (std::vector<std::string>{"g", "new"}));
  Prng prng(1);
  s.fs.crash(prng, 0);
  EXPECT_EQ(*s.fs.list("/d"), (std::vector<std::string>{"f"}));
  EXPECT_EQ(read(s.fs, "/d/f"), "x");

  // Synced, the same operation stays.
  ASSERT_TRUE(s.fs.rename("/d/f", "/d/g").has_value());
  ASSERT_TRUE(s.fs.sync_dir("/d").has_value());
  s.fs.crash(prng, 0);
  EXPECT_EQ(*s.fs.list("/d"), (std::vector<std::string>{"g"}));
  EXPECT_EQ(read(s.fs, "/d/g"), "x");
}

TEST(SimFs, RemoveIsUndoneWithoutDirectorySync) {
  Synced s("kept");
  ASSERT_TRUE(s.fs.remove("/d/f").has_value());
  EXPECT_FALSE(*s.fs.exists("/d/f"));
  Prng prng(1);
  s.fs.crash(prng, 0);
  EXPECT_EQ(read(s.fs, "/d/f"), "kept");
}

TEST(SimFs, CreateReplacesTheFileOnlyInTheCurrentListing) {
  Synced s("old");
  auto fresh = create(s.fs, "/d/f");
  ASSERT_TRUE(fresh->write_at(0, "new").has_value());
  ASSERT_TRUE(fresh->sync().has_value());
  EXPECT_EQ(read(s.fs, "/d/f"), "new");
  Prng prng(1);
  s.fs.crash(prng, 0);
  EXPECT_EQ(read(s.fs, "/d/f"), "old");
}

TEST(SimFs, TornCrashKeepsOnlyUnsyncedSectorsAndEachOneWhole) {
  // Four durable sectors 'a', then every sector rewritten ('b') and four more appended ('c');
  // sector 2 is rewritten with its own content, so it never differs. A torn crash keeps each
  // differing sector whole, old or new, and over many crashes both outcomes happen.
  const uint64_t kSector = 512;
  bool saw_old = false, saw_new = false;
  for (uint64_t seed = 1; seed <= 64; ++seed) {
    Synced s(std::string(4 * kSector, 'a'));
    std::string update(8 * kSector, 'b');
    std::fill_n(update.begin() + 2 * kSector, kSector, 'a');
    std::fill(update.begin() + 4 * kSector, update.end(), 'c');
    ASSERT_TRUE(s.file->write_at(0, update).has_value());
    Prng prng(seed);
    s.fs.crash(prng, 100);
    const std::string got = read(s.fs, "/d/f");
    ASSERT_GE(got.size(), 4 * kSector);
    ASSERT_LE(got.size(), 8 * kSector);
    for (uint64_t sec = 0; sec * kSector < got.size(); ++sec) {
      SCOPED_TRACE(::testing::Message() << "seed " << seed << " sector " << sec);
      const std::string part = got.substr(sec * kSector, kSector);
      const std::string old_part = sec < 4 ? std::string(kSector, 'a') : std::string(kSector, '\0');
      const std::string new_part = update.substr(sec * kSector, kSector);
      ASSERT_TRUE(part == old_part || part == new_part);
      if (sec != 2 && sec < 4) (part == old_part ? saw_old : saw_new) = true;
    }
    // What survived is now durable: another crash changes nothing.
    s.fs.crash(prng, 100);
    EXPECT_EQ(read(s.fs, "/d/f"), got);
  }
  EXPECT_TRUE(saw_old);
  EXPECT_TRUE(saw_new);
}

TEST(SimFs, TornCrashNeverTouchesSyncedData) {
  for (uint64_t seed = 1; seed <= 32; ++seed) {
    Synced s(std::string(3000, 's'));
    ASSERT_TRUE(s.file->write_at(3000, std::string(5000, 'u')).has_value());
    Prng prng(seed);
    s.fs.crash(prng, 100);
    const std::string got = read(s.fs, "/d/f");
    ASSERT_EQ(got.substr(0, 3000), std::string(3000, 's')) << "seed " << seed;
  }
}

TEST(SimFs, TornDirectoryKeepsTheUnsyncedNames) {
  bool kept = false, reverted = false;
  for (uint64_t seed = 1; seed <= 32; ++seed) {
    Synced s("x");
    ASSERT_TRUE(s.fs.rename("/d/f", "/d/g").has_value());
    Prng prng(seed);
    s.fs.crash(prng, 50);
    const auto names = *s.fs.list("/d");
    ASSERT_EQ(names.size(), 1u);  // A rename within a directory is atomic.
    (names[0] == "g" ? kept : reverted) = true;
  }
  EXPECT_TRUE(kept);
  EXPECT_TRUE(reverted);
}

TEST(SimFs, AllocateCostsNoMemory) {
  SimFs fs;
  auto f = create(fs, "/big");
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(f->allocate(1ull << 30).has_value());
  ASSERT_TRUE(f->write_at(0, "head").has_value());
  ASSERT_TRUE(f->sync().has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(*f->size(), 1ull << 30);
  EXPECT_LE(fs.stored_bytes(), 8u);
  // Allocation never shrinks, and truncation reads back zeros beyond the old content.
  ASSERT_TRUE(f->allocate(10).has_value());
  EXPECT_EQ(*f->size(), 1ull << 30);
  ASSERT_TRUE(f->truncate(2).has_value());
  ASSERT_TRUE(f->truncate(6).has_value());
  EXPECT_EQ(read(fs, "/big"), std::string("he\0\0\0\0", 6));
}

TEST(SimFs, UnsyncedAllocationIsLostOnCrash) {
  Synced s("abc");
  ASSERT_TRUE(s.file->allocate(4096).has_value());
  EXPECT_EQ(*s.file->size(), 4096u);
  Prng prng(1);
  s.fs.crash(prng, 100);
  auto f = s.fs.open("/d/f", OpenMode::kExisting);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(*(*f)->size(), 3u);
}

TEST(SimFs, HandlesFromBeforeACrashFail) {
  Synced s("x");
  Prng prng(1);
  s.fs.crash(prng, 0);
  for (auto r :
       {s.file->write_at(0, "y"), s.file->sync(), s.file->truncate(0), s.file->allocate(10)}) {
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, EIO);
    EXPECT_EQ(r.error().detail, "crashed");
  }
  EXPECT_FALSE(s.file->size().has_value());
  EXPECT_EQ(s.fs.stats().stale_handle_calls, 5u);
  EXPECT_EQ(read(s.fs, "/d/f"), "x");
  // A new handle works.
  auto f = s.fs.open("/d/f", OpenMode::kExisting);
  ASSERT_TRUE(f.has_value());
  EXPECT_TRUE((*f)->write_at(1, "y").has_value());
}

TEST(SimFs, LockIsExclusiveUntilReleasedOrCrashed) {
  SimFs fs;
  ASSERT_TRUE(fs.create_dirs("/data").has_value());
  auto first = fs.lock("/data/LOCK");
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(*fs.exists("/data/LOCK"));
  auto second = fs.lock("/data/LOCK");
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, EWOULDBLOCK);
  EXPECT_FALSE(second.error().detail.empty());
  first->reset();
  auto third = fs.lock("/data/LOCK");
  ASSERT_TRUE(third.has_value());

  // A crash releases the lock; the dead holder's handle must not release its successor's.
  Prng prng(1);
  fs.crash(prng, 0);
  auto after_crash = fs.lock("/data/LOCK");
  ASSERT_TRUE(after_crash.has_value());
  third->reset();
  EXPECT_FALSE(fs.lock("/data/LOCK").has_value());
}

TEST(SimFs, InjectedFaultsFailOnceAndChangeNothing) {
  Synced s("abc");
  s.fs.fail_next(FsOp::kWrite, ENOSPC);
  auto w = s.file->write_at(3, "def");
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().code, ENOSPC);
  EXPECT_EQ(w.error().op, "write");
  EXPECT_EQ(read(s.fs, "/d/f"), "abc");
  ASSERT_TRUE(s.file->write_at(3, "def").has_value());  // Only the next one failed.

  s.fs.fail_next(FsOp::kSync, EIO);
  auto sync = s.file->sync();
  ASSERT_FALSE(sync.has_value());
  EXPECT_EQ(sync.error().code, EIO);
  EXPECT_EQ(s.fs.stats().file_syncs, 1u);  // The failed sync made nothing durable.
  Prng prng(1);
  s.fs.crash(prng, 0);
  EXPECT_EQ(read(s.fs, "/d/f"), "abc");

  s.fs.fail_next(FsOp::kSyncDir, EIO);
  EXPECT_FALSE(s.fs.sync_dir("/d").has_value());
  EXPECT_TRUE(s.fs.sync_dir("/d").has_value());
}

TEST(SimFs, PathsAndErrors) {
  SimFs fs;
  ASSERT_TRUE(fs.create_dirs("/a/b/c").has_value());
  ASSERT_TRUE(fs.create_dirs("/a/b").has_value());  // Existing: fine.
  EXPECT_TRUE(*fs.exists("a/b/"));
  EXPECT_EQ(*fs.list("/a"), (std::vector<std::string>{"b"}));
  create(fs, "/a/b/file");
  EXPECT_EQ(*fs.list("/a/b"), (std::vector<std::string>{"c", "file"}));
  EXPECT_EQ(fs.open("/a/missing", OpenMode::kExisting).error().code, ENOENT);
  EXPECT_EQ(fs.open("/nowhere/x", OpenMode::kCreate).error().code, ENOENT);
  EXPECT_EQ(fs.read_file("/a/b").error().code, EISDIR);
  EXPECT_EQ(fs.create_dirs("/a/b/file/x").error().code, ENOTDIR);
  EXPECT_EQ(fs.remove("/a/b").error().code, ENOTEMPTY);
  EXPECT_EQ(fs.rename("/a/b/nope", "/a/b/x").error().code, ENOENT);
  EXPECT_TRUE(fs.remove("/a/b/c").has_value());
  EXPECT_FALSE(*fs.exists("/a/b/c"));
}

}  // namespace
}  // namespace regent::sim
