#pragma once
/// @file
/// The materials the simulated scanner knows: what scenes are built from and what the
/// physics looks up in xraylib. Scenes refer to materials by index into standard_materials().

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace oi::sim {

/// Index into standard_materials().
using MaterialIndex = std::uint16_t;

/// How an operator's pseudo-colour would class the material (ground truth for evaluation).
enum class MaterialClass { kOrganic, kInorganic, kMetal };

/// One material.
struct MaterialDef {
  std::string name;  ///< short name used in scenes and ground truth, e.g. "steel"
  std::string
      composition;  ///< element ("Fe"), formula ("C17H21NO4") or NIST compound name, as xraylib reads them
  double density_g_cm3 = 1;                       ///< nominal density
  MaterialClass klass = MaterialClass::kOrganic;  ///< expected class
};

/// The fixed table, in index order. Never reordered: indices are stable.
const std::vector<MaterialDef>& standard_materials();
/// Index of `name`; throws std::out_of_range naming the known materials when unknown.
MaterialIndex material_index(std::string_view name);

}  // namespace oi::sim
