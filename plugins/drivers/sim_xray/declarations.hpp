#pragma once
// The simulated clearance system: a customs declaration for each simulated parcel, honest or
// misstating it, with the truth, so that risk.declaration can be evaluated (docs/integration.md,
// "Declarations and risk").
#include <cstdint>
#include <nlohmann/json.hpp>

namespace oi::sim {

/// The declaration of the parcel `scene` describes (its `contents` masses): {declaration_id,
/// scan_id, goods, weight_kg, truth {honest, lie, weight_kg, metal_fraction}}. With probability
/// `lie_rate` it lies, one way that applies: `goods` (a parcel with over 15 % metal by mass
/// declared as clothing), `documents` (a parcel over 1.5 kg declared as documents), else
/// `weight` (30-55 % of the true weight). Deterministic in (seed, index).
nlohmann::json simulate_declaration(const nlohmann::json& scene, std::uint64_t seed, std::uint64_t index,
                                    std::uint64_t scan_id, double lie_rate);

}  // namespace oi::sim
