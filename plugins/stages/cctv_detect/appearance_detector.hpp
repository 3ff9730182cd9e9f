#pragma once
/// @file
/// A person detector of `cctv.detect` that does not rely on motion: HOG features (Dalal and
/// Triggs) of a 32 x 64 window whose middle 48 rows hold the person, scored by a linear model
/// trained on simulated cameras (tools/cctv_detector, weights in person_hog_model.inc). It
/// finds the persons the background model cannot: those who stood still while a camera's
/// model warmed up (learnt into the background) and stand still since. The windows are scanned
/// only at the heights the camera's size model expects on each image row.

#include <functional>
#include <opencv2/core/mat.hpp>
#include <opencv2/objdetect.hpp>
#include <vector>

namespace oi::cctv {

/// Window of the appearance detector, pixels.
inline constexpr int kAppearanceWindowWidth = 32;
inline constexpr int kAppearanceWindowHeight = 64;
/// Height of the person in the window (the rows above and below are margin).
inline constexpr double kAppearancePersonHeight = 48.0;

/// The HOG of the window: 16 x 16 blocks in steps of 8, 8 x 8 cells, 9 orientations (756 values).
cv::HOGDescriptor appearance_hog();

/// The window (image pixels) around a person's box: as tall as the box over
/// kAppearancePersonHeight / kAppearanceWindowHeight, twice as tall as wide, same centre.
cv::Rect2d appearance_window(const cv::Rect2d& person);
/// The person's box in a window (the inverse of appearance_window() for a box of the window's
/// aspect): the middle 48 of 64 rows, a third of the window's width... (centre kept).
cv::Rect2d appearance_person(const cv::Rect2d& window, double aspect);

/// One person the appearance detector found.
struct AppearanceHit {
  cv::Rect2d box;  ///< image pixels
  double score;    ///< the linear model's output (0: its boundary)
};

/// See the file comment. Thread-compatible: detect() is const.
class AppearanceDetector {
 public:
  /// The model shipped with OpenInspect (person_hog_model.inc).
  AppearanceDetector();
  /// A model given as weights (one per HOG value) followed by the bias.
  explicit AppearanceDetector(const std::vector<float>& model);

  /// Persons in `rgb` (CV_8UC3) with heights in [min_height, max_height] pixels, scored at
  /// least `threshold`, overlapping ones suppressed (IoU over 0.3: the better kept). Heights
  /// are tried 1.15 apart. `feet_rows(height)` gives the rows [first, last] where the feet of a
  /// person of that height may be (from the size model); nullptr: anywhere. Boxes have the
  /// width / height `aspect`.
  std::vector<AppearanceHit> detect(const cv::Mat& rgb, double min_height, double max_height,
                                    double threshold, double aspect,
                                    const std::function<std::pair<double, double>(double)>& feet_rows) const;

 private:
  cv::HOGDescriptor hog_;
};

}  // namespace oi::cctv
