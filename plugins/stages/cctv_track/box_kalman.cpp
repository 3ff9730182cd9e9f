#include "box_kalman.hpp"

#include <algorithm>
#include <opencv2/core.hpp>

namespace oi::cctv {
namespace {

using Mat4 = cv::Matx<double, 4, 4>;
using Mat84 = cv::Matx<double, 8, 4>;

double square(double v) { return v * v; }

}  // namespace

BoxKalmanFilter::BoxKalmanFilter(const Box& first, KalmanNoise noise) : noise_(noise) {
  const double w = std::max(first.w, 1.0), h = std::max(first.h, 1.0);
  mean_ = State::zeros();
  mean_(0) = first.x + first.w / 2.0;
  mean_(1) = first.y + first.h / 2.0;
  mean_(2) = w;
  mean_(3) = h;
  const double p = 2.0 * noise_.position, v = 10.0 * noise_.velocity;
  const double stds[8] = {p * w, p * h, p * w, p * h, v * w, v * h, v * w, v * h};
  covariance_ = Covariance::zeros();
  for (int i = 0; i < 8; ++i) covariance_(i, i) = square(stds[i]);
}

void BoxKalmanFilter::predict(int steps) {
  for (int step = 0; step < steps; ++step) {
    const double w = std::max(mean_(2), 1.0), h = std::max(mean_(3), 1.0);
    const double p = noise_.position, v = noise_.velocity;
    const double stds[8] = {p * w, p * h, p * w, p * h, v * w, v * h, v * w, v * h};
    Covariance motion = Covariance::eye();
    for (int i = 0; i < 4; ++i) motion(i, i + 4) = 1.0;
    mean_ = motion * mean_;
    covariance_ = motion * covariance_ * motion.t();
    for (int i = 0; i < 8; ++i) covariance_(i, i) += square(stds[i]);
  }
}

void BoxKalmanFilter::update(const Box& measured) {
  const double w = std::max(mean_(2), 1.0), h = std::max(mean_(3), 1.0);
  const double p = noise_.position;
  // H picks the first four state entries, so H P H^T is P's top-left block and P H^T its
  // left four columns.
  Mat4 innovation_cov;
  Mat84 cross;
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 4; ++c) cross(r, c) = covariance_(r, c);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) innovation_cov(r, c) = covariance_(r, c);
  const double measurement_stds[4] = {p * w, p * h, p * w, p * h};
  for (int i = 0; i < 4; ++i) innovation_cov(i, i) += square(measurement_stds[i]);
  const cv::Matx<double, 4, 1> z(measured.x + measured.w / 2.0, measured.y + measured.h / 2.0, measured.w,
                                 measured.h);
  const cv::Matx<double, 4, 1> innovation =
      z - cv::Matx<double, 4, 1>(mean_(0), mean_(1), mean_(2), mean_(3));
  // K = P H^T S^-1; S is symmetric positive definite.
  const Mat84 gain = cross * innovation_cov.inv(cv::DECOMP_CHOLESKY);
  mean_ += gain * innovation;
  covariance_ -= gain * innovation_cov * gain.t();
  covariance_ = 0.5 * (covariance_ + covariance_.t());  // keep it symmetric against rounding
}

void BoxKalmanFilter::freeze_size() {
  mean_(6) = 0.0;
  mean_(7) = 0.0;
}

Box BoxKalmanFilter::box() const {
  const double w = std::max(mean_(2), 1.0), h = std::max(mean_(3), 1.0);
  return Box{mean_(0) - w / 2.0, mean_(1) - h / 2.0, w, h};
}

}  // namespace oi::cctv
