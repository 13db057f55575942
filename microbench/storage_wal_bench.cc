// Appends per second and append latency of the write-ahead log, next to the raw fdatasync rate of
// the same disk, measured the same way in the same directory.
//
// BM_WalSave/N: one iteration is one DiskStorage::save() of N entries of 256 bytes with the next
// consecutive indexes and the hard state {term 1, commit = last index}: one Raft round's write and
// its group commit. Each save's latency is timed with steady_clock; the counters are
//   entries/s, batches/s   over wall time (UseRealTime: the time is spent waiting for the disk)
//   p50_us, p99_us         save() latency
//   syncs/batch            every sync DiskStorage did (WAL, directories, new segments) per save
//   wal_syncs/batch        fdatasync()s of WAL segments per save: the group commit keeps it at 1
// BM_RawFdatasync/P: pwrite() of 256 bytes at increasing offsets, fdatasync() after each, in a
// file prepared as P says: 0 = fallocate()d, as the WAL prepares its segments (the first write
// into each block also records that the block now holds data); 1 = already written with zeros
// and synced (plain overwrites: the disk's own limit). Counters syncs/s, p50_us, p99_us.
// batches/s of BM_WalSave divided by syncs/s of BM_RawFdatasync/0 is how close the log runs to
// what the disk allows for one durable write at a time.
//
// The data directory is $REGENT_BENCH_DIR, or bench-data/ in the build tree: on the disk a log
// would use, where /tmp may be a tmpfs that makes fdatasync free. The program prints the
// directory and its file system, and removes what it created.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/logger.h"
#include "raft/types.h"
#include "storage/disk_storage.h"
#include "storage/posix_fs.h"
#include "storage_bench_dir.h"

namespace regent::storage {
namespace {

constexpr size_t kEntryBytes = 256;
constexpr uint64_t kRawFileBytes = 64ull << 20;  // Wraps around after 262,144 writes.
constexpr double kMinSeconds = 2.0;              // Per benchmark run; the whole program < 1 min.

using Clock = std::chrono::steady_clock;

// Save latencies of one run, in nanoseconds.
class Latencies {
 public:
  void reserve(size_t n) { ns_.reserve(n); }
  void add(Clock::duration d) {
    ns_.push_back(static_cast<uint64_t>(std::chrono::nanoseconds(d).count()));
  }
  // The q-quantile (0 < q < 1) in microseconds, nearest rank.
  double quantile_us(double q) {
    if (ns_.empty()) return 0;
    const size_t rank = std::min(ns_.size() - 1, static_cast<size_t>(q * ns_.size()));
    std::nth_element(ns_.begin(), ns_.begin() + static_cast<std::ptrdiff_t>(rank), ns_.end());
    return static_cast<double>(ns_[rank]) / 1000.0;
  }

 private:
  std::vector<uint64_t> ns_;
};

void report_latencies(benchmark::State& state, Latencies& latencies) {
  state.counters["p50_us"] = latencies.quantile_us(0.50);
  state.counters["p99_us"] = latencies.quantile_us(0.99);
}

void BM_WalSave(benchmark::State& state) {
  const auto batch = static_cast<size_t>(state.range(0));
  ScratchDir dir("wal");
  PosixFs fs;
  NullLogger logger;
  auto opened = DiskStorage::open(fs, dir.path() + "/member", Options{}, logger);
  if (!opened) {
    state.SkipWithError(("open: " + opened.error().message).c_str());
    return;
  }
  DiskStorage& storage = **opened;
  const Stats before = storage.stats();

  std::vector<raft::Entry> entries(batch);
  for (raft::Entry& e : entries) {
    e.term = 1;
    e.data.assign(kEntryBytes, 'x');
  }
  raft::Index last = storage.last_index();
  Latencies latencies;
  latencies.reserve(state.max_iterations);
  for (auto _ : state) {
    for (raft::Entry& e : entries) e.index = ++last;
    const raft::HardState hs{.term = 1, .commit = last};
    const Clock::time_point start = Clock::now();
    auto saved = storage.save(entries, hs, std::nullopt);
    latencies.add(Clock::now() - start);
    if (!saved) {
      state.SkipWithError(("save: " + saved.error().message).c_str());
      return;
    }
  }

  const Stats after = storage.stats();
  const auto batches = static_cast<double>(state.iterations());
  const double wal_syncs = static_cast<double>(after.wal_syncs - before.wal_syncs);
  const double other_syncs = static_cast<double>(after.other_syncs - before.other_syncs);
  state.counters["entries/s"] =
      benchmark::Counter(batches * static_cast<double>(batch), benchmark::Counter::kIsRate);
  state.counters["batches/s"] = benchmark::Counter(batches, benchmark::Counter::kIsRate);
  report_latencies(state, latencies);
  state.counters["syncs/batch"] = (wal_syncs + other_syncs) / batches;
  state.counters["wal_syncs/batch"] = wal_syncs / batches;
}
BENCHMARK(BM_WalSave)
    ->ArgName("entries")
    ->Arg(1)
    ->Arg(16)
    ->Arg(256)
    ->UseRealTime()
    ->MinTime(kMinSeconds)
    ->Unit(benchmark::kMicrosecond);

enum RawFile : int64_t {
  kFallocated = 0,  // As the WAL prepares a segment.
  kWritten = 1,     // Zeros written and synced first: overwrites only.
};

void BM_RawFdatasync(benchmark::State& state) {
  ScratchDir dir("raw");
  const std::string path = dir.path() + "/raw.data";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    state.SkipWithError(("open " + path).c_str());
    return;
  }
  bool ready = false;
  if (state.range(0) == kFallocated) {
    ready = ::posix_fallocate(fd, 0, kRawFileBytes) == 0;
  } else {
    const std::string zeros(1 << 20, '\0');
    ready = true;
    for (uint64_t at = 0; ready && at < kRawFileBytes; at += zeros.size()) {
      ready = ::pwrite(fd, zeros.data(), zeros.size(), static_cast<off_t>(at)) ==
              static_cast<ssize_t>(zeros.size());
    }
  }
  if (!ready || ::fsync(fd) != 0) {
    ::close(fd);
    state.SkipWithError("preparing the file failed");
    return;
  }

  const std::string record(kEntryBytes, 'x');
  uint64_t offset = 0;
  Latencies latencies;
  latencies.reserve(state.max_iterations);
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    const bool ok = ::pwrite(fd, record.data(), record.size(), static_cast<off_t>(offset)) ==
                        static_cast<ssize_t>(record.size()) &&
                    ::fdatasync(fd) == 0;
    latencies.add(Clock::now() - start);
    if (!ok) {
      state.SkipWithError("pwrite or fdatasync failed");
      break;
    }
    offset = (offset + record.size()) % kRawFileBytes;
  }
  ::close(fd);
  state.counters["syncs/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  report_latencies(state, latencies);
}
BENCHMARK(BM_RawFdatasync)
    ->ArgName("written")
    ->Arg(kFallocated)
    ->Arg(kWritten)
    ->UseRealTime()
    ->MinTime(kMinSeconds)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace regent::storage

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const std::string root = regent::storage::bench_root();
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) {
    std::fprintf(stderr, "cannot create %s: %s\n", root.c_str(), ec.message().c_str());
    return 1;
  }
  const std::string where = regent::storage::describe_mount(root);
  std::printf("storage bench directory: %s, %s\n", root.c_str(), where.c_str());
  benchmark::AddCustomContext("bench_dir", root);
  benchmark::AddCustomContext("bench_fs", where);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
