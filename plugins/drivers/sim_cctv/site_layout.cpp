#include "site_layout.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "oi/error.hpp"

namespace oi::sim_cctv {

double Room::illumination(Vec2 p) const {
  double light = ambient;
  for (const Light& l : lights) {
    const Vec2 d = p - l.at;
    light += l.intensity * std::exp(-d.dot(d) / (l.radius_m * l.radius_m));
  }
  return light;
}

std::optional<std::size_t> SiteLayout::find_camera(std::string_view name) const {
  for (std::size_t i = 0; i < cameras.size(); ++i)
    if (cameras[i].name == name) return i;
  std::size_t index = 0;
  const char* end = name.data() + name.size();
  const auto [ptr, ec] = std::from_chars(name.data(), end, index);
  if (!name.empty() && ec == std::errc() && ptr == end && index < cameras.size()) return index;
  return std::nullopt;
}

std::string SiteLayout::camera_list() const {
  std::string out;
  for (std::size_t i = 0; i < cameras.size(); ++i) {
    if (i > 0) out += ", ";
    out += cameras[i].name + " (" + std::to_string(i) + ")";
  }
  return out;
}

double SiteLayout::longest_visit_s() const {
  constexpr double kSlowest = 0.8;  // m/s, the slowest walking speed persons are given
  double longest = 0;
  for (const Route& r : routes) {
    double s = 0;
    for (std::size_t i = 0; i < r.points.size(); ++i) {
      const Waypoint& w = r.points[i];
      if (i + 1 < r.points.size()) s += (r.points[i + 1].at - w.at).length() / kSlowest;
      if (w.stop.spread_to) s += (*w.stop.spread_to - w.at).length() / kSlowest;
      s += w.stop.max_s;
    }
    longest = std::max(longest, s);
  }
  return longest;
}

namespace {

using Kind = WallPanel::Kind;

// Arrivals at an airport: passengers leave the aircraft through the gate door, walk the
// corridor (some turn off to transfer flights), wait at the baggage belt (most pick up a
// suitcase) and leave through the customs exit. Each camera watches one room, so a person
// seen at the gate appears in the corridor some seconds later.
SiteLayout make_arrival_hall() {
  SiteLayout site;
  site.name = "arrival_hall";
  site.description =
      "Airport arrivals: gate, corridor, baggage reclaim and customs exit, one camera in each; "
      "passengers walk through all four in that order.";
  site.default_density = 14;

  // Room 0: the gate hall. Passengers come out of the jet-bridge door at the far wall and
  // walk towards the camera, turning right to the corridor.
  Room gate;
  gate.name = "gate hall";
  gate.x0 = -9, gate.x1 = 9, gate.y0 = -2, gate.y1 = 27.5, gate.height = 5.5;
  gate.floor_a = rgb8(188, 186, 180), gate.floor_b = rgb8(168, 166, 160), gate.tile_m = 0.8;
  gate.wall = rgb8(214, 210, 200), gate.trim = rgb8(88, 90, 96), gate.ceiling = rgb8(228, 228, 226);
  gate.ambient = 0.55;
  for (double y : {2.0, 8.0, 14.0, 20.0, 26.0})
    for (double x : {-4.5, 4.5}) gate.lights.push_back({{x, y}, 0.25, 4.0});
  gate.panels = {
      {Kind::kDoor, {-1.6, 27.5}, {1.6, 27.5}, 0.0, 2.6, rgb8(70, 76, 88)},
      {Kind::kSign, {-3.0, 27.5}, {3.0, 27.5}, 3.0, 3.7, rgb8(242, 200, 40)},
      {Kind::kWindow, {-9, 6}, {-9, 24}, 1.0, 4.6, rgb8(200, 222, 240)},
      {Kind::kAdvert, {9, 12}, {9, 17}, 0.8, 2.7, rgb8(40, 110, 170)},
      {Kind::kDoor, {9, 1}, {9, 5}, 0.0, 2.8, rgb8(150, 150, 150)},
  };
  gate.occluders = {
      {Occluder::Kind::kPillar, 1.4, 2.1, 11.0, 11.7, 5.5, rgb8(200, 198, 192)},
      {Occluder::Kind::kPillar, -4.6, -3.9, 16.0, 16.7, 5.5, rgb8(200, 198, 192)},
      {Occluder::Kind::kPlant, -2.9, -2.3, 6.0, 6.6, 1.5, rgb8(52, 112, 46)},
      {Occluder::Kind::kCounter, 3.8, 6.3, 14.0, 15.0, 1.05, rgb8(126, 86, 54)},
  };
  site.rooms.push_back(gate);

  // Room 1: the corridor, seen from its start: passengers walk away from the camera.
  Room corridor;
  corridor.name = "corridor";
  corridor.x0 = 14, corridor.x1 = 46, corridor.y0 = 0, corridor.y1 = 6, corridor.height = 3.2;
  corridor.floor_a = rgb8(120, 124, 130), corridor.floor_b = rgb8(110, 114, 120), corridor.tile_m = 0.5;
  corridor.wall = rgb8(196, 200, 204), corridor.trim = rgb8(60, 70, 90),
  corridor.ceiling = rgb8(210, 212, 214);
  corridor.ambient = 0.5;
  for (double x = 19; x < 46; x += 5) corridor.lights.push_back({{x, 3.0}, 0.3, 2.5});
  corridor.panels = {
      {Kind::kDoor, {46, 1.6}, {46, 4.4}, 0.0, 2.5, rgb8(90, 92, 98)},
      {Kind::kDoor, {30, 6}, {32.4, 6}, 0.0, 2.4, rgb8(110, 80, 60)},
      {Kind::kSign, {29.6, 6}, {32.8, 6}, 2.5, 2.9, rgb8(242, 200, 40)},
      {Kind::kAdvert, {22, 0}, {26, 0}, 0.9, 2.4, rgb8(200, 60, 50)},
      {Kind::kAdvert, {36, 0}, {40, 0}, 0.9, 2.4, rgb8(40, 150, 120)},
      {Kind::kWindow, {18, 6}, {28, 6}, 1.0, 2.6, rgb8(190, 210, 230)},
  };
  corridor.occluders = {
      {Occluder::Kind::kCounter, 24.6, 25.4, 4.2, 5.0, 1.8, rgb8(60, 64, 72)},  // an information kiosk
      {Occluder::Kind::kPlant, 38.0, 38.6, 0.3, 0.9, 1.4, rgb8(60, 120, 50)},
  };
  site.rooms.push_back(corridor);

  // Room 2: baggage reclaim, seen from the side: passengers walk across the picture and
  // wait at the belt with their backs to the camera.
  Room baggage;
  baggage.name = "baggage reclaim";
  baggage.x0 = 48, baggage.x1 = 86, baggage.y0 = -14, baggage.y1 = 10, baggage.height = 6;
  baggage.floor_a = rgb8(150, 140, 124), baggage.floor_b = rgb8(138, 128, 112), baggage.tile_m = 1.0;
  baggage.wall = rgb8(200, 194, 182), baggage.trim = rgb8(80, 70, 60), baggage.ceiling = rgb8(220, 216, 208);
  baggage.ambient = 0.5;
  for (double x = 52; x < 86; x += 6)
    for (double y : {-8.0, 0.0, 7.0}) baggage.lights.push_back({{x, y}, 0.28, 3.5});
  baggage.panels = {
      {Kind::kSign, {62, 10}, {72, 10}, 3.2, 4.0, rgb8(242, 200, 40)},
      {Kind::kAdvert, {52, 10}, {59, 10}, 1.0, 3.0, rgb8(230, 150, 40)},
      {Kind::kAdvert, {75, 10}, {82, 10}, 1.0, 3.0, rgb8(60, 80, 170)},
      {Kind::kDoor, {48, -0.7}, {48, 1.7}, 0.0, 2.5, rgb8(90, 92, 98)},
      {Kind::kDoor, {86, -5.5}, {86, -2.5}, 0.0, 2.6, rgb8(90, 92, 98)},
  };
  baggage.occluders = {
      {Occluder::Kind::kBelt, 56, 78, 3.3, 4.5, 0.45, rgb8(46, 46, 50)},
      {Occluder::Kind::kPillar, 63.6, 64.4, -4.6, -3.8, 6.0, rgb8(188, 182, 170)},
      {Occluder::Kind::kCounter, 70.0, 72.6, -2.6, -1.9, 1.0, rgb8(150, 152, 158)},  // a trolley rack
  };
  site.rooms.push_back(baggage);

  // Room 3: the customs exit, seen from above the exit doors: passengers come through the
  // hall towards the camera, past the customs booth.
  Room exit;
  exit.name = "customs exit";
  exit.x0 = 86, exit.x1 = 114, exit.y0 = -30, exit.y1 = 2, exit.height = 4.5;
  exit.floor_a = rgb8(196, 196, 192), exit.floor_b = rgb8(150, 156, 164), exit.tile_m = 0.6;
  exit.wall = rgb8(226, 226, 222), exit.trim = rgb8(30, 60, 110), exit.ceiling = rgb8(235, 235, 235);
  exit.ambient = 0.6;
  for (double x = 90; x < 114; x += 6)
    for (double y = -27; y < 2; y += 6) exit.lights.push_back({{x, y}, 0.22, 3.5});
  exit.panels = {
      {Kind::kDoor, {86, -5.5}, {86, -2.5}, 0.0, 2.6, rgb8(90, 92, 98)},
      {Kind::kSign, {86, -10}, {86, -6}, 2.8, 3.5, rgb8(40, 160, 70)},   // "nothing to declare"
      {Kind::kSign, {86, -16}, {86, -12}, 2.8, 3.5, rgb8(200, 40, 40)},  // "goods to declare"
      {Kind::kAdvert, {90, 2}, {98, 2}, 0.8, 3.2, rgb8(120, 40, 140)},
      {Kind::kDoor, {104.5, -30}, {108.5, -30}, 0.0, 2.8, rgb8(170, 190, 200)},
  };
  exit.occluders = {
      {Occluder::Kind::kCounter, 101.2, 102.6, -23.0, -22.2, 2.0, rgb8(176, 180, 190)},  // customs booth
      {Occluder::Kind::kPillar, 98.0, 98.8, -19.7, -18.9, 4.5, rgb8(210, 210, 206)},
      {Occluder::Kind::kPlant, 96.0, 96.6, -3.0, -2.4, 1.6, rgb8(48, 100, 40)},
  };
  site.rooms.push_back(exit);

  site.cameras = {
      {"gate",
       "gate hall, facing the jet-bridge door: passengers walk towards it (front view)",
       0,
       {0, -1.5, 3.6},
       90,
       14,
       62,
       {0.95f, 1.0f, 1.08f},
       1.0,
       1.0,
       0.25},
      {"corridor",
       "corridor, from its start: passengers walk away from it (back view)",
       1,
       {14.8, 3.0, 2.9},
       0,
       9,
       58,
       {0.97f, 1.03f, 0.97f},
       0.85,
       1.4,
       0.3},
      {"baggage",
       "baggage reclaim, across the belt: passengers cross the picture and wait (side and back views)",
       2,
       {67, -10, 4.2},
       90,
       16,
       66,
       {1.12f, 1.0f, 0.82f},
       0.95,
       1.1,
       0.25},
      {"exit",
       "customs exit, above the exit doors: passengers come through the hall towards it",
       3,
       {106.5, -29.5, 3.3},
       122,
       16,
       62,
       {1.0f, 1.0f, 1.02f},
       1.05,
       0.9,
       0.2},
  };

  const Waypoint door_gate{{0, 27.2}, 2.6, {}};
  const Waypoint gate_turn{{0.3, 5.0}, 4.0, {}};
  const Waypoint gate_out{{8.7, 3.0}, 3.0, {}};
  const Waypoint corridor_in{{14.2, 3.0}, 3.0, {}};
  Waypoint corridor_middle{{28, 3.0}, 3.4, {}};
  corridor_middle.stop = {0.08, 3, 15, std::nullopt, std::nullopt, 0};  // looking at a phone
  const Waypoint corridor_out{{45.7, 3.0}, 2.4, {}};
  const Waypoint baggage_in{{48.3, 0.5}, 2.0, {}};
  Waypoint belt{{58, 2.0}, 1.0, {}};
  belt.stop = {0.7, 20, 100, Vec2{76, 2.0}, 90.0, 0.6};
  const Waypoint baggage_out{{82, -1.0}, 2.5, {}};
  const Waypoint baggage_door{{85.7, -4.0}, 2.0, {}};
  const Waypoint exit_in{{86.3, -4.0}, 2.0, {}};
  const Waypoint exit_hall{{94, -9.5}, 3.0, {}};
  const Waypoint customs{{95, -20}, 2.2, {}};
  const Waypoint exit_door{{106.5, -29.7}, 2.4, {}};
  site.routes = {
      {"arrival",
       0.85,
       {door_gate, gate_turn, gate_out, corridor_in, corridor_middle, corridor_out, baggage_in, belt,
        baggage_out, baggage_door, exit_in, exit_hall, customs, exit_door}},
      {"transfer",
       0.15,
       {door_gate, gate_turn, gate_out, corridor_in, corridor_middle, Waypoint{{31.2, 5.7}, 1.6, {}}}},
  };
  return site;
}

const std::vector<SiteLayout>& sites() {
  static const std::vector<SiteLayout> all = {make_arrival_hall()};
  return all;
}

}  // namespace

std::vector<std::string> site_names() {
  std::vector<std::string> names;
  for (const SiteLayout& s : sites()) names.push_back(s.name);
  return names;
}

const SiteLayout& site_layout(std::string_view name) {
  for (const SiteLayout& s : sites())
    if (s.name == name) return s;
  std::string known;
  for (const std::string& n : site_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown site '" + std::string(name) + "'; the simulator has: " + known);
}

}  // namespace oi::sim_cctv
