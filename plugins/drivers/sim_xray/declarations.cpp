#include "declarations.hpp"

#include <random>
#include <string>
#include <vector>

namespace oi::sim {

nlohmann::json simulate_declaration(const nlohmann::json& scene, std::uint64_t seed, std::uint64_t index,
                                    std::uint64_t scan_id, double lie_rate) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + index * 0xD1B54A32D192ED03ULL + 0x5DEC1A7EULL);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  auto pick = [&](const std::vector<std::string>& options) {
    return options[static_cast<std::size_t>(uniform(rng) * static_cast<double>(options.size())) %
                   options.size()];
  };
  const nlohmann::json contents = scene.value("contents", nlohmann::json::object());
  const double total_kg = contents.value("total_g", 0.0) / 1000.0;
  const double metal_fraction = total_kg > 0 ? contents.value("metal_g", 0.0) / 1000.0 / total_kg : 0.0;

  std::string goods = metal_fraction > 0.3 ? pick({"tools", "electronics"})
                      : total_kg < 0.8     ? std::string("documents")
                                           : pick({"clothing", "books", "food"});
  double weight_kg = total_kg * (0.9 + 0.2 * uniform(rng));
  std::string lie;
  if (uniform(rng) < lie_rate) {
    std::vector<std::string> kinds = {"weight"};
    if (metal_fraction > 0.15) kinds.push_back("goods");
    if (total_kg > 1.5 && goods != "documents") kinds.push_back("documents");
    lie = pick(kinds);
    if (lie == "weight") weight_kg = total_kg * (0.30 + 0.25 * uniform(rng));
    if (lie == "goods") goods = "clothing";
    if (lie == "documents") goods = "documents";
  }
  char id[64];
  std::snprintf(id, sizeof id, "D-%llu-%06llu", static_cast<unsigned long long>(seed),
                static_cast<unsigned long long>(index + 1));
  return {{"declaration_id", id},
          {"scan_id", scan_id},
          {"goods", goods},
          {"weight_kg", std::round(weight_kg * 1000.0) / 1000.0},
          {"truth",
           {{"honest", lie.empty()},
            {"lie", lie.empty() ? nlohmann::json(nullptr) : nlohmann::json(lie)},
            {"weight_kg", total_kg},
            {"metal_fraction", metal_fraction}}}};
}

}  // namespace oi::sim
