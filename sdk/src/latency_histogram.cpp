#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace oi {

std::size_t LatencyHistogram::bucket_of(std::uint64_t ns) {
  if (ns < kLinearBuckets) return static_cast<std::size_t>(ns);
  const int top_bit = static_cast<int>(std::bit_width(ns)) - 1;
  const int exponent = std::min(top_bit, kMaxExponent);
  const std::uint64_t sub = top_bit > kMaxExponent
                                ? (std::uint64_t{1} << kSubBits) - 1
                                : (ns >> (exponent - kSubBits)) & ((std::uint64_t{1} << kSubBits) - 1);
  return kLinearBuckets + static_cast<std::size_t>(exponent - 4) * (std::size_t{1} << kSubBits) +
         static_cast<std::size_t>(sub);
}

double LatencyHistogram::bucket_middle_ns(std::size_t bucket) {
  if (bucket < kLinearBuckets) return static_cast<double>(bucket);
  const std::size_t above = bucket - kLinearBuckets;
  const int exponent = static_cast<int>(above >> kSubBits) + 4;
  const double sub = static_cast<double>(above & ((std::size_t{1} << kSubBits) - 1));
  const double width = std::ldexp(1.0, exponent - kSubBits);
  return std::ldexp(1.0, exponent) + (sub + 0.5) * width;
}

void LatencyHistogram::record(std::uint64_t nanoseconds) {
  std::atomic<std::uint64_t>& bucket = buckets_[bucket_of(nanoseconds)];
  bucket.store(bucket.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  count_.store(count_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

double LatencyHistogram::quantile_ms(double q) const {
  // Sum the buckets rather than trusting count_: while running the two may disagree by the
  // one duration being recorded.
  std::uint64_t total = 0;
  for (const auto& b : buckets_) total += b.load(std::memory_order_relaxed);
  if (total == 0) return 0.0;
  const double clamped = std::clamp(q, 0.0, 1.0);
  const auto rank =
      std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(clamped * static_cast<double>(total))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i].load(std::memory_order_relaxed);
    if (seen >= rank) return bucket_middle_ns(i) / 1e6;
  }
  return bucket_middle_ns(kBuckets - 1) / 1e6;
}

}  // namespace oi
