// The LOMO descriptor's CPU reference (plugins/stages/reid/core/lomo.hpp) on inputs whose
// counts can be worked out by hand: uniform crops, single pixels' HSV codes, a vertical step
// edge's SILTP codes; its invariances (a gain change under the illumination normalisation,
// a mirrored crop) and its errors. Test names ReidLomo.*.
#include "lomo.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <opencv2/core.hpp>

#include "embed_test_support.hpp"
#include "oi/error.hpp"

namespace oi::reid::testing {
namespace {

class ReidLomo : public ReidTest {};

LomoParams without_normalisation() {
  LomoParams p;
  p.illumination_normalisation = false;
  return p;
}

TEST_F(ReidLomo, DimensionAndLayoutAreLomos) {
  EXPECT_EQ(lomo_dimension(), 26960u);
  const LomoLayout l = lomo_layout({});
  ASSERT_EQ(l.levels.size(), 3u);
  // 128x48: rows (128 - 10) / 5 + 1 = 24, windows (48 - 10) / 5 + 1 = 8; then 64x24, 32x12.
  EXPECT_EQ(l.levels[0].rows, 24);
  EXPECT_EQ(l.levels[0].columns, 8);
  EXPECT_EQ(l.levels[1].width, 24);
  EXPECT_EQ(l.levels[1].rows, 11);
  EXPECT_EQ(l.levels[1].columns, 3);
  EXPECT_EQ(l.levels[2].height, 32);
  EXPECT_EQ(l.levels[2].rows, 5);
  EXPECT_EQ(l.levels[2].columns, 1);
  EXPECT_EQ(l.rows, 40);
  EXPECT_EQ(l.hsv_size, 40u * 512u);
  EXPECT_EQ(l.siltp_size, 40u * 81u);
  EXPECT_EQ(l.block_offset(2), 20480u + 3240u);
  EXPECT_EQ(l.pixels, 6144u + 1536u + 384u);
  EXPECT_EQ(l.first_row(2), 35);
}

TEST_F(ReidLomo, HsvCodesOfSinglePixels) {
  // (v S + s) H + h with MATLAB rgb2hsv's bins, worked out by hand.
  EXPECT_EQ(lomo_hsv_code(0, 0, 0), 0);
  EXPECT_EQ(lomo_hsv_code(128, 128, 128), 4 * 64);             // V 1024/255 = 4.02, no saturation
  EXPECT_EQ(lomo_hsv_code(200, 100, 50), 6 * 64 + 6 * 8 + 0);  // h = 50/150/6 = 0.056
  EXPECT_EQ(lomo_hsv_code(50, 200, 100), 6 * 64 + 6 * 8 + 3);  // h = (2 + 50/150)/6 = 0.389
  EXPECT_EQ(lomo_hsv_code(0, 0, 255), 7 * 64 + 7 * 8 + 5);     // blue, h = 4/6
  EXPECT_EQ(lomo_hsv_code(255, 255, 0), 7 * 64 + 7 * 8 + 1);   // yellow: green wins the tie, h = 1/6
  EXPECT_EQ(lomo_hsv_code(255, 0, 255), 7 * 64 + 7 * 8 + 6);   // magenta: blue wins, h = 5/6
  EXPECT_EQ(lomo_hsv_code(255, 0, 32), 7 * 64 + 7 * 8 + 7);    // red towards magenta, h = 1 - 32/255/6
  EXPECT_EQ(lomo_hsv_code(255, 0, 0), 7 * 64 + 7 * 8 + 0);
}

TEST_F(ReidLomo, UniformCropHasOneBinPerRow) {
  const LomoParams p = without_normalisation();
  const cv::Mat crop(128, 48, CV_8UC3, cv::Scalar(200, 100, 50));
  const std::vector<std::uint16_t> counts = lomo_counts(crop, p);
  const LomoLayout l = lomo_layout(p);
  ASSERT_EQ(counts.size(), l.dimension);
  // Every window of every row: 100 pixels of HSV code 432 and SILTP code 0 (no neighbour
  // differs), at every level (pooling keeps the bins).
  for (int row = 0; row < l.rows; ++row) {
    for (int bin = 0; bin < 512; ++bin)
      ASSERT_EQ(counts[static_cast<std::size_t>(row * 512 + bin)], bin == 432 ? 100 : 0)
          << "row " << row << " bin " << bin;
    for (int b = 1; b <= 2; ++b)
      for (int bin = 0; bin < 81; ++bin)
        ASSERT_EQ(counts[l.block_offset(b) + static_cast<std::size_t>(row * 81 + bin)], bin == 0 ? 100 : 0);
  }
  // log(101) in 40 places per block, L2 normalised: 1 / sqrt(40) each.
  const std::vector<float> d = lomo_descriptor(crop, p);
  EXPECT_NEAR(d[432], 1.0 / std::sqrt(40.0), 1e-7);
  EXPECT_NEAR(d[l.block_offset(1)], 1.0 / std::sqrt(40.0), 1e-7);
  EXPECT_NEAR(std::accumulate(d.begin(), d.end(), 0.0), 3 * 40 / std::sqrt(40.0), 1e-4);
  // The illumination normalisation makes a uniform crop white: V 7, S 0, H 0.
  const std::vector<std::uint16_t> white = lomo_counts(crop, {});
  EXPECT_EQ(white[7 * 64], 100);
  EXPECT_EQ(white[432], 0);
}

TEST_F(ReidLomo, SiltpCodesOfAVerticalEdge) {
  // Gray 60 left of column 24, 200 from there: gray of (v, v, v) is v. With R = 3, columns
  // 21..23 see a brighter right neighbour (200 > 1.3 x 60: code 2), columns 24..26 a darker
  // left one (60 < 0.7 x 200: code 9); every other pixel has code 0. The window at x 20 holds
  // 3 x 10 of each, the one at 0 only zeros: row maxima 100 / 30 / 30. With R = 5, 5 columns
  // each side: the windows at 15 and 20 hold 50 of code 2 and of code 9.
  const LomoParams p = without_normalisation();
  cv::Mat crop(128, 48, CV_8UC3, cv::Scalar(60, 60, 60));
  crop(cv::Rect(24, 0, 24, 128)).setTo(cv::Scalar(200, 200, 200));
  const std::vector<std::uint16_t> counts = lomo_counts(crop, p);
  const LomoLayout l = lomo_layout(p);
  for (int row = 0; row < l.levels[0].rows; ++row) {
    const auto r3 = [&](int bin) {
      return counts[l.block_offset(1) + static_cast<std::size_t>(row * 81 + bin)];
    };
    const auto r5 = [&](int bin) {
      return counts[l.block_offset(2) + static_cast<std::size_t>(row * 81 + bin)];
    };
    for (int bin = 0; bin < 81; ++bin) {
      ASSERT_EQ(r3(bin), bin == 0 ? 100 : (bin == 2 || bin == 9 ? 30 : 0))
          << "R 3, row " << row << ", bin " << bin;
      ASSERT_EQ(r5(bin), bin == 0 ? 100 : (bin == 2 || bin == 9 ? 50 : 0))
          << "R 5, row " << row << ", bin " << bin;
    }
  }
  // Level 1 (24 wide, the edge at 12, sums of four): R 3 codes 2 at 9..11 and 9 at 12..14;
  // windows at 0, 5, 10: the one at 0 has 9 zeros a row, the one at 5 three of each code.
  const std::size_t first = l.block_offset(1) + static_cast<std::size_t>(l.first_row(1)) * 81;
  EXPECT_EQ(counts[first + 0], 90);
  EXPECT_EQ(counts[first + 2], 30);
  EXPECT_EQ(counts[first + 9], 30);
}

TEST_F(ReidLomo, GainChangeIsRemovedByTheIlluminationNormalisation) {
  // x2 of values below 128 maps 8-bit values to 8-bit values exactly: the normalised crops are
  // equal, so are the descriptors. A colour cast (x2 on red and blue only) too.
  const cv::Mat dark = noise({48, 128}, 3, 127) / 4 + person_like({48, 128}, 3) / 4;  // at most 96
  cv::Mat brighter = dark * 2;
  std::vector<cv::Mat> channels;
  cv::split(dark, channels);
  channels[0] *= 2;
  channels[2] *= 2;
  cv::Mat cast;
  cv::merge(channels, cast);
  const std::vector<float> reference = lomo_descriptor(dark);
  EXPECT_EQ(lomo_descriptor(brighter), reference);
  EXPECT_EQ(lomo_descriptor(cast), reference);
  // Without it they differ (the test can fail).
  EXPECT_GT(max_difference(lomo_descriptor(brighter, without_normalisation()),
                           lomo_descriptor(dark, without_normalisation())),
            0.01);
  EXPECT_EQ(lomo_white_point(dark) * 2, lomo_white_point(brighter));
}

TEST_F(ReidLomo, MirroredCropKeepsHsvAndSwapsSiltpDigits) {
  // 40 pixels wide, the windows of every level (40, 20, 10 wide) mirror onto windows and the
  // 2 x 2 pools onto pools: the HSV block is the same; in SILTP left and right swap, so code
  // t0 + 3 t1 + 9 t2 + 27 t3 becomes t2 + 3 t1 + 9 t0 + 27 t3.
  LomoParams p;
  p.width = 40;
  for (int seed = 0; seed < 3; ++seed) {
    const cv::Mat crop = person_like({40, 128}, seed);
    cv::Mat mirrored;
    cv::flip(crop, mirrored, 1);
    const std::vector<std::uint16_t> a = lomo_counts(crop, p), b = lomo_counts(mirrored, p);
    const LomoLayout l = lomo_layout(p);
    for (std::size_t i = 0; i < l.hsv_size; ++i) ASSERT_EQ(a[i], b[i]) << "HSV value " << i;
    for (int block = 1; block < l.blocks; ++block) {
      for (int row = 0; row < l.rows; ++row) {
        for (int code = 0; code < 81; ++code) {
          const int t0 = code % 3, t1 = code / 3 % 3, t2 = code / 9 % 3, t3 = code / 27;
          const int swapped = t2 + 3 * t1 + 9 * t0 + 27 * t3;
          const std::size_t at = l.block_offset(block) + static_cast<std::size_t>(row * 81);
          ASSERT_EQ(a[at + static_cast<std::size_t>(code)], b[at + static_cast<std::size_t>(swapped)])
              << "block " << block << " row " << row << " code " << code;
        }
      }
    }
    // Not trivially so: the crop is not symmetric.
    EXPECT_NE(lomo_counts(crop, p), lomo_counts(mirrored, p));
  }
}

TEST_F(ReidLomo, BlocksAreL2NormalisedAndResizingIsApplied) {
  const cv::Mat crop = person_like({37, 101}, 7);
  const std::vector<float> d = lomo_descriptor(crop);
  const LomoLayout l = lomo_layout({});
  ASSERT_EQ(d.size(), l.dimension);
  for (int b = 0; b < l.blocks; ++b) {
    double sum = 0.0;
    for (std::size_t i = l.block_offset(b); i < l.block_offset(b) + l.block_size(b); ++i) {
      ASSERT_GE(d[i], 0.0f);
      sum += static_cast<double>(d[i]) * d[i];
    }
    EXPECT_NEAR(sum, 1.0, 1e-6) << "block " << b;
  }
  EXPECT_EQ(d, lomo_finish(lomo_counts(lomo_resize(crop, {}), {}), {}));
  EXPECT_EQ(lomo_resize(crop, {}).size(), cv::Size(48, 128));
}

TEST_F(ReidLomo, CropPersonClipsToTheImage) {
  const cv::Mat image(240, 320, CV_8UC3, cv::Scalar(1, 2, 3));
  const cv::Mat inside = crop_person(image, {10.4, 20.6, 30.0, 60.0});
  EXPECT_EQ(inside.size(), cv::Size(30, 60));  // edges 10..40, 21..81
  EXPECT_EQ(inside.data, image.ptr(21, 10));   // a view
  EXPECT_EQ(crop_person(image, {-20, 200, 50, 100}).size(), cv::Size(30, 40));
  EXPECT_TRUE(crop_person(image, {315, 10, 40, 80}).empty());  // 5 columns left: fewer than 8
  EXPECT_FALSE(crop_person(image, {315, 10, 40, 80}, 5).empty());
  EXPECT_TRUE(crop_person(image, {400, 10, 40, 80}).empty());
  EXPECT_TRUE(crop_person(cv::Mat(), {0, 0, 10, 10}).empty());
}

TEST_F(ReidLomo, BadInputsAndParametersAreErrors) {
  EXPECT_THROW(lomo_descriptor(cv::Mat()), Error);
  EXPECT_THROW(lomo_descriptor(cv::Mat(128, 48, CV_8UC1, cv::Scalar(0))), Error);
  EXPECT_THROW(lomo_descriptor(cv::Mat(128, 48, CV_32FC3, cv::Scalar(0))), Error);
  EXPECT_THROW(lomo_counts(cv::Mat(100, 48, CV_8UC3, cv::Scalar(0))), Error);  // not resized
  const auto bad = [](auto change) {
    LomoParams p;
    change(p);
    return p;
  };
  EXPECT_THROW(lomo_layout(bad([](LomoParams& p) { p.window = 60; })), ConfigError);
  EXPECT_THROW(lomo_layout(bad([](LomoParams& p) { p.scales = 7; })), ConfigError);
  EXPECT_THROW(lomo_layout(bad([](LomoParams& p) { p.siltp_tau = 0.0f; })), ConfigError);
  EXPECT_THROW(lomo_layout(bad([](LomoParams& p) { p.siltp_radii.clear(); })), ConfigError);
  EXPECT_THROW(lomo_layout(bad([](LomoParams& p) { p.hue_bins = 0; })), ConfigError);
  EXPECT_THROW(lomo_layout(bad([](LomoParams& p) { p.step = 0; })), ConfigError);
  try {
    lomo_layout(bad([](LomoParams& p) { p.window = 60; }));
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("48x128"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace oi::reid::testing
