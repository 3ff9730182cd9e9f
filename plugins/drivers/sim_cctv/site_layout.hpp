#pragma once
/// @file
/// A simulated site as data: rooms (the boxes a camera's background is ray-cast in, with
/// their floors, walls, lights and static occluders), cameras (where each hangs, where it
/// looks, how it renders colour) and the routes persons walk through the rooms, with the
/// stops they make on the way. The simulator code knows nothing of any particular site; a
/// new site is a new SiteLayout, listed by site_names().

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim_math.hpp"

namespace oi::sim_cctv {

/// A rectangle on a room's wall: a door, a sign, a window or an advertising panel.
struct WallPanel {
  enum class Kind {
    kDoor,    ///< a door leaf with a frame (persons appear and leave through doors)
    kSign,    ///< a lit sign with lines of "text"
    kWindow,  ///< daylight: bright, bluish, unaffected by the room's lights
    kAdvert,  ///< a back-lit advertising panel: a colour field with a picture
  };
  Kind kind = Kind::kDoor;
  Vec2 a, b;              ///< ends of the panel on the floor plan (on the wall)
  double z0 = 0, z1 = 2;  ///< bottom and top height, m
  Rgb colour;             ///< main colour (signs: the background; text is dark)
};

/// A light in the ceiling: adds a soft pool of light around the point below it.
struct Light {
  Vec2 at;                 ///< on the floor plan
  double intensity = 0.3;  ///< added illumination at the centre (ambient is about 0.5)
  double radius_m = 5.0;   ///< 1/e radius of the pool
};

/// Something that stands in a room and hides persons behind it. Drawn as a box (pillars,
/// counters, belts, kiosks) or a pot with round foliage (plants).
struct Occluder {
  enum class Kind { kPillar, kCounter, kBelt, kPlant };
  Kind kind = Kind::kPillar;
  double x0 = 0, x1 = 0, y0 = 0, y1 = 0;  ///< footprint on the floor plan
  double height = 3;                      ///< top, m (plants: top of the foliage)
  Rgb colour;                             ///< main colour (plants: the foliage)
};

/// An axis-aligned room. Persons seen by a camera walk inside that camera's room.
struct Room {
  std::string name;
  double x0 = 0, x1 = 0, y0 = 0, y1 = 0;  ///< floor, m
  double height = 4;                      ///< ceiling, m
  Rgb floor_a, floor_b;                   ///< tile colours (alternating, checker-wise)
  double tile_m = 0.6;                    ///< floor tile size
  Rgb wall;                               ///< wall colour
  Rgb trim;                               ///< skirting and the horizontal band
  Rgb ceiling;                            ///< ceiling colour
  double ambient = 0.55;                  ///< illumination everywhere before the lights
  std::vector<Light> lights;
  std::vector<WallPanel> panels;
  std::vector<Occluder> occluders;

  /// True when `p` lies on the floor of this room.
  bool contains(Vec2 p) const { return p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1; }
  /// Illumination (before the camera's gain) at floor position `p`.
  double illumination(Vec2 p) const;
};

/// One camera of the site: where it hangs, where it looks and how it renders colour.
struct CameraLayout {
  std::string name;            ///< the name the `camera` parameter selects, e.g. "gate"
  std::string description;     ///< one line for docs and `oi devices`
  std::size_t room = 0;        ///< index into SiteLayout::rooms: what it sees
  Vec3 position;               ///< where it is mounted, m
  double yaw_deg = 0;          ///< compass direction it looks in, degrees counter-clockwise from east
  double pitch_deg = 10;       ///< downward tilt
  double hfov_deg = 60;        ///< horizontal field of view
  Rgb white_balance{1, 1, 1};  ///< per-channel gain: the colour cast of its light and sensor
  double brightness = 1.0;     ///< scene exposure at the default exposure_us and gain_db
  double noise = 1.0;          ///< sensor noise factor (an older or cheaper camera is noisier)
  double vignetting = 0.25;    ///< brightness lost in the image corners
};

/// Where a person may stop on a route: e.g. at the baggage belt, to look at a phone.
struct Stop {
  double probability = 0;       ///< share of groups that stop here
  double min_s = 0, max_s = 0;  ///< how long, uniform
  /// When set, the stop is at a random point on the segment from the waypoint to this
  /// point (a belt where everybody finds their own place) instead of at the waypoint.
  std::optional<Vec2> spread_to;
  /// When set, persons face this compass direction (degrees) while they stand.
  std::optional<double> face_deg;
  /// Share of persons without a bag who leave this stop pulling a suitcase (baggage reclaim).
  double pickup_share = 0;
};

/// A point of a route. Persons walk from waypoint to waypoint, each in a lane of their own:
/// offset sideways by up to half of `lane_m`.
struct Waypoint {
  Vec2 at;
  double lane_m = 2.0;
  Stop stop;
};

/// A way through the site: persons appear at the first waypoint and leave at the last.
struct Route {
  std::string name;
  double share = 1.0;  ///< relative frequency among the site's routes
  std::vector<Waypoint> points;
};

/// A whole site.
struct SiteLayout {
  std::string name;
  std::string description;
  std::vector<Room> rooms;
  std::vector<CameraLayout> cameras;
  std::vector<Route> routes;
  double default_density = 12;  ///< persons arriving per minute at density 1 (documented default)

  /// The camera named `name`, or the camera at index `name` ("0", "1", ...); nullopt when
  /// there is none.
  std::optional<std::size_t> find_camera(std::string_view name) const;
  /// "gate (0), corridor (1), ...": for error messages and docs.
  std::string camera_list() const;
  /// Longest time a person can spend on any route (slowest walk, longest stops), seconds:
  /// the simulation starts this long before frame 0 so the site is already busy.
  double longest_visit_s() const;
};

/// Names of the built-in sites, the first being the default.
std::vector<std::string> site_names();
/// The built-in site `name`; throws oi::Error listing the sites when there is none.
const SiteLayout& site_layout(std::string_view name);

}  // namespace oi::sim_cctv
