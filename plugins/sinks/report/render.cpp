// Operator images: colour or grey scan, boxes, labels.
#include "render.hpp"

#include <algorithm>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "oi/frame_cv.hpp"
#include "oi/xray/contract.hpp"

namespace oi::xray::render {
namespace {

// Colours (BGR) chosen to stand out against the orange/green/blue pseudo-colour palette.
cv::Scalar class_colour(const std::string& cls) {
  if (cls == threat::kFirearm) return {0, 0, 255};      // red
  if (cls == threat::kNarcotics) return {255, 0, 255};  // magenta
  if (cls == threat::kShielding) return {0, 255, 255};  // yellow
  if (cls == threat::kKnife) return {255, 255, 0};      // cyan
  return {255, 255, 255};
}

}  // namespace

std::string image_source(const Frame& frame) {
  if (frame.has_plane(plane::kRgb) && frame.plane(plane::kRgb).format == PixelFormat::kRGB8)
    return plane::kRgb;
  if (frame.has_plane(plane::kHigh) && frame.plane(plane::kHigh).format == PixelFormat::kU16)
    return std::string(plane::kHigh) + " (grey)";
  return "";
}

Result<cv::Mat> scan_image(const Frame& frame) {
  cv::Mat bgr;
  if (frame.has_plane(plane::kRgb)) {
    const Plane& p = frame.plane(plane::kRgb);
    if (p.format != PixelFormat::kRGB8) {
      return Status::error("plane 'rgb' is " + std::string(to_string(p.format)) +
                           ", expected rgb8 (from xray.colorize)");
    }
    cv::cvtColor(as_mat(p), bgr, cv::COLOR_RGB2BGR);
    return bgr;
  }
  if (frame.has_plane(plane::kHigh)) {
    const Plane& p = frame.plane(plane::kHigh);
    if (p.format != PixelFormat::kU16) {
      return Status::error("plane 'high' is " + std::string(to_string(p.format)) +
                           ", expected u16 raw counts");
    }
    // Stretch between the darkest and brightest counts of this scan: raw counts span a few
    // thousand at most, which a plain >>8 would show as near-black.
    double lo = 0, hi = 0;
    cv::minMaxLoc(as_mat(p), &lo, &hi);
    cv::Mat grey;
    as_mat(p).convertTo(grey, CV_8U, hi > lo ? 255.0 / (hi - lo) : 1.0,
                        hi > lo ? -lo * 255.0 / (hi - lo) : 0.0);
    cv::cvtColor(grey, bgr, cv::COLOR_GRAY2BGR);
    return bgr;
  }
  std::string names;
  for (const auto& n : frame.plane_names()) names += (names.empty() ? "" : ", ") + n;
  return Status::error(
      "the scan has neither an 'rgb' nor a 'high' plane (it has: " + (names.empty() ? "none" : names) +
      "); put xray.colorize, or at least the scanner's channels, before this sink");
}

void draw_detections(cv::Mat& bgr, const std::vector<eval::Detection>& detections, double scale) {
  const int thickness = std::max(1, static_cast<int>(std::lround(std::max(bgr.cols, bgr.rows) / 400.0)));
  const double font = std::max(0.4, std::max(bgr.cols, bgr.rows) / 1500.0);
  for (const eval::Detection& d : detections) {
    const cv::Rect r(static_cast<int>(std::lround(d.box.x * scale)),
                     static_cast<int>(std::lround(d.box.y * scale)),
                     std::max(1, static_cast<int>(std::lround(d.box.w * scale))),
                     std::max(1, static_cast<int>(std::lround(d.box.h * scale))));
    const cv::Scalar colour = class_colour(d.cls);
    cv::rectangle(bgr, r, colour, thickness);
    char label[96];
    std::snprintf(label, sizeof label, "%s %.2f", d.cls.c_str(), d.score);
    int baseline = 0;
    const cv::Size size = cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, font, 1, &baseline);
    // Label above the box, or inside it when the box touches the top edge.
    const int y = r.y - 3 >= size.height ? r.y - 3 : r.y + size.height + 3;
    cv::rectangle(bgr, {r.x, y - size.height - 2}, {r.x + size.width + 2, y + baseline - 1},
                  cv::Scalar(0, 0, 0), cv::FILLED);
    cv::putText(bgr, label, {r.x + 1, y - 1}, cv::FONT_HERSHEY_SIMPLEX, font, colour, 1, cv::LINE_AA);
  }
}

double fit(const cv::Mat& bgr, int max_side, cv::Mat& out) {
  const int side = std::max(bgr.cols, bgr.rows);
  if (side <= max_side || side == 0) {
    out = bgr.clone();
    return 1.0;
  }
  const double scale = static_cast<double>(max_side) / side;
  cv::resize(bgr, out, cv::Size(), scale, scale, cv::INTER_AREA);
  return scale;
}

std::string base64(const std::vector<unsigned char>& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    const unsigned v = (bytes[i] << 16) | (i + 1 < bytes.size() ? bytes[i + 1] << 8 : 0);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace oi::xray::render
