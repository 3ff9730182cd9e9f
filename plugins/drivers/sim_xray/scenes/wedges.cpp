// `wedges`: the step wedges material calibration fits its curves on (R = A_low / A_high
// against A_high per reference material), laid side by side across the belt.
#include <algorithm>
#include <cmath>

#include "generators.hpp"

namespace oi::sim {

std::vector<WedgeSpec> wedge_steps(std::uint64_t index) {
  // Ranges follow what a 160 kV parcel scanner sees: organics up to 20 cm, aluminium up to
  // 8 cm, steel up to 2.5 cm, lead up to 1 cm (the thick end is beyond penetration on purpose:
  // calibration must learn where "impenetrable" starts).
  return {
      {index % 2 == 0 ? "polyethylene" : "pom", {1, 2, 3, 5, 7, 10, 14, 20}},
      {"aluminium", {0.5, 1, 1.5, 2, 3, 4, 6, 8}},
      {"steel", {0.1, 0.2, 0.4, 0.6, 0.9, 1.3, 1.8, 2.5}},
      {"lead", {0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1.0}},
  };
}

std::unique_ptr<Scene> generate_wedge_scene(const SceneConfig& config) {
  const std::vector<WedgeSpec> wedges = wedge_steps(config.index);
  // Wedges are as long as the longest object allowed: the longer each step, the more pixels
  // calibration can average.
  const double length_mm = config.max_seconds * config.belt_speed_m_s * 1000.0;
  SceneGrid grid{config.pixels, std::max(1, static_cast<int>(std::lround(length_mm / config.line_pitch_mm))),
                 config.pixel_pitch_mm, config.line_pitch_mm};
  auto scene = std::make_unique<RasterScene>(grid, config.impenetrable_steel_cm);
  const double belt_mm = grid.pixels * grid.pixel_pitch_mm;
  const double scan_mm = grid.lines * grid.line_pitch_mm;
  // Air columns between and beside the wedges, and air lines before and after: the air
  // reference and the edges between steps must be visible in the scan itself.
  const double gap = belt_mm / 40, margin = scan_mm / 20;
  const double band = (belt_mm - gap * (wedges.size() + 1)) / static_cast<double>(wedges.size());
  nlohmann::json layout = nlohmann::json::array();
  for (std::size_t w = 0; w < wedges.size(); ++w) {
    const WedgeSpec& spec = wedges[w];
    const double x0 = gap + w * (band + gap);
    const double step_len = (scan_mm - 2 * margin) / static_cast<double>(spec.steps_cm.size());
    for (std::size_t s = 0; s < spec.steps_cm.size(); ++s) {
      const double y0 = margin + s * step_len;
      Item item;
      item.material = material_index(spec.material);
      item.solid.shape = Shape::kBox;
      item.solid.half = {band / 2, step_len / 2, spec.steps_cm[s] * 5.0};  // cm -> half mm
      item.solid.centre = {x0 + band / 2, y0 + step_len / 2, 0};
      scene->add(item);
      // The box is every pixel and line whose centre lies on the step.
      TruthObject t;
      t.klass = "wedge_step";
      t.material = spec.material;
      t.thickness_cm = spec.steps_cm[s];
      t.x = static_cast<int>(std::ceil(x0 / grid.pixel_pitch_mm - 0.5));
      t.w = static_cast<int>(std::floor((x0 + band) / grid.pixel_pitch_mm - 0.5)) - t.x + 1;
      t.y = static_cast<int>(std::ceil(y0 / grid.line_pitch_mm - 0.5));
      t.h = static_cast<int>(std::floor((y0 + step_len) / grid.line_pitch_mm - 0.5)) - t.y + 1;
      t.extra = {{"step", s}, {"wedge", w}};
      scene->add_fixed_truth(std::move(t));
    }
    layout.push_back({{"material", spec.material}, {"steps_cm", spec.steps_cm}});
  }
  scene->finish({{"kind", "wedges"},
                 {"seed", config.seed},
                 {"index", config.index},
                 {"seconds", scan_mm / (config.belt_speed_m_s * 1000.0)},
                 {"wedges", layout}});
  return scene;
}

}  // namespace oi::sim
