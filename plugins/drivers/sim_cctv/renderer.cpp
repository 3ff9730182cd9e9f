#include "renderer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "oi/error.hpp"

namespace oi::sim_cctv {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr double kGrid = 0.2;  // m: resolution of the illumination map

std::uint64_t hash3(std::int64_t a, std::int64_t b, std::int64_t c) {
  return mix64(mix64(static_cast<std::uint64_t>(a), static_cast<std::uint64_t>(b)),
               static_cast<std::uint64_t>(c));
}
// A value in [-0.5, 0.5) that is constant over cells of `cell` metres.
double cell_noise(double x, double y, double cell, std::int64_t salt) {
  return unit_of(hash3(static_cast<std::int64_t>(std::floor(x / cell)),
                       static_cast<std::int64_t>(std::floor(y / cell)), salt)) -
         0.5;
}

}  // namespace

// A room's illumination sampled on a grid: the lights are summed once, not per pixel.
class IlluminationMap {
 public:
  explicit IlluminationMap(const Room& room) : room_(room) {
    nx_ = static_cast<int>(std::ceil((room.x1 - room.x0) / kGrid)) + 1;
    ny_ = static_cast<int>(std::ceil((room.y1 - room.y0) / kGrid)) + 1;
    values_.resize(static_cast<std::size_t>(nx_) * ny_);
    for (int j = 0; j < ny_; ++j)
      for (int i = 0; i < nx_; ++i)
        values_[static_cast<std::size_t>(j) * nx_ + i] =
            room.illumination({room.x0 + i * kGrid, room.y0 + j * kGrid});
  }
  double at(Vec2 p) const {
    const double fx = std::clamp((p.x - room_.x0) / kGrid, 0.0, nx_ - 1.001);
    const double fy = std::clamp((p.y - room_.y0) / kGrid, 0.0, ny_ - 1.001);
    const int i = static_cast<int>(fx), j = static_cast<int>(fy);
    const double u = fx - i, v = fy - j;
    const double* row = values_.data() + static_cast<std::size_t>(j) * nx_ + i;
    return (row[0] * (1 - u) + row[1] * u) * (1 - v) + (row[nx_] * (1 - u) + row[nx_ + 1] * u) * v;
  }

 private:
  const Room& room_;
  int nx_ = 0, ny_ = 0;
  std::vector<double> values_;
};

namespace {

Rgb panel_radiance(const WallPanel& panel, double along_m, double length_m, double w, double light,
                   const Room& room) {
  const Rgb c = panel.colour;
  const double s = along_m / length_m;
  const double height_m = panel.z1 - panel.z0;
  switch (panel.kind) {
    case WallPanel::Kind::kDoor: {
      const bool frame = along_m < 0.07 || along_m > length_m - 0.07 || w * height_m > height_m - 0.07;
      if (frame) return room.trim * static_cast<float>(light * 0.9);
      const bool split = std::abs(s - 0.5) * length_m < 0.01;
      return c * static_cast<float>(light * (split ? 0.6 : 1.0));
    }
    case WallPanel::Kind::kSign: {
      if (w > 0.28 && w < 0.72 && s > 0.06 && s < 0.94) {
        const double cell = along_m / 0.09;
        const double frac = cell - std::floor(cell);
        if (unit_of(hash3(static_cast<std::int64_t>(cell), 17, 3)) > 0.25 && frac > 0.12 && frac < 0.82)
          return rgb8(24, 24, 26);
      }
      return c * 1.05f;
    }
    case WallPanel::Kind::kWindow: {
      const double mullion = std::fmod(along_m, 1.5);
      if (mullion < 0.05 || w * height_m < 0.05 || w * height_m > height_m - 0.05)
        return rgb8(58, 60, 66) * static_cast<float>(light);
      return c * static_cast<float>(1.05 + 0.3 * w);
    }
    case WallPanel::Kind::kAdvert: {
      if (along_m < 0.04 || along_m > length_m - 0.04 || w * height_m < 0.04 ||
          w * height_m > height_m - 0.04)
        return rgb8(50, 50, 54) * static_cast<float>(light);
      if (w > 0.1 && w < 0.22 && s > 0.1 && s < 0.9) return rgb8(28, 28, 30);
      const double du = (s - 0.35) * length_m / height_m, dv = w - 0.6;
      if (du * du + dv * dv < 0.05) return c * 0.35f + rgb8(240, 236, 220) * 0.65f;
      return c;
    }
  }
  return c;
}

}  // namespace

