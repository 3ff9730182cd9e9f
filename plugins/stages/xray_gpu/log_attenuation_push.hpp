#pragma once
// The push-constant block of shaders/xray/log_attenuation.comp, shared by the stage and the
// benchmark.

#include <cmath>
#include <cstdint>

#include "log_attenuation_cpu.hpp"

namespace oi::xray {

/// Layout of the shader's `Push` block. ln(range) is computed here, once, so that the
/// shader takes one log per pixel and no division.
struct LogAttenuationPush {
  std::uint32_t width = 0, height = 0;  ///< uvec2 size, written per frame by PixelStage
  float dark_high = 0, range_high = 1, log_range_high = 0;
  float dark_low = 0, range_low = 1, log_range_low = 0;
  float epsilon = 0;

  static LogAttenuationPush from(const DualEnergyLevels& levels, std::uint32_t width = 0,
                                 std::uint32_t height = 0) {
    LogAttenuationPush p;
    p.width = width;
    p.height = height;
    p.dark_high = levels.dark_high;
    p.range_high = levels.air_high - levels.dark_high;
    p.log_range_high = static_cast<float>(std::log(static_cast<double>(p.range_high)));
    p.dark_low = levels.dark_low;
    p.range_low = levels.air_low - levels.dark_low;
    p.log_range_low = static_cast<float>(std::log(static_cast<double>(p.range_low)));
    p.epsilon = levels.epsilon;
    return p;
  }
};

}  // namespace oi::xray
