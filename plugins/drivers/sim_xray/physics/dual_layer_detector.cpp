#include "dual_layer_detector.hpp"

#include <cmath>
#include <stdexcept>

#include "xraylib_data.hpp"

namespace oi::sim {

DualLayerResponse dual_layer_response(const DualLayerDetector& d, const EnergyGrid& grid) {
  if (!(d.front_mm >= 0.0) || !(d.filter_cu_mm >= 0.0) || !(d.rear_mm >= 0.0) ||
      !(d.scintillator_density_g_cm3 > 0.0)) {
    throw std::invalid_argument("dual-layer detector: thicknesses must be >= 0 mm and the density > 0");
  }
  constexpr double kCopperDensity = 8.96;
  DualLayerResponse r;
  for (ChannelResponse* c : {&r.low, &r.high}) {
    c->interaction.resize(grid.bins);
    c->deposited_kev.resize(grid.bins);
  }
  for (int i = 0; i < grid.bins; ++i) {
    const double e = grid.center(i);
    const double mu = mass_attenuation_cm2_g(d.scintillator, e) * d.scintillator_density_g_cm3;  // 1/cm
    const double mu_en = mass_energy_absorption_cm2_g(d.scintillator, e) * d.scintillator_density_g_cm3;
    const double deposited = e * mu_en / mu;
    const double front_pass = std::exp(-mu * d.front_mm / 10.0);
    const double filter_pass =
        std::exp(-mass_attenuation_cm2_g("Cu", e) * kCopperDensity * d.filter_cu_mm / 10.0);
    r.low.interaction[i] = 1.0 - front_pass;
    r.low.deposited_kev[i] = deposited;
    r.high.interaction[i] = front_pass * filter_pass * (1.0 - std::exp(-mu * d.rear_mm / 10.0));
    r.high.deposited_kev[i] = deposited;
  }
  return r;
}

}  // namespace oi::sim
