// PosixFs against the real disk, in a fresh temporary directory per test. The lock and the
// "file too large" failure need a second process, so those tests fork; every child is waited for
// with a time bound and killed if it overstays.
#include "storage/posix_fs.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace regent::storage {
namespace {

class PosixFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/regent-posix-fs-XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr) << "mkdtemp " << templ << ": errno " << errno;
    dir_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string path(std::string_view name) const { return join_path(dir_, name); }

  std::unique_ptr<File> create(std::string_view name) {
    auto f = fs_.open(path(name), OpenMode::kCreate);
    EXPECT_TRUE(f.has_value()) << f.error().message();
    return f ? std::move(*f) : nullptr;
  }

  std::string read(std::string_view name) {
    auto r = fs_.read_file(path(name));
    EXPECT_TRUE(r.has_value()) << r.error().message();
    return r ? *r : std::string();
  }

  PosixFs fs_;
  std::string dir_;
};

// Runs body in a forked child and returns its exit code, or -1 if it did not exit normally
// within the bound (it is then killed). The child leaves with _exit(): no gtest teardown, no
// atexit handlers of the parent's.
int run_in_child(const std::function<int()>& body,
                 std::chrono::milliseconds bound = std::chrono::seconds(10)) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) ::_exit(body());
  const auto deadline = std::chrono::steady_clock::now() + bound;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(PosixFsTest, WriteReadRoundTrip) {
  auto f = create("a");
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->write_at(0, "hello, "));
  ASSERT_TRUE(f->write_at(7, "world"));
  ASSERT_TRUE(f->sync());
  EXPECT_EQ(f->size().value(), 12u);
  EXPECT_EQ(read("a"), "hello, world");
  // Overwriting in the middle keeps the rest.
  ASSERT_TRUE(f->write_at(0, "HELLO"));
  EXPECT_EQ(read("a"), "HELLO, world");
}

TEST_F(PosixFsTest, LargeWriteRoundTrip) {
  std::string data(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31 + i / 7);
  auto f = create("big");
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->write_at(0, data));
  EXPECT_EQ(read("big"), data);
}

TEST_F(PosixFsTest, AFileLargerThanAWritebackStepIsWrittenAtomicallyAndWhole) {
  // Two whole steps and a ragged third: every step boundary is crossed.
  std::string data(2 * kWritebackStep + 4099, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 + i / 4093);
  ASSERT_TRUE(write_file_atomically(fs_, dir_, "whole", data));
  EXPECT_EQ(read("whole"), data);
  EXPECT_FALSE(fs_.exists(path("whole.tmp")).value()) << "the temporary file was left behind";
  // Replacing it with a small file leaves the small one only.
  ASSERT_TRUE(write_file_atomically(fs_, dir_, "whole", "small"));
  EXPECT_EQ(read("whole"), "small");
}

TEST_F(PosixFsTest, WriteBeyondSizeFillsGapWithZeros) {
  auto f = create("a");
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->write_at(0, "ab"));
  ASSERT_TRUE(f->write_at(10, "xy"));
  EXPECT_EQ(f->size().value(), 12u);
  EXPECT_EQ(read("a"), std::string("ab") + std::string(8, '\0') + "xy");
}

TEST_F(PosixFsTest, AllocateGrowsWithZerosAndNeverShrinks) {
  auto f = create("a");
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->write_at(0, "abc"));
  ASSERT_TRUE(f->allocate(8192));
  EXPECT_EQ(f->size().value(), 8192u);
  EXPECT_EQ(read("a"), "abc" + std::string(8189, '\0'));
  ASSERT_TRUE(f->allocate(100));  // Already larger: a no-op.
  EXPECT_EQ(f->size().value(), 8192u);
  // Writes inside the reserved range do not change the size.
  ASSERT_TRUE(f->write_at(4000, "x"));
  EXPECT_EQ(f->size().value(), 8192u);
}

// Whether the file system under dir reports holes: a file extended by ftruncate is one hole.
bool reports_holes(const std::string& file) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  const bool holes = ::ftruncate(fd, 1 << 20) == 0 && ::lseek(fd, 0, SEEK_HOLE) == 0;
  ::close(fd);
  return holes;
}

// The written part's promise, on any file system: its bytes are the file's first bytes, and
// every byte after them is zero.
void expect_written_part_of(const WrittenPart& part, const std::string& whole) {
  EXPECT_EQ(part.size, whole.size());
  ASSERT_LE(part.bytes.size(), whole.size());
  EXPECT_EQ(part.bytes, whole.substr(0, part.bytes.size()));
  EXPECT_EQ(whole.find_first_not_of('\0', part.bytes.size()), std::string::npos);
}

TEST_F(PosixFsTest, TheWrittenPartOfAnAllocatedFileEndsBeforeItsUnwrittenBlocks) {
  constexpr uint64_t kSize = 1 << 20;
  auto f = create("a");
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->allocate(kSize));
  ASSERT_TRUE(f->write_at(0, "abc"));
  auto part = fs_.read_written_part(path("a"));
  ASSERT_TRUE(part.has_value()) << part.error().message();
  expect_written_part_of(*part, read("a"));
  EXPECT_GE(part->bytes.size(), 3u);
  if (reports_holes(path("probe"))) {
    EXPECT_LE(part->bytes.size(), 64u << 10) << "read the unwritten blocks too";
  }
}

