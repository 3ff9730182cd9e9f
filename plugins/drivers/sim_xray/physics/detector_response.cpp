#include "detector_response.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>

namespace oi::sim {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// FNV-1a: a stable hash of the serial (std::hash may differ between library versions).
std::uint64_t stable_hash(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

constexpr float kFullScale = 65535.0f;

// Acklam's rational approximation of the standard normal quantile (relative error 1.2e-9).
double inverse_normal_cdf(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01, -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  p = std::clamp(p, 1e-300, 1.0 - 1e-16);
  if (p < kLow) {
    const double q = std::sqrt(-2.0 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  }
  if (p > 1.0 - kLow) return -inverse_normal_cdf(1.0 - p);
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
}

constexpr int kNormalTableBits = 12;

// Below this mean, Poisson samples are drawn exactly (Knuth: cost grows with the mean); from
// here on the normal approximation with the same mean and variance is used. Such few quanta
// occur only behind very dense objects, where the pixel is near the dark level anyway.
constexpr float kExactPoissonBelow = 12.0f;

// Quantiles at the cell edges i / 4096, i = 1..4095 (edges 0 and 4096 are the tails).
const float* normal_table() {
  static const std::vector<float> table = [] {
    std::vector<float> t((1u << kNormalTableBits) + 1, 0.0f);
    for (std::size_t i = 1; i < t.size() - 1; ++i) {
      t[i] = static_cast<float>(inverse_normal_cdf(static_cast<double>(i) / (1u << kNormalTableBits)));
    }
    return t;
  }();
  return table.data();
}

std::uint16_t to_dn(float value) {
  return static_cast<std::uint16_t>(std::clamp(value + 0.5f, 0.0f, kFullScale));
}

}  // namespace

PixelResponseMap::PixelResponseMap(int pixels, const DetectorElectronics& e, std::string_view serial,
                                   bool non_uniform, double integration_s) {
  std::mt19937_64 rng(stable_hash(serial));
  std::normal_distribution<double> unit(0.0, 1.0);
  for (int c = 0; c < 2; ++c) {
    gain_[c].assign(pixels, 1.0f);
    dark_[c].assign(pixels, static_cast<float>(e.offset_dn + e.dark_current_dn_s * integration_s));
    dead_[c].assign(pixels, 0);
    if (!non_uniform) continue;
    for (int x = 0; x < pixels; ++x) {
      // Gains within ±4 sigma: a real board's trimming keeps outliers out.
      gain_[c][x] = static_cast<float>(1.0 + e.gain_spread * std::clamp(unit(rng), -4.0, 4.0));
      const double dark_current = e.dark_current_dn_s * std::max(0.0, 1.0 + 0.3 * unit(rng));
      dark_[c][x] = static_cast<float>(std::max(0.0, e.offset_dn + e.offset_spread_dn * unit(rng)) +
                                       dark_current * integration_s);
    }
    // Dead pixels, distinct, anywhere on the line.
    std::vector<int> order(pixels);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    for (int i = 0; i < std::min(e.dead_pixels, pixels); ++i) dead_[c][order[i]] = 1;
  }
}

std::vector<int> PixelResponseMap::dead_pixels(int channel) const {
  std::vector<int> out;
  for (int x = 0; x < pixels(); ++x) {
    if (dead_[channel][x]) out.push_back(x);
  }
  return out;
}

NoiseRng::NoiseRng(std::uint64_t seed, std::uint64_t stream, std::uint64_t line) {
  std::uint64_t state = seed ^ (stream * 0xD1B54A32D192ED03ull) ^ (line * 0x8CB92BA72F3D8DD7ull);
  for (int i = 0; i < 2; ++i) {
    const std::uint64_t v = splitmix64(state);
    s_[2 * i] = static_cast<std::uint32_t>(v);
    s_[2 * i + 1] = static_cast<std::uint32_t>(v >> 32);
  }
  if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;  // xoshiro's one forbidden state
}

std::uint32_t NoiseRng::next() {
  const std::uint32_t result = s_[0] + s_[3];
  const std::uint32_t t = s_[1] << 9;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = (s_[3] << 11) | (s_[3] >> 21);
  return result;
}

float NoiseRng::uniform() { return (static_cast<float>(next() >> 8) + 1.0f) * (1.0f / 16777216.0f); }

float NoiseRng::normal() {
  // Inverse-CDF sampling through a table with linear interpolation: a few nanoseconds instead
  // of Box–Muller's log, sqrt and sin/cos, which at two normals per pixel would cost as much
  // as the transmission integral itself. The two outermost table cells (probability 1/2048
  // together) hold the tails and are sampled exactly.
  const std::uint32_t bits = next();
  const std::uint32_t cell = bits >> (32 - kNormalTableBits);
  const float fraction = static_cast<float>(bits & ((1u << (32 - kNormalTableBits)) - 1)) *
                         (1.0f / static_cast<float>(1u << (32 - kNormalTableBits)));
  if (cell == 0 || cell == (1u << kNormalTableBits) - 1) {
    const double u = (cell + static_cast<double>(fraction) + 0.5 / (1u << (32 - kNormalTableBits))) /
                     (1u << kNormalTableBits);
    return static_cast<float>(inverse_normal_cdf(u));
  }
  const float* table = normal_table();
  return table[cell] + fraction * (table[cell + 1] - table[cell]);
}

float NoiseRng::poisson(float mean) {
  if (!(mean > 0.0f)) return 0.0f;
  if (mean >= kExactPoissonBelow) return std::max(0.0f, mean + std::sqrt(mean) * normal());
  // Knuth: multiply uniforms until the product drops below e^-mean.
  const float limit = std::exp(-mean);
  float product = uniform();
  int k = 0;
  while (product > limit) {
    product *= uniform();
    ++k;
  }
  return static_cast<float>(k);
}

void digitise_line(const PixelSignal* signal, int begin, int end, const PixelResponseMap& map,
                   const double dn_per_kev[2], double read_noise_dn, bool noise, NoiseRng& rng,
                   std::uint16_t* low, std::uint16_t* high) {
  const float read_sigma = static_cast<float>(read_noise_dn);
  for (int c = 0; c < 2; ++c) {
    std::uint16_t* row = c == 0 ? low : high;
    const float g_c = static_cast<float>(dn_per_kev[c]);
    for (int x = begin; x < end; ++x) {
      const float s = c == 0 ? signal[x].s_low : signal[x].s_high;
      const float v = c == 0 ? signal[x].v_low : signal[x].v_high;
      const float dark = map.dark_dn(c, x);
      const float g = g_c * map.gain(c, x);
      if (!noise) {
        row[x] = to_dn(dark + (map.dead(c, x) ? 0.0f : g * s));
        continue;
      }
      float value = dark;
      if (!map.dead(c, x) && s > 0.0f && v > 0.0f) {
        const float quanta = s * s / v;  // effective number of detected quanta
        if (quanta >= kExactPoissonBelow) {
          // Poisson ≈ normal here: one normal carries quantum and read noise together.
          const float sigma = std::sqrt(g * g * v + read_sigma * read_sigma);
          row[x] = to_dn(dark + g * s + sigma * rng.normal());
          continue;
        }
        value += g * (v / s) * rng.poisson(quanta);
      }
      row[x] = to_dn(value + read_sigma * rng.normal());
    }
  }
}

}  // namespace oi::sim
