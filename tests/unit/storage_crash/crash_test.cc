// Crash tests with real processes: regent-crash-writer persists the crash workload with
// DiskStorage over the real disk and reports each batch it synced; the test SIGKILLs it at random
// moments, recovers the directory in this process, and checks that every batch reported synced is
// there intact, and that nothing beyond the batch being written when it died was invented
// (crash_workload.h states exactly what may be found). Then the writer restarts on the same
// directory from the first unreported batch, as a member restarts after a crash.
//
// A SIGKILL loses nothing the kernel accepted, so these tests cannot catch a missing fdatasync
// (the simulator's disk, which drops unsynced writes, does); they catch acknowledging before the
// write, torn batches that recovery misreads, lost or invented records, recovery that breaks on
// a real crash (during a roll, a snapshot, a purge, or an earlier recovery), and the lock.
//
// The seed (REGENT_CRASH_SEED, default 1) fixes the workload and the kill delays; the moments the
// kills land still depend on the machine's timing, so a failure message names the round, the
// batches and the delay as well as the seed.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/logger.h"
#include "common/prng.h"
#include "crash/crash_workload.h"
#include "storage/disk_storage.h"
#include "storage/posix_fs.h"

#ifndef REGENT_CRASH_WRITER
#error "REGENT_CRASH_WRITER must name the regent-crash-writer binary (see CMakeLists.txt)"
#endif

namespace regent::crash {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kWriterPath = REGENT_CRASH_WRITER;
constexpr int kRounds = 30;
constexpr uint64_t kMaxRunMs = 300;
constexpr uint64_t kSegmentBytes = 64 * 1024;
// The whole test stays well under a minute: rounds stop early past this.
constexpr auto kTestBudget = std::chrono::seconds(40);
// Bounds on waiting for a process: generous, since a loaded machine may be slow to schedule it.
constexpr auto kExitBound = std::chrono::seconds(10);

uint64_t test_seed() {
  const char* env = std::getenv("REGENT_CRASH_SEED");
  uint64_t seed = 1;
  if (env != nullptr && *env != '\0') {
    const std::string_view text(env);
    std::from_chars(text.data(), text.data() + text.size(), seed);
  }
  return seed;
}

std::string read_text(const std::string& path) {
  storage::PosixFs fs;
  auto text = fs.read_file(path);
  return text ? *text : "(unreadable: " + text.error().message() + ")";
}

class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/regent-crash-XXXXXX";
    if (::mkdtemp(templ.data()) != nullptr) path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }  // Empty if mkdtemp failed.

 private:
  std::string path_;
};

