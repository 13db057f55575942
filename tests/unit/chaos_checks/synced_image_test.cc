// The power nemesis's model of a power loss: a child process writes under the preload library
// (coreutils' dd and sync, perl, which call libc as any member does), then the data
// directory is rolled back to its synced image and must hold exactly what POSIX promises.
#include "synced/synced_image.h"

#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace regent::chaos::synced {
namespace {

namespace fs = std::filesystem;

class SyncedImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("regent-synced-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    data_ = (root_ / "data").string();
    image_ = (root_ / "image").string();
    ASSERT_TRUE(seed(data_, image_).has_value());
  }
  void TearDown() override { fs::remove_all(root_); }

  // Runs `script` under /bin/sh with the library preloaded and $D the data directory.
  void run_preloaded(const std::string& script) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
    env.push_back(std::string("LD_PRELOAD=") + REGENT_UNSYNCED_LOSS_LIBRARY);
    env.push_back(std::string(kDataDirVariable) + "=" + data_);
    env.push_back(std::string(kImageDirVariable) + "=" + image_);
    env.push_back("D=" + data_);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string sh = "/bin/sh", c = "-c", body = "set -e\n" + script;
    char* argv[] = {sh.data(), c.data(), body.data(), nullptr};
    pid_t pid = 0;
    ASSERT_EQ(::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv, envp.data()), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << script;
  }

  std::string contents(const std::string& name) const {
    std::ifstream in(data_ + "/" + name, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  bool exists(const std::string& name) const { return fs::exists(data_ + "/" + name); }

  fs::path root_;
  std::string data_;
  std::string image_;
};

TEST_F(SyncedImageTest, APowerLossKeepsWhatWasSyncedAndNothingElse) {
  run_preloaded(R"(
    printf synced-a | dd of="$D/a" conv=fsync status=none
    printf XX | dd of="$D/a" conv=notrunc status=none
    printf unsynced-b | dd of="$D/b" status=none
    sync "$D"
    mkdir "$D/sub"
    printf c | dd of="$D/sub/c" conv=fsync status=none
    printf e | dd of="$D/e" conv=fsync status=none
  )");
  ASSERT_EQ(contents("a"), "XXnced-a");  // Before the power loss: the page cache.
  ASSERT_TRUE(restore(image_, data_).has_value());
  EXPECT_EQ(contents("a"), "synced-a") << "an unsynced overwrite survived";
  EXPECT_TRUE(exists("b")) << "a name its directory synced was lost";
  EXPECT_EQ(contents("b"), "") << "data never synced survived";
  EXPECT_FALSE(exists("sub")) << "a directory whose parent never synced survived";
  EXPECT_FALSE(exists("e")) << "a name whose directory never synced survived";
}

TEST_F(SyncedImageTest, BytesCutOffAndGrownBackReadAsZeros) {
  // One process (perl, which Debian always has): the library tracks a process's own writes.
  run_preloaded(R"(
    printf 0123456789 | dd of="$D/t" conv=fsync status=none
    sync "$D"
    perl -e 'open(my $f, "+<", "$ENV{D}/t") or die; truncate($f, 4) or die;
             truncate($f, 10) or die; use IO::Handle; $f->sync or die;'
  )");
  ASSERT_TRUE(restore(image_, data_).has_value());
  EXPECT_EQ(contents("t"), std::string("0123") + std::string(6, '\0'));
}

TEST_F(SyncedImageTest, WhatWasThereAtTheStartCountsAsSynced) {
  fs::create_directories(data_ + "/member/wal");
  std::ofstream(data_ + "/member/wal/0.wal") << "log";
  ASSERT_TRUE(seed(data_, image_).has_value());
  EXPECT_FALSE(observed(image_)) << "nothing has synced under the library yet";
  run_preloaded(R"(
    printf more | dd of="$D/member/wal/0.wal" conv=notrunc oflag=append status=none
    printf new | dd of="$D/member/wal/1.wal" conv=fsync status=none
    sync "$D/member/wal"
  )");
  EXPECT_TRUE(observed(image_));
  ASSERT_TRUE(restore(image_, data_).has_value());
  EXPECT_EQ(contents("member/wal/0.wal"), "log");
  EXPECT_EQ(contents("member/wal/1.wal"), "new");
}

TEST_F(SyncedImageTest, RestoringWithoutAnImageIsRefused) {
  fs::remove_all(image_);
  auto r = restore(image_, data_);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("never seeded"), std::string::npos) << r.error();
  EXPECT_TRUE(fs::exists(data_)) << "the data directory was removed without an image";
}

}  // namespace
}  // namespace regent::chaos::synced
