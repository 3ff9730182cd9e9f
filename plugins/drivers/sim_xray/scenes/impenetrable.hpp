#pragma once
/// @file
/// The ground-truth rule for "impenetrable": where a scanner sees nothing behind an object.
///
/// A ray's steel-equivalent thickness at energy E is sum_m t_m * mu_m(E) / mu_steel(E)
/// (linear attenuation coefficients from xraylib at the materials' nominal densities; t_m the
/// density-scaled path length). The beam gets through the least attenuated part of its
/// spectrum, so the rule takes the minimum over 80, 100 and 150 keV; for lead that is the
/// window below its 88 keV K-edge. A ray is impenetrable when that minimum exceeds
/// `impenetrable_steel_cm` (default 3 cm, what a 160 kV parcel scanner roughly penetrates):
/// 3 cm steel is about 5 mm of lead, 11 cm of aluminium or 0.8 m of water.

#include <array>
#include <vector>

#include "materials.hpp"

namespace oi::sim {

/// Energies (keV) the impenetrable rule is evaluated at.
inline constexpr std::array<double, 3> kImpenetrableEnergiesKeV{80.0, 100.0, 150.0};

/// Per material (index order of standard_materials()), cm of steel one cm of it is worth at
/// each of kImpenetrableEnergiesKeV. Computed once with xraylib.
const std::vector<std::array<double, 3>>& steel_equivalent_weights();

/// Steel-equivalent thickness (cm) of a ray with path lengths `path_cm[m]` (per material).
double steel_equivalent_cm(const std::vector<double>& path_cm);

}  // namespace oi::sim