// A running regent-crash-writer with its stdout in a pipe. Destroying it SIGKILLs and reaps the
// process, so that no writer outlives a failed assertion.
class WriterProcess {
 public:
  // Starts the writer with args; its stderr goes to stderr_path. Null if fork or pipe failed.
  static std::unique_ptr<WriterProcess> start(const std::vector<std::string>& args,
                                              const std::string& stderr_path) {
    std::vector<std::string> argv_storage = {kWriterPath};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);

    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return nullptr;
    const pid_t pid = ::fork();
    if (pid < 0) {
      ::close(fds[0]);
      ::close(fds[1]);
      return nullptr;
    }
    if (pid == 0) {
      // Only async-signal-safe calls until exec.
      const int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (::dup2(fds[1], STDOUT_FILENO) < 0 || err < 0 || ::dup2(err, STDERR_FILENO) < 0) {
        ::_exit(126);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    return std::unique_ptr<WriterProcess>(new WriterProcess(pid, fds[0]));
  }

  ~WriterProcess() {
    kill_and_wait();
    ::close(out_fd_);
  }
  WriterProcess(const WriterProcess&) = delete;
  WriterProcess& operator=(const WriterProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Collects complete stdout lines until deadline. False once the writer closed its stdout (it
  // exited), true if the deadline came first.
  bool read_until(Clock::time_point deadline, std::vector<std::string>& lines) {
    // Each round waits for the deadline or reads at least one byte; a bounded loop either way.
    for (;;) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return true;
      pollfd p{out_fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno != EINTR) return false;
      if (ready <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(out_fd_, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      partial_.append(buf, static_cast<size_t>(n));
      for (size_t eol; (eol = partial_.find('\n')) != std::string::npos;) {
        lines.push_back(partial_.substr(0, eol));
        partial_.erase(0, eol + 1);
      }
    }
  }

  // SIGKILL (if still running) and reap. Returns the wait status, or nullopt if the process
  // could not be reaped within the bound.
  std::optional<int> kill_and_wait() {
    if (pid_ <= 0) return status_;
    ::kill(pid_, SIGKILL);
    return wait_for_exit(Clock::now() + kExitBound);
  }

  // Waits for the process to end by itself, until deadline.
  std::optional<int> wait_for_exit(Clock::time_point deadline) {
    while (pid_ > 0) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        status_ = status;
        break;
      }
      if (r < 0 && errno != EINTR) {
        pid_ = -1;
        break;
      }
      if (Clock::now() > deadline) return std::nullopt;
      std::this_thread::sleep_for(milliseconds(1));
    }
    return status_;
  }

 private:
  WriterProcess(pid_t pid, int out_fd) : pid_(pid), out_fd_(out_fd) {}

  pid_t pid_;
  int out_fd_;
  std::string partial_;
  std::optional<int> status_;
};

std::string describe_status(const std::optional<int>& status) {
  if (!status) return "still running";
  if (WIFEXITED(*status)) return fmt::format("exited with code {}", WEXITSTATUS(*status));
  if (WIFSIGNALED(*status)) return fmt::format("killed by signal {}", WTERMSIG(*status));
  return fmt::format("wait status {}", *status);
}

// Keeps the storage's log lines, for failure messages.
class CapturingLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view message) override {
    text_ += message;
    text_ += '\n';
  }
  bool enabled(LogLevel level) const override { return level >= LogLevel::kInfo; }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

Recovered read_back(const storage::DiskStorage& s) {
  Recovered r;
  r.first_index = s.first_index();
  r.last_index = s.last_index();
  if (r.last_index >= r.first_index) {
    auto entries = s.entries(r.first_index, r.last_index + 1, raft::kNoLimit);
    if (entries) r.entries = std::move(*entries);
  }
  r.hard_state = s.initial_state().first;
  // The image is read from its file, as a restarting member reads it.
  auto held = s.snapshot();
  if (held && !held->empty()) {
    auto snapshot = s.read_snapshot(held->metadata);
    if (snapshot) r.snapshot = std::move(*snapshot);
  }
  return r;
}

std::vector<std::string> writer_args(const std::string& dir, uint64_t seed, uint64_t start) {
  return {"--dir",           dir,
          "--seed",          std::to_string(seed),
          "--start-batch",   std::to_string(start),
          "--segment-bytes", std::to_string(kSegmentBytes)};
}

// The batch number of a "synced <b>" line, or nullopt if the line is anything else.
std::optional<uint64_t> synced_batch(std::string_view line) {
  constexpr std::string_view kPrefix = "synced ";
  if (line.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  line.remove_prefix(kPrefix.size());
  uint64_t b = 0;
  const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), b);
  if (ec != std::errc() || end != line.data() + line.size()) return std::nullopt;
  return b;
}

