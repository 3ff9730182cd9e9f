#pragma once
/// @file
/// The X-ray source: a tungsten-anode tube's polychromatic spectrum after filtration, as
/// photon fluence at the detector, binned in energy.

#include <vector>

namespace oi::sim {

/// Energy bins of width `bin_kev` starting at `min_kev`; bin i covers
/// [min_kev + i·bin_kev, min_kev + (i+1)·bin_kev) and is represented by its centre.
struct EnergyGrid {
  double min_kev = 10.0;  ///< lower edge of the first bin (below 10 keV nothing passes the filtration)
  double bin_kev = 1.0;   ///< bin width (at most 2 keV, so lead's 88 keV K edge stays sharp)
  int bins = 0;           ///< number of bins

  /// Centre of bin `i` in keV.
  double center(int i) const { return min_kev + (i + 0.5) * bin_kev; }
  /// Bins from `min_kev` up to `max_kev` (the last bin ends at or above it).
  static EnergyGrid up_to(double max_kev, double bin_kev = 1.0, double min_kev = 10.0);
};

/// Tube and beam-line settings.
struct TubeSettings {
  double kv = 160.0;                 ///< tube voltage (peak photon energy in keV)
  double ma = 1.0;                   ///< tube current
  double inherent_al_mm = 1.0;       ///< tube glass, oil and window as aluminium equivalent
  double added_al_mm = 1.0;          ///< added aluminium filter
  double added_cu_mm = 0.0;          ///< added copper filter (hardens the beam further)
  double distance_m = 1.0;           ///< focal spot to detector, through air
  bool characteristic_lines = true;  ///< add tungsten's K lines (above the 69.5 keV K edge)
};

/// Photon fluence spectrum at the detector plane (before any object).
struct Spectrum {
  EnergyGrid grid;              ///< the bins
  std::vector<double> photons;  ///< photons per bin per mm² per second at the detector

  /// Sum over bins: photons per mm² per second.
  double total() const;
  /// Fluence-weighted mean energy in keV.
  double mean_energy_kev() const;
};

/// The spectrum of a tungsten anode at `tube`: Kramers' bremsstrahlung I(E) = K·Z·i·(E0 − E)
/// with Kramers' efficiency (ε = 1.1e-9·Z·V, so a 160 kV, 1 mA tube emits ≈ 2 W of X-rays into
/// 4π), plus tungsten's K lines with a semi-empirical (U − 1)^1.63 growth above the K edge,
/// attenuated by the inherent and added filters and the air path (xraylib coefficients).
/// Throws std::invalid_argument for settings outside 20–450 kV, a negative current or filter,
/// or a bin width outside (0, 2] keV.
Spectrum tungsten_spectrum(const TubeSettings& tube, double bin_kev = 1.0);

}  // namespace oi::sim
