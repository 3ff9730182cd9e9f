#include "spectrum.hpp"

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "xraylib_data.hpp"

namespace oi::sim {
namespace {

constexpr int kTungstenZ = 74;
constexpr double kKramersEfficiencyPerVolt = 1.1e-9;  // ε = k·Z·V (Kramers; Evans, The Atomic Nucleus)
constexpr double kJoulePerKev = 1.602176634e-16;
constexpr double kAluminiumDensity = 2.699;
constexpr double kCopperDensity = 8.96;
constexpr double kAirDensity = 1.205e-3;
constexpr const char* kAir = "Air, Dry (near sea level)";

// Characteristic K photons relative to the continuum, tied to one anchor: at 150 kV the K
// lines together hold about a quarter as many photons as the bremsstrahlung between 50 and
// 75 keV (the Kα1 spike then stands 3–4x above the continuum in a 1 keV bin, as in measured
// and SpekCalc spectra); they grow as (U - 1)^1.63 with overvoltage U = kV / K edge (Green &
// Cosslett's exponent).
double k_line_photons_per_kramers_constant(double kv, double k_edge) {
  if (kv <= k_edge) return 0.0;
  constexpr double kAnchorKv = 150.0;
  const double continuum_50_75_at_anchor = kAnchorKv * std::log(75.0 / 50.0) - 25.0;  // ∫(E0-E)/E dE
  const double anchor = 0.26 * continuum_50_75_at_anchor;
  return anchor * std::pow((kv / k_edge - 1.0) / (kAnchorKv / k_edge - 1.0), 1.63);
}

}  // namespace

EnergyGrid EnergyGrid::up_to(double max_kev, double bin_kev, double min_kev) {
  EnergyGrid g;
  g.min_kev = min_kev;
  g.bin_kev = bin_kev;
  g.bins = std::max(1, static_cast<int>(std::ceil((max_kev - min_kev) / bin_kev - 1e-9)));
  return g;
}

double Spectrum::total() const { return std::accumulate(photons.begin(), photons.end(), 0.0); }

double Spectrum::mean_energy_kev() const {
  double n = 0.0, e = 0.0;
  for (int i = 0; i < grid.bins; ++i) {
    n += photons[i];
    e += photons[i] * grid.center(i);
  }
  return n > 0.0 ? e / n : 0.0;
}

Spectrum tungsten_spectrum(const TubeSettings& tube, double bin_kev) {
  if (!(tube.kv >= 20.0 && tube.kv <= 450.0)) {
    throw std::invalid_argument("tube voltage " + std::to_string(tube.kv) +
                                " kV is outside the tungsten spectrum model's 20-450 kV");
  }
  if (!(tube.ma >= 0.0) || !(tube.inherent_al_mm >= 0.0) || !(tube.added_al_mm >= 0.0) ||
      !(tube.added_cu_mm >= 0.0) || !(tube.distance_m > 0.0)) {
    throw std::invalid_argument("tube current, filters and distance must not be negative (distance > 0)");
  }
  if (!(bin_kev > 0.0 && bin_kev <= 2.0)) {
    throw std::invalid_argument("energy bin width " + std::to_string(bin_kev) +
                                " keV: use (0, 2] keV so lead's K edge at 88 keV stays resolved");
  }
  Spectrum s;
  s.grid = EnergyGrid::up_to(tube.kv, bin_kev);
  s.photons.assign(s.grid.bins, 0.0);

  // Kramers: energy spectrum K·Z·i·(E0 - E) per keV whose integral K·Z·i·E0²/2 equals the
  // emitted power ε·V·i; hence K·Z·i = 2·ε·V·i / E0², in keV per second per keV.
  const double e0 = tube.kv;
  const double volts = tube.kv * 1000.0;
  const double power_kev_s =
      kKramersEfficiencyPerVolt * kTungstenZ * volts * volts * (tube.ma * 1e-3) / kJoulePerKev;
  const double kramers = 2.0 * power_kev_s / (e0 * e0);
  // Isotropic emission: fluence per mm² at the detector distance.
  const double per_mm2 = 1.0 / (4.0 * M_PI * std::pow(tube.distance_m * 1000.0, 2));

  for (int i = 0; i < s.grid.bins; ++i) {
    // Integrate (E0 - E)/E over the bin analytically: the 1/E makes the centre value wrong at
    // low energies, and the last bin is cut at E0.
    const double lo = s.grid.min_kev + i * bin_kev;
    const double hi = std::min(lo + bin_kev, e0);
    if (hi <= lo) continue;
    s.photons[i] = kramers * (e0 * std::log(hi / lo) - (hi - lo)) * per_mm2;
  }
  if (tube.characteristic_lines) {
    const double k_edge = k_edge_kev(kTungstenZ);
    const double k_total = kramers * k_line_photons_per_kramers_constant(tube.kv, k_edge) * per_mm2;
    if (k_total > 0.0) {
      const auto lines = k_lines(kTungstenZ);
      double rate_sum = 0.0;
      for (const auto& l : lines) rate_sum += l.relative_rate;
      for (const auto& l : lines) {
        const int bin = static_cast<int>((l.energy_kev - s.grid.min_kev) / bin_kev);
        if (bin >= 0 && bin < s.grid.bins) s.photons[bin] += k_total * l.relative_rate / rate_sum;
      }
    }
  }
  for (int i = 0; i < s.grid.bins; ++i) {
    if (s.photons[i] == 0.0) continue;
    const double e = s.grid.center(i);
    const double mu_t = mass_attenuation_cm2_g("Al", e) * kAluminiumDensity *
                            (tube.inherent_al_mm + tube.added_al_mm) / 10.0 +
                        mass_attenuation_cm2_g("Cu", e) * kCopperDensity * tube.added_cu_mm / 10.0 +
                        mass_attenuation_cm2_g(kAir, e) * kAirDensity * tube.distance_m * 100.0;
    s.photons[i] *= std::exp(-mu_t);
  }
  return s;
}

}  // namespace oi::sim
