#pragma once
// Thumbnails of sink.cctv_summary: a few frames per camera, spread over the whole run
// without knowing its length in advance, with the truth and the track boxes drawn.

#include <cstdint>
#include <string>
#include <vector>

#include "oi/cctv/metrics.hpp"
#include "oi/frame.hpp"

namespace oi::cctv::summary {

/// One drawn thumbnail, JPEG-encoded, waiting to be written.
struct Thumbnail {
  std::int64_t frame = 0;  ///< MOT frame number (from 1)
  std::string caption;     ///< "frame 12: 3 persons, 3 tracks"
  std::vector<unsigned char> jpeg;
};

/// Keeps at most 2 x `wanted` candidates, evenly spaced over the frames offered so far: every
/// `stride`-th frame is drawn, and when the store is full every other one is dropped and the
/// stride doubles. picked() then returns `wanted` of them, evenly spread.
class ThumbnailPicker {
 public:
  explicit ThumbnailPicker(int wanted = 0, int longer_side = 320)
      : wanted_(wanted), longer_side_(longer_side) {}

  /// Offers a frame; draws and keeps it when it falls on the stride. `truth` and `tracks` are
  /// drawn on the image plane (rgb8). Returns false (and keeps nothing) when the frame has no
  /// usable image plane.
  bool offer(const Frame& frame, std::int64_t frame_number, const std::vector<TruthObject>& truth,
             const std::vector<TrackedObject>& tracks);
  /// Up to `wanted` thumbnails, evenly spread over the candidates, in frame order.
  std::vector<Thumbnail> picked() const;

 private:
  int wanted_;
  int longer_side_;
  std::int64_t offered_ = 0;
  std::int64_t stride_ = 1;
  std::vector<Thumbnail> kept_;
};

/// The frame's `image` plane when it is a usable rgb8 picture, else null.
const Plane* rgb8_image(const Frame& frame);

/// The crop of `box` from an rgb8 `image`, scaled to `height` pixels high, blurred whole when
/// `blur` (privacy: a person who matched no watchlist entry), JPEG-encoded. Empty when the box
/// is smaller than 4 x 8 pixels or not wholly inside the picture.
std::vector<unsigned char> person_crop_jpeg(const Plane& image, const Box& box, int height, bool blur);

/// The colour of a track id (BGR), the same in every thumbnail.
void track_colour(std::int64_t id, unsigned char bgr[3]);

}  // namespace oi::cctv::summary
