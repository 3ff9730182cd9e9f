#include "privacy_blur.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <set>

namespace oi::cctv::privacy {

std::vector<Box> unmatched_person_boxes(const FrameMetadata& metadata) {
  const std::vector<Track> tracks = tracks_of(metadata);
  const std::vector<Detection> detections = detections_of(metadata);
  std::set<std::int64_t> matched;
  for (const WatchlistHit& hit : watchlist_hits_of(metadata))
    if (hit.status != "rejected") matched.insert(hit.track);
  std::vector<Box> visible, hidden;
  for (const Track& t : tracks) (matched.count(t.id) ? visible : hidden).push_back(t.box);
  for (const Detection& d : detections) {
    const bool of_a_match =
        std::any_of(visible.begin(), visible.end(), [&](const Box& b) { return iou(b, d.box) >= kMatchIou; });
    if (!of_a_match) hidden.push_back(d.box);
  }
  return hidden;
}

void blur_boxes(cv::Mat& image, const std::vector<Box>& boxes, double sx, double sy) {
  const cv::Rect whole(0, 0, image.cols, image.rows);
  for (const Box& b : boxes) {
    if (!(b.w > 0 && b.h > 0)) continue;
    const double grow_x = 0.05 * b.w, grow_y = 0.05 * b.h;
    const cv::Rect r = cv::Rect(static_cast<int>(std::floor((b.x - grow_x) * sx)),
                                static_cast<int>(std::floor((b.y - grow_y) * sy)),
                                static_cast<int>(std::ceil((b.w + 2 * grow_x) * sx)) + 1,
                                static_cast<int>(std::ceil((b.h + 2 * grow_y) * sy)) + 1) &
                       whole;
    if (r.width < 2 || r.height < 2) continue;
    cv::Mat roi = image(r);
    const int block = std::max(4, r.width / 8);
    cv::Mat small;
    cv::resize(roi, small, cv::Size(std::max(1, r.width / block), std::max(1, r.height / block)), 0, 0,
               cv::INTER_AREA);
    cv::Mat coarse;
    cv::resize(small, coarse, roi.size(), 0, 0, cv::INTER_NEAREST);
    const int kernel = (block | 1);
    cv::GaussianBlur(coarse, roi, cv::Size(kernel, kernel), 0);
  }
}

}  // namespace oi::cctv::privacy
