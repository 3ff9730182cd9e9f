#include "oi/frame.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#include "oi/error.hpp"

namespace oi {
namespace {

// 64-byte alignment keeps rows cache-line aligned for SIMD code and matches the alignment
// Vulkan implementations use for mapped memory, so planes can be handed over without copies.
constexpr std::size_t kAlignment = 64;

}  // namespace

HostMemory::HostMemory(std::size_t size_bytes) : size_(size_bytes) {
  const std::size_t rounded =
      (std::max<std::size_t>(size_bytes, 1) + kAlignment - 1) / kAlignment * kAlignment;
  data_ = static_cast<std::byte*>(std::aligned_alloc(kAlignment, rounded));
  if (data_ == nullptr) throw std::bad_alloc();
  std::memset(data_, 0, rounded);
}

HostMemory::~HostMemory() { std::free(data_); }

Plane Plane::packed(PixelFormat format, int width, int height) {
  if (width < 0 || height < 0) {
    throw Error("cannot allocate a plane of " + std::to_string(width) + "x" + std::to_string(height) +
                " pixels: width and height must not be negative");
  }
  Plane plane;
  plane.format = format;
  plane.width = width;
  plane.height = height;
  plane.stride = plane.row_bytes();
  return plane;
}

Plane Plane::allocate(PixelFormat format, int width, int height) {
  Plane plane = packed(format, width, height);
  plane.memory = std::make_shared<HostMemory>(plane.stride * static_cast<std::size_t>(height));
  return plane;
}

std::shared_ptr<Frame> Frame::create(std::string kind) { return std::make_shared<Frame>(std::move(kind)); }

Plane& Frame::add_plane(const std::string& name, PixelFormat format, int width, int height) {
  return set_plane(name, Plane::allocate(format, width, height));
}

Plane& Frame::set_plane(const std::string& name, Plane plane) {
  for (auto& [existing, p] : planes_) {
    if (existing == name) {
      p = std::move(plane);
      return p;
    }
  }
  planes_.emplace_back(name, std::move(plane));
  return planes_.back().second;
}

bool Frame::has_plane(std::string_view name) const {
  return std::any_of(planes_.begin(), planes_.end(), [&](const auto& p) { return p.first == name; });
}

Plane& Frame::plane(std::string_view name) {
  return const_cast<Plane&>(static_cast<const Frame&>(*this).plane(name));
}

const Plane& Frame::plane(std::string_view name) const {
  for (const auto& [existing, p] : planes_) {
    if (existing == name) return p;
  }
  std::string present;
  for (const auto& p : planes_) present += (present.empty() ? "" : ", ") + p.first;
  throw Error("frame of kind '" + kind_ + "' has no plane '" + std::string(name) +
              "' (planes: " + (present.empty() ? "none" : present) + "); check the upstream stage's outputs");
}

bool Frame::remove_plane(std::string_view name) {
  auto it = std::find_if(planes_.begin(), planes_.end(), [&](const auto& p) { return p.first == name; });
  if (it == planes_.end()) return false;
  planes_.erase(it);
  return true;
}

std::vector<std::string> Frame::plane_names() const {
  std::vector<std::string> names;
  names.reserve(planes_.size());
  for (const auto& p : planes_) names.push_back(p.first);
  return names;
}

std::shared_ptr<Frame> Frame::clone() const { return std::make_shared<Frame>(*this); }

nlohmann::json FrameMetadata::to_json() const {
  nlohmann::json pitch = pixel_pitch_mm;
  if (std::isnan(pixel_pitch_mm)) pitch = "nan";
  if (std::isinf(pixel_pitch_mm)) pitch = pixel_pitch_mm > 0 ? "inf" : "-inf";
  return {{"source_device", source_device},
          {"sequence", sequence},
          {"capture_time_ns", capture_time_ns},
          {"scan_id", scan_id},
          {"block_index", block_index},
          {"end_of_scan", end_of_scan},
          {"incomplete", incomplete},
          {"pixel_pitch_mm", pitch},
          {"attributes", attributes}};
}

}  // namespace oi
