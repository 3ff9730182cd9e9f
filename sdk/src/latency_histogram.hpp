#pragma once
// A fixed log-bucket histogram of durations, for per-stage process() latency percentiles.
// Internal to the scheduler.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace oi {

/// Durations in nanoseconds, counted in buckets that are 1 ns wide below 16 ns and then
/// split every power of two into 8 (relative error under 7 %), up to about 36 minutes.
///
/// One writer (the node's firings are serialised), any number of readers: buckets are
/// atomics written with plain load+store, so recording costs no locked instruction and a
/// snapshot taken while running is a consistent-enough approximation, never a data race.
class LatencyHistogram {
 public:
  /// Counts one duration. Single writer only.
  void record(std::uint64_t nanoseconds);
  /// The duration below which a fraction `q` (0..1) of the recorded ones fall, in
  /// milliseconds, as the middle of its bucket; 0 when nothing was recorded.
  double quantile_ms(double q) const;
  /// Durations recorded.
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  static constexpr int kLinearBuckets = 16;  // 0..15 ns, one each
  static constexpr int kSubBits = 3;         // 8 buckets per power of two above that
  static constexpr int kMaxExponent = 41;    // 2^41 ns ~ 36 min; longer lands in the last bucket
  static constexpr std::size_t kBuckets =
      kLinearBuckets + (kMaxExponent - 4 + 1) * (std::size_t{1} << kSubBits);

  static std::size_t bucket_of(std::uint64_t nanoseconds);
  static double bucket_middle_ns(std::size_t bucket);

  std::array<std::atomic<std::uint64_t>, kBuckets> buckets_{};
  std::atomic<std::uint64_t> count_{0};
};

}  // namespace oi
