#pragma once
/// @file
/// The dual-layer, energy-integrating line detector of a dual-energy scanner: a thin front
/// scintillator (low-energy channel), a copper filter that hardens what passes, and a thick
/// rear scintillator (high-energy channel).

#include <string>
#include <vector>

#include "spectrum.hpp"

namespace oi::sim {

/// Layer materials and thicknesses.
struct DualLayerDetector {
  std::string scintillator = "CsI";          ///< scintillator composition (xraylib formula), both layers
  double scintillator_density_g_cm3 = 4.51;  ///< CsI(Tl)
  double front_mm = 0.4;                     ///< front (low-energy) scintillator thickness
  double filter_cu_mm = 0.5;                 ///< copper between the layers
  double rear_mm = 3.0;                      ///< rear (high-energy) scintillator thickness
};

/// What one channel does with a photon of each energy bin.
struct ChannelResponse {
  std::vector<double> interaction;    ///< probability that an incident photon interacts in this layer
  std::vector<double> deposited_kev;  ///< mean energy such an interaction leaves in the layer (E·μ_en/μ)
};

/// Per-bin response of both channels to photons arriving at the detector face.
struct DualLayerResponse {
  ChannelResponse low;   ///< front layer
  ChannelResponse high;  ///< rear layer, behind the front layer and the copper filter
};

/// Computes the response on `grid` with xraylib coefficients. An interaction deposits E·μ_en/μ
/// on average (photoelectric absorption keeps nearly all, Compton scattering a part); escape of
/// fluorescence and scattered photons beyond that is not modelled.
/// Throws std::invalid_argument for negative thicknesses or an unknown scintillator.
DualLayerResponse dual_layer_response(const DualLayerDetector& detector, const EnergyGrid& grid);

}  // namespace oi::sim
