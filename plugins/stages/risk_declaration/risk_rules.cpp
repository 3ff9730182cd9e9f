#include "risk_rules.hpp"

#include <cmath>
#include <cstdio>

#include "oi/xray/contract.hpp"

namespace oi::risk {
namespace {

std::string kg(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f kg", value);
  return text;
}

}  // namespace

ScanMeasure measure_scan(const Plane& areal_density, const Plane& material_class, double pixel_area_cm2,
                         double mass_scale) {
  double total = 0, metal = 0;
  for (int y = 0; y < areal_density.height; ++y) {
    const float* density = areal_density.row<float>(y);
    const std::uint8_t* cls = material_class.row<std::uint8_t>(y);
    for (int x = 0; x < areal_density.width; ++x) {
      const auto c = static_cast<xray::MaterialClass>(cls[x]);
      if (c == xray::MaterialClass::kEmpty || !(density[x] > 0)) continue;
      total += density[x];
      if (c == xray::MaterialClass::kMetal || c == xray::MaterialClass::kImpenetrable) metal += density[x];
    }
  }
  ScanMeasure m;
  m.mass_kg = total * pixel_area_cm2 * mass_scale / 1000.0;
  m.metal_fraction = total > 0 ? metal / total : 0.0;
  return m;
}

bool organic_goods(const std::string& goods) {
  for (const char* g : {"clothing", "books", "food", "documents", "textiles", "toys"})
    if (goods == g) return true;
  return false;
}

Risk assess(const std::optional<Declaration>& declaration, const ScanMeasure& scan, const RiskRules& rules) {
  Risk risk;
  double clear = 1.0;
  auto flag = [&](const char* name, double weight, std::string reason) {
    risk.flags.push_back(name);
    risk.reasons.push_back(std::move(reason));
    clear *= 1.0 - weight;
  };
  if (!declaration) {
    flag("no_declaration", 0.5, "no declaration for this scan");
  } else {
    const Declaration& d = *declaration;
    // Under-declared weight is what evades duties and hides goods; a parcel heavier on paper
    // than in the scan is not flagged.
    if (scan.mass_kg > 0 && d.weight_kg < scan.mass_kg * (1.0 - rules.weight_tolerance))
      flag("weight", 0.6,
           "declared " + kg(d.weight_kg) + ", the scan shows about " + kg(scan.mass_kg) + " (areal density)");
    if (organic_goods(d.goods) && scan.metal_fraction > rules.metal_fraction_max) {
      char share[16];
      std::snprintf(share, sizeof share, "%.0f %%", 100.0 * scan.metal_fraction);
      flag("metal_in_organic_goods", 0.7,
           "declared " + d.goods + ", but " + std::string(share) + " of the mass is metal");
    }
    if (d.goods == "documents" && scan.mass_kg > rules.documents_max_kg)
      flag("dense_documents", 0.6, "declared documents, the scan shows about " + kg(scan.mass_kg));
  }
  risk.score = 1.0 - clear;
  return risk;
}

}  // namespace oi::risk
