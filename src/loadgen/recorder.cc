#include "loadgen/recorder.h"

#include <algorithm>

#include "common/assert.h"
#include "loadgen/status_text.h"

namespace regent::loadgen {

Gap GapClock::note(Clock::time_point done) {
  const int64_t now = ns(done);
  int64_t last = last_ns_.load(std::memory_order_relaxed);
  // Bounded: each failed exchange means another thread moved the mark forward, and it only
  // moves toward `now`.
  while (now > last) {
    if (last_ns_.compare_exchange_weak(last, now, std::memory_order_relaxed)) {
      return Gap{std::chrono::nanoseconds(now - last),
                 Clock::time_point(std::chrono::nanoseconds(last))};
    }
  }
  return Gap{};
}

Clock::time_point GapClock::last() const {
  return Clock::time_point(std::chrono::nanoseconds(last_ns_.load()));
}

void Recorder::success(Clock::duration latency, Clock::time_point done) {
  latency_.record(std::chrono::duration_cast<std::chrono::nanoseconds>(latency).count());
  ok_.fetch_add(1, std::memory_order_relaxed);
  last_completion_ = std::max(last_completion_, done);
  const Gap gap = gaps_->note(done);
  if (gap.length > longest_gap_.length) longest_gap_ = gap;
}

void Recorder::failure(const grpc::Status& status, Clock::time_point done) {
  REGENT_ASSERT(!status.ok(), "an OK status is not a failure");
  failure(status_text(status), done);
}

void Recorder::failure(const std::string& what, Clock::time_point done) {
  errors_.fetch_add(1, std::memory_order_relaxed);
  last_completion_ = std::max(last_completion_, done);
  if (auto it = errors_by_status_.find(what); it != errors_by_status_.end()) {
    ++it->second;
  } else if (errors_by_status_.size() < kMaxDistinctErrors) {
    errors_by_status_.emplace(what, 1);
  } else {
    ++errors_by_status_[kOtherErrors];
  }
}

}  // namespace regent::loadgen