TEST_F(PosixFsTest, AFileWithDataAfterAHoleIsReadWhole) {
  auto f = create("a");
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->allocate(1 << 20));
  ASSERT_TRUE(f->write_at(0, "ab"));
  ASSERT_TRUE(f->write_at(512 << 10, "xy"));  // Past a hole: a torn write's later sector.
  auto part = fs_.read_written_part(path("a"));
  ASSERT_TRUE(part.has_value()) << part.error().message();
  EXPECT_EQ(part->bytes, read("a"));
  EXPECT_EQ(part->size, 1u << 20);
}

TEST_F(PosixFsTest, AFullyWrittenFileIsItsOwnWrittenPart) {
  auto f = create("a");
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->write_at(0, std::string(10000, 'z')));
  auto part = fs_.read_written_part(path("a"));
  ASSERT_TRUE(part.has_value()) << part.error().message();
  EXPECT_EQ(part->bytes, std::string(10000, 'z'));
  EXPECT_EQ(part->size, 10000u);
}

TEST_F(PosixFsTest, TruncateShrinksAndExtendsWithZeros) {
  auto f = create("a");
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->write_at(0, "abcdef"));
  ASSERT_TRUE(f->truncate(2));
  EXPECT_EQ(read("a"), "ab");
  ASSERT_TRUE(f->truncate(5));
  EXPECT_EQ(read("a"), std::string("ab") + std::string(3, '\0'));
  EXPECT_EQ(f->size().value(), 5u);
}

TEST_F(PosixFsTest, CreateReplacesAnExistingFile) {
  ASSERT_TRUE(create("a")->write_at(0, "old contents"));
  auto f = create("a");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->size().value(), 0u);
  EXPECT_EQ(read("a"), "");
}

TEST_F(PosixFsTest, OpenExistingKeepsContents) {
  ASSERT_TRUE(create("a")->write_at(0, "kept"));
  auto f = fs_.open(path("a"), OpenMode::kExisting);
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ((*f)->size().value(), 4u);
  ASSERT_TRUE((*f)->write_at(4, "!"));
  EXPECT_EQ(read("a"), "kept!");
}

TEST_F(PosixFsTest, RenameReplacesTarget) {
  ASSERT_TRUE(create("from")->write_at(0, "new"));
  ASSERT_TRUE(create("to")->write_at(0, "old"));
  ASSERT_TRUE(fs_.rename(path("from"), path("to")));
  ASSERT_TRUE(fs_.sync_dir(dir_));
  EXPECT_EQ(read("to"), "new");
  EXPECT_FALSE(fs_.exists(path("from")).value());
}

TEST_F(PosixFsTest, ListIsSortedAndSkipsDotEntries) {
  for (const char* name : {"b", "c", "a", "0001-01.wal"}) ASSERT_TRUE(create(name));
  ASSERT_TRUE(fs_.create_dirs(path("sub")));
  auto names = fs_.list(dir_);
  ASSERT_TRUE(names) << names.error().message();
  EXPECT_EQ(*names, (std::vector<std::string>{"0001-01.wal", "a", "b", "c", "sub"}));
  EXPECT_EQ(fs_.list(path("sub")).value(), std::vector<std::string>{});
}

TEST_F(PosixFsTest, RemoveAndExists) {
  EXPECT_FALSE(fs_.exists(path("a")).value());
  ASSERT_TRUE(create("a"));
  EXPECT_TRUE(fs_.exists(path("a")).value());
  EXPECT_TRUE(fs_.exists(dir_).value());
  ASSERT_TRUE(fs_.remove(path("a")));
  EXPECT_FALSE(fs_.exists(path("a")).value());
  auto again = fs_.remove(path("a"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().op, "unlink");
  EXPECT_EQ(again.error().code, ENOENT);
}

TEST_F(PosixFsTest, CreateDirsNestedAndIdempotent) {
  const std::string nested = path("x/y/z");
  ASSERT_TRUE(fs_.create_dirs(nested));
  EXPECT_TRUE(std::filesystem::is_directory(nested));
  ASSERT_TRUE(fs_.create_dirs(nested));          // Existing: fine.
  ASSERT_TRUE(fs_.create_dirs(path("x/y/w/")));  // A trailing slash: fine.
  EXPECT_TRUE(std::filesystem::is_directory(path("x/y/w")));
  ASSERT_TRUE(fs_.sync_dir(path("x/y")));
}

TEST_F(PosixFsTest, CreateDirsOverAFileFails) {
  ASSERT_TRUE(create("file"));
  auto over = fs_.create_dirs(path("file"));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ENOTDIR);
  auto under = fs_.create_dirs(path("file/sub"));
  ASSERT_FALSE(under);
  EXPECT_EQ(under.error().code, ENOTDIR);
  EXPECT_EQ(under.error().op, "mkdir");
}

