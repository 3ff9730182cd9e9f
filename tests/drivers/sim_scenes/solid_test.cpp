// Path lengths through single primitives against their closed-form chords, rasterised the
// way scenes rasterise them.
#include <gtest/gtest.h>

#include <cmath>

#include "assembly.hpp"
#include "raster_scene.hpp"

namespace oi::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;

SceneGrid small_grid() { return SceneGrid{200, 200, 1.0, 1.0}; }

// Path (cm) of `material` at pixel x, line y, from render_line.
float path_at(const RasterScene& scene, std::string_view material, int x, int y) {
  LinePaths line;
  line.reset(static_cast<int>(standard_materials().size()), scene.grid().pixels);
  scene.render_line(y, line);
  return line.of(material_index(material))[x];
}

TEST(Solid, AxisAlignedBoxHasItsThicknessInsideAndNothingOutside) {
  RasterScene scene(small_grid(), 3.0);
  Item box = box_part("aluminium", {40, 30, 12.5}, {100, 100, 0}).item;  // 25 mm thick
  scene.add(box);
  scene.finish({});
  EXPECT_NEAR(path_at(scene, "aluminium", 100, 100), 2.5f, 1e-5);
  EXPECT_NEAR(path_at(scene, "aluminium", 61, 71), 2.5f, 1e-5);  // inside corner pixel
  EXPECT_EQ(path_at(scene, "aluminium", 59, 100), 0.0f);         // centre at 59.5: outside
  EXPECT_EQ(path_at(scene, "aluminium", 100, 131), 0.0f);
  EXPECT_EQ(path_at(scene, "steel", 100, 100), 0.0f);
  ASSERT_EQ(scene.maps().size(), 1u);
  EXPECT_EQ(scene.maps()[0].w, 80);  // pixel centres 60.5 .. 139.5
  EXPECT_EQ(scene.maps()[0].h, 60);
}

TEST(Solid, TiltedSlabIsThickerByOneOverCosine) {
  RasterScene scene(small_grid(), 3.0);
  const double tilt = deg(40);
  scene.add(box_part("steel", {60, 60, 5}, {100, 100, 0}, 1.0, 0, Rotation::from_angles(0, 0, tilt)).item);
  scene.finish({});
  EXPECT_NEAR(path_at(scene, "steel", 100, 100), 1.0 / std::cos(tilt), 1e-4);
}

TEST(Solid, CylinderLyingAcrossTheBeamHasCircularChords) {
  RasterScene scene(small_grid(), 3.0);
  const double r = 30;
  // Axis along y (the belt): at pixel offset d from the axis the chord is 2 sqrt(r^2 - d^2).
  scene.add(cylinder_part("water", r, 50, 1, {100, 100, 0}).item);
  scene.finish({});
  for (int x : {100, 110, 120, 128, 129}) {
    const double d = x + 0.5 - 100;
    const double expected_cm = 0.2 * std::sqrt(r * r - d * d);
    EXPECT_NEAR(path_at(scene, "water", x, 100), expected_cm, 1e-4) << "pixel " << x;
  }
  EXPECT_EQ(path_at(scene, "water", 131, 100), 0.0f);
  EXPECT_EQ(path_at(scene, "water", 100, 151), 0.0f);  // beyond the end cap
}

TEST(Solid, CylinderStandingAlongTheBeamIsADiscOfConstantThickness) {
  RasterScene scene(small_grid(), 3.0);
  scene.add(cylinder_part("pom", 20, 15, 2, {100, 100, 0}).item);
  scene.finish({});
  EXPECT_NEAR(path_at(scene, "pom", 100, 100), 3.0, 1e-5);
  EXPECT_NEAR(path_at(scene, "pom", 113, 113), 3.0, 1e-5);  // 13.5 * sqrt(2) = 19.1 < 20
  EXPECT_EQ(path_at(scene, "pom", 115, 115), 0.0f);         // 15.5 * sqrt(2) = 21.9 > 20
}

TEST(Solid, HollowCylinderIsTwoWallsWhereTheBeamCrossesTheBore) {
  RasterScene scene(small_grid(), 3.0);
  const double r = 10, wall = 2;  // lying along x
  scene.add(cylinder_part("steel", r, 40, 0, {100, 100, 0}, 1.0, wall).item);
  scene.finish({});
  // Through the axis: 2 walls. At 9.5 mm off axis: outside the bore, full outer chord.
  EXPECT_NEAR(path_at(scene, "steel", 100, 100), 0.1 * 2 * (std::sqrt(r * r - 0.25) - std::sqrt(64 - 0.25)),
              1e-4);
  EXPECT_NEAR(path_at(scene, "steel", 100, 109), 0.2 * std::sqrt(r * r - 9.5 * 9.5), 1e-4);
}

TEST(Solid, EllipsoidChordThroughItsCentreIsItsAxis) {
  RasterScene scene(small_grid(), 3.0);
  scene.add(ellipsoid_part("nylon", {50, 30, 20}, {100, 100, 0}, 0.5).item);  // path scale 0.5
  scene.finish({});
  EXPECT_NEAR(path_at(scene, "nylon", 100, 100), 0.5 * 0.1 * 2 * 20 * std::sqrt(1 - 0.25 / 2500 - 0.25 / 900),
              1e-4);
}

TEST(Solid, PrismFollowsItsPolygon) {
  RasterScene scene(small_grid(), 3.0);
  // A right triangle, clockwise on purpose (prism_part fixes the winding).
  scene.add(prism_part("steel", {{0, 0}, {0, 60}, {60, 0}}, 1.5, {70, 70, 0}).item);
  scene.finish({});
  EXPECT_NEAR(path_at(scene, "steel", 80, 80), 0.3, 1e-5);   // (10.5, 10.5): inside
  EXPECT_EQ(path_at(scene, "steel", 105, 105), 0.0f);        // (35.5, 35.5): beyond the hypotenuse
  EXPECT_NEAR(path_at(scene, "steel", 127, 71), 0.3, 1e-5);  // (57.5, 1.5): inside near the corner
}

TEST(Solid, ConvexChordMatchesGeometryForAnObliqueRay) {
  // A unit-direction ray at 45 degrees through the centre of a 10 mm cube: 10 * sqrt(2).
  const double s = std::sqrt(0.5);
  EXPECT_NEAR(convex_chord(Shape::kBox, {5, 5, 5}, {}, {0, 0, 0}, {s, 0, s}), 10 * std::sqrt(2.0), 1e-9);
  EXPECT_NEAR(convex_chord(Shape::kEllipsoid, {5, 5, 5}, {}, {0, 0, 0}, {s, 0, s}), 10, 1e-9);
  EXPECT_EQ(convex_chord(Shape::kBox, {5, 5, 5}, {}, {6, 0, 0}, {0, 0, 1}), 0.0);
  (void)kPi;
}

TEST(Solid, RenderLineRejectsAWronglySizedBuffer) {
  RasterScene scene(small_grid(), 3.0);
  scene.finish({});
  LinePaths line;
  line.reset(3, 200);
  EXPECT_THROW(scene.render_line(0, line), std::invalid_argument);
}

}  // namespace
}  // namespace oi::sim