TEST(CrashTest, SyncedBatchesSurviveSigkill) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(fmt::format("seed {} (rerun with REGENT_CRASH_SEED={})", seed, seed));
  TempDir tmp;
  ASSERT_FALSE(tmp.path().empty()) << "mkdtemp failed";
  const std::string data_dir = storage::join_path(tmp.path(), "data");
  const std::string stderr_path = storage::join_path(tmp.path(), "writer.stderr");

  Prng prng(seed);
  Workload workload(seed);
  Model model(seed);  // After every batch reported synced so far.
  Batch next = workload.next();
  storage::PosixFs fs;
  const auto test_start = Clock::now();
  int rounds = 0;
  int torn_tails = 0;      // Recoveries that cut off a torn write.
  int beyond_reports = 0;  // Recoveries that found part or all of the unreported batch.

  for (int round = 1; round <= kRounds && Clock::now() - test_start < kTestBudget; ++round) {
    const uint64_t start_batch = model.batches_applied();
    const uint64_t run_ms = prng.between(0, kMaxRunMs);
    SCOPED_TRACE(fmt::format("round {}: writer started at batch {}, killed after {} ms", round,
                             start_batch, run_ms));
    auto writer = WriterProcess::start(writer_args(data_dir, seed, start_batch), stderr_path);
    ASSERT_TRUE(writer) << "cannot start " << kWriterPath << ": errno " << errno;
    std::vector<std::string> lines;
    const bool still_running = writer->read_until(Clock::now() + milliseconds(run_ms), lines);
    const auto status = writer->kill_and_wait();
    ASSERT_TRUE(status) << "the writer (pid " << writer->pid() << ") did not die after SIGKILL";
    writer->read_until(Clock::now() + kExitBound, lines);  // What it wrote before dying.
    ASSERT_TRUE(still_running && WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL)
        << "the writer ended before it was killed: " << describe_status(status) << "; stderr:\n"
        << read_text(stderr_path);

    for (const std::string& line : lines) {
      const auto b = synced_batch(line);
      ASSERT_TRUE(b && *b == next.number)
          << "expected \"synced " << next.number << "\", the writer printed \"" << line << "\"";
      model.apply(next);
      next = workload.next();
    }

    CapturingLogger log;
    auto recovered = storage::DiskStorage::open(fs, data_dir, storage::Options{}, log);
    ASSERT_TRUE(recovered) << "recovery failed (" << storage::to_string(recovered.error().kind)
                           << "): " << recovered.error().message << "\nstorage log:\n"
                           << log.text() << "writer stderr:\n"
                           << read_text(stderr_path);
    const Recovered r = read_back(**recovered);
    const std::string wrong = check_recovered(r, model, next);
    ASSERT_EQ(wrong, "") << "the writer reported " << model.batches_applied()
                         << " batches synced; recovered: " << wrong << "\nstorage log:\n"
                         << log.text() << "writer stderr:\n"
                         << read_text(stderr_path);

    ++rounds;
    if ((*recovered)->recovery().torn_tail) ++torn_tails;
    if (r.last_index != model.last_index() || r.hard_state != model.hard_state() ||
        r.snapshot.metadata.index != model.snapshot_index()) {
      ++beyond_reports;
    }
  }

  // The test proves something only if the writer got somewhere.
  EXPECT_GE(rounds, 10) << "too few rounds in the time budget";
  EXPECT_GT(model.batches_applied(), 0u) << "no batch was ever reported synced";
  fmt::print(
      "crash test: seed {}, {} rounds, {} batches synced ({} entries, snapshot at {}), "
      "{} torn tails cut, {} recoveries found the unreported batch\n",
      seed, rounds, model.batches_applied(), model.last_index(), model.snapshot_index(), torn_tails,
      beyond_reports);
}

