#pragma once
/// @file
/// The perspective size model of `cctv.detect`: in a fixed camera a standing person's height
/// in pixels grows about linearly with the image row of their feet (height = slope * bottom +
/// intercept; the ground plane seen in perspective). The model learns the line per camera
/// from isolated blobs that look like one person, with a robust fit (RANSAC, then least squares
/// on the inliers), so that groups, fragments and shadows among the samples do not bend it.
/// Until it has enough samples it knows nothing about heights and says so.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <vector>

namespace oi::cctv {

/// Settings of the size model.
struct SizeModelParams {
  double prior_aspect = 0.35;  ///< width / height of a person before any is measured
  int min_samples = 20;        ///< samples before the model is used
  int max_samples = 400;       ///< the newest samples kept (a ring)
  int refit_every = 5;         ///< samples between fits
};

/// Person height by foot row, learnt per camera; see the file comment.
class PerspectiveSizeModel {
 public:
  /// A model for images `image_height` pixels tall.
  PerspectiveSizeModel(const SizeModelParams& params, double image_height);

  /// True once enough samples were fitted; expected_height() is meaningful only then.
  bool fitted() const { return fitted_; }
  /// The expected height (pixels) of a person whose feet are at row `bottom` (at least 1).
  double expected_height(double bottom) const;
  /// True when the model is fitted and either its line rests on feet spread over a fifth of the
  /// picture (it then holds for the whole ground plane) or `bottom` lies within the rows its
  /// samples came from, widened by a tenth of the picture: beyond them a height measured on far
  /// persons says little about near ones.
  bool covers(double bottom) const;
  /// The expected width / height of a person: the median of the samples, or the prior.
  double aspect() const { return aspect_; }

  /// Adds the box of a blob that is one whole person (the caller decides).
  void add(double bottom, double height, double width);

  /// Samples kept.
  std::size_t samples() const { return bottoms_.size(); }
  /// The fitted line.
  double slope() const { return slope_; }
  /// The fitted line.
  double intercept() const { return intercept_; }
  /// {"fitted", "samples", "inliers" (fraction), "slope", "intercept", "aspect", "rows" [from,
  /// to] (the bottoms it covers)}.
  nlohmann::json to_json() const;

 private:
  void fit();

  SizeModelParams params_;
  double image_height_;
  std::vector<double> bottoms_, heights_, aspects_;
  std::size_t next_ = 0;   // ring position once full
  std::size_t added_ = 0;  // samples added since the last fit
  bool fitted_ = false;
  double slope_ = 0.0, intercept_ = 0.0, aspect_;
  double inlier_fraction_ = 0.0;
  double lowest_ = 0.0, highest_ = 0.0;  // range of the inliers' bottoms
};

}  // namespace oi::cctv