struct CameraRenderer::Hit {
  double t = kInfinity;
  Rgb radiance;
  bool occluder = false;
};

CameraRenderer::CameraRenderer(const SiteLayout& site, std::size_t camera, const PictureSettings& settings)
    : site_(site),
      layout_(camera < site.cameras.size()
                  ? site.cameras[camera]
                  : throw Error("site '" + site.name + "' has no camera " + std::to_string(camera) +
                                "; its cameras: " + site.camera_list())),
      room_(site.rooms.at(layout_.room)),
      settings_(settings) {
  if (settings.width < 16 || settings.height < 16 || settings.width > 8192 || settings.height > 8192)
    throw Error("image size " + std::to_string(settings.width) + "x" + std::to_string(settings.height) +
                " is outside 16..8192 pixels");
  camera_ = PinholeCamera(layout_.position, layout_.yaw_deg, layout_.pitch_deg, layout_.hfov_deg,
                          settings.width, settings.height);
  margin_ = std::max(settings.width, settings.height) / 4;
  const std::size_t pixels = static_cast<std::size_t>(settings.width) * settings.height;
  ids_.assign(pixels, kNoPerson);
  stamps_.assign(static_cast<std::size_t>(settings.width + 2 * margin_) * (settings.height + 2 * margin_), 0);
  trace_background();
  expose_background();
  sensor_.configure(settings.noise * layout_.noise, std::pow(10.0, settings.gain_db / 20.0),
                    settings.jpeg_quality);

  canvas_.width = settings.width;
  canvas_.height = settings.height;
  canvas_.margin = margin_;
  canvas_.ids = ids_.data();
  canvas_.stamps = stamps_.data();
  canvas_.occluder_depth = occluder_depth_.data();
  canvas_.occluder_first = occluder_first_.data();
  canvas_.occluder_last = occluder_last_.data();
}

CameraRenderer::~CameraRenderer() = default;

void CameraRenderer::set_exposure(double exposure_us, double gain_db) {
  settings_.exposure_us = exposure_us;
  settings_.gain_db = gain_db;
  expose_background();
  sensor_.configure(settings_.noise * layout_.noise, std::pow(10.0, gain_db / 20.0), settings_.jpeg_quality);
}

void CameraRenderer::set_effects(double noise, int jpeg_quality) {
  settings_.noise = noise;
  settings_.jpeg_quality = jpeg_quality;
  sensor_.configure(noise * layout_.noise, std::pow(10.0, settings_.gain_db / 20.0), jpeg_quality);
}

float CameraRenderer::exposure_gain() const {
  return static_cast<float>(layout_.brightness * settings_.exposure_us / kReferenceExposureUs *
                            std::pow(10.0, settings_.gain_db / 20.0));
}

float CameraRenderer::vignette(double u, double v) const {
  const double x = (u - 0.5 * settings_.width) / (0.5 * settings_.width);
  const double y = (v - 0.5 * settings_.height) / (0.5 * settings_.height);
  return static_cast<float>(1.0 - layout_.vignetting * 0.5 * (x * x + y * y));
}

bool CameraRenderer::shows_occluder(int x, int y) const {
  if (x < 0 || y < 0 || x >= settings_.width || y >= settings_.height) return false;
  return std::isfinite(occluder_depth_[static_cast<std::size_t>(y) * settings_.width + x]);
}

