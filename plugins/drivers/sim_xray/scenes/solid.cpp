#include "solid.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace oi::sim {

namespace {

// Clips the parameter interval [t0, t1] to {t : a + b t <= 0}; false when it becomes empty.
inline bool clip_halfspace(double a, double b, double& t0, double& t1) {
  if (std::abs(b) < 1e-12) return a <= 0;
  const double t = -a / b;
  if (b > 0) {
    t1 = std::min(t1, t);
  } else {
    t0 = std::max(t0, t);
  }
  return t0 < t1;
}

// |o + t d| component i within [-h, h].
inline bool clip_slab(double o, double d, double h, double& t0, double& t1) {
  return clip_halfspace(o - h, d, t0, t1) && clip_halfspace(-o - h, -d, t0, t1);
}

// Chord of a ray through {(o + t d) : (x/hx)^2 + (y/hy)^2 [+ (z/hz)^2] <= 1}, restricted to
// [t0, t1] from earlier clipping.
inline bool clip_quadric(double a, double b, double c, double& t0, double& t1, bool& all) {
  all = false;
  if (a < 1e-15) {  // ray parallel to the cylinder axis: inside everywhere or nowhere
    all = c <= 0;
    return all;
  }
  const double disc = b * b - 4 * a * c;
  if (disc <= 0) return false;
  const double s = std::sqrt(disc);
  t0 = std::max(t0, (-b - s) / (2 * a));
  t1 = std::min(t1, (-b + s) / (2 * a));
  return t0 < t1;
}

Vec3 shrink(const Vec3& h, double wall) { return {h.x - wall, h.y - wall, h.z - wall}; }

std::vector<std::array<double, 2>> shrink_polygon(const std::vector<std::array<double, 2>>& poly,
                                                  double wall) {
  // Moves every vertex toward the centroid so that edges move inward by about `wall`; exact
  // for regular shapes, conservative enough for the blade/grip outlines the scenes use.
  double cx = 0, cy = 0;
  for (const auto& p : poly) cx += p[0], cy += p[1];
  cx /= static_cast<double>(poly.size());
  cy /= static_cast<double>(poly.size());
  std::vector<std::array<double, 2>> out = poly;
  for (auto& p : out) {
    const double dx = p[0] - cx, dy = p[1] - cy;
    const double r = std::hypot(dx, dy);
    const double k = r > wall ? (r - wall) / r : 0.0;
    p = {cx + dx * k, cy + dy * k};
  }
  return out;
}

}  // namespace

Rotation Rotation::from_angles(double yaw, double pitch, double roll) {
  const double cz = std::cos(yaw), sz = std::sin(yaw);
  const double cy = std::cos(pitch), sy = std::sin(pitch);
  const double cx = std::cos(roll), sx = std::sin(roll);
  Rotation rz, ry, rx;
  rz.m = {{{cz, -sz, 0}, {sz, cz, 0}, {0, 0, 1}}};
  ry.m = {{{cy, 0, sy}, {0, 1, 0}, {-sy, 0, cy}}};
  rx.m = {{{1, 0, 0}, {0, cx, -sx}, {0, sx, cx}}};
  return rz * ry * rx;
}

Rotation Rotation::operator*(const Rotation& o) const {
  Rotation r;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      r.m[i][j] = m[i][0] * o.m[0][j] + m[i][1] * o.m[1][j] + m[i][2] * o.m[2][j];
    }
  }
  return r;
}

Vec3 Rotation::apply(const Vec3& v) const {
  return {m[0][0] * v.x + m[0][1] * v.y + m[0][2] * v.z, m[1][0] * v.x + m[1][1] * v.y + m[1][2] * v.z,
          m[2][0] * v.x + m[2][1] * v.y + m[2][2] * v.z};
}

Vec3 Rotation::apply_inverse(const Vec3& v) const {
  return {m[0][0] * v.x + m[1][0] * v.y + m[2][0] * v.z, m[0][1] * v.x + m[1][1] * v.y + m[2][1] * v.z,
          m[0][2] * v.x + m[1][2] * v.y + m[2][2] * v.z};
}

