// The region classifier of xray.detect (docs/detection.md, "Region classifier"): features of a
// candidate region and one OpenCV ml random forest (regression on 0/1 labels, so that a
// forest's output is the mean of its leaves' threat fractions) per threat class.
#include "region_classifier.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/ml.hpp>
#include <vector>

#include "object_material.hpp"
#include "oi/error.hpp"
#include "oi/files.hpp"
#include "oi/xray/contract.hpp"
#include "threat_detector.hpp"

namespace oi::xray {
namespace {

// Width of the ring around a region whose statistics give the contrast features.
constexpr int kRingPx = 6;
// The edge-step features: bands from kEdgeSkipPx to kEdgeBandPx pixels inside and outside the
// outline (the first pixels are skipped: the smoothing of the candidate masks blurs them).
constexpr int kEdgeSkipPx = 1, kEdgeBandPx = 4;
static_assert(kEdgeBandPx <= kRingPx, "the edge bands must fit in the padded box");

// R = dA_low / dA_high of what a region adds to its surroundings; 0 where it adds too little
// to have a ratio (or takes away).
float added_ratio(double added_high, double added_low) {
  return added_high > 0.02 ? static_cast<float>(std::clamp(added_low / added_high, 0.0, 5.0)) : 0.0f;
}

// Median of the CV_32F `values` where `mask` is non-zero (0 for an empty mask).
double masked_median(const cv::Mat& values, const cv::Mat& mask) {
  std::vector<float> v;
  for (int y = 0; y < values.rows; ++y) {
    const float* p = values.ptr<float>(y);
    const std::uint8_t* m = mask.ptr<std::uint8_t>(y);
    for (int x = 0; x < values.cols; ++x)
      if (m[x]) v.push_back(p[x]);
  }
  if (v.empty()) return 0.0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

std::string forest_node(const std::string& threat_class) { return "forest_" + threat_class; }

// Hu moments span many decades: the usual sign-preserving log scale.
float log_hu(double h) {
  if (std::abs(h) < 1e-30) return 0.0f;
  return static_cast<float>(-std::copysign(1.0, h) * std::log10(std::abs(h)));
}

// A JSON value as FileStorage nodes (maps, sequences, numbers, strings). Keys that are not
// FileStorage names (e.g. a path) would be rejected: the callers use identifiers.
void write_json(cv::FileStorage& fs, const nlohmann::json& v) {
  if (v.is_object()) {
    fs << "{";
    for (const auto& [key, value] : v.items()) {
      fs << key;
      write_json(fs, value);
    }
    fs << "}";
  } else if (v.is_array()) {
    fs << "[";
    for (const auto& value : v) write_json(fs, value);
    fs << "]";
  } else if (v.is_number_integer() || v.is_boolean()) {
    fs << v.get<int>();
  } else if (v.is_number()) {
    fs << v.get<double>();
  } else if (v.is_string()) {
    fs << v.get<std::string>();
  } else {
    fs << "";
  }
}

}  // namespace

const std::array<const char*, kRegionFeatures>& region_feature_names() {
  static const std::array<const char*, kRegionFeatures> names = {"log_area",
                                                                 "length",
                                                                 "width",
                                                                 "aspect",
                                                                 "fill",
                                                                 "solidity",
                                                                 "compactness",
                                                                 "hu1",
                                                                 "hu2",
                                                                 "hu3",
                                                                 "hu4",
                                                                 "hu5",
                                                                 "hu6",
                                                                 "hu7",
                                                                 "a_high_mean",
                                                                 "a_high_std",
                                                                 "a_high_max",
                                                                 "rel_std_mean",
                                                                 "zeff_mean",
                                                                 "zeff_std",
                                                                 "density_mean",
                                                                 "density_std",
                                                                 "frac_empty",
                                                                 "frac_organic",
                                                                 "frac_inorganic",
                                                                 "frac_metal",
                                                                 "frac_impenetrable",
                                                                 "ring_a_high_mean",
                                                                 "ring_zeff_mean",
                                                                 "ring_frac_impenetrable",
                                                                 "ring_frac_metal",
                                                                 "contrast_a_high",
                                                                 "contrast_zeff",
                                                                 "ratio_low_high",
                                                                 "ring_ratio_low_high",
                                                                 "hole_fraction",
                                                                 "ring_a_high_std",
                                                                 "added_a_high",
                                                                 "added_ratio_low_high",
                                                                 "edge_added_a_high",
                                                                 "edge_ratio_low_high",
                                                                 "edge_median_added_a_high",
                                                                 "edge_median_ratio_low_high",
                                                                 "own_added_a_high",
                                                                 "own_ratio_low_high",
                                                                 "own_confidence",
                                                                 "own_added_relative_std",
                                                                 "own_background_ratio_low_high",
                                                                 "own_log_mass"};
  return names;
}

std::array<float, kRegionFeatures> region_features(const ClassifiedScan& scan, const DetectionMaps& maps,
                                                   const cv::Rect& box, const cv::Mat& own_in_box, int area,
                                                   ObjectPatch& patch) {
  std::array<float, kRegionFeatures> f{};
  const cv::Rect image(0, 0, scan.a_high.cols, scan.a_high.rows);
  const cv::Rect pad = (box + cv::Size(2 * kRingPx, 2 * kRingPx) - cv::Point(kRingPx, kRingPx)) & image;
  cv::Mat own = cv::Mat::zeros(pad.size(), CV_8U);
  own_in_box.copyTo(own(box - pad.tl()), own_in_box);
  own = own != 0;

  // --- shape ---
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(own.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
  std::vector<cv::Point> outline;
  for (auto& c : contours)
    if (c.size() > outline.size()) outline = std::move(c);
  const double a = std::max(1, area);
  f[0] = static_cast<float>(std::log(a));
  if (!outline.empty()) {
    const cv::RotatedRect rr = cv::minAreaRect(outline);
    const float length = std::max(rr.size.width, rr.size.height),
                width = std::min(rr.size.width, rr.size.height);
    f[1] = length;
    f[2] = width;
    f[3] = length / std::max(1.0f, width);
    f[4] = static_cast<float>(a / std::max(1.0f, length * width));
    std::vector<cv::Point> hull;
    cv::convexHull(outline, hull);
    f[5] = static_cast<float>(a / std::max(1.0, cv::contourArea(hull)));
    const double perimeter = cv::arcLength(outline, true);
    f[6] = static_cast<float>(perimeter * perimeter / (4.0 * CV_PI * a));
    cv::Mat filled = cv::Mat::zeros(own.size(), CV_8U);
    cv::drawContours(filled, std::vector<std::vector<cv::Point>>{outline}, 0, cv::Scalar(255), cv::FILLED);
    const int filled_area = std::max(1, cv::countNonZero(filled));
    f[35] =
        static_cast<float>(std::max(0, filled_area - cv::countNonZero(filled & own)) / double(filled_area));
  }
  double hu[7];
  cv::HuMoments(cv::moments(own, true), hu);
  for (int i = 0; i < 7; ++i) f[7 + i] = log_hu(hu[i]);

  // --- content of the region and of the ring around it ---
  cv::Mat grown, ring;
  cv::dilate(own, grown, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * kRingPx + 1, 2 * kRingPx + 1}));
  ring = grown & ~own;
  const cv::Mat mean = maps.mean(pad), zeff = maps.zeff_mean(pad), rel = maps.rel_std(pad);
  const cv::Mat cls = scan.material_class(pad), density = scan.areal_density(pad);
  cv::Scalar m, s;
  cv::meanStdDev(mean, m, s, own);
  f[14] = static_cast<float>(m[0]);
  f[15] = static_cast<float>(s[0]);
  double max_a = 0;
  cv::minMaxLoc(mean, nullptr, &max_a, nullptr, nullptr, own);
  f[16] = static_cast<float>(max_a);
  f[17] = static_cast<float>(cv::mean(rel, own)[0]);
  cv::meanStdDev(zeff, m, s, own);
  f[18] = static_cast<float>(m[0]);
  f[19] = static_cast<float>(s[0]);
  cv::meanStdDev(density, m, s, own);
  f[20] = static_cast<float>(m[0]);
  f[21] = static_cast<float>(s[0]);
  const auto fraction = [&](MaterialClass c, const cv::Mat& where) {
    const int n = cv::countNonZero(where);
    return n ? static_cast<float>(cv::countNonZero((cls == static_cast<std::uint8_t>(c)) & where)) / n : 0.0f;
  };
  f[22] = fraction(MaterialClass::kEmpty, own);
  f[23] = fraction(MaterialClass::kOrganic, own);
  f[24] = fraction(MaterialClass::kInorganic, own);
  f[25] = fraction(MaterialClass::kMetal, own);
  f[26] = fraction(MaterialClass::kImpenetrable, own);
  const bool has_ring = cv::countNonZero(ring) > 0;
  cv::meanStdDev(mean, m, s, has_ring ? ring : own);
  f[27] = static_cast<float>(m[0]);
  f[36] = static_cast<float>(s[0]);
  f[28] = static_cast<float>(cv::mean(zeff, has_ring ? ring : own)[0]);
  f[29] = fraction(MaterialClass::kImpenetrable, has_ring ? ring : own);
  f[30] = fraction(MaterialClass::kMetal, has_ring ? ring : own);
  f[31] = f[14] - f[27];
  f[32] = f[18] - f[28];
  const cv::Mat high = scan.a_high(pad), low = scan.a_low(pad);
  const auto ratio = [&](const cv::Mat& where) {
    const double h = cv::mean(high, where)[0];
    return h > 1e-3 ? static_cast<float>(cv::mean(low, where)[0] / h) : 0.0f;
  };
  f[33] = ratio(own);
  f[34] = ratio(has_ring ? ring : own);
  // What the region adds to its surroundings, and that addition's own R = dA_low / dA_high:
  // a package lying on clutter keeps its material's ratio once the clutter is subtracted.
  const double added_high = cv::mean(high, own)[0] - cv::mean(high, has_ring ? ring : own)[0];
  const double added_low = cv::mean(low, own)[0] - cv::mean(low, has_ring ? ring : own)[0];
  f[37] = static_cast<float>(added_high);
  f[38] = added_ratio(added_high, added_low);
  // The same across the region's edge only: bands kEdgeSkipPx..kEdgeBandPx inside and outside
  // the outline. Where the region is an object lying on clutter, the clutter runs on under
  // the edge, so the step is the object's own attenuation in both channels, and its ratio the
  // object's material, whatever lies above or below it (the whole-region figures above mix in
  // how the clutter varies across the region). Means, and medians against clutter that
  // crosses part of the edge.
  const auto disc = [](int r) {
    return cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * r + 1, 2 * r + 1});
  };
  cv::Mat in_skip, in_band, out_skip, out_band;
  cv::erode(own, in_skip, disc(kEdgeSkipPx));
  cv::erode(own, in_band, disc(kEdgeBandPx));
  cv::dilate(own, out_skip, disc(kEdgeSkipPx));
  cv::dilate(own, out_band, disc(kEdgeBandPx));
  const cv::Mat inside = in_skip & ~in_band, outside = out_band & ~out_skip;
  if (cv::countNonZero(inside) > 0 && cv::countNonZero(outside) > 0) {
    const double step_high = cv::mean(high, inside)[0] - cv::mean(high, outside)[0];
    const double step_low = cv::mean(low, inside)[0] - cv::mean(low, outside)[0];
    f[39] = static_cast<float>(step_high);
    f[40] = added_ratio(step_high, step_low);
    const double median_high = masked_median(high, inside) - masked_median(high, outside);
    const double median_low = masked_median(low, inside) - masked_median(low, outside);
    f[41] = static_cast<float>(median_high);
    f[42] = added_ratio(median_high, median_low);
  }
  // Object-own material: the background under the region in-painted from the ring (other
  // candidates and impenetrable pixels are not background), subtracted in log space.
  cv::Mat exclude = (maps.narcotics(pad) | maps.firearm(pad) | maps.shielding(pad) |
                     (cls == static_cast<std::uint8_t>(MaterialClass::kImpenetrable))) &
                    ~own;
  patch = prepare_object_patch(high, low, own, exclude);
  return f;
}