CameraRenderer::Hit CameraRenderer::trace(Vec3 o, Vec3 d) const {
  const Room& room = room_;
  enum class Surface { kNone, kFloor, kCeiling, kWallX0, kWallX1, kWallY0, kWallY1 } surface = Surface::kNone;
  Hit hit;
  auto consider = [&](double t, Surface s) {
    if (t > 1e-6 && t < hit.t) hit.t = t, surface = s;
  };
  if (d.z < -1e-12) consider(-o.z / d.z, Surface::kFloor);
  if (d.z > 1e-12) consider((room.height - o.z) / d.z, Surface::kCeiling);
  if (d.x < -1e-12) consider((room.x0 - o.x) / d.x, Surface::kWallX0);
  if (d.x > 1e-12) consider((room.x1 - o.x) / d.x, Surface::kWallX1);
  if (d.y < -1e-12) consider((room.y0 - o.y) / d.y, Surface::kWallY0);
  if (d.y > 1e-12) consider((room.y1 - o.y) / d.y, Surface::kWallY1);

  // Static occluders: boxes (a plant's pot) and a plant's foliage, an ellipsoid.
  const Occluder* hit_occluder = nullptr;
  int face = -1;  // 0/1: -x/+x, 2/3: -y/+y, 4: top, 5: foliage
  Vec3 normal;
  for (const Occluder& oc : room.occluders) {
    const bool plant = oc.kind == Occluder::Kind::kPlant;
    const double box_top = plant ? 0.45 : oc.height;
    const double lo[3] = {oc.x0, oc.y0, 0.0}, hi[3] = {oc.x1, oc.y1, box_top};
    const double orig[3] = {o.x, o.y, o.z}, dir[3] = {d.x, d.y, d.z};
    double t0 = -kInfinity, t1 = kInfinity;
    int axis = -1;
    bool miss = false;
    for (int k = 0; k < 3 && !miss; ++k) {
      if (std::abs(dir[k]) < 1e-12) {
        miss = orig[k] < lo[k] || orig[k] > hi[k];
        continue;
      }
      double a = (lo[k] - orig[k]) / dir[k], b = (hi[k] - orig[k]) / dir[k];
      int entry = 2 * k;  // entering through the low face
      if (a > b) std::swap(a, b), entry = 2 * k + 1;
      if (a > t0) t0 = a, axis = entry;
      t1 = std::min(t1, b);
      miss = t0 > t1;
    }
    if (!miss && t0 > 1e-6 && t0 < hit.t) {
      hit.t = t0;
      hit_occluder = &oc;
      face = axis == 5 ? 4 : axis;  // entering through the top (+z) face
    }
    if (plant) {
      const Vec3 c{(oc.x0 + oc.x1) / 2, (oc.y0 + oc.y1) / 2, oc.height - 0.5};
      const Vec3 r{0.55, 0.55, 0.5};
      const Vec3 os{(o.x - c.x) / r.x, (o.y - c.y) / r.y, (o.z - c.z) / r.z};
      const Vec3 ds{d.x / r.x, d.y / r.y, d.z / r.z};
      const double a = ds.dot(ds), b = 2 * os.dot(ds), q = os.dot(os) - 1;
      const double disc = b * b - 4 * a * q;
      if (disc >= 0) {
        const double t = (-b - std::sqrt(disc)) / (2 * a);
        if (t > 1e-6 && t < hit.t) {
          hit.t = t;
          hit_occluder = &oc;
          face = 5;
          const Vec3 p = o + d * t;
          normal = {(p.x - c.x) / (r.x * r.x), (p.y - c.y) / (r.y * r.y), (p.z - c.z) / (r.z * r.z)};
          normal = normal * (1.0 / normal.length());
        }
      }
    }
  }

  const Vec3 p = o + d * hit.t;
  const double light = illumination_->at({p.x, p.y});
  if (hit_occluder != nullptr) {
    const Occluder& oc = *hit_occluder;
    hit.occluder = true;
    static constexpr float kFace[5] = {0.9f, 0.82f, 0.76f, 0.86f, 1.05f};
    if (face == 5) {
      const double leaf = unit_of(hash3(static_cast<std::int64_t>(std::floor(p.x / 0.05)),
                                        static_cast<std::int64_t>(std::floor(p.y / 0.05)),
                                        static_cast<std::int64_t>(std::floor(p.z / 0.05))));
      hit.radiance =
          oc.colour * static_cast<float>((0.5 + 0.9 * leaf) * (0.6 + 0.4 * std::max(0.0, normal.z)) * light);
      return hit;
    }
    float shade = kFace[std::clamp(face, 0, 4)];
    Rgb albedo = oc.colour;
    switch (oc.kind) {
      case Occluder::Kind::kPillar:
        albedo = albedo * static_cast<float>(1.0 + 0.1 * cell_noise(p.x + p.y, p.z, 0.05, 7));
        break;
      case Occluder::Kind::kCounter:
        if (face == 4)
          shade *= 1.12f;
        else if (p.z > oc.height - 0.06)
          albedo = albedo * 0.7f;
        break;
      case Occluder::Kind::kBelt:
        if (face == 4) {
          albedo = rgb8(40, 40, 42);
          if (std::fmod(p.x - oc.x0, 0.35) < 0.025) albedo = albedo * 1.5f;
        } else {
          albedo = rgb8(150, 152, 156);
        }
        break;
      case Occluder::Kind::kPlant:
        albedo = rgb8(112, 86, 68);
        break;
    }
    hit.radiance = albedo * (shade * static_cast<float>(light));
    return hit;
  }

  switch (surface) {
    case Surface::kFloor: {
      const double tile = room.tile_m;
      const double fx = p.x / tile, fy = p.y / tile;
      const auto tx = static_cast<std::int64_t>(std::floor(fx)),
                 ty = static_cast<std::int64_t>(std::floor(fy));
      const double ux = fx - std::floor(fx), uy = fy - std::floor(fy);
      Rgb albedo = ((tx + ty) & 1) ? room.floor_b : room.floor_a;
      double f = 1.0 + 0.1 * (unit_of(hash3(tx, ty, 11)) - 0.5) + 0.08 * cell_noise(p.x, p.y, 0.03, 13);
      const double grout = 0.012 / tile;
      if (ux < grout || ux > 1 - grout || uy < grout || uy > 1 - grout) f *= 0.62;
      hit.radiance = albedo * static_cast<float>(f * light);
      return hit;
    }
    case Surface::kCeiling: {
      for (const Light& l : room.lights)
        if (std::abs(p.x - l.at.x) < 0.6 && std::abs(p.y - l.at.y) < 0.25) {
          hit.radiance = {1.6f, 1.6f, 1.55f};
          return hit;
        }
      const bool grid = std::fmod(std::abs(p.x), 0.6) < 0.02 || std::fmod(std::abs(p.y), 0.6) < 0.02;
      hit.radiance = room.ceiling * static_cast<float>(room.ambient * 0.85 * (grid ? 0.85 : 1.0));
      return hit;
    }
    case Surface::kNone:
      hit.radiance = {};
      return hit;
    default:
      break;
  }
  // A wall: along-wall coordinate and height.
  const bool x_wall = surface == Surface::kWallX0 || surface == Surface::kWallX1;
  const double along = x_wall ? p.y : p.x;
  for (const WallPanel& panel : room.panels) {
    const Vec2 ab = panel.b - panel.a;
    const double length = ab.length();
    if (length < 1e-6) continue;
    const Vec2 ap = Vec2{p.x, p.y} - panel.a;
    const double s = ap.dot(ab) / length;
    const double off = std::abs(ap.dot(ab.left()) / length);
    if (off < 0.05 && s >= 0 && s <= length && p.z >= panel.z0 && p.z <= panel.z1) {
      hit.radiance = panel_radiance(panel, s, length, (p.z - panel.z0) / (panel.z1 - panel.z0), light, room);
      return hit;
    }
  }
  Rgb albedo = room.wall;
  double f = 1.0 + 0.04 * cell_noise(along, p.z, 0.08, 5);
  if (std::fmod(std::abs(along), 1.5) < 0.015) f *= 0.85;
  if (p.z < 0.12 || (p.z > 1.0 && p.z < 1.07)) albedo = room.trim;
  hit.radiance = albedo * static_cast<float>(f * light * 0.92);
  return hit;
}

