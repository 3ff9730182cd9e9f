#include "oi/pixel_format.hpp"

namespace oi {

std::size_t bytes_per_pixel(PixelFormat format) {
  switch (format) {
    case PixelFormat::kU8:
      return 1;
    case PixelFormat::kU16:
      return 2;
    case PixelFormat::kF32:
      return 4;
    case PixelFormat::kRGB8:
      return 3;
  }
  return 0;
}

int channel_count(PixelFormat format) { return format == PixelFormat::kRGB8 ? 3 : 1; }

std::string_view to_string(PixelFormat format) {
  switch (format) {
    case PixelFormat::kU8:
      return "u8";
    case PixelFormat::kU16:
      return "u16";
    case PixelFormat::kF32:
      return "f32";
    case PixelFormat::kRGB8:
      return "rgb8";
  }
  return "?";
}

std::optional<PixelFormat> parse_pixel_format(std::string_view name) {
  for (PixelFormat f : {PixelFormat::kU8, PixelFormat::kU16, PixelFormat::kF32, PixelFormat::kRGB8}) {
    if (to_string(f) == name) return f;
  }
  return std::nullopt;
}

}  // namespace oi
