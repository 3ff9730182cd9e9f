#pragma once
// What risk.declaration measures on a scan and the contradictions it flags between the scan
// and the parcel's declaration.
#include <optional>
#include <string>
#include <vector>

#include "declaration_store.hpp"
#include "oi/frame.hpp"

namespace oi::risk {

/// What the scan says about the parcel.
struct ScanMeasure {
  double mass_kg = 0;         ///< Σ areal density x pixel area over non-empty pixels, x mass_scale
  double metal_fraction = 0;  ///< share of that mass in metal and impenetrable pixels
};

/// Measures a scan from xray.materials' planes `areal_density` (g/cm², f32) and
/// `material_class` (u8). `pixel_area_cm2` is one pixel's footprint; `mass_scale` corrects the
/// areal density estimate's bias (fitted on tuning seeds, docs/integration.md).
ScanMeasure measure_scan(const Plane& areal_density, const Plane& material_class, double pixel_area_cm2,
                         double mass_scale);

/// Thresholds of the flags.
struct RiskRules {
  double weight_tolerance = 0.3;     ///< declared below measured x (1 - tolerance): `weight`
  double metal_fraction_max = 0.25;  ///< organic goods with more metal than this: `metal_in_organic_goods`
  double documents_max_kg = 1.0;     ///< documents heavier than this: `dense_documents`
};

/// The assessment: a score in [0, 1] (1 - Π (1 - weight of each flag)) and each flag with the
/// reason an officer reads.
struct Risk {
  double score = 0;
  std::vector<std::string> flags;
  std::vector<std::string> reasons;
};

/// Declared goods the rules treat as organic: clothing, books, food, documents, textiles, toys.
bool organic_goods(const std::string& goods);

/// Flags what the scan contradicts in `declaration`; a scan without one is flagged
/// `no_declaration`.
Risk assess(const std::optional<Declaration>& declaration, const ScanMeasure& scan, const RiskRules& rules);

}  // namespace oi::risk
