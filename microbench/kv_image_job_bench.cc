// How long a snapshot holds writes off: the store's image at once (Store::image(), the whole
// time under the state machine's lock) against an ImageJob in steps (image_job.h).
//
// Stores of N keys (the argument), one 256-byte value each, keys "key/000000123". Counters:
//   Time            the whole job, steps and sealing (what the background thread spends)
//   longest_step_us the longest single step: the longest an apply can wait behind the job
//   longest_step_cpu_us  the same in the stepping thread's CPU time (without preemption)
//   steps           how many steps the job took
// BM_ImageJobBesideAWriter also runs a writer thread that puts as fast as it can under the
// exclusive side of a std::shared_mutex, with each step under the shared side, as
// StateMachine does, compacting every 50,000 puts; longest_put_wait_us is the longest any put
// waited for the lock, and puts_during_job how many got in while the jobs ran. BM_ImageAtOnce's
// time is the pause a snapshot caused before ImageJob.
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>

#include "fmt/format.h"
#include "kv/store.h"

namespace regent::kv {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kValueBytes = 256;
constexpr int64_t kPutsPerCompaction = 50'000;

std::string key_of(int64_t i) { return fmt::format("key/{:09}", i); }

// Building 500k keys takes seconds: one store per size, shared by the benchmarks.
Store& store_of(int64_t keys) {
  static std::map<int64_t, std::unique_ptr<Store>> stores;
  std::unique_ptr<Store>& s = stores[keys];
  if (s == nullptr) {
    s = std::make_unique<Store>();
    for (int64_t i = 0; i < keys; ++i) {
      (void)s->put({.key = key_of(i), .value = std::string(kValueBytes, 'v')});
    }
  }
  return *s;
}

double micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

void BM_ImageAtOnce(benchmark::State& state) {
  const Store& store = store_of(state.range(0));
  size_t bytes = 0;
  for (auto _ : state) {
    std::string image = store.image();
    bytes = image.size();
    benchmark::DoNotOptimize(image);
  }
  state.counters["image_MB"] = static_cast<double>(bytes) / 1e6;
}

// This thread's CPU time: unlike the wall clock, it leaves out the time the thread was
// descheduled, which on a shared machine says more about the neighbours than about a step.
Clock::duration thread_cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec);
}

struct JobFigures {
  Clock::duration longest_step{};      // Wall clock.
  Clock::duration longest_step_cpu{};  // This thread's CPU.
  int64_t steps = 0;
  size_t bytes = 0;

  void add_to(JobFigures& worst) const {
    worst.longest_step = std::max(worst.longest_step, longest_step);
    worst.longest_step_cpu = std::max(worst.longest_step_cpu, longest_step_cpu);
    worst.steps = steps;
    worst.bytes = bytes;
  }
  void report(benchmark::State& state) const {
    state.counters["longest_step_us"] = micros(longest_step);
    state.counters["longest_step_cpu_us"] = micros(longest_step_cpu);
    state.counters["steps"] = static_cast<double>(steps);
    state.counters["image_MB"] = static_cast<double>(bytes) / 1e6;
  }
};

// Runs one job on `store`, each step under `mu` held shared, as StateMachine does.
JobFigures run_job(Store& store, std::shared_mutex& mu) {
  ImageJob job = [&] {
    std::unique_lock lock(mu);
    return store.begin_image();
  }();
  JobFigures f;
  for (ImageJob::Progress p = ImageJob::Progress::kMore; p == ImageJob::Progress::kMore;) {
    job.prepare_step();
    std::shared_lock lock(mu);
    const auto start = Clock::now();
    const auto start_cpu = thread_cpu_now();
    p = job.step(store);
    f.longest_step_cpu = std::max(f.longest_step_cpu, thread_cpu_now() - start_cpu);
    f.longest_step = std::max(f.longest_step, Clock::now() - start);
    ++f.steps;
  }
  f.bytes = job.take().size();
  return f;
}

void BM_ImageJob(benchmark::State& state) {
  Store& store = store_of(state.range(0));
  std::shared_mutex mu;
  JobFigures worst;
  for (auto _ : state) run_job(store, mu).add_to(worst);
  worst.report(state);
}

void BM_ImageJobBesideAWriter(benchmark::State& state) {
  Store& store = store_of(state.range(0));
  std::shared_mutex mu;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> puts{0};
  Clock::duration longest_wait{};  // Written by the writer only; read after join().
  std::thread writer([&] {
    for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      const auto asked = Clock::now();
      std::unique_lock lock(mu);
      longest_wait = std::max(longest_wait, Clock::now() - asked);
      (void)store.put({.key = key_of(i % state.range(0)), .value = std::string(kValueBytes, 'w')});
      // Compacting now and then, as a cluster does, keeps the store near its nominal size and
      // has compaction hand records over to the running job.
      if (i % kPutsPerCompaction == kPutsPerCompaction - 1) {
        (void)store.compact({.revision = store.revision()});
      }
      puts.fetch_add(1, std::memory_order_relaxed);
    }
  });
  JobFigures worst;
  const int64_t puts_before = puts.load();
  for (auto _ : state) run_job(store, mu).add_to(worst);
  const int64_t puts_during = puts.load() - puts_before;
  stop = true;
  writer.join();
  (void)store.compact({.revision = store.revision()});  // For the next benchmark.
  worst.report(state);
  state.counters["longest_put_wait_us"] = micros(longest_wait);
  state.counters["puts_during_job"] = static_cast<double>(puts_during);
}

BENCHMARK(BM_ImageAtOnce)->Arg(100'000)->Arg(500'000)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_ImageJob)->Arg(100'000)->Arg(500'000)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_ImageJobBesideAWriter)
    ->Arg(100'000)
    ->Arg(500'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();

}  // namespace
}  // namespace regent::kv
