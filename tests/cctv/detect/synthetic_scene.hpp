#pragma once
// A synthetic camera for cctv.detect's tests and benchmark (no dependency on sim.cctv): a
// static textured background with fixed-seed sensor noise per frame, person-shaped blobs
// (head, torso, legs) drawn where the test puts them, and darkened patches that play shadows.

#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "oi/cctv/contract.hpp"
#include "oi/frame.hpp"

namespace oi::cctv::testing {

/// A person-shaped figure standing with its feet at (centre_x, bottom).
struct Figure {
  double centre_x = 0, bottom = 0, height = 100;
  double aspect = 0.38;  ///< width / height of the body
  cv::Scalar coat = {40, 45, 60}, legs = {30, 30, 35}, skin = {200, 160, 140};  ///< R G B
  /// The figure's box (the ground truth of a detection).
  Box box() const { return {centre_x - aspect * height / 2.0, bottom - height, aspect * height, height}; }
};

/// A darkened rectangle: the pixels times `factor` (same chroma), a shadow.
struct Shade {
  cv::Rect rect;
  double factor = 0.6;
};

/// See the file comment. Deterministic by seed.
class SyntheticScene {
 public:
  SyntheticScene(cv::Size size, std::uint32_t seed, double noise_sigma = 3.0);
  /// Frame `index` (the noise depends on it) with `figures` and `shades`, RGB.
  cv::Mat render(int index, const std::vector<Figure>& figures, const std::vector<Shade>& shades = {}) const;
  cv::Size size() const { return background_.size(); }

 private:
  cv::Mat background_;  // CV_8UC3
  std::uint32_t seed_;
  double noise_sigma_;
};

/// A video.frame with `rgb` as plane `image`, from camera `source`, sequence `sequence`.
FramePtr make_frame(const cv::Mat& rgb, const std::string& source, std::uint64_t sequence);

/// Figures walking across the scene with perspective: at frame `index`, figure k of `count`
/// walks left to right (or back) along its own row; heights follow height = slope * bottom +
/// intercept. Used by the detection test and the benchmark.
std::vector<Figure> walkers(cv::Size size, int index, int count, double slope, double intercept);

}  // namespace oi::cctv::testing
