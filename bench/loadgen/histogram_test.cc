#include "histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace annal::loadgen {
namespace {

// The exact q-quantile of sorted values, with the histogram's rank rule: ceil(q * n)-th smallest.
uint64_t ExactQuantile(const std::vector<uint64_t>& sorted, double q) {
  const auto rank = std::max<size_t>(1, static_cast<size_t>(std::ceil(q * sorted.size())));
  return sorted[rank - 1];
}

TEST(LatencyHistogram, EmptyReportsZeros) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0);
  EXPECT_EQ(h.ValueAtQuantile(0.5), 0u);
  EXPECT_EQ(h.ValueAtQuantile(1.0), 0u);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.ValueAtQuantile(0.5), 50u);
  EXPECT_EQ(h.ValueAtQuantile(0.99), 99u);
  EXPECT_EQ(h.ValueAtQuantile(0.999), 100u);
  EXPECT_EQ(h.ValueAtQuantile(1.0), 100u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(LatencyHistogram, BucketsTileTheWholeRangeAndAreNarrow) {
  // Consecutive buckets meet without gaps or overlap, and each is at most 1/128 of its values wide.
  EXPECT_EQ(LatencyHistogram::BucketLowest(0), 0u);
  for (size_t i = 1; i < LatencyHistogram::kBucketCount; ++i) {
    ASSERT_EQ(LatencyHistogram::BucketLowest(i), LatencyHistogram::BucketHighest(i - 1) + 1) << i;
    const uint64_t lo = LatencyHistogram::BucketLowest(i);
    const uint64_t width = LatencyHistogram::BucketHighest(i) - lo + 1;
    if (i < LatencyHistogram::kSubBuckets) {
      ASSERT_EQ(width, 1u) << i;
    } else {
      ASSERT_LE(width, lo / LatencyHistogram::kSubBuckets) << i;
    }
  }
  EXPECT_EQ(LatencyHistogram::BucketHighest(LatencyHistogram::kBucketCount - 1), UINT64_MAX);
  EXPECT_EQ(LatencyHistogram::BucketIndex(UINT64_MAX), LatencyHistogram::kBucketCount - 1);
}

TEST(LatencyHistogram, EveryValueLandsInsideItsBucket) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t v = rng() >> (rng() % 64);
    const size_t b = LatencyHistogram::BucketIndex(v);
    ASSERT_LE(LatencyHistogram::BucketLowest(b), v);
    ASSERT_GE(LatencyHistogram::BucketHighest(b), v);
  }
}

TEST(LatencyHistogram, QuantilesWithinOnePercentOfExact) {
  // Latencies spread over six decades (1 us .. 1 s in ns), log-uniform like real tails.
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> exponent(3.0, 9.0);
  std::vector<uint64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 200000; ++i) {
    const auto v = static_cast<uint64_t>(std::pow(10.0, exponent(rng)));
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999}) {
    const uint64_t exact = ExactQuantile(values, q);
    const uint64_t got = h.ValueAtQuantile(q);
    EXPECT_GE(got, exact) << "q=" << q;  // never optimistic
    EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * 1.01) << "q=" << q;
  }
  EXPECT_EQ(h.ValueAtQuantile(1.0), values.back());
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.min(), values.front());
}

TEST(LatencyHistogram, QuantileNeverExceedsMax) {
  LatencyHistogram h;
  h.Record(1'000'001);  // the bucket's upper edge is above the value
  EXPECT_EQ(h.ValueAtQuantile(0.5), 1'000'001u);
  EXPECT_EQ(h.ValueAtQuantile(0.999), 1'000'001u);
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(3);
  LatencyHistogram a, b, all;
  for (int i = 0; i < 50000; ++i) {
    const uint64_t v = rng() % 50'000'000;
    (i % 3 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  for (double q : {0.5, 0.99, 0.999}) EXPECT_EQ(a.ValueAtQuantile(q), all.ValueAtQuantile(q));
}

TEST(LatencyHistogram, MergingAnEmptyHistogramChangesNothing) {
  LatencyHistogram a, empty;
  a.Record(500);
  a.Merge(empty);
  EXPECT_EQ(a.count(), 1u);
  EXPECT_EQ(a.min(), 500u);
  EXPECT_EQ(a.max(), 500u);
}

}  // namespace
}  // namespace annal::loadgen
