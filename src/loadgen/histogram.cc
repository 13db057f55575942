#include "loadgen/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "common/assert.h"

namespace regent::loadgen {

namespace {

constexpr uint64_t kSubBuckets = uint64_t{1} << Histogram::kSubBucketBits;  // 128
// Values below 2 * kSubBuckets (256) index themselves: buckets of width 1.
constexpr uint64_t kExactLimit = 2 * kSubBuckets;

}  // namespace

size_t Histogram::bucket_of(int64_t ns) {
  REGENT_ASSERT(ns >= 0, "negative value {}", ns);
  const auto v = static_cast<uint64_t>(ns);
  if (v < kExactLimit) return v;
  const int shift = std::bit_width(v) - 1 - kSubBucketBits;  // >= 1
  // (v >> shift) is in [128, 256): the top 8 bits. Octave `shift` starts at index 128 * (shift +
  // 1).
  return static_cast<size_t>(static_cast<uint64_t>(shift) * kSubBuckets + (v >> shift));
}

int64_t Histogram::bucket_low(size_t index) {
  if (index < kExactLimit) return static_cast<int64_t>(index);
  const uint64_t shift = index / kSubBuckets - 1;
  const uint64_t sub = index - shift * kSubBuckets;  // in [128, 256)
  return static_cast<int64_t>(sub << shift);
}

int64_t Histogram::bucket_width(size_t index) {
  if (index < kExactLimit) return 1;
  return int64_t{1} << (index / kSubBuckets - 1);
}

size_t Histogram::bucket_count() { return bucket_of(kHighestNs) + 1; }

Histogram::Histogram() : buckets_(bucket_count(), 0) {}

void Histogram::record(int64_t ns) {
  if (count_ == 0) {
    min_ns_ = ns;
    max_ns_ = ns;
  } else {
    min_ns_ = std::min(min_ns_, ns);
    max_ns_ = std::max(max_ns_, ns);
  }
  ++count_;
  sum_ns_ += static_cast<long double>(ns);
  int64_t clamped = ns;
  if (ns < kLowestNs) {
    ++below_range_;
    clamped = kLowestNs;
  } else if (ns > kHighestNs) {
    ++above_range_;
    clamped = kHighestNs;
  }
  ++buckets_[bucket_of(clamped)];
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  REGENT_ASSERT(buckets_.size() == other.buckets_.size());
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  min_ns_ = count_ ? std::min(min_ns_, other.min_ns_) : other.min_ns_;
  max_ns_ = count_ ? std::max(max_ns_, other.max_ns_) : other.max_ns_;
  count_ += other.count_;
  below_range_ += other.below_range_;
  above_range_ += other.above_range_;
  sum_ns_ += other.sum_ns_;
}

double Histogram::mean_ns() const {
  return count_ ? static_cast<double>(sum_ns_ / static_cast<long double>(count_)) : 0.0;
}

int64_t Histogram::percentile_ns(double p) const {
  if (count_ == 0) return 0;
  REGENT_ASSERT(p >= 0 && p <= 100, "percentile {} out of [0, 100]", p);
  if (p >= 100) return max_ns_;
  // The tiny nudge keeps 99.9 / 100 * 1000 (= 999.0000000000001 in binary) at rank 999.
  const double exact_rank = p / 100.0 * static_cast<double>(count_);
  const auto rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(exact_rank * (1 - 1e-12))));
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      const int64_t mid = bucket_low(i) + bucket_width(i) / 2;
      return std::clamp(mid, min_ns_, max_ns_);
    }
  }
  REGENT_PANIC("histogram holds {} samples but its buckets fewer", count_);
}

}  // namespace regent::loadgen
