// xray.detect's detector: decisions and their precedence on synthetic scans, parameter
// errors, and detection on a small fixed-seed simulated set (seed 4242, never used for
// tuning) with asserted minimum recall and maximum false alarms per scan. The material
// planes come from the test stand-in for xray.materials (detect_test_support.hpp).

#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "detect_test_support.hpp"
#include "oi/error.hpp"
#include "oi/xray/contract.hpp"
#include "tip_attributes.hpp"

namespace oi::xray::testing {
namespace {

namespace fs = std::filesystem;

// A parcel of cardboard-like attenuation with optional blocks of given (a_high, a_low).
struct Synthetic {
  cv::Mat high = cv::Mat(300, 300, CV_32F, cv::Scalar(0.12f)),
          low = cv::Mat(300, 300, CV_32F, cv::Scalar(0.17f));
  void block(cv::Rect r, float h, float l) {
    high(r) += h;
    low(r) += l;
  }
  std::vector<Detection> run(const DetectorParams& p = {}) const {
    return detect_threats(classify_stand_in(high, low), p);
  }
};

TEST(Detector, EmptyParcelIsClear) {
  const auto found = Synthetic{}.run();
  EXPECT_TRUE(found.empty());
  EXPECT_EQ(decide(found), decision::kClear);
}

// Part of an incomplete scan was never imaged: nothing found in it does not make it clear.
TEST(Detector, IncompleteScanIsNeverClear) {
  EXPECT_EQ(decide({}, /*scan_incomplete=*/true), decision::kCannotClear);
  const std::vector<Detection> firearm{{threat::kFirearm, cv::Rect(0, 0, 10, 10), 0.9f}};
  EXPECT_EQ(decide(firearm, true), decision::kAlarm) << "a visible threat still alarms";
  nlohmann::json detections = nlohmann::json::array();
  const TipMarking marking = mark_tip_detections(nlohmann::json::array(), detections, true);
  EXPECT_EQ(marking.decision_excluding_tip, decision::kCannotClear);
}

TEST(Detector, ImpenetrableBlockIsShieldingAndCannotClear) {
  Synthetic s;
  s.block({100, 100, 60, 50}, 8.0f, 9.5f);
  const auto found = s.run();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].threat_class, threat::kShielding);
  EXPECT_TRUE(matches(to_box(found[0].box), {100, 100, 60, 50}));
  EXPECT_EQ(decide(found), decision::kCannotClear);
}

TEST(Detector, SmallImpenetrableSpotIsNotShielding) {
  Synthetic s;
  s.block({100, 100, 10, 10}, 8.0f, 9.5f);  // a screw head on its end: cannot hide a threat
  EXPECT_EQ(decide(s.run()), decision::kClear);
}

TEST(Detector, DenseOrganicBrickIsNarcoticsAndAlarmOutranksCannotClear) {
  Synthetic s;
  s.block({40, 40, 120, 80}, 0.99f, 1.26f);  // 5 cm of cocaine: docs/xray-physics.md
  auto found = s.run();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].threat_class, threat::kNarcotics);
  EXPECT_GE(found[0].score, 0.0f);
  EXPECT_LE(found[0].score, 1.0f);
  s.block({200, 200, 60, 60}, 8.0f, 9.5f);
  found = s.run();
  EXPECT_EQ(found.size(), 2u);
  EXPECT_EQ(decide(found), decision::kAlarm) << "a visible threat outranks cannot_clear";
}

TEST(Detector, ThickSteelOfHandgunSizeIsFirearm) {
  Synthetic s;
  s.block({60, 60, 150, 30}, 2.74f, 4.42f);  // 1 cm steel slide
  s.block({60, 90, 30, 90}, 2.74f, 4.42f);   // grip and magazine: an L
  const auto found = s.run();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].threat_class, threat::kFirearm);
  EXPECT_EQ(decide(found), decision::kAlarm);
}

TEST(Detector, InconsistentParametersAreConfigErrors) {
  DetectorParams p;
  p.narcotics_zeff_min = 9;
  p.narcotics_zeff_max = 6;
  try {
    validate(p);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("narcotics_zeff_min"), std::string::npos) << e.what();
  }
  p = {};
  p.firearm_min_length_px = 500;
  EXPECT_THROW(validate(p), ConfigError);
}

TEST(Detector, MissingOrMismatchedPlaneIsAnError) {
  Synthetic s;
  ClassifiedScan c = classify_stand_in(s.high, s.low);
  c.zeff = cv::Mat();
  EXPECT_THROW(detect_threats(c, {}), Error);
  c = classify_stand_in(s.high, s.low);
  c.material_class = cv::Mat(10, 10, CV_8U, cv::Scalar(0));
  EXPECT_THROW(detect_threats(c, {}), Error);
}

