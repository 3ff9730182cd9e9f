#pragma once
/// @file
/// The CPU threat detector behind `xray.detect` (docs/detection.md): narcotics, firearms and
/// shielding regions from a corrected, classified scan, and the scan decision. Pure functions
/// over OpenCV matrices so that the stage, the tests and the accuracy benchmark run the very
/// same code.

#include <array>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "oi/xray/contract.hpp"
#include "region_classifier.hpp"

namespace oi::xray {

/// Thresholds of the detector; every field is a typed parameter of `xray.detect` of the same
/// name (docs/detection.md explains how each was tuned).
struct DetectorParams {
  // --- narcotics: compact, homogeneous, dense organic masses ---
  float narcotics_zeff_min = 5.8f;     ///< lower edge of the narcotics Z_eff band
  float narcotics_zeff_max = 8.0f;     ///< upper edge (water and cellulose sit near 7.2-7.5)
  float narcotics_min_a_high = 0.45f;  ///< smoothed a_high a pixel needs: denser than clothes and paper piles
  float narcotics_max_a_high = 4.0f;   ///< above this an "organic" reading is unreliable
  float narcotics_max_relative_std = 0.25f;  ///< local std / mean of a_high (homogeneity)
  int narcotics_min_area_px = 3000;          ///< smallest region reported (~45 x 42 mm at 0.8 mm pixels)
  float narcotics_min_solidity = 0.75f;      ///< region area / convex hull area (compactness)
  // --- firearms: dense metal with a firearm's size and shape ---
  float firearm_min_a_high = 1.6f;  ///< metal pixels denser than this form firearm candidates
  int firearm_min_area_px = 900;    ///< smallest metal blob considered
  float firearm_min_length_px =
      90.0f;  ///< long side of the blob's rotated rectangle (handgun parts >= ~75 mm)
  float firearm_max_length_px = 420.0f;  ///< longer than a handgun: a laptop frame, a trolley bar
  float firearm_min_width_px = 14.0f;    ///< short side: thinner is a rib, a wire, a blade edge
  float firearm_min_fill = 0.20f;  ///< blob area / rotated-rectangle area: hollow frames and rings fail it
  float firearm_min_score = 0.3f;  ///< shape score needed to report a firearm
  // --- shielding: impenetrable regions large enough to hide a threat ---
  int shielding_min_area_px =
      1500;  ///< impenetrable area that could hide a handgun part or a pack (~30 x 40 mm)
  // --- neighbourhood ---
  int smoothing_radius = 2;  ///< box radius for the attenuation mean and std
  // --- trained region classifier (parameter `model`; region_classifier.hpp) ---
  /// Null: the rules above decide alone. Set: every candidate region (find_candidates()) is
  /// scored by the classifier and reported when its score reaches the model's threshold for
  /// its class; the rules' region limits then only bound the candidates.
  std::shared_ptr<const RegionClassifier> classifier;
  /// Runs the in-painting sweeps of the candidates' object-own material (all the grids of
  /// one scan at once; throws on failure). Empty: inpaint_grids_cpu(), the CPU reference;
  /// xray.detect on the GPU sets InpaintGpu's.
  std::function<void(const std::vector<InpaintGrid*>&)> inpaint;
};

/// One detected region.
struct Detection {
  std::string threat_class;  ///< oi::xray::threat::k*
  cv::Rect box;              ///< [x, y, w, h] in pixels of the scan
  float score = 0.0f;        ///< confidence in [0, 1]
  /// {"class", "box": [x, y, w, h], "score"} as the contract's `detections` attribute.
  nlohmann::json to_json() const;
};

/// Throws oi::ConfigError naming the first inconsistent threshold and what to do, or the
/// parameter that differs from the values params.classifier was trained with.
void validate(const DetectorParams& params);

/// Inputs of detect(): all planes of one scan, same size. `zeff`, `a_high`, `a_low` and
/// `areal_density` are CV_32F, `material_class` CV_8U with oi::xray::MaterialClass codes.
struct ClassifiedScan {
  cv::Mat a_high, a_low, zeff, material_class, areal_density;
};

/// The per-pixel and neighbourhood half of detection: what a GPU kernel can compute pixel by
/// pixel. All planes have the scan's size.
struct DetectionMaps {
  cv::Mat mean;       ///< CV_32F box mean of a_high (radius smoothing_radius, borders replicated)
  cv::Mat zeff_mean;  ///< CV_32F box mean of zeff
  cv::Mat rel_std;    ///< CV_32F local std / max(mean, 1e-3) of a_high: the homogeneity cue
  /// CV_8U candidate masks (0 or 255) after their morphology (see docs/detection.md):
  cv::Mat shielding;  ///< impenetrable, closed with a 5 px disc
  cv::Mat narcotics;  ///< organic, Z_eff in band, dense, homogeneous; opened 3 px, closed 7 px
  cv::Mat firearm;    ///< metal or impenetrable and dense; opened 3 px, closed 9 px
};

/// Throws oi::Error when a plane is missing, of the wrong type or of a different size (the
/// message names it).
void require_planes(const ClassifiedScan& scan);

/// CPU reference of the maps (OpenCV).
DetectionMaps compute_maps(const ClassifiedScan& scan, const DetectorParams& params);

/// The region half: find_candidates(), then the decision per candidate: the classifier's
/// score against its threshold when params.classifier is set, else the rules.
/// `maps` from compute_maps() or from a kernel that matches it.
std::vector<Detection> find_regions(const ClassifiedScan& scan, const DetectionMaps& maps,
                                    const DetectorParams& params);

/// Candidate regions are kept down to this fraction of the `*_min_area_px` limits, so that the
/// classifier sees regions the rules would drop.
inline constexpr float kCandidateAreaFraction = 0.25f;

/// One connected component of a candidate mask, before the decision.
struct Candidate {
  std::string threat_class;                       ///< oi::xray::threat::k*
  cv::Rect box;                                   ///< bounding box in scan pixels
  int area = 0;                                   ///< pixels
  float rule_score = 0.0f;                        ///< the rules' score in [0, 1]
  bool passes_rules = false;                      ///< the rules alone would report it
  std::array<float, kRegionFeatures> features{};  ///< region_features(); zeros unless requested
};

/// The candidate regions of all classes: components of the masks in `maps` whose area
/// reaches kCandidateAreaFraction of the class's minimum (firearms also need a plausible
/// length), with the rules' verdict and, when `with_features`, the classifier's features.
std::vector<Candidate> find_candidates(const ClassifiedScan& scan, const DetectionMaps& maps,
                                       const DetectorParams& params, bool with_features);

/// Two detections of one class overlapping by at least this IoU report the same object...
inline constexpr double kDuplicateIou = 0.5;
/// ... and so do two of which one lies at least this much inside the other (a piece that the
/// split narcotics mask cut out of a larger region).
inline constexpr double kDuplicateInside = 0.8;

/// Indices (ascending) of the detections to report: each one unless a detection of its class
/// with a higher score (ties: the earlier one) overlaps it by IoU >= kDuplicateIou, or one of
/// the two lies at least kDuplicateInside of its area inside the other. The classifier scores
/// candidates of the plain and the split narcotics mask, which are often the same region
/// twice, or a region and a piece of it; an operator, and the evaluation, must see it once.
std::vector<std::size_t> distinct_detections(const std::vector<Detection>& detections);

/// compute_maps() then find_regions(). Throws oi::Error as require_planes() does.
std::vector<Detection> detect_threats(const ClassifiedScan& scan, const DetectorParams& params);

/// The decision (oi::xray::decision::k*): `alarm` when any firearm, narcotics or knife region
/// is found, else `cannot_clear` when a shielding region is found or the scan is incomplete
/// (part of the object was never seen: an operator must not clear it), else `clear`.
std::string decide(const std::vector<Detection>& detections, bool scan_incomplete = false);

/// A region's box in the contract's terms, for its match rule (xray::matches, xray::iou).
Box to_box(const cv::Rect& r);
/// A JSON box [x, y, w, h] as a rectangle; throws oi::Error when it is not four numbers.
cv::Rect box_from_json(const nlohmann::json& box);

}  // namespace oi::xray
