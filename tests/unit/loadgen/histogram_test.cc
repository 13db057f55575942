#include "loadgen/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <vector>

namespace regent::loadgen {
namespace {

// The sample at rank ceil(p/100 * n) of the sorted samples: what percentile_ns() estimates.
int64_t exact_percentile(std::vector<int64_t> sorted, double p) {
  const double exact_rank = p / 100.0 * static_cast<double>(sorted.size());
  auto rank = static_cast<size_t>(std::ceil(exact_rank * (1 - 1e-12)));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

TEST(HistogramTest, EmptyHistogramReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile_ns(50), 0);
  EXPECT_EQ(h.percentile_ns(100), 0);
  EXPECT_EQ(h.max_ns(), 0);
  EXPECT_EQ(h.min_ns(), 0);
  EXPECT_EQ(h.mean_ns(), 0.0);
}

TEST(HistogramTest, BucketsCoverEveryValueWithBoundedWidth) {
  size_t previous = 0;
  // Every value up to 4096 and then a geometric walk to the top of the range.
  for (int64_t v = 0; v <= Histogram::kHighestNs; v = v < 4096 ? v + 1 : v + v / 97) {
    SCOPED_TRACE(v);
    const size_t i = Histogram::bucket_of(v);
    ASSERT_LT(i, Histogram::bucket_count());
    ASSERT_GE(i, previous);  // Monotonic.
    previous = i;
    const int64_t low = Histogram::bucket_low(i);
    const int64_t width = Histogram::bucket_width(i);
    ASSERT_LE(low, v);
    ASSERT_LT(v, low + width);
    if (low >= 256) {
      ASSERT_LE(width * 128, low);  // 1/128 of the bucket's lower bound.
    }
  }
  EXPECT_EQ(Histogram::bucket_of(Histogram::kHighestNs), Histogram::bucket_count() - 1);
  // Constant memory: about four thousand counters for the whole 1 µs .. 100 s range.
  EXPECT_LT(Histogram::bucket_count(), 4096u);
}

struct Distribution {
  const char* name;
  std::function<int64_t(std::mt19937_64&)> draw;
};

TEST(HistogramTest, PercentilesOfKnownDistributionsAreWithinTheStatedError) {
  const std::vector<Distribution> cases = {
      {"uniform 1us..100ms",
       [](std::mt19937_64& g) {
         return std::uniform_int_distribution<int64_t>(1'000, 100'000'000)(g);
       }},
      {"log-uniform 1us..100s",
       [](std::mt19937_64& g) {
         return static_cast<int64_t>(
             std::exp(std::uniform_real_distribution<double>(std::log(1e3), std::log(1e11))(g)));
       }},
      {"exponential mean 2ms",
       [](std::mt19937_64& g) {
         return 1'000 + static_cast<int64_t>(std::exponential_distribution<double>(1 / 2e6)(g));
       }},
      {"bimodal 300us / 40ms",
       [](std::mt19937_64& g) {
         if (std::bernoulli_distribution(0.9)(g)) {
           return std::max<int64_t>(
               1'000, static_cast<int64_t>(std::normal_distribution<double>(3e5, 2e4)(g)));
         }
         return std::uniform_int_distribution<int64_t>(40'000'000, 45'000'000)(g);
       }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::mt19937_64 g(42);
    Histogram h;
    std::vector<int64_t> samples;
    for (int i = 0; i < 100'000; ++i) {
      samples.push_back(c.draw(g));
      h.record(samples.back());
    }
    std::sort(samples.begin(), samples.end());
    for (double p : {0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
      SCOPED_TRACE(p);
      const auto exact = static_cast<double>(exact_percentile(samples, p));
      const auto got = static_cast<double>(h.percentile_ns(p));
      // Half a bucket: 1/256 of the value (the promise is 1/128).
      EXPECT_LE(std::abs(got - exact), exact / 256) << got << " vs " << exact;
    }
    EXPECT_EQ(h.max_ns(), samples.back());
    EXPECT_EQ(h.min_ns(), samples.front());
    EXPECT_EQ(h.count(), samples.size());
  }
}

TEST(HistogramTest, MaxMinAndMeanAreExact) {
  Histogram h;
  for (int64_t v : {123'456'789, 1'001, 2'000'003, 77'777}) h.record(v);
  EXPECT_EQ(h.max_ns(), 123'456'789);
  EXPECT_EQ(h.min_ns(), 1'001);
  EXPECT_EQ(h.percentile_ns(100), 123'456'789);
  EXPECT_DOUBLE_EQ(h.mean_ns(), (123'456'789.0 + 1'001 + 2'000'003 + 77'777) / 4);
}

TEST(HistogramTest, ValuesOutsideTheRangeAreClampedAndCounted) {
  Histogram h;
  h.record(10);               // Below 1 µs.
  h.record(500'000'000'000);  // 500 s, above 100 s.
  h.record(5'000'000);
  EXPECT_EQ(h.count(), 3u);
  EXPECT_EQ(h.below_range(), 1u);
  EXPECT_EQ(h.above_range(), 1u);
  // The max stays exact; percentiles are of clamped values (within [min, max]).
  EXPECT_EQ(h.max_ns(), 500'000'000'000);
  EXPECT_EQ(h.min_ns(), 10);
  const int64_t p99 = h.percentile_ns(99);
  EXPECT_LE(p99, Histogram::kHighestNs + Histogram::kHighestNs / 256);
  EXPECT_GE(p99, Histogram::kHighestNs - Histogram::kHighestNs / 256);
  const int64_t p1 = h.percentile_ns(1);
  EXPECT_GE(p1, 10);
  EXPECT_LE(p1, Histogram::kLowestNs + Histogram::kLowestNs / 256);
}

TEST(HistogramTest, MergeEqualsRecordingEverything) {
  std::mt19937_64 g(7);
  Histogram a, b, all;
  for (int i = 0; i < 10'000; ++i) {
    const int64_t v = std::uniform_int_distribution<int64_t>(0, 2'000'000'000)(g);
    (i % 3 == 0 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  a.merge(Histogram{});  // An empty histogram changes nothing.
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.max_ns(), all.max_ns());
  EXPECT_EQ(a.min_ns(), all.min_ns());
  EXPECT_EQ(a.below_range(), all.below_range());
  EXPECT_DOUBLE_EQ(a.mean_ns(), all.mean_ns());
  for (double p : {50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(a.percentile_ns(p), all.percentile_ns(p));
  Histogram empty;
  empty.merge(all);
  EXPECT_EQ(empty.min_ns(), all.min_ns());
}

}  // namespace
}  // namespace regent::loadgen
