// The CPU threat detector (docs/detection.md): compute_maps() is the per-pixel and
// neighbourhood half (box mean and std, candidate masks, morphology), find_regions() the region
// half (connected components, contours, shape and density measures, scores).
#include "threat_detector.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "oi/error.hpp"
#include "oi/xray/contract.hpp"
#include "region_classifier.hpp"

namespace oi::xray {
namespace {

float clamp01(float v) { return std::clamp(v, 0.0f, 1.0f); }

void require(const cv::Mat& m, const char* name, int type, const cv::Size& size) {
  if (m.empty())
    throw Error(std::string("plane '") + name +
                "' is missing; put xray.correct and xray.materials before xray.detect");
  if (m.type() != type) {
    throw Error(std::string("plane '") + name + "' has OpenCV type " + std::to_string(m.type()) +
                ", expected " + std::to_string(type) + " (see oi/xray/contract.hpp)");
  }
  if (m.size() != size) {
    throw Error(std::string("plane '") + name + "' is " + std::to_string(m.cols) + "x" +
                std::to_string(m.rows) + ", a_high is " + std::to_string(size.width) + "x" +
                std::to_string(size.height));
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

// Disc that separates a narcotics package from clutter it touches: narrower than any package
// (flat packs are >= 140 mm wide, ~175 px at 0.8 mm), wider than the bridges.
constexpr int kNarcoticsSplitPx = 25;
// Knife candidates (with a classifier only): elongated metal regions of a blade's size at the
// simulator's 0.8 mm pitch: blade and tang 60-400 px long, at most 90 px wide, at least twice
// as long as wide, at least 250 px of metal. No opening or closing: an opening erases a blade
// seen edge-on, a closing joins it to the zips and wires beside it (both lost knives on the
// tuning scans).
constexpr float kKnifeMinLengthPx = 60, kKnifeMaxLengthPx = 400, kKnifeMaxWidthPx = 90,
                kKnifeMinAspect = 2.0f;
constexpr int kKnifeMinAreaPx = 250;

// Sums of 2r+1 values, left to right (top to bottom), starting from 0: the order of
// shaders/xray/detect_box_rows.comp and detect_maps.comp.
void sum_rows(const cv::Mat& a_high, const cv::Mat& zeff, int r, cv::Mat& s, cv::Mat& s2, cv::Mat& sz) {
  const int w = a_high.cols;
  s.create(a_high.size(), CV_32F);
  s2.create(a_high.size(), CV_32F);
  sz.create(a_high.size(), CV_32F);
  cv::parallel_for_(cv::Range(0, a_high.rows), [&](const cv::Range& rows) {
    std::vector<float> a(w + 2 * r), a2(w + 2 * r), z(w + 2 * r);  // rows with replicated borders
    for (int y = rows.start; y < rows.end; ++y) {
      const float* ay = a_high.ptr<float>(y);
      const float* zy = zeff.ptr<float>(y);
      for (int i = 0; i < w + 2 * r; ++i) {
        const int x = std::clamp(i - r, 0, w - 1);
        a[i] = ay[x];
        a2[i] = ay[x] * ay[x];
        z[i] = zy[x];
      }
      float* sy = s.ptr<float>(y);
      float* s2y = s2.ptr<float>(y);
      float* szy = sz.ptr<float>(y);
      std::fill_n(sy, w, 0.0f);
      std::fill_n(s2y, w, 0.0f);
      std::fill_n(szy, w, 0.0f);
      for (int d = 0; d <= 2 * r; ++d) {
        for (int x = 0; x < w; ++x) {
          sy[x] += a[x + d];
          s2y[x] += a2[x + d];
          szy[x] += z[x + d];
        }
      }
    }
  });
}

// Box statistics and raw candidate masks, pixel by pixel as shaders/xray/detect_maps.comp
// computes them (keep the two in step): fills maps.mean, zeff_mean, rel_std, and the masks
// narcotics and firearm before morphology; `impenetrable` is the class mask.
void box_statistics(const ClassifiedScan& scan, const DetectorParams& p, DetectionMaps& maps,
                    cv::Mat& impenetrable) {
  const int r = p.smoothing_radius, w = scan.a_high.cols, h = scan.a_high.rows;
  const float inverse_area = 1.0f / static_cast<float>((2 * r + 1) * (2 * r + 1));
  cv::Mat s, s2, sz;
  sum_rows(scan.a_high, scan.zeff, r, s, s2, sz);
  maps.mean.create(h, w, CV_32F);
  maps.zeff_mean.create(h, w, CV_32F);
  maps.rel_std.create(h, w, CV_32F);
  maps.narcotics.create(h, w, CV_8U);
  maps.firearm.create(h, w, CV_8U);
  impenetrable.create(h, w, CV_8U);
  constexpr auto kOrganic = static_cast<std::uint8_t>(MaterialClass::kOrganic);
  constexpr auto kMetal = static_cast<std::uint8_t>(MaterialClass::kMetal);
  constexpr auto kImpenetrable = static_cast<std::uint8_t>(MaterialClass::kImpenetrable);
  cv::parallel_for_(cv::Range(0, h), [&](const cv::Range& rows) {
    std::vector<float> vs(w), vs2(w), vsz(w);
    for (int y = rows.start; y < rows.end; ++y) {
      std::fill(vs.begin(), vs.end(), 0.0f);
      std::fill(vs2.begin(), vs2.end(), 0.0f);
      std::fill(vsz.begin(), vsz.end(), 0.0f);
      for (int dy = -r; dy <= r; ++dy) {
        const int yy = std::clamp(y + dy, 0, h - 1);
        const float* sy = s.ptr<float>(yy);
        const float* s2y = s2.ptr<float>(yy);
        const float* szy = sz.ptr<float>(yy);
        for (int x = 0; x < w; ++x) {
          vs[x] += sy[x];
          vs2[x] += s2y[x];
          vsz[x] += szy[x];
        }
      }
      const std::uint8_t* cls = scan.material_class.ptr<std::uint8_t>(y);
      float* mean = maps.mean.ptr<float>(y);
      float* zeff_mean = maps.zeff_mean.ptr<float>(y);
      float* rel_std = maps.rel_std.ptr<float>(y);
      std::uint8_t* narcotics = maps.narcotics.ptr<std::uint8_t>(y);
      std::uint8_t* firearm = maps.firearm.ptr<std::uint8_t>(y);
      std::uint8_t* imp = impenetrable.ptr<std::uint8_t>(y);
      for (int x = 0; x < w; ++x) {
        const float m = vs[x] * inverse_area, m2 = vs2[x] * inverse_area, mz = vsz[x] * inverse_area;
        const float variance = std::max(m2 - m * m, 0.0f);
        const float floor_mean = std::max(m, 1e-3f);
        // std / mean <= limit as variance <= (limit * mean)^2: exactly rounded operations only,
        // as in the kernel, whatever the device's sqrt and division precision.
        const float bound = p.narcotics_max_relative_std * floor_mean;
        mean[x] = m;
        zeff_mean[x] = mz;
        rel_std[x] = std::sqrt(variance) / floor_mean;
        narcotics[x] = cls[x] == kOrganic && mz >= p.narcotics_zeff_min && mz <= p.narcotics_zeff_max &&
                               m >= p.narcotics_min_a_high && m <= p.narcotics_max_a_high &&
                               variance <= bound * bound
                           ? 255
                           : 0;
        firearm[x] = (cls[x] == kMetal || cls[x] == kImpenetrable) && m >= p.firearm_min_a_high ? 255 : 0;
        imp[x] = cls[x] == kImpenetrable ? 255 : 0;
      }
    }
  });
}

}  // namespace

nlohmann::json Detection::to_json() const {
  return {{"class", threat_class}, {"box", {box.x, box.y, box.width, box.height}}, {"score", score}};
}

void validate(const DetectorParams& p) {
  auto fail = [](const std::string& what) { throw ConfigError(what); };
  if (p.narcotics_zeff_min >= p.narcotics_zeff_max)
    fail(
        "narcotics_zeff_min must be below narcotics_zeff_max (the band would be empty); lower "
        "narcotics_zeff_min");
  if (p.narcotics_min_a_high >= p.narcotics_max_a_high)
    fail("narcotics_min_a_high must be below narcotics_max_a_high; lower narcotics_min_a_high");
  if (p.firearm_min_length_px >= p.firearm_max_length_px)
    fail("firearm_min_length_px must be below firearm_max_length_px; raise firearm_max_length_px");
  if (p.firearm_min_width_px > p.firearm_min_length_px)
    fail(
        "firearm_min_width_px exceeds firearm_min_length_px: no rectangle can pass; lower "
        "firearm_min_width_px");
  if (p.smoothing_radius < 0 || p.smoothing_radius > 8) fail("smoothing_radius must be within [0, 8]");
  if (p.classifier) p.classifier->check_compatible(p);
}

void require_planes(const ClassifiedScan& scan) {
  const cv::Size size = scan.a_high.size();
  require(scan.a_high, plane::kAHigh, CV_32F, size);
  require(scan.a_low, plane::kALow, CV_32F, size);
  require(scan.zeff, plane::kZeff, CV_32F, size);
  require(scan.material_class, plane::kMaterialClass, CV_8U, size);
  require(scan.areal_density, plane::kArealDensity, CV_32F, size);
}

DetectionMaps compute_maps(const ClassifiedScan& scan, const DetectorParams& p) {
  require_planes(scan);
  DetectionMaps m;
  // Box mean and standard deviation of a_high (noise suppression and the homogeneity cue) and
  // the box mean of zeff, with the raw candidate masks: box_statistics() sums in the order of
  // the Vulkan kernels, so both backends compare the same f32 values with the thresholds.
  cv::Mat impenetrable;
  box_statistics(scan, p, m, impenetrable);
  cv::morphologyEx(impenetrable, m.shielding, cv::MORPH_CLOSE, kernel(5));

  cv::morphologyEx(m.narcotics, m.narcotics, cv::MORPH_OPEN, kernel(3));
  cv::morphologyEx(m.narcotics, m.narcotics, cv::MORPH_CLOSE, kernel(7));

  // Closing joins a pistol's slide, frame and magazine that thin gaps or a polymer grip
  // separate; the opening removes zips, wires and rivets.
  cv::morphologyEx(m.firearm, m.firearm, cv::MORPH_OPEN, kernel(3));
  cv::morphologyEx(m.firearm, m.firearm, cv::MORPH_CLOSE, kernel(9));
  return m;
}

std::vector<Candidate> find_candidates(const ClassifiedScan& scan, const DetectionMaps& maps,
                                       const DetectorParams& p, bool with_features) {
  require_planes(scan);
  std::vector<Candidate> out;
  if (scan.a_high.empty()) return out;
  std::vector<ObjectPatch> patches;  // one per candidate in `out` when with_features
  const cv::Mat& mean = maps.mean;
  const cv::Mat impenetrable = scan.material_class == static_cast<std::uint8_t>(MaterialClass::kImpenetrable);
  const auto add = [&](const char* cls, const Components& c, int i, const cv::Mat& own, float rule_score,
                       bool rules) {
    Candidate k{cls, box_of(c, i), c.stats.at<int>(i, cv::CC_STAT_AREA), rule_score, rules, {}};
    if (with_features) k.features = region_features(scan, maps, k.box, own, k.area, patches.emplace_back());
    out.push_back(std::move(k));
  };

  // --- shielding: impenetrable regions large enough to hide a threat ---
  {
    const Components c = components(maps.shielding);
    for (int i = 1; i < c.count; ++i) {
      const int area = c.stats.at<int>(i, cv::CC_STAT_AREA);
      if (area < kCandidateAreaFraction * p.shielding_min_area_px) continue;
      const float score =
          clamp01(0.5f + 0.5f * (area - p.shielding_min_area_px) / (3.0f * p.shielding_min_area_px));
      add(threat::kShielding, c, i, c.labels(box_of(c, i)) == i, score, area >= p.shielding_min_area_px);
    }
  }

  // --- narcotics: organic, Z_eff in band, dense, homogeneous, compact ---
  // With a classifier, also the mask opened with a disc of kNarcoticsSplitPx: a package
  // touching organic clutter of similar Z_eff merges with it in the mask through thin
  // bridges, which the opening cuts (docs/detection.md, "Candidates").
  std::vector<cv::Mat> narcotics_masks{maps.narcotics};
  if (with_features) {
    cv::Mat opened;
    cv::morphologyEx(maps.narcotics, opened, cv::MORPH_OPEN, kernel(kNarcoticsSplitPx));
    narcotics_masks.push_back(opened);
  }
  for (std::size_t m = 0; m < narcotics_masks.size(); ++m) {
    const Components c = components(narcotics_masks[m]);
    for (int i = 1; i < c.count; ++i) {
      const int area = c.stats.at<int>(i, cv::CC_STAT_AREA);
      if (area < kCandidateAreaFraction * p.narcotics_min_area_px) continue;
      const std::vector<cv::Point> contour = outer_contour(c, i);
      std::vector<cv::Point> hull;
      cv::convexHull(contour, hull);
      const double hull_area = std::max(1.0, cv::contourArea(hull));
      const float solidity = static_cast<float>(area / hull_area);
      const cv::Rect box = box_of(c, i);
      const cv::Mat own = c.labels(box) == i;
      const float mean_a = static_cast<float>(cv::mean(mean(box), own)[0]);
      const float size_term =
          clamp01(static_cast<float>(area - p.narcotics_min_area_px) / (3.0f * p.narcotics_min_area_px));
      const float dense_term = clamp01((mean_a - p.narcotics_min_a_high) / 1.0f);
      const bool rules = m == 0 && area >= p.narcotics_min_area_px && solidity >= p.narcotics_min_solidity;
      add(threat::kNarcotics, c, i, own,
          clamp01(0.4f + 0.3f * size_term + 0.15f * dense_term + 0.15f * solidity), rules);
    }
  }

  // --- firearms: dense metal blobs of a handgun's size and fill ---
  {
    const Components c = components(maps.firearm);
    for (int i = 1; i < c.count; ++i) {
      const int area = c.stats.at<int>(i, cv::CC_STAT_AREA);
      if (area < kCandidateAreaFraction * p.firearm_min_area_px) continue;
      const cv::Rect box = box_of(c, i);
      const cv::Mat own = c.labels(box) == i;
      const std::vector<cv::Point> contour = outer_contour(c, i);
      const cv::RotatedRect rr = cv::minAreaRect(contour);
      const float length = std::max(rr.size.width, rr.size.height),
                  width = std::min(rr.size.width, rr.size.height);
      // Candidates: any blob of at least half a handgun part's length that is not far longer
      // than a long gun; the rules below (or the classifier) decide.
      if (length < 0.5f * p.firearm_min_length_px || length > 2.0f * p.firearm_max_length_px) continue;
      // A blob that is mostly impenetrable is shielding's business, not a firearm's.
      const double imp_fraction = cv::countNonZero(impenetrable(box) & own) / static_cast<double>(area);
      const float fill = static_cast<float>(area / std::max(1.0f, length * width));
      const float mean_a = static_cast<float>(cv::mean(mean(box), own)[0]);
      // Handguns: thick steel (a_high well above a spanner's or a tin's) and a compact,
      // not too elongated outline (a whole gun ~1.3-2.5, a barrel or magazine ~3-6).
      const float aspect = length / std::max(1.0f, width);
      const float dense_term = clamp01((mean_a - p.firearm_min_a_high) / 1.5f);
      const float aspect_term = aspect <= 6.0f ? 1.0f : clamp01(1.0f - (aspect - 6.0f) / 4.0f);
      const float size_term = clamp01(static_cast<float>(area) / (4.0f * p.firearm_min_area_px));
      const float score = clamp01(0.45f * dense_term + 0.25f * aspect_term + 0.3f * size_term);
      const bool rules = area >= p.firearm_min_area_px && imp_fraction <= 0.5 &&
                         length >= p.firearm_min_length_px && length <= p.firearm_max_length_px &&
                         width >= p.firearm_min_width_px && fill >= p.firearm_min_fill &&
                         score >= p.firearm_min_score;
      add(threat::kFirearm, c, i, own, score, rules);
    }
  }

  // --- knives (with a classifier only): thin steel, so any metal, not only dense metal; long
  // and narrow. The rules have no knife rule: without a knife forest they are not reported.
  if (with_features) {
    cv::Mat metal = scan.material_class == static_cast<std::uint8_t>(MaterialClass::kMetal);
    const Components c = components(metal);
    for (int i = 1; i < c.count; ++i) {
      const int area = c.stats.at<int>(i, cv::CC_STAT_AREA);
      if (area < kKnifeMinAreaPx) continue;
      const std::vector<cv::Point> contour = outer_contour(c, i);
      const cv::RotatedRect rr = cv::minAreaRect(contour);
      const float length = std::max(rr.size.width, rr.size.height),
                  width = std::min(rr.size.width, rr.size.height);
      if (length < kKnifeMinLengthPx || length > kKnifeMaxLengthPx || width > kKnifeMaxWidthPx ||
          length < kKnifeMinAspect * std::max(1.0f, width))
        continue;
      add(threat::kKnife, c, i, c.labels(box_of(c, i)) == i, 0.0f, false);
    }
  }
  // The object-own material of every candidate: all the backgrounds of the scan in-painted at
  // once (on the GPU when xray.detect runs there).
  if (with_features) {
    std::vector<InpaintGrid*> grids;
    for (ObjectPatch& patch : patches)
      if (patch.valid) grids.push_back(&patch.grid);
    if (!grids.empty()) {
      if (p.inpaint)
        p.inpaint(grids);
      else
        inpaint_grids_cpu(grids);
    }
    for (std::size_t i = 0; i < out.size(); ++i)
      set_object_features(out[i].features, patches[i], out[i].area);
  }
  return out;
}

std::vector<Detection> find_regions(const ClassifiedScan& scan, const DetectionMaps& maps,
                                    const DetectorParams& p) {
  const RegionClassifier* classifier = p.classifier.get();
  std::vector<Detection> found;
  for (const Candidate& c : find_candidates(scan, maps, p, classifier != nullptr)) {
    if (classifier && classifier->has_class(c.threat_class)) {
      const float score = classifier->score(c.threat_class, c.features);
      if (score >= classifier->threshold(c.threat_class)) found.push_back({c.threat_class, c.box, score});
    } else if (c.passes_rules) {
      found.push_back({c.threat_class, c.box, c.rule_score});
    }
  }
  // Suppressing after the threshold keeps what suppressing before it would: a detection is
  // only ever suppressed by a higher-scoring one, which passed the threshold too.
  std::vector<Detection> out;
  for (std::size_t i : distinct_detections(found)) out.push_back(std::move(found[i]));
  return out;
}

std::vector<std::size_t> distinct_detections(const std::vector<Detection>& d) {
  std::vector<std::size_t> order(d.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return d[a].score > d[b].score; });
  std::vector<std::size_t> kept;
  for (std::size_t i : order) {
    const bool duplicate = std::any_of(kept.begin(), kept.end(), [&](std::size_t k) {
      if (d[k].threat_class != d[i].threat_class) return false;
      const double common = (d[k].box & d[i].box).area();
      const double smaller = std::min(d[k].box.area(), d[i].box.area());
      return iou(to_box(d[k].box), to_box(d[i].box)) >= kDuplicateIou ||
             (smaller > 0 && common >= kDuplicateInside * smaller);
    });
    if (!duplicate) kept.push_back(i);
  }
  std::sort(kept.begin(), kept.end());
  return kept;
}

std::vector<Detection> detect_threats(const ClassifiedScan& scan, const DetectorParams& p) {
  require_planes(scan);
  if (scan.a_high.empty()) return {};
  return find_regions(scan, compute_maps(scan, p), p);
}

std::string decide(const std::vector<Detection>& detections, bool scan_incomplete) {
  bool shielding = false;
  for (const Detection& d : detections) {
    if (d.threat_class == threat::kShielding)
      shielding = true;
    else
      return decision::kAlarm;  // a visible threat outranks "cannot clear": the bag is opened either way
  }
  return shielding || scan_incomplete ? decision::kCannotClear : decision::kClear;
}

Box to_box(const cv::Rect& r) { return {double(r.x), double(r.y), double(r.width), double(r.height)}; }

cv::Rect box_from_json(const nlohmann::json& box) {
  if (!box.is_array() || box.size() != 4 ||
      !std::all_of(box.begin(), box.end(), [](const auto& v) { return v.is_number(); }))
    throw Error("a box must be [x, y, w, h] (four numbers), got " + box.dump());
  return {box[0].get<int>(), box[1].get<int>(), box[2].get<int>(), box[3].get<int>()};
}

}  // namespace oi::xray
