// What writing a snapshot file does to the log's fdatasync beside it: one thread appends 4 KiB to
// a log file and fdatasyncs it, over and over, as a member's loop does under load, while the
// benchmark writes a snapshot-sized file (`mib` MiB) and syncs it, either as one write and one
// sync (arg 0: a burst, as snapshots were written before) or through write_file_atomically
// (arg 1: in steps whose writeback starts as each is written). Counters: the longest and the
// 99th-percentile log fdatasync while the file was written, and the median before it began.
//
//   build/release/regent_storage_microbench --benchmark_filter=SnapshotWriteback
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/fs.h"
#include "storage/posix_fs.h"
#include "storage_bench_dir.h"

namespace regent::storage {
namespace {

using Clock = std::chrono::steady_clock;

// The log's side: 4 KiB pwrite + fdatasync in a loop, each sync's duration recorded (ms).
class LogSyncer {
 public:
  LogSyncer(Fs& fs, const std::string& path) {
    auto opened = fs.open(path, OpenMode::kCreate);
    if (opened) file_ = std::move(*opened);
  }
  bool ok() const { return file_ != nullptr && !failed_; }
  void start() {
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Durations recorded from index `from` on.
  std::vector<double> since(size_t from) {
    std::lock_guard lock(mu_);
    return {millis_.begin() + static_cast<ptrdiff_t>(std::min(from, millis_.size())),
            millis_.end()};
  }
  size_t count() {
    std::lock_guard lock(mu_);
    return millis_.size();
  }

 private:
  void run() {
    const std::string block(4096, 'l');
    uint64_t offset = 0;
    // Bounded: a benchmark iteration lasts seconds, far fewer than this many syncs.
    for (int i = 0; i < 1'000'000 && !stop_; ++i) {
      const Clock::time_point began = Clock::now();
      if (!file_->write_at(offset, block) || !file_->sync()) {
        failed_ = true;
        return;
      }
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - began).count();
      std::lock_guard lock(mu_);
      millis_.push_back(ms);
      offset = (offset + block.size()) % (64 << 20);
    }
  }

  std::unique_ptr<File> file_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  std::mutex mu_;
  std::vector<double> millis_;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

void BM_SnapshotWriteback(benchmark::State& state) {
  const bool stepped = state.range(0) == 1;
  const auto mib = static_cast<uint64_t>(state.range(1));
  ScratchDir dir("snapshot-writeback");
  PosixFs fs;
  const std::string image(mib << 20, 's');
  LogSyncer log(fs, dir.path() + "/log");
  if (!log.ok()) return state.SkipWithError("cannot open the log file");
  log.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const std::vector<double> before = log.since(0);
  std::vector<double> during;
  for (auto _ : state) {
    const size_t from = log.count();
    if (stepped) {
      if (!write_file_atomically(fs, dir.path(), "image.snap", image)) {
        return state.SkipWithError("write_file_atomically failed");
      }
    } else {
      auto file = fs.open(dir.path() + "/burst.snap", OpenMode::kCreate);
      if (!file || !(*file)->write_at(0, image) || !(*file)->sync()) {
        return state.SkipWithError("the burst write failed");
      }
    }
    const std::vector<double> these = log.since(from);
    during.insert(during.end(), these.begin(), these.end());
  }
  log.stop();
  if (!log.ok()) return state.SkipWithError("the log's write or sync failed");
  state.counters["log_sync_max_ms"] = percentile(during, 1.0);
  state.counters["log_sync_p99_ms"] = percentile(during, 0.99);
  state.counters["log_sync_p50_before_ms"] = percentile(before, 0.5);
  state.counters["log_syncs_during"] = static_cast<double>(during.size());
  state.SetLabel(describe_mount(dir.path()));
}

// 145 MiB: the image of 500,000 keys of 256 bytes, the store of the stall row.
BENCHMARK(BM_SnapshotWriteback)
    ->ArgNames({"stepped", "mib"})
    ->Args({0, 145})
    ->Args({1, 145})
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace regent::storage