namespace {

inline double chord_core(Shape shape, const Vec3& h, const std::vector<std::array<double, 2>>& polygon,
                         const Vec3& o, const Vec3& d) {
  if (h.x <= 0 || h.y <= 0 || h.z <= 0) return 0;
  double t0 = -std::numeric_limits<double>::infinity();
  double t1 = std::numeric_limits<double>::infinity();
  switch (shape) {
    case Shape::kBox:
      if (!clip_slab(o.x, d.x, h.x, t0, t1) || !clip_slab(o.y, d.y, h.y, t0, t1) ||
          !clip_slab(o.z, d.z, h.z, t0, t1)) {
        return 0;
      }
      break;
    case Shape::kEllipsoid: {
      const double ox = o.x / h.x, oy = o.y / h.y, oz = o.z / h.z;
      const double dx = d.x / h.x, dy = d.y / h.y, dz = d.z / h.z;
      bool all = false;
      if (!clip_quadric(dx * dx + dy * dy + dz * dz, 2 * (ox * dx + oy * dy + oz * dz),
                        ox * ox + oy * oy + oz * oz - 1, t0, t1, all)) {
        return 0;
      }
      break;
    }
    case Shape::kCylinder: {
      if (!clip_slab(o.z, d.z, h.z, t0, t1)) return 0;
      const double ox = o.x / h.x, oy = o.y / h.y, dx = d.x / h.x, dy = d.y / h.y;
      bool all = false;
      double q0 = t0, q1 = t1;
      if (!clip_quadric(dx * dx + dy * dy, 2 * (ox * dx + oy * dy), ox * ox + oy * oy - 1, q0, q1, all))
        return 0;
      if (!all) t0 = q0, t1 = q1;
      break;
    }
    case Shape::kPrism: {
      if (!clip_slab(o.z, d.z, h.z, t0, t1)) return 0;
      const std::size_t n = polygon.size();
      for (std::size_t i = 0; i < n; ++i) {
        const auto& p = polygon[i];
        const auto& q = polygon[(i + 1) % n];
        // Outward normal of a counter-clockwise edge p->q is (ey, -ex).
        const double nx = q[1] - p[1], ny = -(q[0] - p[0]);
        const double a = nx * (o.x - p[0]) + ny * (o.y - p[1]);
        const double b = nx * d.x + ny * d.y;
        if (!clip_halfspace(a, b, t0, t1)) return 0;
      }
      break;
    }
  }
  return t1 > t0 ? t1 - t0 : 0.0;
}

}  // namespace

double convex_chord(Shape shape, const Vec3& h, const std::vector<std::array<double, 2>>& polygon,
                    const Vec3& o, const Vec3& d) {
  return chord_core(shape, h, polygon, o, d);
}

ChordEvaluator::ChordEvaluator(const Solid& solid)
    : solid_(solid),
      d_(solid.rotation.apply_inverse({0, 0, 1})),
      ex_(solid.rotation.apply_inverse({1, 0, 0})),
      ey_(solid.rotation.apply_inverse({0, 1, 0})),
      o00_(solid.rotation.apply_inverse({-solid.centre.x, -solid.centre.y, -solid.centre.z})) {
  if (solid.wall > 0) {
    inner_half_ =
        solid.shape == Shape::kPrism ? Vec3{1, 1, solid.half.z - solid.wall} : shrink(solid.half, solid.wall);
    if (solid.shape == Shape::kPrism) inner_polygon_ = shrink_polygon(solid.polygon, solid.wall);
  }
}

double ChordEvaluator::operator()(double x, double y) const {
  const Vec3 o{o00_.x + x * ex_.x + y * ey_.x, o00_.y + x * ex_.y + y * ey_.y,
               o00_.z + x * ex_.z + y * ey_.z};
  double c = chord_core(solid_.shape, solid_.half, solid_.polygon, o, d_);
  if (solid_.wall > 0 && c > 0) c -= chord_core(solid_.shape, inner_half_, inner_polygon_, o, d_);
  return std::max(c, 0.0);
}

double Solid::chord(double x, double y) const { return ChordEvaluator(*this)(x, y); }

std::array<double, 4> Solid::footprint() const {
  // Project the local bounding box's corners; exact for boxes, a little loose for round shapes.
  double bx = half.x, by = half.y;
  if (shape == Shape::kPrism) {
    bx = by = 0;
    for (const auto& p : polygon) bx = std::max(bx, std::abs(p[0])), by = std::max(by, std::abs(p[1]));
  }
  std::array<double, 4> r{1e300, 1e300, -1e300, -1e300};
  for (int sx = -1; sx <= 1; sx += 2) {
    for (int sy = -1; sy <= 1; sy += 2) {
      for (int sz = -1; sz <= 1; sz += 2) {
        const Vec3 w = rotation.apply({sx * bx, sy * by, sz * half.z});
        r[0] = std::min(r[0], centre.x + w.x);
        r[1] = std::min(r[1], centre.y + w.y);
        r[2] = std::max(r[2], centre.x + w.x);
        r[3] = std::max(r[3], centre.y + w.y);
      }
    }
  }
  return r;
}

}  // namespace oi::sim
