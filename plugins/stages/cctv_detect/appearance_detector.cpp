// The appearance detector of cctv.detect (appearance_detector.hpp).
#include "appearance_detector.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <opencv2/imgproc.hpp>

namespace oi::cctv {
namespace {

// The weights of the shipped model (kPersonHogModel: 756 weights, then the bias).
#include "person_hog_model.inc"

// Heights tried are this factor apart.
constexpr double kHeightStep = 1.15;
// Of two hits overlapping more than this, the lower scoring one is dropped.
constexpr double kNmsIou = 0.3;

double iou(const cv::Rect2d& a, const cv::Rect2d& b) {
  const double inter = (a & b).area();
  const double uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

}  // namespace

cv::HOGDescriptor appearance_hog() {
  return cv::HOGDescriptor(cv::Size(kAppearanceWindowWidth, kAppearanceWindowHeight), cv::Size(16, 16),
                           cv::Size(8, 8), cv::Size(8, 8), 9);
}

cv::Rect2d appearance_window(const cv::Rect2d& person) {
  const double height = person.height * kAppearanceWindowHeight / kAppearancePersonHeight;
  const double width = height * kAppearanceWindowWidth / kAppearanceWindowHeight;
  return {person.x + person.width / 2 - width / 2, person.y + person.height / 2 - height / 2, width, height};
}

cv::Rect2d appearance_person(const cv::Rect2d& window, double aspect) {
  const double height = window.height * kAppearancePersonHeight / kAppearanceWindowHeight;
  const double width = height * aspect;
  return {window.x + window.width / 2 - width / 2, window.y + window.height / 2 - height / 2, width, height};
}

AppearanceDetector::AppearanceDetector()
    : AppearanceDetector(std::vector<float>(std::begin(kPersonHogModel), std::end(kPersonHogModel))) {}

AppearanceDetector::AppearanceDetector(const std::vector<float>& model) : hog_(appearance_hog()) {
  CV_Assert(model.size() == hog_.getDescriptorSize() + 1);
  hog_.setSVMDetector(model);
}

std::vector<AppearanceHit> AppearanceDetector::detect(
    const cv::Mat& rgb, double min_height, double max_height, double threshold, double aspect,
    const std::function<std::pair<double, double>(double)>& feet_rows) const {
  CV_Assert(rgb.type() == CV_8UC3);
  std::vector<AppearanceHit> hits;
  const cv::Rect image(0, 0, rgb.cols, rgb.rows);
  cv::Mat scaled;
  std::vector<cv::Point> found;
  std::vector<double> weights;
  for (double height = min_height; height <= max_height * 1.0001; height *= kHeightStep) {
    const double scale = kAppearancePersonHeight / height;  // image -> window pixels
    const double window_height = height * kAppearanceWindowHeight / kAppearancePersonHeight;
    double top = 0.0, bottom = rgb.rows;
    if (feet_rows) {
      const auto [first, last] = feet_rows(height);
      if (last < first) continue;
      const double margin = (window_height - height) / 2;
      top = first - height - margin;
      bottom = last + margin;
    }
    const int y0 = std::max(0, static_cast<int>(std::floor(top)));
    const int y1 = std::min(rgb.rows, static_cast<int>(std::ceil(bottom)));
    const cv::Rect band = cv::Rect(0, y0, rgb.cols, y1 - y0) & image;
    if (band.height < window_height) continue;
    cv::resize(rgb(band), scaled, {}, scale, scale, scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
    if (scaled.rows < kAppearanceWindowHeight || scaled.cols < kAppearanceWindowWidth) continue;
    found.clear();
    weights.clear();
    hog_.detect(scaled, found, weights, threshold, cv::Size(8, 8), cv::Size(0, 0));
    for (std::size_t i = 0; i < found.size(); ++i) {
      const cv::Rect2d window(found[i].x / scale, found[i].y / scale + band.y, kAppearanceWindowWidth / scale,
                              kAppearanceWindowHeight / scale);
      hits.push_back({appearance_person(window, aspect), i < weights.size() ? weights[i] : threshold});
    }
  }
  std::stable_sort(hits.begin(), hits.end(),
                   [](const AppearanceHit& a, const AppearanceHit& b) { return a.score > b.score; });
  std::vector<AppearanceHit> kept;
  for (const AppearanceHit& h : hits) {
    bool suppressed = false;
    for (const AppearanceHit& k : kept) suppressed = suppressed || iou(h.box, k.box) > kNmsIou;
    if (!suppressed) kept.push_back(h);
  }
  return kept;
}

}  // namespace oi::cctv
