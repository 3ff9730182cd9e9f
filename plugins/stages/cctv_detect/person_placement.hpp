#pragma once
/// @file
/// Persons in a blob of several (a group walking side by side, or one behind the other): the
/// blob's pixels explained by person boxes whose size the perspective size model gives for
/// their foot row (size_model.hpp), placed greedily. Each round places the box that covers
/// the most pixels not yet explained, less half a point for each background pixel it covers
/// (pixels already explained by an earlier box count neither way: the person in front hides
/// the one behind), and stops when the best box would explain too little. In the spirit of
/// Zhao and Nevatia's model-based segmentation of crowds, without their MCMC.

#include <functional>
#include <opencv2/core/mat.hpp>
#include <vector>

namespace oi::cctv {

/// One person placed in a blob, in the mask's pixels.
struct PlacedPerson {
  cv::Rect2d box;      ///< the model-sized box (may reach past the blob), raised to the blob's top above it
  int new_pixels = 0;  ///< blob pixels it explained that no earlier box had
  int pixels = 0;      ///< blob pixels inside it
};

/// Settings of the placement.
struct PlacementParams {
  double background_cost = 0.5;    ///< score lost per background pixel a box covers
  double min_new_fraction = 0.15;  ///< a box must explain at least this fraction of its area anew
  double min_fill = 0.35;          ///< new pixels / (new + background pixels) a box needs
  int max_persons = 8;             ///< boxes per blob at most
};

/// Places persons in the blob `mask` (CV_8U, non-zero: the blob's pixels; other blobs are 0)
/// whose bounding box is `blob`. `height_at(bottom)` is a person's height (mask pixels) with
/// the feet at row `bottom`; `aspect` their width / height. Boxes are tried with the feet on
/// every row of the blob's lower part and centred on every column of the blob.
std::vector<PlacedPerson> place_persons(const cv::Mat& mask, const cv::Rect& blob,
                                        const std::function<double(double bottom)>& height_at, double aspect,
                                        const PlacementParams& params = {});

}  // namespace oi::cctv
