#pragma once
/// @file
/// From mean deposited energy to 16-bit digital numbers, as a real detector board does it:
/// Poisson quantum noise, per-pixel gain and offset non-uniformity, dark current, electronic
/// (read) noise, dead pixels and saturation.
///
/// How counts map to digital numbers: a pixel of channel c with gain g_x reads
///
///     DN = offset_x + dark_x + G_c·g_x·E_w·n + read noise,   clamped to [0, 65535]
///
/// where n is the number of detected quanta, Poisson with mean Q = S²/V, and E_w = V/S the
/// energy each one stands for (S, V: the channel's mean deposited energy and its variance,
/// see transmission.hpp). That is the compound-Poisson statistics of an energy-integrating
/// detector (the Swank factor included): the mean is G_c·g_x·S and the variance of the signal
/// (G_c·g_x)²·V, so on a flat field the variance grows in proportion to the mean. G_c (DN per
/// keV) is fixed per configuration (see XraySimulator).

#include <cstdint>
#include <string_view>
#include <vector>

#include "transmission.hpp"

namespace oi::sim {

/// Detector board properties (16-bit ADC).
struct DetectorElectronics {
  double offset_dn = 400.0;           ///< mean ADC offset (the dark level without dark current)
  double offset_spread_dn = 25.0;     ///< pixel-to-pixel standard deviation of the offset
  double gain_spread = 0.03;          ///< relative pixel-to-pixel standard deviation of the gain
  double dark_current_dn_s = 2000.0;  ///< mean dark current, DN per second of integration
  double read_noise_dn = 3.0;         ///< electronic noise, standard deviation in DN
  int dead_pixels = 3;                ///< pixels that see no X-rays (read dark level only), per channel
};

/// Fixed pattern of one detector: per pixel and channel gain, dark level and dead flag.
/// Derived from the serial number alone, like a real board's, so a device keeps its pattern
/// across runs and seeds while two devices differ.
class PixelResponseMap {
 public:
  /// `non_uniform` false: every pixel has gain 1, the mean dark level and none is dead.
  PixelResponseMap(int pixels, const DetectorElectronics& electronics, std::string_view serial,
                   bool non_uniform, double integration_s);

  /// Pixels per line.
  int pixels() const { return static_cast<int>(gain_[0].size()); }
  /// Relative gain of pixel x in channel c (0 = low, 1 = high).
  float gain(int channel, int x) const { return gain_[channel][x]; }
  /// Dark level (offset + dark current over the integration time) of pixel x, channel c, in DN.
  float dark_dn(int channel, int x) const { return dark_[channel][x]; }
  /// True when pixel x of channel c is dead (no X-ray response).
  bool dead(int channel, int x) const { return dead_[channel][x] != 0; }
  /// Indices of the dead pixels of channel c.
  std::vector<int> dead_pixels(int channel) const;

 private:
  std::vector<float> gain_[2];
  std::vector<float> dark_[2];
  std::vector<std::uint8_t> dead_[2];
};

/// Small, fast, reproducible generator (xoshiro128+ seeded by splitmix64) for the noise: one
/// per line, seeded from (run seed, stream, line), so a line's noise does not depend on which
/// thread renders it or in which order.
class NoiseRng {
 public:
  /// Seeds from three numbers.
  NoiseRng(std::uint64_t seed, std::uint64_t stream, std::uint64_t line);
  /// Uniform in (0, 1].
  float uniform();
  /// Standard normal (inverse CDF: a 4096-cell table, linearly interpolated, exact in the tails).
  float normal();
  /// Poisson with mean `mean` (exact below 12; normal approximation above, where the
  /// difference is far below the other noise sources).
  float poisson(float mean);

 private:
  std::uint32_t next();
  std::uint32_t s_[4];
};

/// Turns mean signals into digital numbers for pixels [begin, end) of one line. `dn_per_kev`:
/// G_low, G_high. `noise` false: the mean values, rounded (fixed pattern still applied).
/// Rows are written at [begin, end) of `low` and `high`.
void digitise_line(const PixelSignal* signal, int begin, int end, const PixelResponseMap& map,
                   const double dn_per_kev[2], double read_noise_dn, bool noise, NoiseRng& rng,
                   std::uint16_t* low, std::uint16_t* high);

}  // namespace oi::sim
