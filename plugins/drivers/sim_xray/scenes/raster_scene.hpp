#pragma once
/// @file
/// The Scene every generator produces: a list of solids, each rasterised once at generation
/// into a small map of path lengths over the pixels and lines it covers, so render_line()
/// only adds the rows of the maps that overlap a line (microseconds per line).

#include <array>
#include <string>
#include <vector>

#include "scene.hpp"
#include "solid.hpp"

namespace oi::sim {

/// One solid of one material on the belt.
struct Item {
  MaterialIndex material = 0;  ///< index into standard_materials()
  double path_scale = 1.0;     ///< bulk density / nominal density (paper, clothes, powders)
  Solid solid;                 ///< shape and pose, mm
  int group = -1;              ///< ground-truth group (RasterScene::add_group) or -1
};

/// An item rasterised: path lengths in cm (already multiplied by path_scale) over the
/// pixel/line rectangle [x0, x0 + w) x [y0, y0 + h); rows are contiguous.
struct ItemMap {
  MaterialIndex material = 0;
  float path_scale = 1.0f;
  int group = -1;
  int x0 = 0, y0 = 0, w = 0, h = 0;
  std::vector<float> cm;  ///< h rows of w values

  /// Path (cm) at scan pixel (x, y); 0 outside the map.
  float at(int x, int y) const {
    if (x < x0 || y < y0 || x >= x0 + w || y >= y0 + h) return 0.0f;
    return cm[static_cast<std::size_t>(y - y0) * w + (x - x0)];
  }
};

/// Sampling grid of a scene.
struct SceneGrid {
  int pixels = 1024;            ///< detector pixels across the belt
  int lines = 0;                ///< lines of the whole scan
  double pixel_pitch_mm = 0.8;  ///< across the belt
  double line_pitch_mm = 0.8;   ///< along the belt
};

/// A scene made of rasterised items, with ground truth computed from the items themselves.
class RasterScene final : public Scene {
 public:
  /// Empty scene on `grid`; `impenetrable_steel_cm` is the hidden-fraction threshold.
  RasterScene(SceneGrid grid, double impenetrable_steel_cm);

  /// Opens a ground-truth group (one threat). `proto` supplies klass, material and extra;
  /// finish() fills its box, thickness and hidden fraction. Returns the group id for Item.
  int add_group(TruthObject proto);
  /// Rasterises an item (ray through each pixel/line centre). Items that miss the scan are
  /// kept out of the maps but still counted in describe().
  void add(const Item& item);
  /// A truth object whose box is known up front (wedge steps).
  void add_fixed_truth(TruthObject object);
  /// Computes every group's truth, and describe()'s `contents`: the mass (g) of what lies on
  /// the scan by material class, {organic_g, inorganic_g, metal_g, total_g}. Throws std::logic_error when a
  /// threat left no pixel on the scan (a generator bug: a threat nobody could ever see must not be counted as
  /// missed).
  void finish(nlohmann::json description);

  int lines() const override { return grid_.lines; }
  void render_line(int y, LinePaths& out) const override;
  const std::vector<TruthObject>& truth() const override { return truth_; }
  nlohmann::json describe() const override { return description_; }

  /// The grid.
  const SceneGrid& grid() const { return grid_; }
  /// Rasterised items (tests check path lengths against them).
  const std::vector<ItemMap>& maps() const { return maps_; }

 private:
  SceneGrid grid_;
  double impenetrable_steel_cm_;
  std::vector<ItemMap> maps_;
  std::vector<TruthObject> groups_;
  std::vector<TruthObject> truth_;
  nlohmann::json description_;
  int items_ = 0;
  std::array<double, 3> mass_g_{};  // on the scan, by MaterialClass (organic, inorganic, metal)
};

}  // namespace oi::sim
