// Finding the range watchers of a batch of events: kv::WatcherGroup's interval tree against the
// scan the watch hub did before it (every range watcher tests every event), with 10, 1,000 and
// 10,000 range watchers. Each watches 100 keys of a million at a seeded random place, so an
// event lands in about watchers / 10,000 ranges: the matches stay few and the cost of the
// lookup is what is measured. Items are events.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "common/prng.h"
#include "kv/key_range.h"
#include "kv/watcher_group.h"

namespace {

constexpr uint64_t kKeySpace = 1'000'000;
constexpr uint64_t kRangeWidth = 100;
constexpr int kBatchEvents = 64;

std::string key_of(uint64_t i) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "key%08llu", static_cast<unsigned long long>(i));
  return buffer;
}

struct Watched {
  std::string key;
  std::string range_end;
};

std::vector<Watched> range_watchers(int64_t count) {
  regent::Prng prng(7);
  std::vector<Watched> out;
  for (int64_t i = 0; i < count; ++i) {
    const uint64_t begin = prng.uniform(kKeySpace - kRangeWidth);
    out.push_back(Watched{key_of(begin), key_of(begin + kRangeWidth)});
  }
  return out;
}

std::vector<regent::kv::Event> event_batch() {
  regent::Prng prng(11);
  std::vector<regent::kv::Event> events(kBatchEvents);
  for (size_t i = 0; i < events.size(); ++i) {
    events[i].kv.key = key_of(prng.uniform(kKeySpace));
    events[i].kv.mod_revision = static_cast<int64_t>(i) + 1;
  }
  return events;
}

// The old way: each range watcher looks at every event of the batch.
void BM_RangeWatchersByScan(benchmark::State& state) {
  const std::vector<Watched> watched = range_watchers(state.range(0));
  std::vector<regent::kv::KeyRange> ranges;
  for (const Watched& w : watched)
    ranges.push_back(regent::kv::KeyRange::checked(w.key, w.range_end));
  const std::vector<regent::kv::Event> events = event_batch();
  std::vector<const regent::kv::Event*> mine;
  size_t matched = 0;
  for (auto _ : state) {
    matched = 0;
    for (const regent::kv::KeyRange& range : ranges) {
      mine.clear();
      for (const regent::kv::Event& e : events) {
        if (range.contains(e.kv.key)) mine.push_back(&e);
      }
      matched += mine.size();
      benchmark::DoNotOptimize(mine.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBatchEvents);
  state.counters["matches_per_batch"] = static_cast<double>(matched);
}

// The group: a stab of its interval tree per event.
void BM_RangeWatchersByIntervalTree(benchmark::State& state) {
  const std::vector<Watched> watched = range_watchers(state.range(0));
  regent::kv::WatcherGroup group;
  for (size_t i = 0; i < watched.size(); ++i) group.add(i, watched[i].key, watched[i].range_end);
  const std::vector<regent::kv::Event> events = event_batch();
  size_t matched = 0;
  for (auto _ : state) {
    matched = 0;
    for (const auto& m : group.match(events)) matched += m.watchers.size() * m.events.size();
    benchmark::DoNotOptimize(matched);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBatchEvents);
  state.counters["matches_per_batch"] = static_cast<double>(matched);
}

BENCHMARK(BM_RangeWatchersByScan)->Arg(10)->Arg(1000)->Arg(10000);
BENCHMARK(BM_RangeWatchersByIntervalTree)->Arg(10)->Arg(1000)->Arg(10000);

}  // namespace
