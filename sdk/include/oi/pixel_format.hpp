#pragma once
/// @file
/// Pixel formats of frame planes.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace oi {

/// Element type and channel count of one plane.
enum class PixelFormat {
  kU8,    ///< one unsigned 8-bit channel ("u8"), e.g. material class labels
  kU16,   ///< one unsigned 16-bit channel ("u16"), raw detector counts
  kF32,   ///< one 32-bit float channel ("f32"), e.g. log attenuation
  kRGB8,  ///< three interleaved 8-bit channels, R G B ("rgb8")
};

/// Bytes one pixel takes.
std::size_t bytes_per_pixel(PixelFormat format);
/// Channels per pixel.
int channel_count(PixelFormat format);
/// Short name used in YAML and messages: "u8", "u16", "f32", "rgb8".
std::string_view to_string(PixelFormat format);
/// Parses a short name; nullopt when unknown.
std::optional<PixelFormat> parse_pixel_format(std::string_view name);

}  // namespace oi
