#pragma once
/// @file
/// The scene generators' random numbers. std::mt19937_64's output sequence is fixed by the
/// C++ standard, but std::uniform_real_distribution, std::normal_distribution & co. are not
/// (libstdc++, libc++ and MSVC give different numbers), so the distributions are written out
/// here: a data set generated from (seed, index) is the same on every platform.

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace oi::sim {

/// SplitMix64 finaliser: spreads nearby seeds (1, 2, 3...) over the whole 64-bit space.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// Platform-independent random numbers for scene generation.
class Rng {
 public:
  /// The stream of object `index` of run `seed`; independent of every other (seed, index).
  Rng(std::uint64_t seed, std::uint64_t index)
      : engine_(mix64(mix64(seed) ^ (index * 0xD1B54A32D192ED03ull))) {}

  /// Uniform in [0, 1): the top 53 bits of one draw.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [lo, hi] (inclusive); the modulo bias is below 2^-40 for small ranges.
  int integer(int lo, int hi) {
    const auto span = static_cast<std::uint64_t>(hi - lo + 1);
    return lo + static_cast<int>(engine_() % span);
  }
  /// True with probability p.
  bool chance(double p) { return uniform() < p; }
  /// Standard normal by Box-Muller (one value per call: simpler to keep reproducible).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]: log() stays finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
  }
  /// Normal with mean and standard deviation.
  double normal(double mean, double sigma) { return mean + sigma * normal(); }
  /// Index drawn with probability proportional to `weights` (non-negative, not all zero).
  std::size_t weighted(const std::vector<double>& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double r = uniform() * total;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (r < weights[i]) return i;
      r -= weights[i];
    }
    return weights.size() - 1;
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace oi::sim
