#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace annal::loadgen {

size_t LatencyHistogram::BucketIndex(uint64_t value) {
  if (value < kSubBuckets) return static_cast<size_t>(value);
  const int exponent = 63 - std::countl_zero(value);  // >= kSubBucketBits
  const int shift = exponent - kSubBucketBits;
  const uint64_t sub = (value >> shift) - kSubBuckets;  // [0, kSubBuckets)
  return static_cast<size_t>((static_cast<uint64_t>(shift) + 1) * kSubBuckets + sub);
}

uint64_t LatencyHistogram::BucketLowest(size_t index) {
  if (index < kSubBuckets) return index;
  const int shift = static_cast<int>(index / kSubBuckets) - 1;
  const uint64_t sub = index % kSubBuckets;
  return (kSubBuckets + sub) << shift;
}

uint64_t LatencyHistogram::BucketHighest(size_t index) {
  if (index < kSubBuckets) return index;
  const int shift = static_cast<int>(index / kSubBuckets) - 1;
  // The top bucket ends exactly at UINT64_MAX: (255 << 56) + 2^56 - 1.
  return BucketLowest(index) + ((uint64_t{1} << shift) - 1);
}

void LatencyHistogram::Record(uint64_t value) {
  ++counts_[BucketIndex(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += value;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

uint64_t LatencyHistogram::ValueAtQuantile(double q) const {
  if (count_ == 0) return 0;
  if (q >= 1) return max_;
  const double wanted = std::ceil(std::max(q, 0.0) * static_cast<double>(count_));
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(wanted));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(BucketHighest(i), max_);
  }
  return max_;  // unreachable: the counts add up to count_
}

}  // namespace annal::loadgen
