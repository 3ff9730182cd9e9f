#pragma once
// CPU reference of xray.materials: the stage's fallback without a Vulkan device and the
// oracle its kernel (shaders/xray/materials.comp) is tested against.

#include <opencv2/core/mat.hpp>

#include "material_model.hpp"

namespace oi::xray {

/// Box mean of radius `radius` (borders clamped; summed in the kernel's order: each window
/// line left to right, then the line sums top to bottom) of the CV_32F
/// planes `a_high` and `a_low`, then classify_pixel() per pixel into `zeff` (CV_32F),
/// `material_class` (CV_8U) and `areal_density` (CV_32F), which must be allocated with the input size.
void materials_reference(const cv::Mat& a_high, const cv::Mat& a_low, const MaterialTable& table,
                         const ClassThresholds& thresholds, int radius, cv::Mat& zeff,
                         cv::Mat& material_class, cv::Mat& areal_density);

}  // namespace oi::xray
