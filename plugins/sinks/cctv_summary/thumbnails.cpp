// Thumbnails: evenly spread frames, boxes drawn, JPEG.
#include "thumbnails.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "oi/frame_cv.hpp"
#include "privacy_blur.hpp"

namespace oi::cctv::summary {
namespace {

cv::Rect scaled(const Box& b, double scale) {
  return {static_cast<int>(std::lround(b.x * scale)), static_cast<int>(std::lround(b.y * scale)),
          std::max(1, static_cast<int>(std::lround(b.w * scale))),
          std::max(1, static_cast<int>(std::lround(b.h * scale)))};
}

}  // namespace

const Plane* rgb8_image(const Frame& frame) {
  if (!frame.has_plane(plane::kImage)) return nullptr;
  const Plane& p = frame.plane(plane::kImage);
  if (p.format != PixelFormat::kRGB8 || p.width <= 0 || p.height <= 0 || !p.valid()) return nullptr;
  return &p;
}

std::vector<unsigned char> person_crop_jpeg(const Plane& image, const Box& box, int height, bool blur) {
  if (height <= 0 || box.h < 8 || box.w < 4) return {};
  const cv::Rect r(static_cast<int>(std::lround(box.x)), static_cast<int>(std::lround(box.y)),
                   static_cast<int>(std::lround(box.w)), static_cast<int>(std::lround(box.h)));
  if (r.x < 0 || r.y < 0 || r.x + r.width > image.width || r.y + r.height > image.height) return {};
  const double scale = static_cast<double>(height) / r.height;
  cv::Mat crop;
  cv::resize(as_mat(image)(r), crop,
             cv::Size(std::max(1, static_cast<int>(std::lround(r.width * scale))), height), 0, 0,
             cv::INTER_AREA);
  if (blur)
    privacy::blur_boxes(crop, {Box{0, 0, static_cast<double>(crop.cols), static_cast<double>(crop.rows)}});
  cv::cvtColor(crop, crop, cv::COLOR_RGB2BGR);
  std::vector<unsigned char> jpeg;
  if (!cv::imencode(".jpg", crop, jpeg, {cv::IMWRITE_JPEG_QUALITY, 85})) return {};
  return jpeg;
}

void track_colour(std::int64_t id, unsigned char bgr[3]) {
  // A fixed palette of saturated colours that stand out on grey scenes; ids cycle through it.
  static constexpr unsigned char kPalette[][3] = {
      {0, 140, 255}, {255, 64, 64}, {255, 0, 255},   {0, 220, 255}, {255, 200, 0},
      {128, 0, 255}, {0, 90, 255},  {200, 120, 255}, {255, 255, 0}, {60, 60, 255}};
  constexpr std::int64_t n = sizeof kPalette / sizeof kPalette[0];
  const std::int64_t k = ((id % n) + n) % n;
  for (int c = 0; c < 3; ++c) bgr[c] = kPalette[k][c];
}

bool ThumbnailPicker::offer(const Frame& frame, std::int64_t frame_number,
                            const std::vector<TruthObject>& truth, const std::vector<TrackedObject>& tracks) {
  if (wanted_ <= 0) return true;
  const Plane* image = rgb8_image(frame);
  if (image == nullptr) return false;
  const Plane& plane = *image;
  const std::int64_t index = offered_++;
  if (index % stride_ != 0) return true;

  const cv::Mat rgb = as_mat(plane);
  const double scale = std::min(
      1.0, static_cast<double>(longer_side_) / static_cast<double>(std::max(plane.width, plane.height)));
  cv::Mat small;
  cv::resize(rgb, small, cv::Size(), scale, scale, cv::INTER_AREA);
  // Privacy by default: persons who matched no watchlist entry are blurred before anything is drawn.
  try {
    privacy::blur_boxes(small, privacy::unmatched_person_boxes(frame.metadata()), scale, scale);
  } catch (const std::exception&) {
    return false;  // malformed attributes: no thumbnail rather than an unblurred one
  }
  cv::cvtColor(small, small, cv::COLOR_RGB2BGR);
  // Tracks thick in their id's colour with the id above; truth thin on top (green, don't care
  // grey), so that a track exactly on its person still shows both.
  for (const TrackedObject& t : tracks) {
    unsigned char c[3];
    track_colour(t.id, c);
    const cv::Scalar colour(c[0], c[1], c[2]);
    const cv::Rect r = scaled(t.box, scale);
    cv::rectangle(small, r, colour, 2);
    cv::putText(small, std::to_string(t.id), {r.x, std::max(10, r.y - 3)}, cv::FONT_HERSHEY_SIMPLEX, 0.4,
                colour, 1, cv::LINE_AA);
  }
  for (const TruthObject& t : truth) {
    cv::rectangle(small, scaled(t.box, scale),
                  t.distractor ? cv::Scalar(150, 150, 150) : cv::Scalar(0, 200, 0), 1);
  }
  Thumbnail thumb;
  thumb.frame = frame_number;
  const auto persons =
      std::count_if(truth.begin(), truth.end(), [](const TruthObject& t) { return !t.distractor; });
  thumb.caption =
      "frame " + std::to_string(frame_number) + ": " + std::to_string(persons) + " persons" +
      (persons == static_cast<std::int64_t>(truth.size())
           ? std::string()
           : " (+" + std::to_string(truth.size() - static_cast<std::size_t>(persons)) + " don't care)") +
      ", " + std::to_string(tracks.size()) + " tracks";
  if (!cv::imencode(".jpg", small, thumb.jpeg, {cv::IMWRITE_JPEG_QUALITY, 85})) return false;
  kept_.push_back(std::move(thumb));
  if (kept_.size() > static_cast<std::size_t>(2 * wanted_)) {
    // Keep the candidates on the doubled stride (the even positions), so they stay evenly spaced.
    std::vector<Thumbnail> half;
    for (std::size_t i = 0; i < kept_.size(); i += 2) half.push_back(std::move(kept_[i]));
    kept_ = std::move(half);
    stride_ *= 2;
  }
  return true;
}

std::vector<Thumbnail> ThumbnailPicker::picked() const {
  if (kept_.size() <= static_cast<std::size_t>(wanted_)) return kept_;
  std::vector<Thumbnail> out;
  const double step = static_cast<double>(kept_.size() - 1) / std::max(1, wanted_ - 1);
  for (int i = 0; i < wanted_; ++i) {
    const auto k = static_cast<std::size_t>(std::lround(wanted_ == 1 ? 0.0 : i * step));
    out.push_back(kept_[std::min(k, kept_.size() - 1)]);
  }
  return out;
}

}  // namespace oi::cctv::summary
