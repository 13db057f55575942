// How long a member's storage takes to recover its log: DiskStorage::open() of a data directory
// whose log holds `segments` segments of the default 64 MiB, the newest one filled to
// `fill_pct` percent of its size with 256-byte entries (the older ones full, as a roll leaves
// them: cut to their written size). The directory is written once, before timing; every
// iteration then opens it afresh and closes it, reading from the page cache as a member
// restarted after kill -9 does. Counters: MiB of log data, entries recovered.
//
//   build/release/regent_storage_microbench --benchmark_filter=Recover
#include <benchmark/benchmark.h>

#include <cstdint>
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
constexpr size_t kEntriesPerSave = 4096;  // About 1 MiB per save: few syncs while filling.

// Saves entries until the log holds about `bytes` of them; returns how many it saved.
Expected<uint64_t, Failure> fill_log(DiskStorage& storage, uint64_t bytes) {
  std::vector<raft::Entry> batch(kEntriesPerSave);
  for (raft::Entry& e : batch) {
    e.term = 1;
    e.data.assign(kEntryBytes, 'x');
  }
  const uint64_t saves = bytes / (kEntriesPerSave * (kEntryBytes + 16)) + 1;
  raft::Index last = storage.last_index();
  for (uint64_t i = 0; i < saves; ++i) {
    for (raft::Entry& e : batch) e.index = ++last;
    auto saved = storage.save(batch, raft::HardState{.term = 1, .commit = last}, std::nullopt);
    if (!saved) return unexpected(saved.error());
  }
  return saves * kEntriesPerSave;
}

void BM_RecoverLog(benchmark::State& state) {
  const auto segments = static_cast<uint64_t>(state.range(0));
  const auto fill_pct = static_cast<uint64_t>(state.range(1));
  const uint64_t segment_bytes = Options{}.segment_bytes;
  ScratchDir dir("recover");
  const std::string member = dir.path() + "/member";
  PosixFs fs;
  NullLogger logger;
  uint64_t entries = 0;
  {
    auto opened = DiskStorage::open(fs, member, Options{}, logger);
    if (!opened) return state.SkipWithError(("open: " + opened.error().message).c_str());
    auto filled =
        fill_log(**opened, (segments - 1) * segment_bytes + segment_bytes * fill_pct / 100);
    if (!filled) return state.SkipWithError(("save: " + filled.error().message).c_str());
    entries = *filled;
    if ((*opened)->recovery().segments > segments) {
      return state.SkipWithError("filled more segments than asked");
    }
  }
  for (auto _ : state) {
    auto opened = DiskStorage::open(fs, member, Options{}, logger);
    if (!opened) return state.SkipWithError(("reopen: " + opened.error().message).c_str());
    benchmark::DoNotOptimize((*opened)->last_index());
  }
  state.counters["entries"] = static_cast<double>(entries);
  state.counters["log_MiB"] = static_cast<double>(entries * (kEntryBytes + 16)) / (1 << 20);
}
BENCHMARK(BM_RecoverLog)
    ->ArgNames({"segments", "fill_pct"})
    ->Args({1, 1})
    ->Args({1, 50})
    ->Args({3, 10})
    ->MinTime(1.0)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace regent::storage
