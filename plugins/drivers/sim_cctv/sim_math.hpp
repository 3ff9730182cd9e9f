#pragma once
/// @file
/// Small value types of the CCTV site simulator: ground-plane and 3-D vectors, colours, a
/// seedable random generator whose streams are the same on every platform and standard
/// library (std::normal_distribution is not), and the pinhole camera that projects the site
/// onto one camera's image.
///
/// Site coordinates are metres: x east, y north, z up; the floor is z = 0.

#include <cmath>
#include <cstdint>
#include <numbers>

namespace oi::sim_cctv {

/// A point or direction on the floor plan, metres.
struct Vec2 {
  double x = 0, y = 0;
  Vec2 operator+(Vec2 o) const { return {x + o.x, y + o.y}; }
  Vec2 operator-(Vec2 o) const { return {x - o.x, y - o.y}; }
  Vec2 operator*(double s) const { return {x * s, y * s}; }
  double dot(Vec2 o) const { return x * o.x + y * o.y; }
  double length() const { return std::hypot(x, y); }
  /// Unit vector in the same direction; (1, 0) for the zero vector.
  Vec2 normalized() const {
    const double l = length();
    return l > 1e-12 ? Vec2{x / l, y / l} : Vec2{1, 0};
  }
  /// The vector turned 90 degrees counter-clockwise (to the left when facing along it).
  Vec2 left() const { return {-y, x}; }
};

/// A point or direction in the site, metres.
struct Vec3 {
  double x = 0, y = 0, z = 0;
  Vec3 operator+(Vec3 o) const { return {x + o.x, y + o.y, z + o.z}; }
  Vec3 operator-(Vec3 o) const { return {x - o.x, y - o.y, z - o.z}; }
  Vec3 operator*(double s) const { return {x * s, y * s, z * s}; }
  double dot(Vec3 o) const { return x * o.x + y * o.y + z * o.z; }
  Vec3 cross(Vec3 o) const { return {y * o.z - z * o.y, z * o.x - x * o.z, x * o.y - y * o.x}; }
  double length() const { return std::sqrt(dot(*this)); }
};

/// A point of the floor plan at height `z`.
inline Vec3 at_height(Vec2 p, double z) { return {p.x, p.y, z}; }

/// A colour: reflectance (albedo) in [0, 1] per channel for surfaces and clothing, or a
/// light or pixel value once lit.
struct Rgb {
  float r = 0, g = 0, b = 0;
  Rgb operator*(float s) const { return {r * s, g * s, b * s}; }
  Rgb operator*(Rgb o) const { return {r * o.r, g * o.g, b * o.b}; }
  Rgb operator+(Rgb o) const { return {r + o.r, g + o.g, b + o.b}; }
};

/// A colour from 8-bit sRGB-like values, as palettes are written.
constexpr Rgb rgb8(int r, int g, int b) {
  return {static_cast<float>(r) / 255.0f, static_cast<float>(g) / 255.0f, static_cast<float>(b) / 255.0f};
}

/// SplitMix64's finaliser: a well-mixed 64-bit hash of `x`.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// Hash of two values (seed and stream, frame and row, ...).
constexpr std::uint64_t mix64(std::uint64_t a, std::uint64_t b) {
  return mix64(a ^ mix64(b + 0x632BE59BD9B4E019ull));
}

/// A value in [0, 1) from a hash, for textures that must not depend on evaluation order.
constexpr double unit_of(std::uint64_t hash) { return static_cast<double>(hash >> 11) * 0x1.0p-53; }

/// xoshiro256** seeded through SplitMix64, with its own uniform and normal variates so a seed
/// gives the same stream everywhere.
class Random {
 public:
  explicit Random(std::uint64_t seed) {
    std::uint64_t s = seed;
    for (std::uint64_t& word : state_) {
      s += 0x9E3779B97F4A7C15ull;
      word = mix64(s);
    }
  }
  /// 64 random bits.
  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }
  /// Uniform in [0, 1).
  double uniform() { return unit_of(next()); }
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [0, n); 0 when n <= 0.
  int below(int n) { return n <= 0 ? 0 : static_cast<int>(uniform() * n); }
  /// True with probability p.
  bool chance(double p) { return uniform() < p; }
  /// Standard normal (Box-Muller; one variate per call, so the stream does not depend on
  /// how calls interleave).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  /// Normal with mean and standard deviation.
  double normal(double mean, double sd) { return mean + sd * normal(); }
  /// Exponential with the given mean.
  double exponential(double mean) { return -mean * std::log(1.0 - uniform()); }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4] = {};
};

/// A camera's position in the image: pixel coordinates (u right, v down; pixel (0, 0)'s
/// centre is at (0.5, 0.5)) and depth along the optical axis in metres.
struct ImagePoint {
  double u = 0, v = 0, depth = 0;
};

/// An ideal pinhole camera: mounted at `position`, looking along compass direction `yaw`
/// (degrees counter-clockwise from east) tilted down by `pitch` degrees, with a horizontal
/// field of view `hfov` over an image of `width` x `height` square pixels.
class PinholeCamera {
 public:
  /// Nearest depth a point may have to be projected, metres.
  static constexpr double kNear = 0.3;

  PinholeCamera() = default;
  PinholeCamera(Vec3 position, double yaw_deg, double pitch_deg, double hfov_deg, int width, int height)
      : position_(position), width_(width), height_(height) {
    const double yaw = yaw_deg * std::numbers::pi / 180.0;
    const double pitch = pitch_deg * std::numbers::pi / 180.0;
    forward_ = {std::cos(yaw) * std::cos(pitch), std::sin(yaw) * std::cos(pitch), -std::sin(pitch)};
    right_ = {std::sin(yaw), -std::cos(yaw), 0.0};
    up_ = right_.cross(forward_);
    focal_px_ = 0.5 * width / std::tan(0.5 * hfov_deg * std::numbers::pi / 180.0);
  }

  /// Projects `p`; false when it lies closer than kNear in front of the camera (or behind it).
  bool project(Vec3 p, ImagePoint& out) const {
    const Vec3 d = p - position_;
    const double z = d.dot(forward_);
    if (z < kNear) return false;
    out.u = 0.5 * width_ + focal_px_ * d.dot(right_) / z;
    out.v = 0.5 * height_ - focal_px_ * d.dot(up_) / z;
    out.depth = z;
    return true;
  }
  /// Depth of `p` along the optical axis (negative behind the camera).
  double depth_of(Vec3 p) const { return (p - position_).dot(forward_); }
  /// The (not normalised) direction of the ray through image position (u, v).
  Vec3 ray(double u, double v) const {
    return forward_ + right_ * ((u - 0.5 * width_) / focal_px_) - up_ * ((v - 0.5 * height_) / focal_px_);
  }

  Vec3 position() const { return position_; }
  Vec3 forward() const { return forward_; }
  Vec3 right() const { return right_; }
  double focal_px() const { return focal_px_; }
  int width() const { return width_; }
  int height() const { return height_; }

 private:
  Vec3 position_;
  Vec3 forward_{1, 0, 0}, right_{0, -1, 0}, up_{0, 0, 1};
  double focal_px_ = 1.0;
  int width_ = 0, height_ = 0;
};

}  // namespace oi::sim_cctv
