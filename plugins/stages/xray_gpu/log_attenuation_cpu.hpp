#pragma once
// CPU reference of xray.log_attenuation (OpenCV): the stage's fallback when there is no
// Vulkan device, and the oracle its GPU kernel is tested against. Same formulas as
// shaders/oi/xray.glsl.

#include <opencv2/core/mat.hpp>

#include "oi/params.hpp"

namespace oi::xray {

/// Dark (offset) and air (gain) levels of both detector channels, in counts, and the
/// attenuation below which the ratio is 0.
struct DualEnergyLevels {
  float dark_high = 0.0f;     ///< high-energy counts with the beam off
  float air_high = 65535.0f;  ///< high-energy counts with nothing in the beam
  float dark_low = 0.0f;      ///< low-energy counts with the beam off
  float air_low = 65535.0f;   ///< low-energy counts with nothing in the beam
  float epsilon = 0.01f;      ///< ratio is 0 where A_high < epsilon

  /// Checks the levels (xray.log_attenuation binds its parameters of the same names to
  /// these fields).
  /// @throws oi::ConfigError when a channel's air level is not at least dark + 1.
  void check() const;
};

/// A = -ln(clamp(I - dark, r e^-12, r) / r), r = air - dark, of a CV_16UC1 image into a
/// CV_32FC1 one (allocated when `attenuation` is empty or of another size): the contract's
/// oi::xray::log_attenuation(), so A lies in [0, 12] as xray.correct's does.
void log_attenuation_reference(const cv::Mat& counts, float dark, float air, cv::Mat& attenuation);

/// Both channels' attenuation and the ratio R = A_low / A_high (0 where A_high < epsilon).
/// Outputs that already have the right size and type are written in place.
void dual_energy_reference(const cv::Mat& high, const cv::Mat& low, const DualEnergyLevels& levels,
                           cv::Mat& a_high, cv::Mat& a_low, cv::Mat& ratio);

}  // namespace oi::xray