void set_object_features(std::array<float, kRegionFeatures>& f, const ObjectPatch& patch, int area) {
  const ObjectMaterial o = finish_object_material(patch);
  if (!o.valid) return;
  f[43] = static_cast<float>(o.added_high);
  f[44] = static_cast<float>(o.ratio);
  f[45] = static_cast<float>(o.confidence);
  f[46] = static_cast<float>(o.added_relative_std);
  f[47] = static_cast<float>(o.background_ratio);
  // What the object adds, summed over its area: its mass for a given material.
  f[48] = static_cast<float>(std::log1p(std::max(0.0, o.added_high) * std::max(1, area)));
}

nlohmann::json candidate_settings(const DetectorParams& p) {
  return {{"narcotics_zeff_min", p.narcotics_zeff_min},
          {"narcotics_zeff_max", p.narcotics_zeff_max},
          {"narcotics_min_a_high", p.narcotics_min_a_high},
          {"narcotics_max_a_high", p.narcotics_max_a_high},
          {"narcotics_max_relative_std", p.narcotics_max_relative_std},
          {"narcotics_min_area_px", p.narcotics_min_area_px},
          {"firearm_min_a_high", p.firearm_min_a_high},
          {"firearm_min_area_px", p.firearm_min_area_px},
          {"firearm_min_length_px", p.firearm_min_length_px},
          {"firearm_max_length_px", p.firearm_max_length_px},
          {"firearm_min_width_px", p.firearm_min_width_px},
          {"shielding_min_area_px", p.shielding_min_area_px},
          {"smoothing_radius", p.smoothing_radius}};
}

