// Ordinary contents of parcels and bags. Sizes are typical of the real objects (mm); bulk
// densities below the material's nominal density are path scales (folded cotton is mostly
// air, a paperback about 0.7 g/cm3 against cellulose's 1.5).
#include <algorithm>
#include <cmath>

#include "assembly.hpp"

namespace oi::sim {

namespace {

Rotation axis_rotation(int axis) {
  if (axis == 0) return Rotation::from_angles(0, deg(90), 0);
  if (axis == 1) return Rotation::from_angles(0, 0, deg(-90));
  return {};
}

// Most things lie flat; some lean on their neighbours.
Rotation lean(Rng& rng, double sigma_deg) {
  return Rotation::from_angles(0, deg(rng.normal(0, sigma_deg)), deg(rng.normal(0, sigma_deg)));
}

}  // namespace

Part box_part(std::string_view material, Vec3 half, Vec3 at, double path_scale, double wall, Rotation rot) {
  Part p;
  p.item.material = material_index(material);
  p.item.path_scale = path_scale;
  p.item.solid.shape = Shape::kBox;
  p.item.solid.half = half;
  p.item.solid.wall = wall;
  p.item.solid.rotation = rot;
  p.item.solid.centre = at;
  return p;
}

Part ellipsoid_part(std::string_view material, Vec3 half, Vec3 at, double path_scale, Rotation rot) {
  Part p = box_part(material, half, at, path_scale, 0, rot);
  p.item.solid.shape = Shape::kEllipsoid;
  return p;
}

Part cylinder_part(std::string_view material, double r, double hl, int axis, Vec3 at, double path_scale,
                   double wall) {
  Part p = box_part(material, {r, r, hl}, at, path_scale, wall, axis_rotation(axis));
  p.item.solid.shape = Shape::kCylinder;
  return p;
}

Part prism_part(std::string_view material, std::vector<std::array<double, 2>> polygon, double hz, Vec3 at,
                double path_scale, double wall) {
  double area = 0;
  for (std::size_t i = 0; i < polygon.size(); ++i) {
    const auto& a = polygon[i];
    const auto& b = polygon[(i + 1) % polygon.size()];
    area += a[0] * b[1] - b[0] * a[1];
  }
  if (area < 0) std::reverse(polygon.begin(), polygon.end());  // the chord wants counter-clockwise
  double bx = 0, by = 0;
  for (const auto& v : polygon) bx = std::max(bx, std::abs(v[0])), by = std::max(by, std::abs(v[1]));
  Part p = box_part(material, {bx, by, hz}, at, path_scale, wall);
  p.item.solid.shape = Shape::kPrism;
  p.item.solid.polygon = std::move(polygon);
  return p;
}

Assembly make_clothes(Rng& rng) {
  Assembly a{"clothes"};
  const bool cotton = rng.chance(0.6);
  const int layers = rng.integer(1, 3);
  for (int i = 0; i < layers; ++i) {
    const Vec3 half{rng.uniform(110, 230), rng.uniform(90, 180), rng.uniform(8, 30)};
    const Vec3 at{rng.uniform(-30, 30), rng.uniform(-30, 30), 0};
    const double scale = rng.uniform(0.10, 0.25);
    if (rng.chance(0.5)) {
      a.parts.push_back(ellipsoid_part(cotton ? "cellulose" : "nylon", half, at, scale));
    } else {
      a.parts.push_back(box_part(cotton ? "cellulose" : "nylon", half, at, scale));
    }
  }
  if (rng.chance(0.3)) {  // jeans: a zip and rivets
    a.parts.push_back(box_part("steel", {rng.uniform(40, 90), 2.5, 0.6}, {0, rng.uniform(-40, 40), 0}, 0.5));
    for (int i = 0; i < 4; ++i) {
      a.parts.push_back(cylinder_part("copper", 4, 1, 2, {rng.uniform(-120, 120), rng.uniform(-80, 80), 0}));
    }
  }
  if (rng.chance(0.15)) {  // a belt with its buckle
    a.parts.push_back(box_part("rubber", {rng.uniform(150, 300), 18, 2}, {0, rng.uniform(-50, 50), 0}, 0.9));
    a.parts.push_back(box_part("steel", {25, 20, 2}, {rng.uniform(-150, 150), 0, 0}, 1.0, 1.5));
  }
  return a;
}

Assembly make_book(Rng& rng) {
  Assembly a{"book"};
  a.parts.push_back(box_part("cellulose", {rng.uniform(65, 120), rng.uniform(95, 150), rng.uniform(6, 25)},
                             {}, rng.uniform(0.5, 0.75)));
  a.tilt = lean(rng, 4);
  return a;
}

Assembly make_papers(Rng& rng) {
  Assembly a{"papers"};
  a.parts.push_back(box_part("cellulose", {rng.uniform(100, 150), rng.uniform(140, 210), rng.uniform(1, 6)},
                             {}, rng.uniform(0.5, 0.7)));
  if (rng.chance(0.3))
    a.parts.push_back(box_part("steel", {4, 12, 0.3}, {rng.uniform(-60, 60), 120, 0}));  // clip
  return a;
}

Assembly make_food(Rng& rng) {
  Assembly a{"food"};
  const double kind = rng.uniform();
  if (kind < 0.45) {  // a box of sugar, cereal, pasta
    const Vec3 half{rng.uniform(40, 90), rng.uniform(70, 140), rng.uniform(25, 55)};
    a.parts.push_back(box_part("sugar", {half.x - 1, half.y - 1, half.z - 1}, {}, rng.uniform(0.3, 0.55)));
    a.parts.push_back(box_part("cellulose", half, {}, 0.6, 0.8));
  } else if (kind < 0.8) {  // a tin: thin steel with a watery filling
    const double r = rng.uniform(32, 42), hl = rng.uniform(40, 60);
    const int axis = rng.chance(0.5) ? 2 : 0;
    a.parts.push_back(cylinder_part("steel", r, hl, axis, {}, 1.0, 0.22));
    a.parts.push_back(cylinder_part("water", r - 0.3, hl - 1, axis, {}, rng.uniform(0.8, 1.0)));
  } else {  // chocolate, sweets: dense sugar slabs in foil
    const Vec3 half{rng.uniform(40, 80), rng.uniform(60, 110), rng.uniform(5, 12)};
    a.parts.push_back(box_part("sugar", half, {}, rng.uniform(0.75, 0.85)));
    a.parts.push_back(box_part("aluminium", {half.x + 0.5, half.y + 0.5, half.z + 0.5}, {}, 1.0, 0.02));
  }
  a.tilt = lean(rng, 5);
  return a;
}

Assembly make_bottle(Rng& rng) {
  Assembly a{"bottle"};
  const bool glass = rng.chance(0.4);
  const double r = glass ? rng.uniform(30, 38) : rng.uniform(33, 45);
  const double hl = rng.uniform(90, 150);
  const double wall = glass ? rng.uniform(2.5, 4.0) : rng.uniform(0.35, 0.6);
  a.parts.push_back(cylinder_part(glass ? "glass" : "polyethylene", r, hl, 2, {}, 1.0, wall));
  const double fill = rng.uniform(0.55, 0.97);  // how full: the liquid lies on one side when lying down
  const double liquid_hl = (hl - wall) * fill;
  a.parts.push_back(cylinder_part("water", r - wall, liquid_hl, 2, {0, 0, -(hl - wall) + liquid_hl}));
  a.parts.push_back(
      cylinder_part(glass ? "steel" : "polyethylene", 15, 6, 2, {0, 0, hl + 6}, glass ? 0.05 : 0.5));
  // Usually lying (beam across the axis), sometimes standing (beam along it).
  a.tilt = rng.chance(0.8) ? Rotation::from_angles(0, deg(90 + rng.normal(0, 5)), 0)
                           : Rotation::from_angles(0, deg(rng.normal(0, 5)), 0);
  return a;
}

Assembly make_shoes(Rng& rng) {
  Assembly a{"shoes"};
  const double len = rng.uniform(120, 150), width = rng.uniform(40, 52);
  const bool shank = rng.chance(0.3);
  const int shoes = rng.chance(0.8) ? 2 : 1;
  for (int s = 0; s < shoes; ++s) {
    const double dx = shoes == 2 ? (s == 0 ? -1 : 1) * (width + 8) : 0;
    const double flip = s == 0 ? 1 : -1;  // pairs often lie heel to toe
    a.parts.push_back(
        box_part("rubber", {width, len, rng.uniform(8, 16)}, {dx, 0, 0}, rng.uniform(0.6, 0.9)));
    a.parts.push_back(ellipsoid_part(rng.chance(0.5) ? "nylon" : "cellulose", {width * 0.95, len * 0.8, 45},
                                     {dx, flip * len * 0.1, 0}, 0.12));
    if (shank) a.parts.push_back(box_part("steel", {6, 40, 0.8}, {dx, flip * -20, 0}));
  }
  return a;
}

Assembly make_laptop(Rng& rng) {
  Assembly a{"laptop"};
  const double hx = rng.uniform(140, 180), hy = rng.uniform(100, 125), hz = rng.uniform(7, 11);
  const bool metal_case = rng.chance(0.5);
  a.parts.push_back(box_part(metal_case ? "aluminium" : "polyethylene", {hx, hy, hz}, {},
                             metal_case ? 1.0 : 0.9, metal_case ? 0.8 : 1.5));
  a.parts.push_back(box_part("glass", {hx - 8, hy - 8, 0.35}, {0, 0, hz - 2}));
  a.parts.push_back(box_part("fr4", {hx * 0.5, hy * 0.45, 0.8}, {hx * 0.2, hy * 0.3, 0}));
  a.parts.push_back(box_part("battery", {hx * 0.75, 28, 3.5}, {0, -hy + 35, 0}));
  a.parts.push_back(cylinder_part("copper", 3, rng.uniform(40, 70), 0, {hx * 0.1, hy * 0.4, 0}, 0.4, 0.6));
  a.parts.push_back(box_part("copper", {15, 15, 2}, {-hx * 0.4, hy * 0.4, 0}, 0.6));  // fan and heatsink
  for (int i = 0; i < 10; ++i) {                                                      // screws
    a.parts.push_back(
        cylinder_part("steel", 1.1, 2.5, 2, {rng.uniform(-hx + 5, hx - 5), rng.uniform(-hy + 5, hy - 5), 0}));
  }
  a.tilt = lean(rng, 3);
  return a;
}

Assembly make_phone(Rng& rng) {
  Assembly a{"phone"};
  const double hx = rng.uniform(33, 40), hy = rng.uniform(68, 80);
  a.parts.push_back(box_part("aluminium", {hx, hy, 4}, {}, 1.0, 1.0));
  a.parts.push_back(box_part("glass", {hx - 1, hy - 1, 0.35}, {0, 0, 3.5}));
  a.parts.push_back(box_part("battery", {hx - 5, hy * 0.45, 2.3}, {0, -hy * 0.25, 0}));
  a.parts.push_back(box_part("fr4", {hx - 6, hy * 0.25, 0.5}, {0, hy * 0.55, 0}));
  a.parts.push_back(box_part("steel", {hx - 6, 6, 0.8}, {0, hy * 0.55, 1.5}));  // shields over the chips
  a.parts.push_back(cylinder_part("copper", 6, 1, 2, {0, hy * 0.75, 0}, 0.5));  // camera, speaker magnets
  return a;
}

Assembly make_charger(Rng& rng) {
  Assembly a{"charger"};
  if (rng.chance(0.5)) {  // wall charger: plastic housing, transformer, board, pins
    a.parts.push_back(box_part("polyethylene", {25, 30, 15}, {}, 0.9, 1.5));
    a.parts.push_back(cylinder_part("copper", 9, 7, 2, {0, 5, 0}, 0.5));
    a.parts.push_back(box_part("steel", {8, 8, 6}, {0, 5, 0}, 0.5));  // transformer core
    a.parts.push_back(box_part("fr4", {22, 26, 0.8}, {0, 0, -8}));
    a.parts.push_back(box_part("copper", {1, 8, 1}, {-6, 35, 0}));
    a.parts.push_back(box_part("copper", {1, 8, 1}, {6, 35, 0}));
  } else {  // power bank: cells in a plastic shell
    const int cells = rng.integer(1, 4);
    a.parts.push_back(box_part("polyethylene", {cells * 10.0 + 3, 40, 12}, {}, 0.9, 1.2));
    for (int i = 0; i < cells; ++i) {
      const double x = (i - (cells - 1) / 2.0) * 20;
      a.parts.push_back(cylinder_part("steel", 9, 32, 1, {x, 0, 0}, 1.0, 0.25));
      a.parts.push_back(cylinder_part("battery", 8.7, 31.5, 1, {x, 0, 0}, 0.85));
    }
    a.parts.push_back(box_part("fr4", {cells * 10.0, 6, 0.8}, {0, 35, 0}));
  }
  // And its cable: copper in PVC.
  const double len = rng.uniform(80, 200);
  a.parts.push_back(cylinder_part("pvc", 2.2, len, 0, {0, rng.uniform(-60, 60), 0}, 1.0, 1.2));
  a.parts.push_back(cylinder_part("copper", 0.8, len, 0, {0, a.parts.back().item.solid.centre.y, 0}, 0.6));
  return a;
}

Assembly make_batteries(Rng& rng) {
  Assembly a{"batteries"};
  const int cells = rng.integer(2, 8);
  const double r = rng.chance(0.7) ? 7.0 : 5.0;  // AA or AAA
  for (int i = 0; i < cells; ++i) {
    const double x = (i - (cells - 1) / 2.0) * (2 * r + 0.5);
    a.parts.push_back(cylinder_part("steel", r, 24, 1, {x, 0, 0}, 1.0, 0.3));
    a.parts.push_back(cylinder_part("battery", r - 0.4, 23, 1, {x, 0, 0}, 0.8));
  }
  a.parts.push_back(box_part("pvc", {cells * r + 4, 32, r + 2}, {}, 0.5, 0.5));  // blister pack
  return a;
}

Assembly make_tool(Rng& rng) {
  Assembly a{"tool"};
  const double kind = rng.uniform();
  if (kind < 0.35) {  // spanner
    a.parts.push_back(box_part("steel", {rng.uniform(55, 100), rng.uniform(5, 9), 2.5}));
    a.parts.push_back(cylinder_part("steel", 12, 2.5, 2, {a.parts[0].item.solid.half.x, 0, 0}, 1.0, 4));
  } else if (kind < 0.7) {  // screwdriver
    const double shaft = rng.uniform(40, 90);
    a.parts.push_back(cylinder_part("steel", rng.uniform(2, 3.5), shaft, 0, {shaft, 0, 0}));
    a.parts.push_back(cylinder_part(rng.chance(0.5) ? "pom" : "pvc", 14, 50, 0, {-50, 0, 0}));
  } else if (kind < 0.85) {  // keys on a ring
    for (int i = 0; i < rng.integer(2, 5); ++i) {
      const double ang = rng.uniform(0, 6.28);
      a.parts.push_back(prism_part(rng.chance(0.5) ? "steel" : "copper", {{0, -7}, {45, -4}, {45, 4}, {0, 7}},
                                   1.0, {std::cos(ang) * 10, std::sin(ang) * 10, 0}));
      a.parts.back().item.solid.rotation = Rotation::from_angles(ang);
    }
    a.parts.push_back(cylinder_part("steel", 13, 1, 2, {}, 1.0, 1.2));
  } else {  // scissors: two flat blades, plastic handles
    a.parts.push_back(prism_part("steel", {{0, -6}, {90, -1}, {90, 1}, {0, 6}}, 1.0, {0, 2, 0}));
    a.parts.push_back(prism_part("steel", {{0, -6}, {90, -1}, {90, 1}, {0, 6}}, 1.0, {0, -2, 1.5}));
    a.parts.push_back(box_part("polyethylene", {35, 22, 4}, {-35, 0, 0}, 0.8));
  }
  return a;
}

Assembly make_toiletries(Rng& rng) {
  Assembly a{"toiletries"};
  if (rng.chance(0.5)) {  // aerosol: thin aluminium can with liquid
    a.parts.push_back(cylinder_part("aluminium", 25, 75, 0, {}, 1.0, 0.45));
    a.parts.push_back(cylinder_part("water", 24, 50, 0, {-20, 0, 0}, 0.9));
  } else {  // plastic bottles of shampoo, creams
    const int n = rng.integer(1, 3);
    for (int i = 0; i < n; ++i) {
      const double r = rng.uniform(18, 30), hl = rng.uniform(40, 80);
      a.parts.push_back(cylinder_part("polyethylene", r, hl, 1, {i * 2.2 * r, 0, 0}, 1.0, 0.8));
      a.parts.push_back(cylinder_part("water", r - 0.8, hl - 10, 1, {i * 2.2 * r, 0, 0}, 1.0));
    }
  }
  return a;
}

Assembly make_umbrella(Rng& rng) {
  Assembly a{"umbrella"};
  const double len = rng.uniform(110, 160);
  a.parts.push_back(ellipsoid_part("nylon", {len, 22, 20}, {}, 0.15));
  a.parts.push_back(cylinder_part("steel", 4, len, 0, {}, 1.0, 0.8));
  for (int i = 0; i < 8; ++i) {
    a.parts.push_back(cylinder_part("steel", 1.0, len * 0.85, 0, {len * 0.1, rng.uniform(-12, 12), 0}));
  }
  a.parts.push_back(cylinder_part("pom", 14, 45, 0, {-len - 40, 0, 0}));
  return a;
}

}  // namespace oi::sim
