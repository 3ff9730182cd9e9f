// `parcels` and `bags`: a cardboard box or a soft bag with clutter and, with probability
// threat_rate, one or two threats.
#include <algorithm>
#include <cmath>
#include <functional>

#include "assembly.hpp"
#include "generators.hpp"

namespace oi::sim {

namespace {

using Rect = std::array<double, 4>;  // xmin, ymin, xmax, ymax (mm)

// Footprint of an assembly at yaw, centred on the origin.
Rect assembly_footprint(const Assembly& a, double yaw) {
  const Rotation pose = Rotation::from_angles(yaw) * a.tilt;
  Rect r{1e300, 1e300, -1e300, -1e300};
  for (const Part& p : a.parts) {
    Solid s = p.item.solid;
    s.rotation = pose * s.rotation;
    s.centre = pose.apply(s.centre);
    const auto f = s.footprint();
    r = {std::min(r[0], f[0]), std::min(r[1], f[1]), std::max(r[2], f[2]), std::max(r[3], f[3])};
  }
  return r;
}

double overlap_area(const Rect& a, const Rect& b) {
  const double w = std::min(a[2], b[2]) - std::max(a[0], b[0]);
  const double h = std::min(a[3], b[3]) - std::max(a[1], b[1]);
  return w > 0 && h > 0 ? w * h : 0.0;
}

// Puts assemblies into a container's interior. `overlap` < 1 spreads them out (the best of
// several candidate positions, the one least covering what is already there); 1 is plain
// uniform placement (natural piles); > 1 crowds them toward the middle.
class Placer {
 public:
  Placer(Rng& rng, RasterScene& scene, Rect interior, double overlap)
      : rng_(rng), scene_(scene), interior_(interior), overlap_(overlap) {}

  // Places `a` and adds its parts (threat parts into new truth groups). False when it fits
  // in no orientation tried and `must` is false (clutter too big for this container).
  bool place(const Assembly& a, bool must) {
    double yaw = 0;
    Rect fp{};
    bool fits = false;
    double best_excess = 1e300;
    for (int attempt = 0; attempt < 12 && !fits; ++attempt) {
      const double y = rng_.uniform(0, 2 * 3.14159265358979323846);
      const Rect f = assembly_footprint(a, y);
      const double excess = std::max(0.0, (f[2] - f[0]) - (interior_[2] - interior_[0])) +
                            std::max(0.0, (f[3] - f[1]) - (interior_[3] - interior_[1]));
      if (excess < best_excess) best_excess = excess, yaw = y, fp = f;
      fits = excess <= 0;
    }
    if (!fits && !must) return false;
    const double cx_lo = interior_[0] - fp[0], cx_hi = interior_[2] - fp[2];
    const double cy_lo = interior_[1] - fp[1], cy_hi = interior_[3] - fp[3];
    auto draw = [&](double lo, double hi) {
      if (hi <= lo) return (lo + hi) / 2;  // too big: centre it, it sticks out evenly
      if (overlap_ > 1) {
        const double mid = (lo + hi) / 2, half = (hi - lo) / 2 / overlap_;
        return rng_.uniform(mid - half, mid + half);
      }
      return rng_.uniform(lo, hi);
    };
    const int candidates = overlap_ < 1 ? 1 + static_cast<int>(std::lround((1 - overlap_) * 7)) : 1;
    double cx = 0, cy = 0, least = 1e300;
    for (int c = 0; c < candidates; ++c) {
      const double x = draw(cx_lo, cx_hi), y = draw(cy_lo, cy_hi);
      const Rect at{fp[0] + x, fp[1] + y, fp[2] + x, fp[3] + y};
      double covered = 0;
      for (const Rect& r : placed_) covered += overlap_area(at, r);
      if (covered < least) least = covered, cx = x, cy = y;
    }
    placed_.push_back({fp[0] + cx, fp[1] + cy, fp[2] + cx, fp[3] + cy});
    add_assembly(scene_, a, Rotation::from_angles(yaw), {cx, cy, 0});
    return true;
  }

