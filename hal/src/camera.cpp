#include "oi/hal/camera.hpp"

namespace oi::hal {

std::string Camera::check_frame(const Frame& frame) const {
  if (!frame.has_plane(kImagePlane)) return "the frame has no '" + std::string(kImagePlane) + "' plane";
  const Plane& image = frame.plane(kImagePlane);
  const CameraFormat expected = format();
  const auto size = [](PixelFormat f, int w, int h) {
    return std::string(oi::to_string(f)) + " " + std::to_string(w) + " x " + std::to_string(h);
  };
  // A size of 0 in format() means the camera does not know it in advance.
  const bool size_known = expected.width > 0 && expected.height > 0;
  if (image.format != expected.format || image.width <= 0 || image.height <= 0 ||
      (size_known && (image.width != expected.width || image.height != expected.height))) {
    return "the image is " + size(image.format, image.width, image.height) + "; the camera's format is " +
           (size_known ? size(expected.format, expected.width, expected.height)
                       : std::string(oi::to_string(expected.format)));
  }
  if (!image.valid()) return "the image plane has no pixels attached";
  return {};
}

}  // namespace oi::hal
