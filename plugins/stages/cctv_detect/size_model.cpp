// The perspective size model (size_model.hpp).
#include "size_model.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace oi::cctv {
namespace {

double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  return *middle;
}

}  // namespace

PerspectiveSizeModel::PerspectiveSizeModel(const SizeModelParams& params, double image_height)
    : params_(params), image_height_(image_height), aspect_(params.prior_aspect) {}

double PerspectiveSizeModel::expected_height(double bottom) const {
  return std::max(1.0, slope_ * bottom + intercept_);
}

bool PerspectiveSizeModel::covers(double bottom) const {
  if (!fitted_) return false;
  // A line through feet spread over a fifth of the picture holds for the whole ground plane.
  if (slope_ > 0.0 && highest_ - lowest_ >= 0.2 * image_height_) return true;
  const double margin = 0.1 * image_height_;
  return bottom >= lowest_ - margin && bottom <= highest_ + margin;
}

void PerspectiveSizeModel::add(double bottom, double height, double width) {
  const auto max_samples = static_cast<std::size_t>(std::max(1, params_.max_samples));
  if (bottoms_.size() < max_samples) {
    bottoms_.push_back(bottom);
    heights_.push_back(height);
    aspects_.push_back(width / height);
  } else {
    bottoms_[next_] = bottom;
    heights_[next_] = height;
    aspects_[next_] = width / height;
    next_ = (next_ + 1) % max_samples;
  }
  ++added_;
  if (static_cast<int>(bottoms_.size()) >= params_.min_samples &&
      (!fitted_ || added_ >= static_cast<std::size_t>(std::max(1, params_.refit_every)))) {
    fit();
    added_ = 0;
  }
}

// Height = slope * bottom + intercept by RANSAC (pairs of samples drawn by a fixed-seed
// generator, so that a camera's model is reproducible): the line that most samples lie within
// 20 % of, less twice the samples it leaves well above it, refined by least squares on its
// inliers. Fragments of persons (legs, a torso above a counter that hides the legs, a near
// person whose legs match the floor) are the outliers it leaves out below; they can be the
// majority in a camera where most persons are cut, and a line through them would place half-
// height persons in every whole one, so a line that passes under many samples is worth less
// than one that passes over fragments: a blob is seldom much taller than its person (groups
// one behind the other are). A camera looking across the
// scene has no perspective worth fitting: when the feet hardly spread over the image, or the
// best line says that farther persons look taller, the model is the median height.
void PerspectiveSizeModel::fit() {
  const std::size_t n = bottoms_.size();
  aspect_ = median(aspects_);
  double mean_bottom = 0.0;
  for (double b : bottoms_) mean_bottom += b;
  mean_bottom /= static_cast<double>(n);
  double spread = 0.0;
  for (double b : bottoms_) spread += (b - mean_bottom) * (b - mean_bottom);
  spread = std::sqrt(spread / static_cast<double>(n));
  constexpr double kTolerance = 0.2;  // relative residual of an inlier
  // A candidate's quality: its inliers, and among as many inliers the smaller sum of relative
  // residuals (a loose tolerance would otherwise let a constant tie with the true line).
  struct Quality {
    std::size_t inliers = 0, above = 0;
    double residual = 0.0;
    std::ptrdiff_t score() const {
      return static_cast<std::ptrdiff_t>(inliers) - 2 * static_cast<std::ptrdiff_t>(above);
    }
    bool better_than(const Quality& o) const {
      return score() != o.score() ? score() > o.score() : residual < o.residual;
    }
  };
  const auto inliers_of = [&](double slope, double intercept, std::vector<std::size_t>* which) {
    Quality q;
    for (std::size_t i = 0; i < n; ++i) {
      const double predicted = slope * bottoms_[i] + intercept;
      const double relative = predicted > 0 ? std::abs(heights_[i] - predicted) / predicted : 1e9;
      if (relative <= kTolerance) {
        ++q.inliers;
        q.residual += relative;
        if (which) which->push_back(i);
      } else if (heights_[i] > predicted) {
        ++q.above;
      }
    }
    return q;
  };
  // The constant model (the median height) is the first candidate; a line must beat it.
  double best_slope = 0.0, best_intercept = median(heights_);
  Quality best = inliers_of(best_slope, best_intercept, nullptr);
  if (spread >= 0.04 * image_height_) {
    std::mt19937 random(12345u);
    std::uniform_int_distribution<std::size_t> pick(0, n - 1);
    for (int trial = 0; trial < 300; ++trial) {
      const std::size_t i = pick(random), j = pick(random);
      if (std::abs(bottoms_[i] - bottoms_[j]) < 0.05 * image_height_) continue;
      const double slope = (heights_[j] - heights_[i]) / (bottoms_[j] - bottoms_[i]);
      if (slope < 0.0) continue;  // farther persons never look taller
      const double intercept = heights_[i] - slope * bottoms_[i];
      const Quality q = inliers_of(slope, intercept, nullptr);
      if (q.better_than(best)) {
        best = q;
        best_slope = slope;
        best_intercept = intercept;
      }
    }
  }
  // Least squares on the inliers (a constant: their mean), kept when it still has a
  // non-negative slope.
  std::vector<std::size_t> in;
  inliers_of(best_slope, best_intercept, &in);
  if (in.size() >= 2) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (std::size_t i : in) {
      sx += bottoms_[i];
      sy += heights_[i];
      sxx += bottoms_[i] * bottoms_[i];
      sxy += bottoms_[i] * heights_[i];
    }
    const double m = static_cast<double>(in.size());
    const double det = m * sxx - sx * sx;
    if (best_slope > 0.0 && det > 1e-9 * m * m) {
      const double slope = (m * sxy - sx * sy) / det;
      if (slope >= 0.0) {
        best_slope = slope;
        best_intercept = (sy - slope * sx) / m;
      }
    } else if (best_slope == 0.0) {
      best_intercept = sy / m;
    }
  }
  slope_ = best_slope;
  intercept_ = best_intercept;
  inlier_fraction_ = static_cast<double>(in.size()) / static_cast<double>(n);
  lowest_ = image_height_;
  highest_ = 0.0;
  for (std::size_t i : in) {
    lowest_ = std::min(lowest_, bottoms_[i]);
    highest_ = std::max(highest_, bottoms_[i]);
  }
  fitted_ = true;
}

nlohmann::json PerspectiveSizeModel::to_json() const {
  return {{"fitted", fitted_},           {"samples", bottoms_.size()},
          {"inliers", inlier_fraction_}, {"slope", slope_},
          {"intercept", intercept_},     {"aspect", aspect_},
          {"rows", {lowest_, highest_}}};
}

}  // namespace oi::cctv
