#pragma once
// Drawing of sink.video: what an operator sees on each frame of a camera's annotated video
// (track boxes coloured by id with their label, trails of foot points, thin detection boxes,
// optional ground truth, a header line). Everything is drawn on a BGR image that already has
// the video's output size; boxes arrive in the camera image's pixels and are scaled here.

#include <cstdint>
#include <deque>
#include <map>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "oi/cctv/contract.hpp"

namespace oi::cctv::video {

/// A colour per track id: hues spread by the golden ratio so that neighbouring ids differ;
/// the same id always has the same colour (BGR).
cv::Scalar track_colour(std::int64_t id);

/// The last `length` foot points (bottom centre of the box) of every track of one camera, in
/// output pixels. A track unseen for `length` frames is forgotten, so the book stays small on
/// long runs.
class TrailBook {
 public:
  explicit TrailBook(int length) : length_(length) {}
  /// Adds this frame's foot points (`frame` counts the camera's frames, increasing).
  void update(std::int64_t frame, const std::vector<Track>& tracks, double sx, double sy);
  /// Draws the trails of the tracks in `present` (this frame's tracks) as polylines in their
  /// track's colour, the newest half wider. A track missing from this frame keeps its trail
  /// in the book (it continues if the track comes back) but is not drawn: a trail without a
  /// box would point at nobody.
  void draw(cv::Mat& bgr, const std::vector<Track>& present) const;
  /// Tracks with a trail now.
  std::size_t size() const { return trails_.size(); }

 private:
  struct Trail {
    std::deque<cv::Point2f> points;
    std::int64_t last_seen = 0;
  };
  int length_;
  std::map<std::int64_t, Trail> trails_;
};

/// What one frame shows besides the picture.
struct Overlay {
  std::string header;  ///< the header line (header_text())
  std::vector<Detection> detections;
  std::vector<Track> tracks;
  std::vector<GroundTruthPerson> truth;
  bool draw_detections = true;
  bool draw_truth = false;
};

/// `cam1 | frame 42 | 12:34:56.789 UTC | 3 tracks`; a capture time before 2001 is not a wall
/// clock (a simulator's clock, a file's own time) and is shown as seconds: `t 4.200 s`.
std::string header_text(const std::string& camera, std::int64_t frame_index, std::int64_t capture_time_ns,
                        std::size_t tracks);

/// Draws `overlay` and the trails of its tracks on `bgr`; boxes are scaled by (sx, sy) from
/// camera pixels.
void draw_overlay(cv::Mat& bgr, const Overlay& overlay, const TrailBook& trails, double sx, double sy);

}  // namespace oi::cctv::video