RegionClassifier::RegionClassifier() = default;
RegionClassifier::~RegionClassifier() = default;

std::shared_ptr<const RegionClassifier> RegionClassifier::load(const std::filesystem::path& file) {
  const std::string where = "model '" + file.string() + "'";
  const std::string retrain =
      "; train one with `oi-train-detector` (docs/detection.md, \"Training\"), or leave xray.detect's "
      "`model` "
      "empty for the one that ships with OpenInspect";
  if (auto problem = input_file_problem(file))
    throw ConfigError(where + ": it " + *problem + (is_unreadable(*problem) ? "" : retrain));
  std::shared_ptr<RegionClassifier> c(new RegionClassifier());
  c->file_ = file;
  try {
    cv::FileStorage fs(file.string(), cv::FileStorage::READ);
    if (!fs.isOpened())
      throw ConfigError(where + ": cannot be opened as an OpenCV FileStorage file" + retrain);
    const std::string format = fs["format"].empty() ? "" : static_cast<std::string>(fs["format"]);
    if (format != kRegionModelFormat)
      throw ConfigError(where + ": not a region classifier (format '" + format + "', expected '" +
                        kRegionModelFormat + "')" + retrain);
    const int version = fs["version"].empty() ? -1 : static_cast<int>(fs["version"]);
    if (version != kRegionModelVersion)
      throw ConfigError(where + ": format version " + std::to_string(version) +
                        ", this build reads version " + std::to_string(kRegionModelVersion) + retrain);
    const int features = fs["features"].empty() ? -1 : static_cast<int>(fs["features"]);
    if (features != kRegionFeatures)
      throw ConfigError(where + ": " + std::to_string(features) +
                        " features per region, this build computes " + std::to_string(kRegionFeatures) +
                        retrain);
    // The same count with a different meaning would be read without complaint: a model names
    // its features, and they must be this build's, in this build's order.
    if (const cv::FileNode names = fs["feature_names"]; !names.empty()) {
      const auto& expected = region_feature_names();
      if (names.type() != cv::FileNode::SEQ || names.size() != expected.size())
        throw ConfigError(where + ": 'feature_names' is not a list of " + std::to_string(kRegionFeatures) +
                          " names" + retrain);
      for (std::size_t k = 0; k < expected.size(); ++k) {
        const std::string name = static_cast<std::string>(names[static_cast<int>(k)]);
        if (name != expected[k])
          throw ConfigError(where + ": feature " + std::to_string(k) + " is '" + name +
                            "', this build computes '" + expected[k] + "' there" + retrain);
      }
    }
    const cv::FileNode candidates = fs["candidates"];
    if (candidates.type() != cv::FileNode::MAP) throw ConfigError(where + ": no 'candidates' map" + retrain);
    c->candidates_ = nlohmann::json::object();
    for (const cv::FileNode& n : candidates) c->candidates_[n.name()] = static_cast<double>(n);
    const cv::FileNode classes = fs["classes"];
    if (classes.type() != cv::FileNode::SEQ || classes.size() == 0)
      throw ConfigError(where + ": no 'classes' list" + retrain);
    for (const cv::FileNode& n : classes) {
      const std::string cls = static_cast<std::string>(n);
      const cv::FileNode node = fs[forest_node(cls)];
      if (node.empty() || node["model"].empty())
        throw ConfigError(where + ": class '" + cls + "' has no forest" + retrain);
      Forest forest;
      if (node["threshold"].empty() || !node["threshold"].isReal())
        throw ConfigError(where + ": class '" + cls + "' has no score threshold" + retrain);
      const double threshold = static_cast<double>(node["threshold"]);
      // A score lies in [0, 1]: a threshold above 1 (or NaN) would never alarm for the class,
      // switching it off without a word.
      if (!(threshold >= 0.0 && threshold <= 1.0))
        throw ConfigError(where + ": class '" + cls + "' has score threshold " + std::to_string(threshold) +
                          ", not a score in [0, 1], so " + cls + " would never (or always) be reported" +
                          retrain);
      forest.threshold = static_cast<float>(threshold);
      forest.model = cv::Algorithm::read<cv::ml::RTrees>(node["model"]);
      if (!forest.model || !forest.model->isTrained() || forest.model->getVarCount() != kRegionFeatures)
        throw ConfigError(where + ": the forest of class '" + cls + "' is empty or not of " +
                          std::to_string(kRegionFeatures) + " features" + retrain);
      c->forests_[cls] = std::move(forest);
    }
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception& e) {  // cv::Exception (parse errors), nlohmann::json errors
    throw ConfigError(where + ": malformed (" + e.what() + ")" + retrain);
  }
  return c;
}

