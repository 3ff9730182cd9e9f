#pragma once
/// @file
/// Privacy by default for saved camera pictures (docs/reid.md, "Privacy"): every person who
/// matched no watchlist entry is made unrecognisable before an image, thumbnail or video frame
/// is written. The persons are the frame's tracks and detections; a track with a watchlist hit
/// (attr::kWatchlistHits) stays visible, and so do the detections it covers. A person the
/// detector missed is not blurred: the blur is as good as the detection.

#include <opencv2/core/mat.hpp>
#include <vector>

#include "oi/cctv/contract.hpp"

namespace oi::cctv::privacy {

/// The boxes (camera pixels) of the frame's persons that matched nothing.
/// @throws oi::Error when an attribute is malformed (the contract's readers).
std::vector<Box> unmatched_person_boxes(const FrameMetadata& metadata);

/// Makes the content of `boxes` unrecognisable in `image` (any 8-bit type, in place): each
/// box, grown by 10 % and clipped to the image, is pixelated into blocks of an eighth of its
/// width (at least 4 pixels) and then smoothed. Boxes are in camera pixels, scaled by (sx, sy)
/// to `image`'s pixels.
void blur_boxes(cv::Mat& image, const std::vector<Box>& boxes, double sx = 1.0, double sy = 1.0);

}  // namespace oi::cctv::privacy
