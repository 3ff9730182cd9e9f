// Drawing of sink.video (annotate.hpp).
#include "annotate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <opencv2/imgproc.hpp>

namespace oi::cctv::video {
namespace {

// Sizes follow the output height so that a 1080p video and a thumbnail-sized one both read.
double font_scale(const cv::Mat& image) { return std::clamp(image.rows / 1100.0, 0.35, 1.2); }
int line_width(const cv::Mat& image) {
  return std::max(1, static_cast<int>(std::lround(image.rows / 300.0)));
}

cv::Rect scaled(const Box& b, double sx, double sy) {
  const int x0 = static_cast<int>(std::lround(b.x * sx));
  const int y0 = static_cast<int>(std::lround(b.y * sy));
  const int x1 = static_cast<int>(std::lround((b.x + b.w) * sx));
  const int y1 = static_cast<int>(std::lround((b.y + b.h) * sy));
  return {x0, y0, std::max(1, x1 - x0), std::max(1, y1 - y0)};
}

// A filled tag with text, above `anchor` when there is room, else just inside it.
void draw_tag(cv::Mat& image, const std::string& text, cv::Point anchor, const cv::Scalar& colour) {
  const double scale = font_scale(image);
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &baseline);
  const int pad = 2;
  int top = anchor.y - size.height - baseline - 2 * pad;
  if (top < 0) top = anchor.y;
  const int left = std::clamp(anchor.x, 0, std::max(0, image.cols - size.width - 2 * pad));
  const cv::Rect tag(left, top, size.width + 2 * pad, size.height + baseline + 2 * pad);
  cv::rectangle(image, tag, colour, cv::FILLED);
  // Dark text on light colours, white on dark ones (luma of the BGR colour).
  const double luma = 0.114 * colour[0] + 0.587 * colour[1] + 0.299 * colour[2];
  const cv::Scalar ink = luma > 140 ? cv::Scalar(0, 0, 0) : cv::Scalar(255, 255, 255);
  cv::putText(image, text, {tag.x + pad, tag.y + pad + size.height}, cv::FONT_HERSHEY_SIMPLEX, scale, ink, 1,
              cv::LINE_AA);
}

}  // namespace

cv::Scalar track_colour(std::int64_t id) {
  const double golden = 0.618033988749895;
  double hue = std::fmod(static_cast<double>(id < 0 ? -id : id) * golden, 1.0) * 180.0;
  cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar(hue, 210, 255));
  cv::Mat bgr;
  cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
  const cv::Vec3b c = bgr.at<cv::Vec3b>(0, 0);
  return {static_cast<double>(c[0]), static_cast<double>(c[1]), static_cast<double>(c[2])};
}

void TrailBook::update(std::int64_t frame, const std::vector<Track>& tracks, double sx, double sy) {
  if (length_ <= 0) return;
  for (const Track& t : tracks) {
    Trail& trail = trails_[t.id];
    trail.points.emplace_back(static_cast<float>(t.box.centre_x() * sx),
                              static_cast<float>(t.box.bottom() * sy));
    while (trail.points.size() > static_cast<std::size_t>(length_)) trail.points.pop_front();
    trail.last_seen = frame;
  }
  std::erase_if(trails_, [&](const auto& entry) { return frame - entry.second.last_seen >= length_; });
}

void TrailBook::draw(cv::Mat& bgr, const std::vector<Track>& present) const {
  const int width = line_width(bgr);
  for (const Track& track : present) {
    const auto found = trails_.find(track.id);
    if (found == trails_.end()) continue;
    const Trail& trail = found->second;
    const cv::Scalar colour = track_colour(track.id);
    const std::size_t n = trail.points.size();
    for (std::size_t i = 1; i < n; ++i) {
      // The newest segments are drawn widest: the direction of walking reads at a glance.
      const int w = i + n / 2 >= n ? width + 1 : width;
      cv::line(bgr, trail.points[i - 1], trail.points[i], colour, w, cv::LINE_AA);
    }
    if (n > 0) cv::circle(bgr, trail.points.back(), width + 2, colour, cv::FILLED, cv::LINE_AA);
  }
}

std::string header_text(const std::string& camera, std::int64_t frame_index, std::int64_t capture_time_ns,
                        std::size_t tracks) {
  char when[64];
  // 2001-01-01 in ns: anything earlier is a stream's own clock, not the Unix epoch.
  constexpr std::int64_t kWallClockFrom = 978307200LL * 1000000000LL;
  if (capture_time_ns >= kWallClockFrom) {
    const std::time_t seconds = static_cast<std::time_t>(capture_time_ns / 1000000000LL);
    const int millis = static_cast<int>((capture_time_ns / 1000000LL) % 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    std::snprintf(when, sizeof when, "%04d-%02d-%02d %02d:%02d:%02d.%03d UTC", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  } else {
    std::snprintf(when, sizeof when, "t %.3f s", static_cast<double>(capture_time_ns) / 1e9);
  }
  return camera + " | frame " + std::to_string(frame_index) + " | " + when + " | " + std::to_string(tracks) +
         (tracks == 1 ? " track" : " tracks");
}

void draw_overlay(cv::Mat& bgr, const Overlay& overlay, const TrailBook& trails, double sx, double sy) {
  const int width = line_width(bgr);
  if (overlay.draw_truth) {
    const cv::Scalar truth_colour(0, 255, 255);  // yellow
    for (const GroundTruthPerson& p : overlay.truth) {
      const cv::Rect r = scaled(p.box, sx, sy);
      cv::rectangle(bgr, r, truth_colour, 1, cv::LINE_8);
      char label[48];
      std::snprintf(label, sizeof label, "gt %lld", static_cast<long long>(p.identity));
      cv::putText(bgr, label, {r.x + 2, r.y + r.height - 3}, cv::FONT_HERSHEY_SIMPLEX, font_scale(bgr) * 0.8,
                  truth_colour, 1, cv::LINE_AA);
    }
  }
  if (overlay.draw_detections) {
    for (const Detection& d : overlay.detections) {
      cv::rectangle(bgr, scaled(d.box, sx, sy), cv::Scalar(235, 235, 235), 1, cv::LINE_8);
    }
  }
  trails.draw(bgr, overlay.tracks);
  for (const Track& t : overlay.tracks) {
    const cv::Scalar colour = track_colour(t.id);
    const cv::Rect r = scaled(t.box, sx, sy);
    // A track only predicted in this frame (no detection matched it) is drawn thinner.
    const bool predicted = t.state != track_state::kConfirmed;
    cv::rectangle(bgr, r, colour, predicted ? 1 : width + 1, cv::LINE_8);
    draw_tag(bgr, "id " + std::to_string(t.id), {r.x, r.y}, colour);
  }
  // The header: a dark band across the top with the camera, frame and time.
  const double scale = font_scale(bgr) * 1.1;
  int baseline = 0;
  const cv::Size size = cv::getTextSize(overlay.header, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &baseline);
  const cv::Rect band(0, 0, bgr.cols, std::min(bgr.rows, size.height + baseline + 8));
  cv::Mat roi = bgr(band);
  roi.convertTo(roi, -1, 0.35, 0);
  cv::putText(bgr, overlay.header, {6, 4 + size.height}, cv::FONT_HERSHEY_SIMPLEX, scale,
              cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
}

}  // namespace oi::cctv::video
