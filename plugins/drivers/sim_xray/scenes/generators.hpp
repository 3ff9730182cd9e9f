#pragma once
/// @file
/// The scene generators behind generate_scene().

#include <memory>

#include "assembly.hpp"
#include "raster_scene.hpp"
#include "rng.hpp"
#include "scene.hpp"

namespace oi::sim {

/// Adds an assembly's parts to `scene`, posed by `yaw` (in the belt plane) after the
/// assembly's own tilt and moved to `centre`; its truth prototypes become truth groups.
void add_assembly(RasterScene& scene, const Assembly& a, const Rotation& yaw, const Vec3& centre);

/// `parcels` (bag = false) or `bags`.
std::unique_ptr<Scene> generate_container_scene(const SceneConfig& config, Rng& rng, bool bag);

/// `wedges`: step wedges of reference materials (see wedge_steps()).
std::unique_ptr<Scene> generate_wedge_scene(const SceneConfig& config);

/// One material's step wedge: its material name and its step thicknesses (cm), thin to thick.
struct WedgeSpec {
  std::string material;
  std::vector<double> steps_cm;
};
/// The wedges of object `index`: the organic wedge is polyethylene for even indices and POM
/// for odd ones, then aluminium, steel and lead.
std::vector<WedgeSpec> wedge_steps(std::uint64_t index);

}  // namespace oi::sim
