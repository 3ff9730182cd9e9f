#pragma once
/// @file
/// The constant-velocity Kalman filter a track follows its person with, on the box state of
/// BoT-SORT's KalmanFilterXYWH: centre x, centre y, width, height and their velocities, in
/// pixels and pixels per frame. Process and measurement noise scale with the box's width and
/// height (a near, large person moves more pixels per frame than a far, small one), with
/// ByteTrack's and BoT-SORT's weights.

#include <opencv2/core/matx.hpp>

#include "oi/cctv/contract.hpp"

namespace oi::cctv {

/// Noise weights: standard deviations as fractions of the box's width or height.
struct KalmanNoise {
  double position = 1.0 / 20.0;   ///< position and size, per frame (and of a measurement)
  double velocity = 1.0 / 160.0;  ///< velocities, per frame
};

/// One track's filter. The state is [cx, cy, w, h, vx, vy, vw, vh]; one step is one frame.
class BoxKalmanFilter {
 public:
  using State = cv::Matx<double, 8, 1>;
  using Covariance = cv::Matx<double, 8, 8>;

  /// Starts at `first` with zero velocity and the wide initial uncertainty of BoT-SORT
  /// (twice the position noise, ten times the velocity noise).
  explicit BoxKalmanFilter(const Box& first, KalmanNoise noise = {});

  /// Moves the state `steps` frames ahead (a gap of missed frames is several steps); no-op
  /// for steps <= 0.
  void predict(int steps = 1);
  /// Corrects the state with a measured box.
  void update(const Box& measured);
  /// Stops the box from growing or shrinking (zeroes vw and vh), as BoT-SORT does while a
  /// track is lost: a size trend extrapolated over many unseen frames only does harm.
  void freeze_size();

  /// The state as a box (width and height at least 1 pixel).
  Box box() const;
  /// Velocity of the centre, pixels per frame.
  double velocity_x() const { return mean_(4); }
  double velocity_y() const { return mean_(5); }
  const State& mean() const { return mean_; }
  const Covariance& covariance() const { return covariance_; }

 private:
  KalmanNoise noise_;
  State mean_;
  Covariance covariance_;
};

}  // namespace oi::cctv
