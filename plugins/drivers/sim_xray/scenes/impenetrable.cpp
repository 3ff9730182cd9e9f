#include "impenetrable.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "xraylib_data.hpp"

namespace oi::sim {

namespace {

double linear_mu(const MaterialDef& m, double kev) {
  return mass_attenuation_cm2_g(m.composition, kev) * m.density_g_cm3;
}

}  // namespace

const std::vector<std::array<double, 3>>& steel_equivalent_weights() {
  static const std::vector<std::array<double, 3>> weights = [] {
    const auto& table = standard_materials();
    const MaterialDef& steel = table[material_index("steel")];
    std::vector<std::array<double, 3>> w(table.size());
    for (std::size_t e = 0; e < kImpenetrableEnergiesKeV.size(); ++e) {
      const double mu_steel = linear_mu(steel, kImpenetrableEnergiesKeV[e]);
      for (std::size_t m = 0; m < table.size(); ++m)
        w[m][e] = linear_mu(table[m], kImpenetrableEnergiesKeV[e]) / mu_steel;
    }
    return w;
  }();
  return weights;
}

double steel_equivalent_cm(const std::vector<double>& path_cm) {
  const auto& w = steel_equivalent_weights();
  double least = 1e300;
  for (std::size_t e = 0; e < kImpenetrableEnergiesKeV.size(); ++e) {
    double sum = 0;
    for (std::size_t m = 0; m < path_cm.size() && m < w.size(); ++m) sum += path_cm[m] * w[m][e];
    least = std::min(least, sum);
  }
  return least;
}

}  // namespace oi::sim
