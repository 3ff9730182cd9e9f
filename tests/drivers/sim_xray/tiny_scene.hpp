#pragma once
// A tiny hand-made scene for the simulator's own tests, so they do not depend on the scene
// generators: a water slab across the middle of the line with a steel bar and a lead disc.
#include <cmath>
#include <vector>

#include "scene.hpp"

namespace oi::sim::test {

class TinyScene final : public Scene {
 public:
  TinyScene(int pixels, int lines) : pixels_(pixels), lines_(lines) {
    truth_.push_back(
        TruthObject{"shielding", "lead", pixels / 2, lines / 3, pixels / 8, lines / 3, 1.0, 0.3, {}});
  }
  int lines() const override { return lines_; }
  void render_line(int y, LinePaths& out) const override {
    for (int x = pixels_ / 8; x < pixels_ * 7 / 8; ++x) out.of(material_index("water"))[x] = 5.0f;
    if (y > lines_ / 4) {
      for (int x = pixels_ / 4; x < pixels_ / 3; ++x) out.of(material_index("steel"))[x] = 0.5f;
    }
    const double r = pixels_ / 16.0;
    for (int x = 0; x < pixels_; ++x) {
      const double dx = x - pixels_ * 0.56, dy = y - lines_ * 0.5;
      if (dx * dx + dy * dy < r * r) out.of(material_index("lead"))[x] = 0.3f;
    }
  }
  const std::vector<TruthObject>& truth() const override { return truth_; }
  nlohmann::json describe() const override { return {{"kind", "tiny"}}; }

 private:
  int pixels_, lines_;
  std::vector<TruthObject> truth_;
};

}  // namespace oi::sim::test