TEST_F(PosixFsTest, ErrorsCarryOpPathAndErrno) {
  const std::string missing = path("missing");
  auto f = fs_.open(missing, OpenMode::kExisting);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().op, "open");
  EXPECT_EQ(f.error().path, missing);
  EXPECT_EQ(f.error().code, ENOENT);
  EXPECT_EQ(f.error().message(), "open " + missing + ": No such file or directory");

  auto r = fs_.read_file(missing);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENOENT);
  EXPECT_NE(r.error().message().find(missing), std::string::npos);

  auto l = fs_.list(missing);
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().op, "opendir");
  EXPECT_EQ(l.error().code, ENOENT);

  auto mv = fs_.rename(missing, path("elsewhere"));
  ASSERT_FALSE(mv);
  EXPECT_EQ(mv.error().code, ENOENT);
  EXPECT_EQ(mv.error().message(),
            "rename " + missing + ": No such file or directory (to " + path("elsewhere") + ")");

  auto sd = fs_.sync_dir(missing);
  ASSERT_FALSE(sd);
  EXPECT_EQ(sd.error().code, ENOENT);
}

TEST(IoErrorTest, MessageNamesOpPathErrnoAndDetail) {
  EXPECT_EQ((IoError{"fdatasync", "/data/wal/x.wal", EIO, ""}).message(),
            "fdatasync /data/wal/x.wal: Input/output error");
  EXPECT_EQ((IoError{"lock", "/d/LOCK", EWOULDBLOCK, "held by pid 42"}).message(),
            "lock /d/LOCK: Resource temporarily unavailable (held by pid 42)");
}

TEST(JoinPathTest, NeverDoublesASlash) {
  EXPECT_EQ(join_path("a", "b"), "a/b");
  EXPECT_EQ(join_path("a/", "b"), "a/b");
  EXPECT_EQ(join_path("a/", "/b"), "a/b");
  EXPECT_EQ(join_path("/", "b"), "/b");
  EXPECT_EQ(join_path("", "b"), "b");
  EXPECT_EQ(join_path("/data/member", "wal/0001.wal"), "/data/member/wal/0001.wal");
}

TEST_F(PosixFsTest, LockWritesPidAndExcludesAnotherProcess) {
  const std::string lock_path = path("LOCK");
  auto held = fs_.lock(lock_path);
  ASSERT_TRUE(held) << held.error().message();
  EXPECT_EQ(read("LOCK"), std::to_string(::getpid()) + "\n");

  // Exit codes: 0 = refused as expected, 1 = got the lock, 2 = wrong error, 3 = wrong detail.
  const std::string want_detail = "held by pid " + std::to_string(::getpid());
  const int code = run_in_child([&] {
    PosixFs fs;
    auto second = fs.lock(lock_path);
    if (second) return 1;
    if (second.error().code != EWOULDBLOCK || second.error().op != "lock" ||
        second.error().path != lock_path) {
      return 2;
    }
    return second.error().detail == want_detail ? 0 : 3;
  });
  EXPECT_EQ(code, 0);

  // Released with the DirLock: another process can take it, and then names itself in the file.
  held->reset();
  const int after = run_in_child([&] {
    PosixFs fs;
    auto again = fs.lock(lock_path);
    if (!again) return 1;
    auto text = fs.read_file(lock_path);
    return text && *text == std::to_string(::getpid()) + "\n" ? 0 : 2;
  });
  EXPECT_EQ(after, 0);
}

TEST_F(PosixFsTest, LockHeldByDeadProcessIsFree) {
  const std::string lock_path = path("LOCK");
  // The child takes the lock and dies holding it: the kernel releases it.
  ASSERT_EQ(run_in_child([&] {
              PosixFs fs;
              auto l = fs.lock(lock_path);
              if (!l) return 1;
              (void)l->release();  // Leaked on purpose: the process's death must free it.
              return 0;
            }),
            0);
  auto mine = fs_.lock(lock_path);
  ASSERT_TRUE(mine) << mine.error().message();
}

TEST_F(PosixFsTest, WriteBeyondFileSizeLimitFailsWithEfbig) {
  const std::string file = path("limited");
  // Exit codes: 0 = EFBIG as expected, 1 = setup failed, 2 = write succeeded, 3 = other error.
  const int code = run_in_child([&] {
    ::signal(SIGXFSZ, SIG_IGN);  // Otherwise the kernel kills the process instead of failing.
    const rlimit limit{4096, 4096};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return 1;
    PosixFs fs;
    auto f = fs.open(file, OpenMode::kCreate);
    if (!f) return 1;
    if (!(*f)->write_at(0, std::string(1000, 'a'))) return 1;
    // Straddles the limit: the first part is a short write, the loop's retry gets EFBIG.
    auto w = (*f)->write_at(3000, std::string(2000, 'b'));
    if (w) return 2;
    return w.error().code == EFBIG && w.error().op == "pwrite" && w.error().path == file ? 0 : 3;
  });
  EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace regent::storage
