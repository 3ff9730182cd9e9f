#include "oi/frame_cv.hpp"

#include <opencv2/core.hpp>

namespace oi {

int cv_type(PixelFormat format) {
  switch (format) {
    case PixelFormat::kU8:
      return CV_8UC1;
    case PixelFormat::kU16:
      return CV_16UC1;
    case PixelFormat::kF32:
      return CV_32FC1;
    case PixelFormat::kRGB8:
      return CV_8UC3;
  }
  return -1;
}

cv::Mat as_mat(Plane& plane) {
  if (!plane.valid()) return {};
  return cv::Mat(plane.height, plane.width, cv_type(plane.format), plane.memory->host_data() + plane.offset,
                 plane.stride);
}

cv::Mat as_mat(const Plane& plane) {
  if (!plane.valid()) return {};
  const PlaneMemory& memory = *plane.memory;
  // cv::Mat has no const view type; the const overload documents the read-only contract.
  return cv::Mat(plane.height, plane.width, cv_type(plane.format),
                 const_cast<std::byte*>(memory.host_data() + plane.offset), plane.stride);
}

}  // namespace oi