void CameraRenderer::trace_background() {
  const int w = settings_.width, h = settings_.height;
  const std::size_t pixels = static_cast<std::size_t>(w) * h;
  illumination_ = std::make_unique<IlluminationMap>(room_);
  radiance_.assign(pixels * 3, 0.0f);
  occluder_depth_.assign(pixels, std::numeric_limits<float>::infinity());
  occluder_first_.assign(static_cast<std::size_t>(h), static_cast<std::int16_t>(w));
  occluder_last_.assign(static_cast<std::size_t>(h), -1);
  const Vec3 origin = camera_.position();
  const Rgb wb = layout_.white_balance;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      // 2 x 2 samples; the pixel shows an occluder (for hiding persons) when most of them hit one.
      Rgb sum;
      int occluder_samples = 0;
      double occluder_depth = std::numeric_limits<double>::infinity();
      for (int k = 0; k < 4; ++k) {
        const double u = x + 0.25 + 0.5 * (k & 1), v = y + 0.25 + 0.5 * (k >> 1);
        const Hit hit = trace(origin, camera_.ray(u, v));
        sum = sum + hit.radiance;
        if (hit.occluder) {
          ++occluder_samples;
          occluder_depth = std::min(occluder_depth, hit.t);  // the ray's forward component is 1
        }
      }
      const std::size_t i = static_cast<std::size_t>(y) * w + x;
      const Rgb r = sum * 0.25f * wb * vignette(x + 0.5, y + 0.5);
      radiance_[3 * i] = r.r, radiance_[3 * i + 1] = r.g, radiance_[3 * i + 2] = r.b;
      if (occluder_samples >= 2) {
        occluder_depth_[i] = static_cast<float>(occluder_depth);
        occluder_first_[y] = std::min<std::int16_t>(occluder_first_[y], static_cast<std::int16_t>(x));
        occluder_last_[y] = std::max<std::int16_t>(occluder_last_[y], static_cast<std::int16_t>(x));
      }
    }
  }
}

