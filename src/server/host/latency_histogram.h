// A Prometheus-style histogram of durations that any thread may record into without a lock: fixed
// upper bounds chosen at construction, one atomic counter per bucket, an atomic sum.
//
// Invariants: bounds are strictly increasing and fixed for the histogram's life; every recorded
// value lands in exactly one bucket (the first whose bound is >= it, or the implicit +Inf one),
// so count() == the sum of bucket counts once recorders are quiet. Readers on other threads may
// see a snapshot that is off by the records in flight, as Prometheus' own clients allow.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace regent::server {

class LatencyHistogram {
 public:
  static constexpr size_t kBuckets = 14;

  // Bounds from `first_bound_seconds`, doubling: etcd's ExponentialBuckets(first, 2, 14). The
  // default is etcd's for etcd_disk_wal_fsync_duration_seconds (1 ms to 8.192 s); its peer
  // round-trip histogram starts at 0.1 ms.
  explicit LatencyHistogram(double first_bound_seconds = 0.001) {
    double bound = first_bound_seconds;
    for (double& b : bounds_) {
      b = bound;
      bound *= 2;
    }
  }

  void record(std::chrono::nanoseconds d) {
    const double seconds = std::chrono::duration<double>(d).count();
    size_t i = 0;
    while (i < kBuckets && seconds > bounds_[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<uint64_t>(d.count() > 0 ? d.count() : 0),
                      std::memory_order_relaxed);
  }

  const std::array<double, kBuckets>& bounds() const { return bounds_; }
  // Non-cumulative count of bucket i; i == kBuckets is the +Inf bucket.
  uint64_t bucket(size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  double sum_seconds() const {
    return static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  }

 private:
  std::array<double, kBuckets> bounds_{};
  std::array<std::atomic<uint64_t>, kBuckets + 1> counts_{};
  std::atomic<uint64_t> sum_ns_{0};
};

}  // namespace regent::server
