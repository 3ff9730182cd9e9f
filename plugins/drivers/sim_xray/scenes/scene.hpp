#pragma once
/// @file
/// What a scene gives the physics, line by line, and what it gives evaluation: the ground
/// truth. A scene is a procedurally generated object on the belt (a parcel, a bag, a step
/// wedge) seen in scatter-free parallel projection: for each detector line y and pixel x, the
/// path length through every material along the beam.

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "materials.hpp"

namespace oi::sim {

/// Path lengths of one detector line, dense [material][pixel], in centimetres.
struct LinePaths {
  int pixels = 0;         ///< detector pixels
  int materials = 0;      ///< standard_materials().size()
  std::vector<float> cm;  ///< materials * pixels

  /// Sizes and zero-fills.
  void reset(int material_count, int pixel_count) {
    materials = material_count;
    pixels = pixel_count;
    cm.assign(static_cast<std::size_t>(material_count) * pixel_count, 0.0f);
  }
  /// Row of material `m`.
  float* of(MaterialIndex m) { return cm.data() + static_cast<std::size_t>(m) * pixels; }
  const float* of(MaterialIndex m) const { return cm.data() + static_cast<std::size_t>(m) * pixels; }
};

/// One ground-truth object: a threat in a parcel/bag scene, or one step of a wedge.
struct TruthObject {
  std::string klass;     ///< "firearm", "narcotics", "shielding", "knife", or "wedge_step"
  std::string material;  ///< main material name (standard_materials())
  int x = 0, y = 0, w = 0,
      h = 0;  ///< bounding box in pixels of the assembled scan (x across, y along the belt)
  double hidden_fraction = 0.0;  ///< fraction of the box behind impenetrable material
  double thickness_cm = 0.0;     ///< wedge steps: thickness along the beam; threats: max path length
  nlohmann::json extra = nlohmann::json::object();  ///< kind-specific details (e.g. "shape", "rotation_deg")

  /// {"class", "material", "box": [x, y, w, h], "hidden_fraction", "thickness_cm", ...extra}.
  nlohmann::json to_json() const;
};

/// How to generate a scene.
struct SceneConfig {
  std::string kind = "parcels";  ///< "parcels", "bags" or "wedges"
  std::uint64_t seed = 1;        ///< run seed
  std::uint64_t index = 0;       ///< which object of the run (scene = f(seed, index): reproducible)
  int pixels = 1024;             ///< detector pixels per line
  double pixel_pitch_mm = 0.8;   ///< across the belt
  double line_pitch_mm = 0.8;    ///< belt travel per line (belt speed / line rate)
  double threat_rate = 0.2;      ///< probability that an object carries at least one threat
  double clutter = 1.0;          ///< clutter density factor (0 = empty box)
  double overlap = 1.0;          ///< how much items pile up along the beam (factor)
  bool knives = false;           ///< also generate knives as threats
  double min_seconds = 1.0;      ///< object length as belt time, at least...
  double max_seconds = 3.0;      ///< ...and at most
  double belt_speed_m_s = 0.2;   ///< to turn seconds into lines
  /// Ground truth: a ray is impenetrable when its steel-equivalent thickness (the minimum
  /// over 80, 100 and 150 keV, see impenetrable.hpp) exceeds this many cm; hidden_fraction
  /// counts a threat's pixels whose ray through everything else is impenetrable.
  double impenetrable_steel_cm = 3.0;
};

/// A generated object on the belt.
class Scene {
 public:
  virtual ~Scene() = default;
  /// Lines the object occupies (its whole scan, margins included).
  virtual int lines() const = 0;
  /// Fills `out` (already reset to the material count and pixels) for line `y` in [0, lines()).
  /// Must be fast: called for every line at thousands of lines per second. Thread-safe (const).
  virtual void render_line(int y, LinePaths& out) const = 0;
  /// Ground truth of the whole scan.
  virtual const std::vector<TruthObject>& truth() const = 0;
  /// Short description for metadata, e.g. {"kind": "parcels", "items": 23}.
  virtual nlohmann::json describe() const = 0;
};

/// Generates the scene `config` asks for; throws std::invalid_argument for an unknown kind.
std::unique_ptr<Scene> generate_scene(const SceneConfig& config);

}  // namespace oi::sim
