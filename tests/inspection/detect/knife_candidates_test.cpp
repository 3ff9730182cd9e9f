// Knife candidates (threat_detector.cpp, find_candidates()): with a classifier's features,
// a long narrow metal region becomes a knife candidate whatever its density; a compact metal
// blob, a short strip or a wide plate does not; without features (the rules alone) there are
// no knife candidates at all.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "oi/xray/contract.hpp"
#include "threat_detector.hpp"

namespace oi::xray {
namespace {

constexpr auto kMetal = static_cast<std::uint8_t>(MaterialClass::kMetal);
constexpr auto kOrganic = static_cast<std::uint8_t>(MaterialClass::kOrganic);

// Organic clutter with metal regions drawn in (a_high 0.9: thin steel, below the firearm mask).
ClassifiedScan scan_with(const std::vector<cv::RotatedRect>& metal) {
  ClassifiedScan s;
  const int w = 600, h = 400;
  s.material_class = cv::Mat(h, w, CV_8U, cv::Scalar(kOrganic));
  s.a_high = cv::Mat(h, w, CV_32F, cv::Scalar(0.5f));
  for (const cv::RotatedRect& r : metal) {
    cv::Point2f corners[4];
    r.points(corners);
    std::vector<cv::Point> poly(corners, corners + 4);
    cv::fillConvexPoly(s.material_class, poly, cv::Scalar(kMetal));
    cv::fillConvexPoly(s.a_high, poly, cv::Scalar(0.9f));
  }
  s.a_low = s.a_high * 1.2f;
  s.zeff = cv::Mat(h, w, CV_32F, cv::Scalar(7.0f));
  s.areal_density = s.a_high * 5.0f;
  return s;
}

int knives(const ClassifiedScan& scan, bool with_features) {
  const DetectorParams params;
  const DetectionMaps maps = compute_maps(scan, params);
  int n = 0;
  for (const Candidate& c : find_candidates(scan, maps, params, with_features)) {
    if (c.threat_class != threat::kKnife) continue;
    EXPECT_FALSE(c.passes_rules) << "the rules have no knife rule";
    ++n;
  }
  return n;
}

TEST(KnifeCandidates, ALongNarrowMetalRegionAtAnyAngleIsOne) {
  EXPECT_EQ(knives(scan_with({cv::RotatedRect({300, 200}, {200, 30}, 0)}), true), 1);
  EXPECT_EQ(knives(scan_with({cv::RotatedRect({300, 200}, {200, 30}, 37)}), true), 1);
}

TEST(KnifeCandidates, CompactShortOrWideMetalIsNot) {
  EXPECT_EQ(knives(scan_with({cv::RotatedRect({150, 150}, {80, 70}, 0)}), true), 0);    // a compact blob
  EXPECT_EQ(knives(scan_with({cv::RotatedRect({150, 150}, {50, 10}, 0)}), true), 0);    // too short
  EXPECT_EQ(knives(scan_with({cv::RotatedRect({300, 200}, {300, 110}, 0)}), true), 0);  // too wide
  EXPECT_EQ(knives(scan_with({cv::RotatedRect({300, 200}, {500, 40}, 0)}), true), 0);   // too long
}

TEST(KnifeCandidates, TheRulesAloneHaveNone) {
  EXPECT_EQ(knives(scan_with({cv::RotatedRect({300, 200}, {200, 30}, 0)}), false), 0);
}

}  // namespace
}  // namespace oi::xray
