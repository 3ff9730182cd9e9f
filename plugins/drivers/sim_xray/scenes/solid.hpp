#pragma once
/// @file
/// Solids on the belt and the length of a beam ray through them. The beam is parallel to
/// the world z axis (scatter-free parallel projection), so a ray is fixed by its (x, y) on
/// the belt; every chord below is exact for its primitive, not sampled.
///
/// World frame, millimetres: x across the belt (pixel index x pitch), y along the belt (line
/// index x line pitch), z along the beam. A solid has a local frame (its own axes) placed by
/// a rotation and a centre.

#include <array>
#include <vector>

namespace oi::sim {

/// A 3-vector in millimetres.
struct Vec3 {
  double x = 0, y = 0, z = 0;
};

/// A rotation: columns are the solid's local axes expressed in world coordinates.
struct Rotation {
  std::array<std::array<double, 3>, 3> m{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};

  /// Rotation about world z by `yaw` (in the belt plane), after tilting about the local x
  /// axis by `roll` and the local y axis by `pitch`: R = Rz(yaw) * Ry(pitch) * Rx(roll).
  /// Radians. Tilts change the projected outline and thickness; yaw only turns it.
  static Rotation from_angles(double yaw, double pitch = 0, double roll = 0);
  /// this * other: apply `other` first (a part's pose inside an object, then the object's).
  Rotation operator*(const Rotation& other) const;
  /// Local -> world.
  Vec3 apply(const Vec3& v) const;
  /// World -> local (the transpose).
  Vec3 apply_inverse(const Vec3& v) const;
};

/// The primitive shapes. Every shape is centred on its local origin.
enum class Shape {
  kBox,        ///< half extents (hx, hy, hz)
  kEllipsoid,  ///< semi-axes (hx, hy, hz)
  kCylinder,   ///< elliptic cylinder along local z: radii (hx, hy), half length hz
  kPrism,      ///< convex polygon in local xy (counter-clockwise), extruded over z in [-hz, hz];
               ///< hx, hy: the polygon's extent (must be > 0)
};

/// One convex primitive, optionally hollow: a hollow solid's chord is its outer chord minus
/// the chord of the same shape shrunk by `wall` (exact because the inner solid lies inside).
struct Solid {
  Shape shape = Shape::kBox;
  Vec3 half;                                   ///< half extents / semi-axes / radii+half length, mm
  std::vector<std::array<double, 2>> polygon;  ///< kPrism only: convex, counter-clockwise, mm
  double wall = 0;                             ///< > 0: hollow, with walls this thick (mm)
  Rotation rotation;                           ///< local -> world
  Vec3 centre;                                 ///< world position of the local origin, mm

  /// Length in millimetres of the beam ray at belt position (x, y) inside the solid.
  double chord(double x, double y) const;
  /// World-space bounding rectangle on the belt: {xmin, ymin, xmax, ymax}, mm.
  std::array<double, 4> footprint() const;
};

/// Evaluates one solid's chords at many rays: the per-solid work (rotating the beam into the
/// solid's frame, the inner shape of a hollow solid) is done once. Keeps a reference to the
/// solid.
class ChordEvaluator {
 public:
  /// Prepares `solid`, which must outlive the evaluator.
  explicit ChordEvaluator(const Solid& solid);
  /// Same as solid.chord(x, y).
  double operator()(double x, double y) const;

 private:
  const Solid& solid_;
  Vec3 d_, ex_, ey_, o00_;  // beam direction, world x and y steps, world origin: all local
  Vec3 inner_half_;
  std::vector<std::array<double, 2>> inner_polygon_;
};

/// Chord of the ray origin `o`, unit direction `d` (both local) through the un-hollowed
/// shape with half extents `h`. Exposed for tests.
double convex_chord(Shape shape, const Vec3& h, const std::vector<std::array<double, 2>>& polygon,
                    const Vec3& o, const Vec3& d);

}  // namespace oi::sim
