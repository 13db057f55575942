// steady_clock time points as gRPC deadlines. grpc::TimePoint takes only system_clock, whose
// jumps (NTP, an operator) must not move a benchmark's timers; so deadlines are given to gRPC as
// "this long from now" on its own monotonic clock.
#pragma once

#include <grpc/support/time.h>

#include <algorithm>
#include <chrono>

namespace regent::loadgen {

inline gpr_timespec grpc_deadline(std::chrono::steady_clock::time_point deadline) {
  if (deadline == std::chrono::steady_clock::time_point::max()) {
    return gpr_inf_future(GPR_CLOCK_MONOTONIC);
  }
  const auto left = std::max<std::chrono::steady_clock::duration>(
      std::chrono::steady_clock::duration::zero(), deadline - std::chrono::steady_clock::now());
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_nanos(nanos, GPR_TIMESPAN));
}

}  // namespace regent::loadgen
