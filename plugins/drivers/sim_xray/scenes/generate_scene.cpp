#include <cmath>
#include <stdexcept>
#include <string>

#include "generators.hpp"

namespace oi::sim {

namespace {

void check(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("scene configuration: " + what);
}

}  // namespace

std::unique_ptr<Scene> generate_scene(const SceneConfig& config) {
  check(config.pixels > 0 && config.pixels <= 65536,
        "pixels must be in [1, 65536], got " + std::to_string(config.pixels));
  check(config.pixel_pitch_mm > 0 && config.line_pitch_mm > 0,
        "pixel_pitch_mm and line_pitch_mm must be > 0");
  check(config.belt_speed_m_s > 0, "belt_speed_m_s must be > 0");
  check(config.min_seconds > 0 && config.min_seconds <= config.max_seconds,
        "need 0 < min_seconds <= max_seconds, got " + std::to_string(config.min_seconds) + " and " +
            std::to_string(config.max_seconds));
  check(config.threat_rate >= 0 && config.threat_rate <= 1,
        "threat_rate is a probability in [0, 1], got " + std::to_string(config.threat_rate));
  check(config.clutter >= 0 && std::isfinite(config.clutter), "clutter must be >= 0");
  check(config.overlap >= 0 && std::isfinite(config.overlap), "overlap must be >= 0");
  check(config.impenetrable_steel_cm > 0, "impenetrable_steel_cm must be > 0");
  if (config.kind == "wedges") return generate_wedge_scene(config);
  if (config.kind == "parcels" || config.kind == "bags") {
    Rng rng(config.seed, config.index);
    return generate_container_scene(config, rng, config.kind == "bags");
  }
  throw std::invalid_argument("unknown scene kind '" + config.kind + "'; use parcels, bags or wedges");
}

}  // namespace oi::sim