TEST(CrashTest, AFullDiskStopsTheWriterWithAClearErrorAndLosesNothingReported) {
  // Segments that grow as written (no preallocation) up to 256 KiB, under a 100 KiB file-size
  // limit: the write that crosses it fails as on a full disk. The writer must stop (exit 1)
  // saying why, and everything it reported as synced must still be there.
  TempDir tmp;
  ASSERT_FALSE(tmp.path().empty()) << "mkdtemp failed";
  const std::string data_dir = storage::join_path(tmp.path(), "data");
  const std::string err_path = storage::join_path(tmp.path(), "writer.stderr");
  const std::vector<std::string> args = {"--dir",
                                         data_dir,
                                         "--seed",
                                         "1",
                                         "--start-batch",
                                         "0",
                                         "--segment-bytes",
                                         std::to_string(256 * 1024),
                                         "--no-preallocate",
                                         "--file-size-limit",
                                         std::to_string(100 * 1024)};
  auto writer = WriterProcess::start(args, err_path);
  ASSERT_TRUE(writer);
  std::vector<std::string> lines;
  EXPECT_FALSE(writer->read_until(Clock::now() + kExitBound, lines))
      << "the writer was still running after " << kExitBound.count() << " s";
  const auto status = writer->wait_for_exit(Clock::now() + kExitBound);
  ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 1)
      << "writer " << describe_status(status);
  const std::string err = read_text(err_path);
  EXPECT_NE(err.find("File too large"), std::string::npos) << err;
  EXPECT_NE(err.find("the member stops"), std::string::npos) << err;
  ASSERT_FALSE(lines.empty()) << "nothing was synced before the disk filled; stderr:\n" << err;

  Workload workload(1);
  Model model(1);
  for (const std::string& line : lines) {
    const Batch batch = workload.next();
    const auto reported = synced_batch(line);
    ASSERT_TRUE(reported && *reported == batch.number) << line;
    model.apply(batch);
  }
  storage::PosixFs fs;
  CapturingLogger log;
  auto recovered = storage::DiskStorage::open(fs, data_dir, storage::Options{}, log);
  ASSERT_TRUE(recovered) << recovered.error().message;
  const std::string wrong = check_recovered(read_back(**recovered), model, workload.next());
  EXPECT_EQ(wrong, "") << "after " << model.batches_applied() << " batches reported synced";
}

TEST(CrashTest, SecondWriterOnALockedDirectoryFailsAtOnce) {
  TempDir tmp;
  ASSERT_FALSE(tmp.path().empty()) << "mkdtemp failed";
  const std::string data_dir = storage::join_path(tmp.path(), "data");
  auto first = WriterProcess::start(writer_args(data_dir, 1, 0),
                                    storage::join_path(tmp.path(), "first.stderr"));
  ASSERT_TRUE(first);
  std::vector<std::string> lines;
  // Once it reports a batch, it holds the lock.
  const auto deadline = Clock::now() + kExitBound;
  while (lines.empty() && Clock::now() < deadline) {
    if (!first->read_until(std::min(deadline, Clock::now() + milliseconds(50)), lines)) break;
  }
  ASSERT_FALSE(lines.empty()) << "the first writer reported nothing; stderr:\n"
                              << read_text(storage::join_path(tmp.path(), "first.stderr"));

  const std::string second_stderr = storage::join_path(tmp.path(), "second.stderr");
  const auto started = Clock::now();
  auto second = WriterProcess::start(writer_args(data_dir, 1, 0), second_stderr);
  ASSERT_TRUE(second);
  const auto status = second->wait_for_exit(Clock::now() + kExitBound);
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
  ASSERT_TRUE(status) << "the second writer did not give up within " << kExitBound.count()
                      << " s: the lock must fail at once, not wait";
  EXPECT_LT(took.count(), 5000) << "the second writer took " << took.count() << " ms to fail";
  ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1)
      << "second writer " << describe_status(status);
  const std::string err = read_text(second_stderr);
  EXPECT_NE(err.find("locked"), std::string::npos) << err;
  EXPECT_NE(err.find(data_dir), std::string::npos) << err;
  EXPECT_NE(err.find("held by pid " + std::to_string(first->pid())), std::string::npos) << err;

  // In-process, the same refusal as a value.
  storage::PosixFs fs;
  NullLogger log;
  auto third = storage::DiskStorage::open(fs, data_dir, storage::Options{}, log);
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().kind, storage::FailureKind::kLocked);
  EXPECT_NE(third.error().message.find("held by pid " + std::to_string(first->pid())),
            std::string::npos)
      << third.error().message;

  // The first writer was never disturbed: it is still running and reporting.
  EXPECT_TRUE(first->read_until(Clock::now() + milliseconds(20), lines));
}

}  // namespace
}  // namespace regent::crash
