// The perspective size model of cctv.detect (size_model.hpp) on hand-made samples: the line
// through whole persons is found when fragments of persons (shorter boxes) outnumber them, and
// a few blobs of two persons one behind the other (taller boxes) do not lift it.

#include "size_model.hpp"

#include <gtest/gtest.h>

namespace oi::cctv {
namespace {

// Persons' heights in a 576-row image: height = 0.5 * bottom - 90 (60 px at row 300, 160 px
// at row 500).
double true_height(double bottom) { return 0.5 * bottom - 90.0; }

TEST(CctvDetectSizeModel, FitsWholePersonsWhenFragmentsOutnumberThem) {
  PerspectiveSizeModel model(SizeModelParams{}, 576.0);
  // 16 whole persons within 3 % of the line and 32 fragments at 45 % to 60 % of it (a torso
  // above a counter, a near person whose legs match the floor), mixed, bottoms spread over
  // rows 250 to 549.
  for (int i = 0; i < 48; ++i) {
    const double bottom = 250.0 + (i * 37) % 300;
    const double factor = i % 3 == 0 ? 0.97 + 0.02 * (i % 4) : 0.45 + 0.05 * (i % 4);
    const double height = true_height(bottom) * factor;
    model.add(bottom, height, 0.35 * height);
  }
  ASSERT_TRUE(model.fitted());
  // A line through the fragments would say about 80 px at row 500.
  EXPECT_NEAR(model.expected_height(500.0), 160.0, 10.0) << model.to_json().dump();
  EXPECT_NEAR(model.expected_height(300.0), 60.0, 6.0) << model.to_json().dump();
}

TEST(CctvDetectSizeModel, FewTallBlobsDoNotLiftTheLine) {
  PerspectiveSizeModel model(SizeModelParams{}, 576.0);
  // 30 whole persons and 5 blobs of two persons one behind the other (1.7 times as tall).
  for (int i = 0; i < 35; ++i) {
    const double bottom = 250.0 + (i * 53) % 300;
    const double factor = i % 7 == 3 ? 1.7 : 0.98 + 0.01 * (i % 5);
    const double height = true_height(bottom) * factor;
    model.add(bottom, height, 0.35 * height);
  }
  ASSERT_TRUE(model.fitted());
  EXPECT_NEAR(model.expected_height(500.0), 160.0, 10.0) << model.to_json().dump();
  EXPECT_NEAR(model.expected_height(300.0), 60.0, 6.0) << model.to_json().dump();
}

}  // namespace
}  // namespace oi::cctv
