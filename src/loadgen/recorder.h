// What the reactors of one poller thread observed: successes with their latency, errors by
// status, and the longest time the whole run went without a success.
//
// Invariants:
//  - A Recorder is written only by its poller thread. ok() and errors() are atomics, so the
//    controller may read them for the progress line at any time; everything else is read only
//    after the pollers stopped.
//  - A success is one latency sample; an error is never one.
//  - errors_by_status() holds at most kMaxDistinctErrors kinds plus kOtherErrors, where every
//    later kind is tallied (messages may carry addresses or ids): memory stays bounded.
#pragma once

#include <grpcpp/support/status.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "loadgen/histogram.h"
#include "loadgen/reactor.h"

namespace regent::loadgen {

// The longest stretch between two successes, across every thread.
struct Gap {
  Clock::duration length{0};
  Clock::time_point started{};
};

// The shared mark of the last success. Each success moves it forward (never back) and reports
// the stretch it closed; the longest such stretch is the run's longest gap.
class GapClock {
 public:
  explicit GapClock(Clock::time_point start) : last_ns_(ns(start)) {}
  void reset(Clock::time_point start) { last_ns_.store(ns(start)); }
  // The gap closed by a success at `done`: zero length if another success came later already.
  Gap note(Clock::time_point done);
  Clock::time_point last() const;

 private:
  static int64_t ns(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  }
  std::atomic<int64_t> last_ns_;
};

class Recorder {
 public:
  static constexpr size_t kMaxDistinctErrors = 64;
  static constexpr const char* kOtherErrors = "(other errors)";

  explicit Recorder(GapClock* gaps) : gaps_(gaps) {}

  void success(Clock::duration latency, Clock::time_point done);
  void failure(const grpc::Status& status, Clock::time_point done);
  void failure(const std::string& what, Clock::time_point done);

  uint64_t ok() const { return ok_.load(std::memory_order_relaxed); }
  uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }
  const Histogram& latency() const { return latency_; }
  const std::map<std::string, uint64_t>& errors_by_status() const { return errors_by_status_; }
  const Gap& longest_gap() const { return longest_gap_; }
  // The last completion of any outcome; the epoch when there was none.
  Clock::time_point last_completion() const { return last_completion_; }

 private:
  GapClock* gaps_;
  std::atomic<uint64_t> ok_{0};
  std::atomic<uint64_t> errors_{0};
  Histogram latency_;
  std::map<std::string, uint64_t> errors_by_status_;
  Gap longest_gap_;
  Clock::time_point last_completion_{};
};

}  // namespace regent::loadgen
