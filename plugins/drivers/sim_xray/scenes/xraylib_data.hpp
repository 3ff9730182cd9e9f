#pragma once
/// @file
/// The simulator's only door to xraylib: mass attenuation and energy-absorption coefficients
/// of elements, compound formulas and NIST compounds, and tungsten's K lines. Everything here
/// is called while tables are built (configure time), never per pixel, so it throws on error.

#include <string>
#include <string_view>
#include <vector>

namespace oi::sim {

/// Total mass attenuation coefficient (coherent + incoherent + photoelectric) in cm²/g of
/// `composition` at `energy_kev`: an element symbol ("Fe": xraylib CS_Total), a chemical
/// formula ("C17H21NO4": CS_Total_CP) or a NIST compound name ("Air, Dry (near sea level)").
/// Throws std::invalid_argument naming the composition when xraylib does not know it.
double mass_attenuation_cm2_g(std::string_view composition, double energy_kev);

/// Mass energy-absorption coefficient μ_en/ρ in cm²/g (xraylib CS_Energy / CS_Energy_CP):
/// the part of the interacting photon energy that stays in the material.
double mass_energy_absorption_cm2_g(std::string_view composition, double energy_kev);

/// One characteristic X-ray line.
struct XrayLine {
  std::string name;            ///< e.g. "Kα1"
  double energy_kev = 0.0;     ///< line energy
  double relative_rate = 0.0;  ///< radiative rate (fraction of K-shell radiative decays)
};

/// The K lines of element `z` that matter for a tube spectrum (Kα1, Kα2, Kβ1, Kβ3, Kβ2).
std::vector<XrayLine> k_lines(int z);
/// K absorption edge of element `z` in keV.
double k_edge_kev(int z);
/// K-shell fluorescence yield of element `z`.
double k_fluorescence_yield(int z);

}  // namespace oi::sim