std::unique_ptr<RegionClassifier> RegionClassifier::train(
    const std::map<std::string, std::vector<Sample>>& samples, const nlohmann::json& candidates,
    const TrainSettings& settings) {
  std::unique_ptr<RegionClassifier> c(new RegionClassifier());
  c->candidates_ = candidates;
  for (const auto& [cls, rows] : samples) {
    cv::Mat x(static_cast<int>(rows.size()), kRegionFeatures, CV_32F),
        y(static_cast<int>(rows.size()), 1, CV_32F);
    int positives = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      std::copy(rows[i].features.begin(), rows[i].features.end(), x.ptr<float>(static_cast<int>(i)));
      y.at<float>(static_cast<int>(i)) = rows[i].positive ? 1.0f : 0.0f;
      positives += rows[i].positive;
    }
    if (positives == 0 || positives == static_cast<int>(rows.size()))
      throw Error("class '" + cls + "' has " + std::to_string(positives) + " positive of " +
                  std::to_string(rows.size()) +
                  " candidate regions; both kinds are needed: train on more scans");
    Forest forest;
    forest.model = cv::ml::RTrees::create();
    forest.model->setMaxDepth(settings.max_depth);
    forest.model->setMinSampleCount(settings.min_samples);
    forest.model->setRegressionAccuracy(0.0f);
    forest.model->setUseSurrogates(false);
    forest.model->setCVFolds(0);
    forest.model->setActiveVarCount(0);  // sqrt(features) per split
    forest.model->setTermCriteria({cv::TermCriteria::MAX_ITER, settings.trees, 0.0});
    forest.model->train(cv::ml::TrainData::create(x, cv::ml::ROW_SAMPLE, y));
    c->forests_[cls] = std::move(forest);
  }
  return c;
}

