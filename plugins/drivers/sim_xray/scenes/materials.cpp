#include "materials.hpp"

#include <stdexcept>

namespace oi::sim {

const std::vector<MaterialDef>& standard_materials() {
  // Organics span Z_eff ~6-8; cocaine and heroin are the narcotics the detector looks for;
  // aluminium/glass are "inorganic"; iron and heavier are metals. Densities are nominal
  // values; scenes may scale path lengths to model lower bulk densities (powder, clothes).
  static const std::vector<MaterialDef> table = {
      {"polyethylene", "C2H4", 0.94, MaterialClass::kOrganic},
      {"pom", "CH2O", 1.41, MaterialClass::kOrganic},
      {"water", "H2O", 1.00, MaterialClass::kOrganic},
      {"cellulose", "C6H10O5", 1.50, MaterialClass::kOrganic},  // paper, cotton, books (bulk via path)
      {"nylon", "C12H22N2O2", 1.14, MaterialClass::kOrganic},   // clothes, bags
      {"rubber", "C5H8", 0.92, MaterialClass::kOrganic},        // shoe soles, tyres
      {"sugar", "C12H22O11", 1.59, MaterialClass::kOrganic},    // food
      {"pvc", "C2H3Cl", 1.38, MaterialClass::kInorganic},       // chlorine lifts Z_eff into "mixed"
      {"glass", "SiO2", 2.40, MaterialClass::kInorganic},       // bottles; borosilicate-like density
      {"aluminium", "Al", 2.70, MaterialClass::kInorganic},
      {"steel", "Fe", 7.87, MaterialClass::kMetal},
      {"copper", "Cu", 8.96, MaterialClass::kMetal},
      {"lead", "Pb", 11.35, MaterialClass::kMetal},
      {"cocaine", "C17H21NO4", 1.20, MaterialClass::kOrganic},
      {"heroin", "C21H23NO5", 1.35, MaterialClass::kOrganic},
      {"fr4", "SiO2C2H4O", 1.85, MaterialClass::kInorganic},   // circuit boards: glass-epoxy mix
      {"battery", "LiCoO2", 2.80, MaterialClass::kInorganic},  // Li-ion cell, bulk
  };
  return table;
}

MaterialIndex material_index(std::string_view name) {
  const auto& table = standard_materials();
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (table[i].name == name) return static_cast<MaterialIndex>(i);
  }
  std::string known;
  for (const auto& m : table) known += (known.empty() ? "" : ", ") + m.name;
  throw std::out_of_range("unknown material '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace oi::sim
