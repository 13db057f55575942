// The run's request budget and clock, shared by every reactor of a run.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "loadgen/reactor.h"

namespace regent::loadgen {

// How many requests may still start. take() hands out request numbers 0, 1, 2, ... (sequential
// keys follow them) until the limit (total mode) or forever (duration mode: the deadline ends the
// run). A failed request that did not take a number (a lease grant, a broken stream) is
// charge()d instead, so that in total mode even a run where nothing succeeds ends.
class Budget {
 public:
  explicit Budget(std::optional<uint64_t> limit) : limit_(limit) {}

  std::optional<uint64_t> take() {
    const uint64_t n = next_.fetch_add(1, std::memory_order_relaxed);
    if (limit_ && n >= *limit_) return std::nullopt;
    return n;
  }
  void charge() { next_.fetch_add(1, std::memory_order_relaxed); }
  bool exhausted() const { return limit_ && next_.load(std::memory_order_relaxed) >= *limit_; }

 private:
  std::optional<uint64_t> limit_;
  std::atomic<uint64_t> next_{0};
};

// Time 0 of the measured run and, in duration mode, its end. Set before any reactor starts and
// never changed while they run.
struct RunClock {
  Clock::time_point start = Clock::now();
  Clock::time_point deadline = Clock::time_point::max();

  bool has_deadline() const { return deadline != Clock::time_point::max(); }
  bool past_deadline(Clock::time_point t) const { return t >= deadline; }
};

}  // namespace regent::loadgen