void RegionClassifier::save(const std::filesystem::path& file, const nlohmann::json& provenance) const {
  try {
    cv::FileStorage fs(file.string(), cv::FileStorage::WRITE);
    if (!fs.isOpened()) throw Error("cannot write the model to '" + file.string() + "'");
    fs << "format" << kRegionModelFormat << "version" << kRegionModelVersion << "features" << kRegionFeatures;
    fs << "feature_names"
       << "[";
    for (const char* n : region_feature_names()) fs << n;
    fs << "]";
    fs << "candidates";
    write_json(fs, candidates_);
    fs << "provenance";
    write_json(fs, provenance);
    fs << "classes"
       << "[";
    for (const auto& [cls, forest] : forests_) fs << cls;
    fs << "]";
    for (const auto& [cls, forest] : forests_) {
      fs << forest_node(cls) << "{"
         << "threshold" << forest.threshold << "model"
         << "{";
      forest.model->write(fs);
      fs << "}"
         << "}";
    }
  } catch (const cv::Exception& e) {
    throw Error("cannot write the model to '" + file.string() + "': " + e.what());
  }
}

bool RegionClassifier::has_class(const std::string& threat_class) const {
  return forests_.count(threat_class) > 0;
}

float RegionClassifier::score(const std::string& threat_class,
                              const std::array<float, kRegionFeatures>& features) const {
  const auto it = forests_.find(threat_class);
  if (it == forests_.end()) return 1.0f;
  const cv::Mat row(1, kRegionFeatures, CV_32F, const_cast<float*>(features.data()));
  return std::clamp(it->second.model->predict(row), 0.0f, 1.0f);
}

float RegionClassifier::threshold(const std::string& threat_class) const {
  const auto it = forests_.find(threat_class);
  return it == forests_.end() ? 0.0f : it->second.threshold;
}

void RegionClassifier::set_threshold(const std::string& threat_class, float threshold) {
  forests_.at(threat_class).threshold = threshold;
}

void RegionClassifier::check_compatible(const DetectorParams& params) const {
  const nlohmann::json now = candidate_settings(params);
  for (const auto& [key, value] : now.items()) {
    if (!candidates_.contains(key))
      throw ConfigError(
          "model '" + file_.string() + "' does not say which " + key +
          " it was trained with (it shapes the candidate regions); retrain it with oi-train-detector");
    const double trained = candidates_[key].get<double>(), set = value.get<double>();
    if (std::abs(trained - set) > 1e-6 * std::max(1.0, std::abs(trained))) {
      throw ConfigError("parameter " + key + " = " + value.dump() + ", but model '" + file_.string() +
                        "' was trained with " + key + " = " + candidates_[key].dump() +
                        " (it shapes the candidate regions); set it back or retrain with oi-train-detector");
    }
  }
}

}  // namespace oi::xray
