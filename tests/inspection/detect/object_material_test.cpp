// Object-own material (object_material.hpp) on hand-made patches: the harmonic in-painting
// reproduces a linear background exactly (a harmonic function), an object lying on a sloping
// background gives back its own attenuation and ratio, neighbouring candidates left out of
// the background do not bias it, and a patch with no background is reported as such.
#include "object_material.hpp"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>

namespace oi::xray {
namespace {

// a + bx * x + by * y over a rows x cols patch.
cv::Mat ramp(int rows, int cols, float a, float bx, float by) {
  cv::Mat m(rows, cols, CV_32F);
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < cols; ++x)
      m.at<float>(y, x) = a + bx * static_cast<float>(x) + by * static_cast<float>(y);
  return m;
}

TEST(ObjectMaterial, InpaintingReproducesALinearBackground) {
  const cv::Mat truth = ramp(30, 40, 1.0f, 0.02f, -0.01f);
  cv::Mat values = truth.clone();
  cv::Mat unknown = cv::Mat::zeros(truth.size(), CV_8U);
  unknown(cv::Rect(8, 6, 20, 15)).setTo(255);
  values.setTo(9.0f, unknown);  // what lies under the region is not used
  ASSERT_TRUE(inpaint_harmonic(values, unknown, 40));
  double worst = 0;
  cv::minMaxLoc(cv::abs(values - truth), nullptr, &worst);
  EXPECT_LT(worst, 1e-4);
}

TEST(ObjectMaterial, InpaintingOfACurvedBackgroundIsHarmonic) {
  // x^2 - y^2 is harmonic: its discrete Laplacian is 0, so it is what the sweeps converge to;
  // the row/column start is off by the curvature, the sweeps remove it.
  cv::Mat truth(24, 24, CV_32F);
  for (int y = 0; y < 24; ++y)
    for (int x = 0; x < 24; ++x)
      truth.at<float>(y, x) = 0.01f * static_cast<float>((x - 12) * (x - 12) - (y - 12) * (y - 12));
  cv::Mat values = truth.clone(), unknown = cv::Mat::zeros(truth.size(), CV_8U);
  unknown(cv::Rect(6, 6, 12, 12)).setTo(255);
  values.setTo(0.0f, unknown);
  cv::Mat few = values.clone();
  ASSERT_TRUE(inpaint_harmonic(few, unknown, 0));
  ASSERT_TRUE(inpaint_harmonic(values, unknown, 200));
  double start = 0, converged = 0;
  cv::minMaxLoc(cv::abs(few - truth), nullptr, &start);
  cv::minMaxLoc(cv::abs(values - truth), nullptr, &converged);
  EXPECT_GT(start, 0.05);  // a straight line across a curved surface is off
  EXPECT_LT(converged, 1e-3);
}

TEST(ObjectMaterial, AnObjectOnASlopingBackgroundKeepsItsOwnRatio) {
  // Background: a_high 1 + 0.02x, a_low 1.3 + 0.03x (clutter getting thicker across the patch).
  // The object adds 0.5 in a_high and 0.6 in a_low: R = 1.2, whatever lies under it.
  cv::Mat high = ramp(40, 50, 1.0f, 0.02f, 0.0f), low = ramp(40, 50, 1.3f, 0.03f, 0.0f);
  cv::Mat own = cv::Mat::zeros(high.size(), CV_8U);
  const cv::Rect box(15, 10, 20, 18);
  own(box).setTo(255);
  high(box) += 0.5f;
  low(box) += 0.6f;
  const ObjectMaterial m = object_material(high, low, own, cv::Mat());
  ASSERT_TRUE(m.valid);
  EXPECT_NEAR(m.added_high, 0.5, 1e-4);
  EXPECT_NEAR(m.added_low, 0.6, 1e-4);
  EXPECT_NEAR(m.ratio, 1.2, 1e-3);
  // Background under the region: mean of 1 + 0.02x over x = 15..34, i.e. 1 + 0.02 * 24.5.
  EXPECT_NEAR(m.background_high, 1.49, 1e-4);
  EXPECT_NEAR(m.background_ratio, (1.3 + 0.03 * 24.5) / 1.49, 1e-4);
  EXPECT_NEAR(m.confidence, 0.5 / (0.5 + 1.49), 1e-4);
  EXPECT_NEAR(m.added_relative_std, 0.0, 1e-3);
  // The whole-region mixture's ratio is not the object's.
  EXPECT_GT(std::abs(cv::mean(low, own)[0] / cv::mean(high, own)[0] - 1.2), 0.05);
}

TEST(ObjectMaterial, ALargeRegionIsInpaintedOnACoarserGrid) {
  // 200 x 300 patch (above the 48-pixel grid): a linear background stays linear on the coarse
  // grid and interpolates back; only the cells at the region's edge mix object and ring.
  cv::Mat high = ramp(200, 300, 2.0f, 0.004f, 0.002f), low = ramp(200, 300, 2.5f, 0.005f, 0.003f);
  cv::Mat own = cv::Mat::zeros(high.size(), CV_8U);
  const cv::Rect box(60, 40, 180, 120);
  own(box).setTo(255);
  high(box) += 0.8f;
  low(box) += 0.9f;
  const ObjectMaterial m = object_material(high, low, own, cv::Mat());
  ASSERT_TRUE(m.valid);
  EXPECT_NEAR(m.added_high, 0.8, 0.02);
  EXPECT_NEAR(m.ratio, 0.9 / 0.8, 0.02);
}

TEST(ObjectMaterial, NeighbouringCandidatesAreNotTakenForBackground) {
  cv::Mat high(40, 50, CV_32F, cv::Scalar(1.0f)), low(40, 50, CV_32F, cv::Scalar(1.4f));
  cv::Mat own = cv::Mat::zeros(high.size(), CV_8U), other = cv::Mat::zeros(high.size(), CV_8U);
  own(cv::Rect(10, 10, 15, 15)).setTo(255);
  other(cv::Rect(25, 5, 20, 30)).setTo(255);  // a dense neighbour touching the region's right side
  high.setTo(1.3f, own);
  low.setTo(1.7f, own);
  high.setTo(4.0f, other);
  low.setTo(4.0f, other);
  const ObjectMaterial with = object_material(high, low, own, other);
  ASSERT_TRUE(with.valid);
  EXPECT_NEAR(with.added_high, 0.3, 1e-4);
  EXPECT_NEAR(with.ratio, 1.0, 1e-3);
  const ObjectMaterial without = object_material(high, low, own, cv::Mat());
  EXPECT_LT(without.added_high, 0.2);  // the neighbour raised the background estimate
}

TEST(ObjectMaterial, NoBackgroundAroundTheRegionIsReported) {
  cv::Mat high(10, 10, CV_32F, cv::Scalar(2.0f)), low = high.clone();
  cv::Mat own(10, 10, CV_8U, cv::Scalar(255));
  EXPECT_FALSE(object_material(high, low, own, cv::Mat()).valid);
  cv::Mat values = high.clone();
  EXPECT_FALSE(inpaint_harmonic(values, own));
  EXPECT_EQ(values.at<float>(3, 3), 2.0f);
}

}  // namespace
}  // namespace oi::xray
