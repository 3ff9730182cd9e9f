#pragma once
/// @file
/// The pixels of one frame's blobs for cctv.detect's blob stage (person_blobs.hpp): a label
/// image (cv::connectedComponents) and the blob or group each label belongs to, and the
/// measurements taken on them: boxes of parts, the column profile, a head test, the contrast
/// along a blob's edge.

#include <opencv2/core/mat.hpp>
#include <vector>

namespace oi::cctv {

/// See the file comment. Views `labels` and `owner`; both must outlive it.
class BlobPixels {
 public:
  /// `labels` (CV_32S, 0: background) and `owner` (label -> blob, -1: none).
  BlobPixels(const cv::Mat& labels, const std::vector<int>& owner) : labels_(labels), owner_(owner) {}

  /// True when pixel (x, y) belongs to `blob`.
  bool in(int x, int y, int blob) const {
    const int label = labels_.ptr<int>(y)[x];
    return label != 0 && owner_[static_cast<std::size_t>(label)] == blob;
  }
  /// True when pixel (x, y) is background (no label at all).
  bool background(int x, int y) const { return labels_.ptr<int>(y)[x] == 0; }

  /// The box of `blob`'s pixels within columns [x0, x1) of `rect`, and how many there are (an
  /// empty box when none).
  cv::Rect part(int blob, const cv::Rect& rect, int x0, int x1, int& count) const;
  /// Writes 255 (else 0) into `mask` (CV_8U, the labels' size) inside `rect` for `blob`'s pixels.
  void paint(int blob, const cv::Rect& rect, cv::Mat& mask) const;
  /// Columns at which to cut `blob` (box `rect`) into `n` persons side by side: the minima of
  /// its column profile (smoothed over 3 columns) near each expected boundary.
  std::vector<int> column_cuts(int blob, const cv::Rect& rect, int n) const;
  /// True when the silhouette has a head: its top rows (the top 12 %) clearly narrower than
  /// its shoulders and torso (20 % to 45 % from the top), which fill most of the box's width.
  /// Fragments of a person (legs below a coat that matches the floor, a torso without its
  /// head) fail it.
  bool has_head(int blob, const cv::Rect& rect) const;
  /// The mean colour distance (RGB) between the image just inside and just outside `blob`'s
  /// edge, the image `rgb` being `factor` times the labels' size. A ghost (background the
  /// model has not learnt yet) has little; an object has much.
  double edge_contrast(int blob, const cv::Rect& rect, const cv::Mat& rgb, int factor) const;

 private:
  const cv::Mat& labels_;
  const std::vector<int>& owner_;
};

}  // namespace oi::cctv