void CameraRenderer::expose_background() {
  const float gain = 255.0f * exposure_gain();
  background_.resize(radiance_.size());
  for (std::size_t i = 0; i < radiance_.size(); ++i) {
    const float v = radiance_[i] * gain;
    background_[i] = static_cast<std::uint8_t>(v >= 255.f ? 255.f : v + 0.5f);
  }
}

void CameraRenderer::render(const std::vector<PersonState>& persons, std::uint64_t noise_key,
                            std::uint8_t* rgb, std::size_t stride,
                            std::vector<cctv::GroundTruthPerson>& truth) {
  const int w = settings_.width, h = settings_.height;
  const std::size_t row_bytes = static_cast<std::size_t>(w) * 3;
  for (int y = 0; y < h; ++y)
    std::memcpy(rgb + static_cast<std::size_t>(y) * stride, background_.data() + y * row_bytes, row_bytes);
  std::fill(ids_.begin(), ids_.end(), kNoPerson);
  canvas_.rgb = rgb;
  canvas_.stride = stride;

  // Persons in this camera's room whose box may reach the picture, back to front.
  candidates_.clear();
  const double f = camera_.focal_px();
  for (std::size_t i = 0; i < persons.size(); ++i) {
    const PersonState& p = persons[i];
    if (!room_.contains(p.pose.position)) continue;
    ImagePoint feet, head;
    if (!camera_.project(at_height(p.pose.position, 0.0), feet)) continue;
    if (!camera_.project(at_height(p.pose.position, p.appearance->height_m), head)) continue;
    if (feet.depth < 0.8) continue;
    const double half = 0.7 * f / feet.depth;
    if (feet.u + half < 0 || feet.u - half > w || head.v > h || feet.v < 0) continue;
    candidates_.push_back({i, feet.depth});
  }
  std::sort(candidates_.begin(), candidates_.end(),
            [](const Candidate& a, const Candidate& b) { return a.depth > b.depth; });

  rendered_.clear();
  for (std::size_t k = 0; k < candidates_.size() && k < 0xFFFE; ++k) {
    paint_person(persons[candidates_[k].person], candidates_[k].depth, static_cast<std::uint16_t>(k + 1));
  }

  truth.clear();
  for (RenderedPerson& r : rendered_) {
    r.visible = count_visible(canvas_, r.id, r.body);
    const int x0 = std::max(r.body.x0, 0), x1 = std::min(r.body.x1, w - 1);
    const int y0 = std::max(r.body.y0, 0), y1 = std::min(r.body.y1, h - 1);
    if (r.body.empty() || x0 > x1 || y0 > y1 || r.body.pixels == 0) continue;
    cctv::GroundTruthPerson t;
    t.identity = r.identity;
    t.box = {static_cast<double>(x0), static_cast<double>(y0), static_cast<double>(x1 - x0 + 1),
             static_cast<double>(y1 - y0 + 1)};
    t.visible = std::clamp(static_cast<double>(r.visible) / static_cast<double>(r.body.pixels), 0.0, 1.0);
    truth.push_back(t);
  }
  sensor_.apply(rgb, stride, w, h, noise_key);
}

