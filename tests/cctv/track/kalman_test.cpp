// The box Kalman filter on a constant-velocity target.
#include <gtest/gtest.h>

#include <random>

#include "box_kalman.hpp"

namespace oi::cctv {
namespace {

Box truth_at(int frame) { return Box{100.0 + 3.0 * frame, 200.0 - 1.5 * frame, 40.0, 100.0}; }

TEST(CctvTrack, KalmanLearnsConstantVelocity) {
  BoxKalmanFilter filter(truth_at(0));
  EXPECT_DOUBLE_EQ(filter.velocity_x(), 0.0);
  for (int f = 1; f <= 40; ++f) {
    filter.predict();
    filter.update(truth_at(f));
  }
  EXPECT_NEAR(filter.velocity_x(), 3.0, 0.05);
  EXPECT_NEAR(filter.velocity_y(), -1.5, 0.05);
  // Ten frames ahead without measurements it lands where the target is.
  filter.predict(10);
  const Box predicted = filter.box(), truth = truth_at(50);
  EXPECT_NEAR(predicted.x, truth.x, 1.0);
  EXPECT_NEAR(predicted.y, truth.y, 1.0);
  EXPECT_NEAR(predicted.w, truth.w, 0.5);
  EXPECT_NEAR(predicted.h, truth.h, 0.5);
}

TEST(CctvTrack, KalmanFiltersNoiseAndTracksUncertainty) {
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0.0, 2.0);
  BoxKalmanFilter filter(truth_at(0));
  double raw_error = 0.0, filtered_error = 0.0;
  for (int f = 1; f <= 80; ++f) {
    filter.predict();
    const Box t = truth_at(f);
    const Box measured{t.x + noise(rng), t.y + noise(rng), t.w + noise(rng), t.h + noise(rng)};
    filter.update(measured);
    if (f > 20) {
      raw_error += std::abs(measured.centre_x() - t.centre_x());
      filtered_error += std::abs(filter.box().centre_x() - t.centre_x());
    }
  }
  EXPECT_LT(filtered_error, raw_error * 0.8) << "the filter should smooth the measurements";
  EXPECT_NEAR(filter.velocity_x(), 3.0, 0.25);
  EXPECT_NEAR(filter.velocity_y(), -1.5, 0.25);
  // Prediction grows the uncertainty, a measurement shrinks it; the covariance stays symmetric.
  const double before = filter.covariance()(0, 0);
  filter.predict(5);
  const double predicted = filter.covariance()(0, 0);
  EXPECT_GT(predicted, before);
  filter.update(truth_at(86));
  EXPECT_LT(filter.covariance()(0, 0), predicted);
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 8; ++c) EXPECT_NEAR(filter.covariance()(r, c), filter.covariance()(c, r), 1e-9);
}

TEST(CctvTrack, KalmanMultiStepPredictEqualsSingleSteps) {
  BoxKalmanFilter a(truth_at(0)), b(truth_at(0));
  for (int f = 1; f <= 5; ++f) {
    a.predict();
    a.update(truth_at(f));
    b.predict();
    b.update(truth_at(f));
  }
  a.predict(7);
  for (int i = 0; i < 7; ++i) b.predict();
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(a.mean()(i), b.mean()(i), 1e-9);
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(a.covariance()(i, i), b.covariance()(i, i), 1e-9);
  a.predict(0);  // no-op
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(a.mean()(i), b.mean()(i), 1e-9);
  // Freezing the size keeps a shrinking box from vanishing over a long prediction.
  BoxKalmanFilter shrinking(Box{0, 0, 40, 100});
  for (int f = 1; f <= 20; ++f) {
    shrinking.predict();
    shrinking.update(Box{0, 0, 40.0 - f, 100.0 - 2 * f});
  }
  shrinking.freeze_size();
  shrinking.predict(100);
  EXPECT_GT(shrinking.box().w, 15.0);
  EXPECT_GT(shrinking.box().h, 50.0);
}

}  // namespace
}  // namespace oi::cctv
