// LatencyHistogram: an HDR-style log-linear histogram of non-negative integers (the loadgen
// records nanoseconds), small enough to keep one per operation type per driver thread and merge.
//
// Layout: values below 128 have a bucket each (exact). Above, every power-of-two range
// [2^e, 2^(e+1)) is split into 128 equal buckets, so a bucket is at most 1/128 of the values in
// it wide: a reported quantile is never below the true one and at most 0.8% above it. The whole
// 64-bit range takes 58 x 128 buckets (59 KiB); recording is a clz, a shift and an increment.
//
// Not thread-safe: one writer; merge copies after the writers are done.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace annal::loadgen {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;  // 128
  static constexpr size_t kBucketCount = (64 - kSubBucketBits + 1) * kSubBuckets;

  LatencyHistogram() : counts_(kBucketCount, 0) {}

  void Record(uint64_t value);
  // Adds every value recorded in `other`.
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  // 0 when empty.
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0;
  }

  // The value at quantile q in (0, 1] (0.99 = p99): the upper edge of the bucket holding the
  // ceil(q * count)-th smallest value, clamped to max(). q >= 1 is max(); 0 when empty.
  uint64_t ValueAtQuantile(double q) const;

  // Exposed for tests: which bucket a value falls in, and that bucket's inclusive range.
  static size_t BucketIndex(uint64_t value);
  static uint64_t BucketLowest(size_t index);
  static uint64_t BucketHighest(size_t index);

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  // Wraps after ~584 years of nanoseconds; the mean is informational.
  uint64_t sum_ = 0;
};

}  // namespace annal::loadgen