 private:
  Rng& rng_;
  RasterScene& scene_;
  Rect interior_;
  double overlap_;
  std::vector<Rect> placed_;
};

// Smallest interior length (along the belt) that holds `a` with its footprint no wider than
// `width`: the yaw is free, so the generator can lengthen a short parcel for a long gun.
double needed_length(const Assembly& a, double width) {
  double best = 1e300;
  for (int k = 0; k < 36; ++k) {
    const Rect f = assembly_footprint(a, k * 3.14159265358979323846 / 36);
    if (f[2] - f[0] <= width) best = std::min(best, f[3] - f[1]);
  }
  return best;
}

using Maker = Assembly (*)(Rng&);

struct ClutterKind {
  Maker make;
  double parcel_weight;
  double bag_weight;
};

const std::vector<ClutterKind>& clutter_kinds() {
  static const std::vector<ClutterKind> kinds = {
      {make_clothes, 2.0, 6.0},   {make_book, 2.0, 1.0},   {make_papers, 1.5, 0.7},
      {make_food, 2.5, 1.0},      {make_bottle, 1.2, 1.0}, {make_shoes, 0.8, 1.5},
      {make_laptop, 0.6, 0.6},    {make_phone, 0.6, 0.7},  {make_charger, 0.8, 1.0},
      {make_batteries, 0.5, 0.4}, {make_tool, 0.6, 0.3},   {make_toiletries, 0.8, 1.5},
      {make_umbrella, 0.1, 0.4},
  };
  return kinds;
}

std::vector<Assembly> make_threats(Rng& rng, const SceneConfig& config) {
  std::vector<Assembly> threats;
  if (!rng.chance(config.threat_rate)) return threats;
  const int count = rng.chance(0.2) ? 2 : 1;
  const std::vector<double> weights{0.3, 0.4, 0.3, config.knives ? 0.2 : 0.0};
  for (int i = 0; i < count; ++i) {
    switch (rng.weighted(weights)) {
      case 0:
        threats.push_back(rng.chance(0.75) ? make_firearm(rng) : make_firearm_part(rng));
        break;
      case 1:
        threats.push_back(make_narcotics(rng));
        break;
      case 2:
        threats.push_back(make_shielding(rng));
        break;
      default:
        threats.push_back(make_knife(rng));
        break;
    }
  }
  return threats;
}

}  // namespace

void add_assembly(RasterScene& scene, const Assembly& a, const Rotation& yaw, const Vec3& centre) {
  const Rotation pose = yaw * a.tilt;
  std::vector<int> groups;
  for (TruthObject t : a.truths) {
    for (const auto& [k, v] : a.pose.items()) t.extra[k] = v;
    t.extra["object"] = a.name;
    groups.push_back(scene.add_group(std::move(t)));
  }
  for (const Part& p : a.parts) {
    Item item = p.item;
    item.solid.rotation = pose * item.solid.rotation;
    const Vec3 c = pose.apply(item.solid.centre);
    item.solid.centre = {c.x + centre.x, c.y + centre.y, c.z + centre.z};
    item.group = p.truth_slot >= 0 ? groups.at(static_cast<std::size_t>(p.truth_slot)) : -1;
    scene.add(item);
  }
}

std::unique_ptr<Scene> generate_container_scene(const SceneConfig& config, Rng& rng, bool bag) {
  const double belt_mm = config.pixels * config.pixel_pitch_mm;
  const double seconds = rng.uniform(config.min_seconds, config.max_seconds);
  const double max_mm = config.max_seconds * config.belt_speed_m_s * 1000.0;
  double length_mm = seconds * config.belt_speed_m_s * 1000.0;
  const double margin = std::min(rng.uniform(20, 45), 0.1 * length_mm);  // air before and after
  const double wall = bag ? 1.5 : rng.uniform(4, 7);

  std::vector<Assembly> threats = make_threats(rng, config);
  // Threats need a container they fit in: at least 45% of the belt wide, long enough.
  const double width_frac = threats.empty() ? rng.uniform(0.35, 0.9) : rng.uniform(0.45, 0.9);
  const double width = std::min(width_frac * belt_mm, belt_mm - 20);
  const double inset = wall + 8;  // contents keep off the walls
  double needed = 0;
  for (const Assembly& t : threats) needed = std::max(needed, needed_length(t, width - 2 * inset));
  length_mm =
      std::clamp(std::max(length_mm, needed + 2 * (inset + margin) + 10), 0.0, std::max(max_mm, length_mm));

  SceneGrid grid{config.pixels, std::max(1, static_cast<int>(std::lround(length_mm / config.line_pitch_mm))),
                 config.pixel_pitch_mm, config.line_pitch_mm};
  auto scene = std::make_unique<RasterScene>(grid, config.impenetrable_steel_cm);
  const double scan_mm = grid.lines * config.line_pitch_mm;
  const double cont_len = scan_mm - 2 * margin;
  const double cx = rng.uniform(width / 2 + 5, std::max(width / 2 + 5, belt_mm - width / 2 - 5));
  const double cy = scan_mm / 2;
  const double height = rng.uniform(80, 250);
  const Rotation skew = Rotation::from_angles(deg(std::clamp(rng.normal(0, 1.0), -2.0, 2.0)));
  nlohmann::json container{{"width_mm", width}, {"length_mm", cont_len}};

  Assembly shell{bag ? "bag" : "carton"};
  if (bag) {
    shell.parts.push_back(box_part("nylon", {width / 2, cont_len / 2, height / 2}, {}, 0.6, wall));
    // Trolley frame: two aluminium tubes, wheels, zips around the lid, a handle.
    for (int side = -1; side <= 1; side += 2) {
      shell.parts.push_back(
          cylinder_part("aluminium", 7, cont_len * 0.42, 1, {side * (width / 2 - 25), 0, 0}, 1.0, 1.2));
      shell.parts.push_back(
          cylinder_part("rubber", 25, 12, 0, {side * (width / 2 - 30), cont_len / 2 - 30, 0}));
      shell.parts.push_back(
          box_part("steel", {2, cont_len / 2 - 10, 1}, {side * (width / 2 - 6), 0, 0}, 0.4));
      shell.parts.push_back(
          box_part("steel", {width / 2 - 10, 2, 1}, {0, side * (cont_len / 2 - 6), 0}, 0.4));
    }
    shell.parts.push_back(box_part("pvc", {60, 15, 12}, {0, -cont_len / 2 + 25, 0}, 0.6, 2));
    container["type"] = "bag";
  } else {
    shell.parts.push_back(
        box_part("cellulose", {width / 2, cont_len / 2, height / 2}, {}, rng.uniform(0.12, 0.2), wall));
    // Packing tape over top and bottom: flat (a hollow box would put its 0.1 mm side walls
    // edge-on to the beam, which point sampling turns into lines of 20 cm of plastic).
    shell.parts.push_back(box_part("polyethylene", {width / 2, 25, 0.1}));
    container["type"] = "carton";
  }
  add_assembly(*scene, shell, skew, {cx, cy, 0});

  const Rect interior{cx - width / 2 + inset, cy - cont_len / 2 + inset, cx + width / 2 - inset,
                      cy + cont_len / 2 - inset};
  Placer placer(rng, *scene, interior, config.overlap);
  const double area_m2 = (interior[2] - interior[0]) * (interior[3] - interior[1]) * 1e-6;
  const int clutter_items = std::max(
      0,
      static_cast<int>(std::lround(config.clutter * area_m2 * (bag ? 90.0 : 70.0) * rng.uniform(0.5, 1.5))));
  std::vector<double> weights;
  for (const auto& k : clutter_kinds()) weights.push_back(bag ? k.bag_weight : k.parcel_weight);
  // Threats go in among the clutter, at a random point of the packing order, so that they
  // are as often under other things as on top (order does not change a projection, but it
  // changes which candidate positions the placer prefers).
  const int threat_at = rng.integer(0, clutter_items);
  int skipped = 0;
  nlohmann::json contents = nlohmann::json::object();
  for (int i = 0; i <= clutter_items; ++i) {
    if (i == threat_at) {
      for (const Assembly& t : threats) placer.place(t, /*must=*/true);
    }
    if (i == clutter_items) break;
    const Assembly item = clutter_kinds()[rng.weighted(weights)].make(rng);
    if (placer.place(item, /*must=*/false)) {
      contents[item.name] = contents.value(item.name, 0) + 1;
    } else {
      ++skipped;
    }
  }
  nlohmann::json threat_names = nlohmann::json::array();
  for (const Assembly& t : threats) threat_names.push_back(t.name);
  scene->finish({{"kind", bag ? "bags" : "parcels"},
                 {"seed", config.seed},
                 {"index", config.index},
                 {"seconds", scan_mm / (config.belt_speed_m_s * 1000.0)},
                 {"container", container},
                 {"contents", contents},
                 {"skipped_items", skipped},
                 {"threats", threat_names}});
  return scene;
}

}  // namespace oi::sim
