#pragma once
// xray.colorize's colour mapping: the parameters, the per-pixel function the CPU reference
// runs and shaders/xray/colorize.comp mirrors, and the reference over whole planes.

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "oi/frame.hpp"

namespace oi::xray {

/// What xray.colorize shows (parameter `view`).
enum class ColorView : std::uint32_t {
  kStandard = 0,         ///< every class in its colour
  kOrganicOnly = 1,      ///< organic in colour, inorganic and metal in grey
  kInorganicOnly = 2,    ///< inorganic and metal in colour, organic in grey
  kHighPenetration = 3,  ///< grey of a_high stretched over [penetration_min, penetration_max]
};

/// Parses `standard`, `organic_only`, `inorganic_only`, `high_penetration`.
/// @throws oi::ConfigError for another value.
ColorView parse_color_view(const std::string& name);

/// The constants of the mapping; also the shader's push-constant block after `uvec2 size`.
struct ColorizeParams {
  std::uint32_t view = 0;               ///< ColorView
  float black_attenuation = 7.0f;       ///< a_high at which colours reach black
  float saturation_attenuation = 0.6f;  ///< a_high at which the class colour is fully saturated
  float penetration_min = 1.5f;         ///< high_penetration: a_high shown white (and below)
  float penetration_max = 11.0f;        ///< high_penetration: a_high shown black (and above)
};

/// Class colours (industry convention), RGB in [0, 1]: index = MaterialClass code.
inline constexpr std::array<std::array<float, 3>, 5> kClassColors = {{
    {1.0f, 1.0f, 1.0f},   // empty: white background
    {1.0f, 0.55f, 0.0f},  // organic: orange
    {0.0f, 0.78f, 0.0f},  // inorganic / mixed: green
    {0.1f, 0.35f, 1.0f},  // metal: blue
    {0.0f, 0.0f, 0.0f},   // impenetrable: black
}};
/// Colour of a class code the contract does not define: magenta, so it shows instead of
/// passing for a material.
inline constexpr std::array<float, 3> kUnknownClassColor = {1.0f, 0.0f, 1.0f};

/// 0..1 to 0..255, rounded.
inline std::uint8_t to_u8(float v) {
  return static_cast<std::uint8_t>(std::clamp(v, 0.0f, 1.0f) * 255.0f + 0.5f);
}

/// The colour of one pixel (see docs/inspection-stages.md): class colour mixed from white by
/// s = a_high / saturation_attenuation, times brightness v = 1 - a_high / black_attenuation.
inline std::array<std::uint8_t, 3> colorize_pixel(float a_high, std::uint8_t material_class,
                                                  const ColorizeParams& p) {
  if (material_class == 4) return {0, 0, 0};  // impenetrable: black in every view
  if (p.view == static_cast<std::uint32_t>(ColorView::kHighPenetration)) {
    const float t =
        std::clamp((a_high - p.penetration_min) / (p.penetration_max - p.penetration_min), 0.0f, 1.0f);
    const std::uint8_t g = to_u8(1.0f - t);
    return {g, g, g};
  }
  if (material_class == 0) return {255, 255, 255};  // empty: white
  std::array<float, 3> c =
      material_class < kClassColors.size() ? kClassColors[material_class] : kUnknownClassColor;
  const bool grey = (p.view == static_cast<std::uint32_t>(ColorView::kOrganicOnly) &&
                     (material_class == 2 || material_class == 3)) ||
                    (p.view == static_cast<std::uint32_t>(ColorView::kInorganicOnly) && material_class == 1);
  if (grey) c = {0.6f, 0.6f, 0.6f};
  const float s = std::clamp(a_high / p.saturation_attenuation, 0.0f, 1.0f);
  const float v = std::clamp(1.0f - a_high / p.black_attenuation, 0.0f, 1.0f);
  return {to_u8(v * (1.0f + s * (c[0] - 1.0f))), to_u8(v * (1.0f + s * (c[1] - 1.0f))),
          to_u8(v * (1.0f + s * (c[2] - 1.0f)))};
}

/// The reference over planes: f32 `a_high` and u8 `material_class` into rgb8 `rgb` (same size).
void colorize_reference(const Plane& a_high, const Plane& material_class, const ColorizeParams& params,
                        Plane& rgb);

}  // namespace oi::xray
