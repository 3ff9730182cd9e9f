#pragma once
/// @file
/// The trained region classifier of `xray.detect` (docs/detection.md, "Region classifier"):
/// rotation-invariant features of each candidate region and one OpenCV ml random forest per
/// threat class, trained on simulated scans by `oi-train-detector`. The score of a detection
/// is the forest's estimate of the probability that the region is a threat of its class.

#include <array>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "object_material.hpp"

namespace cv::ml {
class RTrees;
}

namespace oi::xray {

struct ClassifiedScan;
struct DetectionMaps;
struct DetectorParams;

/// Format name and version of a model file (OpenCV FileStorage YAML).
inline constexpr const char* kRegionModelFormat = "openinspect-region-classifier";
/// The region classifier that ships with OpenInspect (plugins/stages/xray_detect/models, made by
/// scripts/train-shipped-detector.sh), a file name under oi::shipped_model_path().
inline constexpr const char* kShippedRegionModel = "xray_detect_parcels.yml.gz";
inline constexpr int kRegionModelVersion = 1;

/// Number of features per region; region_feature_names() names them in order.
inline constexpr int kRegionFeatures = 49;
/// Names of the features, in the order of region_features().
const std::array<const char*, kRegionFeatures>& region_feature_names();

/// Features of one candidate region: `own` is the region's mask (CV_8U, 0 / non-zero) inside
/// `box` (same size as the box), `area` its pixel count. Rotation-invariant: sizes come from
/// the rotated rectangle, the shape from Hu moments and solidity, the rest are statistics of
/// the planes inside the region and in a ring around it. The object-own material features
/// (own_*) need the region's background in-painted: they are left at 0 and `patch` is
/// prepared for it; set_object_features() fills them in once its grid's sweeps have run.
std::array<float, kRegionFeatures> region_features(const ClassifiedScan& scan, const DetectionMaps& maps,
                                                   const cv::Rect& box, const cv::Mat& own, int area,
                                                   ObjectPatch& patch);

/// The object-own material features of a region of `area` pixels from its in-painted patch.
void set_object_features(std::array<float, kRegionFeatures>& features, const ObjectPatch& patch, int area);

/// The DetectorParams fields that shape the candidate masks (compute_maps()); a model is only
/// valid with the values it was trained with.
nlohmann::json candidate_settings(const DetectorParams& params);

/// One forest per threat class with its score threshold.
class RegionClassifier {
 public:
  /// One labelled region for training.
  struct Sample {
    std::array<float, kRegionFeatures> features{};
    bool positive = false;  ///< matches a ground-truth object of its class
  };
  /// Forest settings of train().
  struct TrainSettings {
    int trees = 120;
    int max_depth = 14;
    int min_samples = 3;
  };

  ~RegionClassifier();
  RegionClassifier(const RegionClassifier&) = delete;
  RegionClassifier& operator=(const RegionClassifier&) = delete;

  /// Loads a model file; throws oi::ConfigError naming the file and what to do when it is
  /// missing, malformed or of another version.
  static std::shared_ptr<const RegionClassifier> load(const std::filesystem::path& file);

  /// Trains one forest per class in `samples` (a class needs positive and negative samples;
  /// otherwise oi::Error naming it). Thresholds start at 0.5; set them with set_threshold().
  /// `candidates` are the candidate_settings() the samples were generated with.
  static std::unique_ptr<RegionClassifier> train(const std::map<std::string, std::vector<Sample>>& samples,
                                                 const nlohmann::json& candidates,
                                                 const TrainSettings& settings);

  /// Writes the model (format, version, candidate settings, `provenance`, thresholds, forests).
  /// @throws oi::Error naming the file when it cannot be written.
  void save(const std::filesystem::path& file, const nlohmann::json& provenance) const;

  /// True when a forest exists for `threat_class`.
  bool has_class(const std::string& threat_class) const;
  /// Probability estimate in [0, 1] that a region of `threat_class` with these features is
  /// one (the forest's mean leaf value); 1 for a class without a forest.
  float score(const std::string& threat_class, const std::array<float, kRegionFeatures>& features) const;
  /// Score a region needs to be reported.
  float threshold(const std::string& threat_class) const;
  void set_threshold(const std::string& threat_class, float threshold);
  /// Throws oi::ConfigError when `params` generate other candidates than the model was
  /// trained on, naming the parameter, both values and what to do.
  void check_compatible(const DetectorParams& params) const;

 private:
  RegionClassifier();
  struct Forest {
    cv::Ptr<cv::ml::RTrees> model;
    float threshold = 0.5f;
  };
  std::map<std::string, Forest> forests_;
  nlohmann::json candidates_;
  std::filesystem::path file_;
};

}  // namespace oi::xray
