#pragma once
/// @file
/// The Threat Image Projection library of `xray.tip` (docs/detection.md): threat signatures
/// as f32 log-attenuation patches of both channels plus metadata, and their insertion into a
/// scan by ADDING attenuation (a_high += patch_high, a_low += patch_low). Adding in the log
/// domain is what a real threat in the beam does: transmissions multiply, so attenuations add.
///
/// Folder layout:
///
///     library.json   {"format": "openinspect-tip-library", "version": 1,
///                     "threats": [{"id", "class", "width", "height", "high", "low", "source"}]}
///     <id>_high.f32, <id>_low.f32   row-major little-endian float32, width x height

#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>
#include <random>
#include <string>
#include <vector>

namespace oi::xray {

/// One threat signature.
struct TipThreat {
  std::string id;            ///< unique within the library, e.g. "firearm_0003"
  std::string threat_class;  ///< oi::xray::threat::k*
  cv::Mat high, low;         ///< CV_32F, same size, attenuation >= 0 of the threat alone
  nlohmann::json source;     ///< where it was recorded (seed, index, truth object)
};

/// A loaded library.
class TipLibrary {
 public:
  /// Loads `dir`/library.json and every patch. Throws oi::ConfigError saying which file and
  /// what is wrong (missing, not the format, a patch of the wrong size, no threats).
  static TipLibrary load(const std::filesystem::path& dir);
  /// Writes the library into `dir` (created; an existing library.json is replaced).
  void save(const std::filesystem::path& dir) const;

  std::vector<TipThreat> threats;  ///< in file order
};

/// An insertion: which threat, where (box in scan pixels).
struct TipInsertion {
  std::size_t threat = 0;  ///< index into TipLibrary::threats
  cv::Rect box;            ///< where the patch's top-left pixel went, and its size
};

/// Picks a position for `patch_size` inside the object of a scan: the patch must fit in the
/// scan, and its centre must lie on a pixel whose a_high is at least `object_attenuation`
/// (inside the parcel, not on the empty belt). Returns an empty rectangle when no position
/// was found in `tries` draws (a scan narrower than the patch, an empty scan).
cv::Rect choose_position(const cv::Mat& a_high, cv::Size patch_size, float object_attenuation,
                         std::mt19937_64& rng, int tries = 64);

/// Adds the patch to a_high and a_low inside `box` (clamped to kMaxAttenuation, the chain's
/// largest representable attenuation). `box` must lie inside the scan.
void insert_threat(cv::Mat& a_high, cv::Mat& a_low, const TipThreat& threat, const cv::Rect& box);

}  // namespace oi::xray
