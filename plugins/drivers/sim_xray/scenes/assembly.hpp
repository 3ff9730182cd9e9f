#pragma once
/// @file
/// Building blocks of the parcel and bag scenes: an Assembly is one real-world object (a
/// shoe, a laptop, a handgun) made of solids in its own frame, placed on the belt as a whole.

#include <string>
#include <vector>

#include "raster_scene.hpp"
#include "rng.hpp"

namespace oi::sim {

/// A solid of an assembly, in the assembly's frame; `role` tells parts of a threat apart
/// from its cover (only parts with `threat` set join the threat's truth group).
struct Part {
  Item item;            ///< material, path scale, solid (pose relative to the assembly)
  int truth_slot = -1;  ///< which of the assembly's truth objects this part belongs to, or -1
};

/// One object made of parts, plus the truth objects (threats) it carries.
struct Assembly {
  /// An empty assembly called `n`.
  explicit Assembly(std::string n) : name(std::move(n)) {}
  std::string name;                                ///< e.g. "book", "handgun"
  std::vector<Part> parts;                         ///< solids in the assembly's frame (centred near 0)
  std::vector<TruthObject> truths;                 ///< truth prototypes; Part::truth_slot indexes this
  Rotation tilt;                                   ///< out-of-plane pose applied before the in-plane yaw
  nlohmann::json pose = nlohmann::json::object();  ///< tilt angles etc. for the truth extra
};

/// Shorthand constructors for parts. Sizes are half extents in mm; `at` is the centre in
/// the assembly frame; `rot` the part's own rotation.
Part box_part(std::string_view material, Vec3 half, Vec3 at = {}, double path_scale = 1.0, double wall = 0,
              Rotation rot = {});
Part ellipsoid_part(std::string_view material, Vec3 half, Vec3 at = {}, double path_scale = 1.0,
                    Rotation rot = {});
/// Cylinder of radius `r`, half length `hl`, axis along the assembly's `axis` (0 = x, 1 = y, 2 = z).
Part cylinder_part(std::string_view material, double r, double hl, int axis, Vec3 at = {},
                   double path_scale = 1.0, double wall = 0);
/// Convex polygon (any winding) in the assembly's xy plane, extruded +-hz.
Part prism_part(std::string_view material, std::vector<std::array<double, 2>> polygon, double hz,
                Vec3 at = {}, double path_scale = 1.0, double wall = 0);

/// Degrees to radians.
constexpr double deg(double d) { return d * 3.14159265358979323846 / 180.0; }

// Clutter: ordinary contents of parcels and bags.
Assembly make_clothes(Rng& rng);
Assembly make_book(Rng& rng);
Assembly make_papers(Rng& rng);
Assembly make_food(Rng& rng);
Assembly make_bottle(Rng& rng);
Assembly make_shoes(Rng& rng);
Assembly make_laptop(Rng& rng);
Assembly make_phone(Rng& rng);
Assembly make_charger(Rng& rng);
Assembly make_batteries(Rng& rng);
Assembly make_tool(Rng& rng);
Assembly make_toiletries(Rng& rng);
Assembly make_umbrella(Rng& rng);

// Threats. Each returns an assembly with one or more truth prototypes.
/// A handgun (pistol or revolver), whole, at a random tilt.
Assembly make_firearm(Rng& rng);
/// One part of a disassembled handgun: barrel, slide, magazine or frame.
Assembly make_firearm_part(Rng& rng);
/// A cocaine- or heroin-like package (brick or flat pack), sometimes concealed in a book,
/// clothes or food.
Assembly make_narcotics(Rng& rng);
/// A lead or thick steel container; its contents are sometimes a threat of their own.
Assembly make_shielding(Rng& rng);
/// A steel knife.
Assembly make_knife(Rng& rng);

}  // namespace oi::sim