void CameraRenderer::paint_person(const PersonState& person, double depth, std::uint16_t id) {
  const Appearance& a = *person.appearance;
  const Pose& pose = person.pose;
  const Vec3 cam = camera_.position();
  const Vec2 toward_camera = (Vec2{cam.x, cam.y} - pose.position).normalized();
  build_body(a, pose, toward_camera, parts_);
  for (BodyPart& p : parts_) p.sort_key = camera_.depth_of(p.depth_point) + p.depth_bias;
  order_.resize(parts_.size());
  for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = i;
  std::stable_sort(order_.begin(), order_.end(),
                   [&](std::size_t x, std::size_t y) { return parts_[x].sort_key > parts_[y].sort_key; });

  if (++stamp_ == 0) {  // the counter wrapped: old stamps could collide
    std::fill(stamps_.begin(), stamps_.end(), 0);
    stamp_ = 1;
  }
  const double f = camera_.focal_px();
  ImagePoint feet;
  camera_.project(at_height(pose.position, 0.0), feet);
  const float light = static_cast<float>(illumination_->at(pose.position)) * exposure_gain() *
                      vignette(feet.u, feet.v - 0.4 * a.height_m * f / depth) * 255.0f;
  const Rgb scale = layout_.white_balance * light;

  if (settings_.shadows) {
    const double horizontal = std::hypot(pose.position.x - cam.x, pose.position.y - cam.y);
    const double rx = 0.38 * f / depth;
    const double ry = rx * std::clamp(cam.z / std::max(horizontal, 0.1), 0.15, 1.0);
    shade_ellipse(canvas_, feet.u, feet.v, rx, ry, 0.38f);
  }

  RenderedPerson& r = rendered_.emplace_back();
  r.identity = person.identity;
  r.id = id;
  r.depth = depth;
  for (std::size_t index : order_) {
    const BodyPart& part = parts_[index];
    Paint paint;
    const Rgb c = part.colour * scale;
    const Rgb pc = part.pattern_colour * scale;
    paint.colour[0] = c.r, paint.colour[1] = c.g, paint.colour[2] = c.b;
    paint.pattern_colour[0] = pc.r, paint.pattern_colour[1] = pc.g, paint.pattern_colour[2] = pc.b;
    paint.pattern = part.pattern_period_m > 0 ? part.pattern : Pattern::kPlain;
    paint.edge_shade = part.edge_shade;
    paint.top_light = 0.12f;
    paint.id = part.body ? id : kCarriedObject;
    paint.stamp = part.body ? stamp_ : 0;
    paint.depth = static_cast<float>(depth);
    if (part.shape == BodyPart::Shape::kSegment) {
      ImagePoint pa, pb;
      if (!camera_.project(part.a, pa) || !camera_.project(part.b, pb)) continue;
      if (paint.pattern != Pattern::kPlain) {
        paint.periods_along = static_cast<float>((part.b - part.a).length() / part.pattern_period_m);
        paint.periods_across =
            static_cast<float>(0.5 * (part.width_a + part.width_b) / part.pattern_period_m);
      }
      fill_segment(canvas_, pa.u, pa.v, pb.u, pb.v, part.width_a * f / pa.depth, part.width_b * f / pb.depth,
                   paint, r.body);
    } else {
      ImagePoint pc2;
      if (!camera_.project(part.a, pc2)) continue;
      fill_ellipse(canvas_, pc2.u, pc2.v, 0.5 * part.width_a * f / pc2.depth,
                   0.5 * part.width_b * f / pc2.depth, paint, r.body);
    }
  }

  if (settings_.motion_blur && pose.speed > 0) {
    // Sideways image motion during the exposure.
    const Vec2 moved = pose.position + pose.heading * (pose.speed * settings_.exposure_us * 1e-6);
    ImagePoint later;
    if (camera_.project(at_height(moved, 0.0), later)) {
      const int length = static_cast<int>(std::lround(std::abs(later.u - feet.u)));
      blur_rows(canvas_, id, r.body, length, blur_scratch_);
    }
  }
}

}  // namespace oi::sim_cctv
