#pragma once
/// @file
/// The material model of xray.materials: calibrated curves R = A_low / A_high against A_high
/// (written by `oi calibrate-materials`, docs/materials.md), resampled onto a fixed grid that
/// the GLSL kernel receives as specialization constants, and the per-pixel classification
/// both the kernel (shaders/xray/materials_common.glsl) and the CPU reference follow.

#include <array>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace oi::xray {

/// Most reference materials a calibration may hold (the kernel's table size).
inline constexpr int kMaxCurves = 6;
/// Grid points per curve. The grid is uniform in sqrt(A_high / grid_max): R changes fastest
/// at small thickness, where beam hardening is strongest, so the points crowd there.
inline constexpr int kGridPoints = 32;
/// R value marking a grid point where a curve is not defined (see MaterialTable).
inline constexpr float kUndefinedRatio = -1.0f;

/// Format name and version written by `oi calibrate-materials` and accepted here.
inline constexpr const char* kCalibrationFormat = "openinspect-material-calibration";
inline constexpr int kCalibrationVersion = 1;

/// One calibrated point of a material's curve (one wedge step).
struct CurvePoint {
  float a_high = 0;            ///< robust mean of A_high over the step
  float ratio = 0;             ///< R = mean A_low / mean A_high
  float mass_attenuation = 0;  ///< A_high / (density * thickness), cm²/g (0 when unknown)
};

/// One reference material of a calibration file.
struct MaterialCurve {
  std::string name;                ///< e.g. "aluminium"
  float z_eff = 0;                 ///< effective atomic number assigned to the curve
  std::vector<CurvePoint> points;  ///< increasing a_high, penetrable steps only
};

/// A calibration file, as loaded.
struct MaterialCalibration {
  std::vector<MaterialCurve> curves;  ///< increasing z_eff
  float a_high_max = 0;               ///< noise floor of the high channel: larger A_high is impenetrable
  float a_low_max = 0;                ///< noise floor of the low channel
  nlohmann::json tube;                ///< tube settings the calibration was made with
  std::filesystem::path file;         ///< where it was read from (for messages)

  /// Reads and checks a calibration file.
  /// @throws oi::ConfigError naming the file and what is wrong (missing, not JSON, other
  ///         format or version, missing or out-of-range fields, fewer than two curves).
  static MaterialCalibration load(const std::filesystem::path& file);
  /// Checks an already parsed document; `file` is only used in messages.
  /// @throws oi::ConfigError as load().
  static MaterialCalibration from_json(const nlohmann::json& doc, const std::filesystem::path& file);
};

/// Classification thresholds (stage parameters).
struct ClassThresholds {
  float empty_attenuation = 0.05f;  ///< smoothed A_high below this: empty
  float organic_max_z = 10.0f;      ///< Z_eff below: organic
  float inorganic_max_z = 17.0f;    ///< Z_eff below: inorganic / mixed; above: metal
};

/// The calibration resampled for the kernel: per curve, R and mass attenuation at the grid
/// points; R = kUndefinedRatio where the curve may not be used (see build()).
struct MaterialTable {
  int curves = 0;                                                  ///< curves in use (<= kMaxCurves)
  float grid_max = 1;                                              ///< A_high of the last grid point
  float a_high_max = 0;                                            ///< impenetrable beyond (high channel)
  float a_low_max = 0;                                             ///< impenetrable beyond (low channel)
  std::array<float, kMaxCurves> z{};                               ///< Z_eff per curve, increasing
  std::array<float, kMaxCurves * kGridPoints> ratio{};             ///< [curve * kGridPoints + point]
  std::array<float, kMaxCurves * kGridPoints> mass_attenuation{};  ///< cm²/g, same layout

  /// Resamples `calibration`: piecewise-linear between calibrated points, flat beyond the
  /// thickest point; below the thinnest point flat too, except for a curve that is out of
  /// Z order there (its R below that of a lower-Z curve: lead, whose K edge lies in the high
  /// channel's band), which is left undefined below its thinnest step, since extending it
  /// would cut through the organic curves.
  static MaterialTable build(const MaterialCalibration& calibration);
  /// A_high of grid point `i`.
  float grid_a_high(int i) const;
};

/// One pixel's result.
struct PixelMaterial {
  float zeff = 0;           ///< 0 for empty and impenetrable
  std::uint8_t klass = 0;   ///< MaterialClass code
  float areal_density = 0;  ///< g/cm²
};

/// Classifies one pixel from its smoothed attenuations (the algorithm of docs/materials.md;
/// shaders/xray/materials_common.glsl mirrors it operation for operation).
PixelMaterial classify_pixel(float a_high, float a_low, const MaterialTable& table,
                             const ClassThresholds& thresholds);

}  // namespace oi::xray
