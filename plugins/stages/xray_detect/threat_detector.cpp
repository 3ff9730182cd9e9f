// The CPU threat detector (docs/detection.md): compute_maps() is the per-pixel and
// neighbourhood half (box mean and std, candidate masks, morphology), find_regions() the region
// half (connected components, contours, shape and density measures, scores).
#include "threat_detector.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "oi/error.hpp"
#include "xray_inspection.hpp"

namespace oi::xray {
namespace {

float clamp01(float v) { return std::clamp(v, 0.0f, 1.0f); }

void require(const cv::Mat& m, const char* name, int type, const cv::Size& size) {
  if (m.empty()) throw Error(std::string("xray.detect: plane '") + name + "' is missing; put xray.correct and xray.materials before xray.detect");
  if (m.type() != type) {
    throw Error(std::string("xray.detect: plane '") + name + "' has OpenCV type " + std::to_string(m.type()) +
                ", expected " + std::to_string(type) + " (see plugins/common/xray/xray_inspection.hpp)");
  }
  if (m.size() != size) {
    throw Error(std::string("xray.detect: plane '") + name + "' is " + std::to_string(m.cols) + "x" +
                std::to_string(m.rows) + ", a_high is " + std::to_string(size.width) + "x" + std::to_string(size.height));
  }
}

// Connected components of `mask` with their pixel count and bounding box; the label image
// lets callers measure each component.
struct Components {
  cv::Mat labels, stats, centroids;
  int count = 0;
};
Components components(const cv::Mat& mask) {
  Components c;
  c.count = cv::connectedComponentsWithStats(mask, c.labels, c.stats, c.centroids, 8, CV_32S);
  return c;
}

cv::Rect box_of(const Components& c, int i) {
  return {c.stats.at<int>(i, cv::CC_STAT_LEFT), c.stats.at<int>(i, cv::CC_STAT_TOP),
          c.stats.at<int>(i, cv::CC_STAT_WIDTH), c.stats.at<int>(i, cv::CC_STAT_HEIGHT)};
}

// The outer contour of component i (its largest one), in scan coordinates.
std::vector<cv::Point> outer_contour(const Components& c, int i) {
  const cv::Rect box = box_of(c, i);
  cv::Mat own = (c.labels(box) == i);
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(own, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE, box.tl());
  std::vector<cv::Point> best;
  for (auto& contour : contours)
    if (contour.size() > best.size()) best = std::move(contour);
  return best;
}

cv::Mat kernel(int size) { return cv::getStructuringElement(cv::MORPH_ELLIPSE, {size, size}); }

}  // namespace

nlohmann::json Detection::to_json() const {
  return {{"class", threat_class}, {"box", {box.x, box.y, box.width, box.height}}, {"score", score}};
}

void validate(const DetectorParams& p) {
  auto fail = [](const std::string& what) { throw ConfigError("xray.detect: " + what); };
  if (p.narcotics_zeff_min >= p.narcotics_zeff_max)
    fail("narcotics_zeff_min must be below narcotics_zeff_max (the band would be empty); lower narcotics_zeff_min");
  if (p.narcotics_min_a_high >= p.narcotics_max_a_high)
    fail("narcotics_min_a_high must be below narcotics_max_a_high; lower narcotics_min_a_high");
  if (p.firearm_min_length_px >= p.firearm_max_length_px)
    fail("firearm_min_length_px must be below firearm_max_length_px; raise firearm_max_length_px");
  if (p.firearm_min_width_px > p.firearm_min_length_px)
    fail("firearm_min_width_px exceeds firearm_min_length_px: no rectangle can pass; lower firearm_min_width_px");
  if (p.smoothing_radius < 0 || p.smoothing_radius > 8) fail("smoothing_radius must be within [0, 8]");
}

void require_planes(const ClassifiedScan& scan) {
  const cv::Size size = scan.a_high.size();
  require(scan.a_high, plane::kAHigh, CV_32F, size);
  require(scan.a_low, plane::kALow, CV_32F, size);
  require(scan.zeff, plane::kZeff, CV_32F, size);
  require(scan.mclass, plane::kClass, CV_8U, size);
  require(scan.areal_density, plane::kDensity, CV_32F, size);
}

DetectionMaps compute_maps(const ClassifiedScan& scan, const DetectorParams& p) {
  require_planes(scan);
  DetectionMaps m;
  // Box mean and standard deviation of a_high: noise suppression and the homogeneity cue.
  const int k = 2 * p.smoothing_radius + 1;
  cv::Mat mean_sq;
  cv::blur(scan.a_high, m.mean, {k, k}, {-1, -1}, cv::BORDER_REPLICATE);
  cv::blur(scan.a_high.mul(scan.a_high), mean_sq, {k, k}, {-1, -1}, cv::BORDER_REPLICATE);
  cv::Mat variance = cv::max(mean_sq - m.mean.mul(m.mean), 0.0);
  cv::Mat stddev;
  cv::sqrt(variance, stddev);
  m.rel_std = stddev / cv::max(m.mean, 1e-3);
  cv::blur(scan.zeff, m.zeff_mean, {k, k}, {-1, -1}, cv::BORDER_REPLICATE);

  const auto cls = [&](MaterialClass c) { return scan.mclass == static_cast<std::uint8_t>(c); };
  const cv::Mat impenetrable = cls(MaterialClass::kImpenetrable);
  cv::morphologyEx(impenetrable, m.shielding, cv::MORPH_CLOSE, kernel(5));

  m.narcotics = cls(MaterialClass::kOrganic) & (m.zeff_mean >= p.narcotics_zeff_min) &
                (m.zeff_mean <= p.narcotics_zeff_max) & (m.mean >= p.narcotics_min_a_high) &
                (m.mean <= p.narcotics_max_a_high) & (m.rel_std <= p.narcotics_max_relative_std);
  cv::morphologyEx(m.narcotics, m.narcotics, cv::MORPH_OPEN, kernel(3));
  cv::morphologyEx(m.narcotics, m.narcotics, cv::MORPH_CLOSE, kernel(7));

  // Closing joins a pistol's slide, frame and magazine that thin gaps or a polymer grip
  // separate; the opening removes zips, wires and rivets.
  m.firearm = (cls(MaterialClass::kMetal) | impenetrable) & (m.mean >= p.firearm_min_a_high);
  cv::morphologyEx(m.firearm, m.firearm, cv::MORPH_OPEN, kernel(3));
  cv::morphologyEx(m.firearm, m.firearm, cv::MORPH_CLOSE, kernel(9));
  return m;
}

std::vector<Detection> find_regions(const ClassifiedScan& scan, const DetectionMaps& maps, const DetectorParams& p) {
  require_planes(scan);
  std::vector<Detection> out;
  if (scan.a_high.empty()) return out;
  const cv::Mat& mean = maps.mean;
  const cv::Mat impenetrable = scan.mclass == static_cast<std::uint8_t>(MaterialClass::kImpenetrable);

  // --- shielding: impenetrable regions large enough to hide a threat ---
  {
    const Components c = components(maps.shielding);
    for (int i = 1; i < c.count; ++i) {
      const int area = c.stats.at<int>(i, cv::CC_STAT_AREA);
      if (area < p.shielding_min_area_px) continue;
      out.push_back({threat::kShielding, box_of(c, i),
                     clamp01(0.5f + 0.5f * (area - p.shielding_min_area_px) / (3.0f * p.shielding_min_area_px))});
    }
  }

  // --- narcotics: organic, Z_eff in band, dense, homogeneous, compact ---
  {
    const Components c = components(maps.narcotics);
    for (int i = 1; i < c.count; ++i) {
      const int area = c.stats.at<int>(i, cv::CC_STAT_AREA);
      if (area < p.narcotics_min_area_px) continue;
      const std::vector<cv::Point> contour = outer_contour(c, i);
      std::vector<cv::Point> hull;
      cv::convexHull(contour, hull);
      const double hull_area = std::max(1.0, cv::contourArea(hull));
      const float solidity = static_cast<float>(area / hull_area);
      if (solidity < p.narcotics_min_solidity) continue;
      const cv::Rect box = box_of(c, i);
      const float mean_a = static_cast<float>(cv::mean(mean(box), c.labels(box) == i)[0]);
      const float size_term = clamp01(static_cast<float>(area - p.narcotics_min_area_px) / (3.0f * p.narcotics_min_area_px));
      const float dense_term = clamp01((mean_a - p.narcotics_min_a_high) / 1.0f);
      out.push_back({threat::kNarcotics, box, clamp01(0.4f + 0.3f * size_term + 0.15f * dense_term + 0.15f * solidity)});
    }
  }

  // --- firearms: dense metal blobs of a handgun's size and fill ---
  {
    const Components c = components(maps.firearm);
    for (int i = 1; i < c.count; ++i) {
      const int area = c.stats.at<int>(i, cv::CC_STAT_AREA);
      if (area < p.firearm_min_area_px) continue;
      const cv::Rect box = box_of(c, i);
      const cv::Mat own = c.labels(box) == i;
      // A blob that is mostly impenetrable is shielding's business, not a firearm's.
      const double imp_fraction = cv::countNonZero(impenetrable(box) & own) / static_cast<double>(area);
      if (imp_fraction > 0.5) continue;
      const std::vector<cv::Point> contour = outer_contour(c, i);
      const cv::RotatedRect rr = cv::minAreaRect(contour);
      const float length = std::max(rr.size.width, rr.size.height), width = std::min(rr.size.width, rr.size.height);
      if (length < p.firearm_min_length_px || length > p.firearm_max_length_px || width < p.firearm_min_width_px) continue;
      const float fill = static_cast<float>(area / std::max(1.0f, length * width));
      if (fill < p.firearm_min_fill) continue;
      const float mean_a = static_cast<float>(cv::mean(mean(box), own)[0]);
      // Handguns: thick steel (a_high well above a spanner's or a tin's) and a compact,
      // not too elongated outline (a whole gun ~1.3-2.5, a barrel or magazine ~3-6).
      const float aspect = length / std::max(1.0f, width);
      const float dense_term = clamp01((mean_a - p.firearm_min_a_high) / 1.5f);
      const float aspect_term = aspect <= 6.0f ? 1.0f : clamp01(1.0f - (aspect - 6.0f) / 4.0f);
      const float size_term = clamp01(static_cast<float>(area) / (4.0f * p.firearm_min_area_px));
      const float score = clamp01(0.45f * dense_term + 0.25f * aspect_term + 0.3f * size_term);
      if (score < p.firearm_min_score) continue;
      out.push_back({threat::kFirearm, box, score});
    }
  }
  return out;
}

std::vector<Detection> detect_threats(const ClassifiedScan& scan, const DetectorParams& p) {
  require_planes(scan);
  if (scan.a_high.empty()) return {};
  return find_regions(scan, compute_maps(scan, p), p);
}

std::string decide(const std::vector<Detection>& detections) {
  bool shielding = false;
  for (const Detection& d : detections) {
    if (d.threat_class == threat::kShielding) shielding = true;
    else return decision::kAlarm;  // a visible threat outranks "cannot clear": the bag is opened either way
  }
  return shielding ? decision::kCannotClear : decision::kClear;
}

Box to_box(const cv::Rect& r) { return {double(r.x), double(r.y), double(r.width), double(r.height)}; }

cv::Rect box_from_json(const nlohmann::json& box) {
  if (!box.is_array() || box.size() != 4 || !std::all_of(box.begin(), box.end(), [](const auto& v) { return v.is_number(); }))
    throw Error("a box must be [x, y, w, h] (four numbers), got " + box.dump());
  return {box[0].get<int>(), box[1].get<int>(), box[2].get<int>(), box[3].get<int>()};
}

}  // namespace oi::xray