TEST(Detector, DuplicatesOfOneClassAreReportedOnce) {
  const std::vector<Detection> found = {
      {threat::kNarcotics, {100, 100, 200, 100}, 0.6f},  // the same region as the next, lower score
      {threat::kNarcotics, {104, 100, 196, 100}, 0.8f},
      {threat::kFirearm, {100, 100, 200, 100}, 0.5f},    // overlaps, but another class
      {threat::kNarcotics, {250, 100, 200, 100}, 0.4f},  // IoU 0.14 with the first two: another region
      {threat::kShielding, {0, 0, 10, 10}, 0.9f},
      {threat::kShielding, {0, 0, 10, 10}, 0.9f},        // a tie: the earlier one stays
      {threat::kNarcotics, {500, 300, 400, 300}, 0.3f},  // a large region ...
      {threat::kNarcotics, {600, 350, 100, 150}, 0.5f},  // ... and a piece of it (IoU 0.125): one object
      {threat::kNarcotics, {850, 550, 100, 100}, 0.2f},  // half inside the large one: another
  };
  EXPECT_EQ(distinct_detections(found), (std::vector<std::size_t>{1, 2, 3, 4, 7, 8}));
  EXPECT_TRUE(distinct_detections({}).empty());
}

TEST(Evaluation, MatchRule) {
  EXPECT_TRUE(matches({0, 0, 10, 10}, {0, 0, 10, 10}));
  EXPECT_TRUE(matches({0, 0, 100, 100}, {40, 40, 10, 10})) << "contains the centre";
  EXPECT_FALSE(matches({0, 0, 10, 10}, {50, 50, 10, 10}));
}

// Fixed-seed simulated sets (seed 4242 with threats, 4343 without): the bounds sit below the
// figures measured when this test was written (docs/detection.md) with a margin for the
// run-to-run noise of a different libm; they are regression guards, not the targets.
constexpr int kPixels = 512;
constexpr double kMinShieldingRecall = 0.85, kMinFirearmRecall = 0.6, kMinNarcoticsRecall = 0.5;
constexpr double kMaxFalseAlarmsPerScan = 0.6;
constexpr int kMaxAlarmedClearScans =
    8;  // measured: 7 of 12 alarmed (scan Pfa far above target: docs/detection.md)

TEST(DetectorOnSimulator, ThreatSetRecallAndFalseAlarms) {
  const fs::path dir = fresh_dir("threats") / "data";
  std::string error;
  ASSERT_TRUE(make_dataset(dir, 4242, 24, 0.7, {"scanner.pixels_per_line=" + std::to_string(kPixels)}, error))
      << error;
  Evaluation e;
  for (std::size_t i = 0; i < dataset_scans(dir); ++i) {
    const CorrectedScan s = load_corrected_scan(dir, i);
    e.add(s.scan_json["ground_truth"], detect_threats(classify_stand_in(s.a_high, s.a_low), {}), 0.5);
  }
  std::printf("%s", e.table().c_str());
  EXPECT_GE(e.recall(threat::kShielding), kMinShieldingRecall);
  EXPECT_GE(e.recall(threat::kFirearm), kMinFirearmRecall);
  EXPECT_GE(e.recall(threat::kNarcotics), kMinNarcoticsRecall);
  EXPECT_LE(e.false_alarms_per_scan(), kMaxFalseAlarmsPerScan);
}

TEST(DetectorOnSimulator, ClearScansStayClear) {
  const fs::path dir = fresh_dir("clear") / "data";
  std::string error;
  ASSERT_TRUE(make_dataset(dir, 4343, 12, 0.0, {"scanner.pixels_per_line=" + std::to_string(kPixels)}, error))
      << error;
  int clear = 0;
  const std::size_t n = dataset_scans(dir);
  for (std::size_t i = 0; i < n; ++i) {
    const CorrectedScan s = load_corrected_scan(dir, i);
    const auto found = detect_threats(classify_stand_in(s.a_high, s.a_low), {});
    clear += decide(found) == decision::kClear;
  }
  std::printf("%d of %zu clear scans stayed clear\n", clear, n);
  EXPECT_GE(clear, static_cast<int>(n) - kMaxAlarmedClearScans)
      << clear << " of " << n << " clear scans stayed clear";
}

}  // namespace
}  // namespace oi::xray::testing
