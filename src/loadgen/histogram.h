// A log-linear latency histogram (HdrHistogram's layout): constant memory, bounded relative error.
//
// Values are nanoseconds. Below 256 ns every value has its own bucket; above, each power of two
// is split into 128 equal buckets, so a bucket is at most 1/128 of its lower bound wide, and a
// percentile reported as its bucket's midpoint is within 1/256 of the true sample at that rank.
// Recorded values are clamped to [kLowestNs, kHighestNs] (1 µs to 100 s) and the clamped ones are
// counted; min, max and mean are exact (taken from the raw values, never clamped).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace regent::loadgen {

class Histogram {
 public:
  static constexpr int64_t kLowestNs = 1'000;
  static constexpr int64_t kHighestNs = 100'000'000'000;
  static constexpr int kSubBucketBits = 7;  // 128 buckets per power of two.

  Histogram();

  void record(int64_t ns);
  void merge(const Histogram& other);

  uint64_t count() const { return count_; }
  uint64_t below_range() const { return below_range_; }
  uint64_t above_range() const { return above_range_; }
  int64_t min_ns() const { return count_ ? min_ns_ : 0; }
  int64_t max_ns() const { return count_ ? max_ns_ : 0; }
  double mean_ns() const;

  // The sample of rank ceil(p/100 * count) (p in [0, 100]), as its bucket's midpoint clamped to
  // [min, max]; 0 for an empty histogram. p = 100 is the exact max.
  int64_t percentile_ns(double p) const;

  // Bucket arithmetic, exposed for tests: index of a (clamped) value, and a bucket's bounds.
  static size_t bucket_of(int64_t ns);
  static int64_t bucket_low(size_t index);
  static int64_t bucket_width(size_t index);
  static size_t bucket_count();

 private:
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  uint64_t below_range_ = 0;
  uint64_t above_range_ = 0;
  int64_t min_ns_ = 0;
  int64_t max_ns_ = 0;
  // The exact sum; a long double keeps full precision far beyond any run's sample count.
  long double sum_ns_ = 0;
};

}  // namespace regent::loadgen
