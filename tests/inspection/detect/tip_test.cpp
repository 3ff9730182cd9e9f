// xray.tip and xray.detect as stages (loaded from the build tree's plugin): TIP insertion adds
// exactly the patch's attenuation inside its box and nothing elsewhere, is marked in `tip`,
// and xray.detect marks the detections that find it and counts them; bad libraries and bad
// parameters are configuration errors that say what and where.

#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/core.hpp>
#include <utility>

#include "detect_test_support.hpp"
#include "oi/error.hpp"
#include "oi/frame_cv.hpp"
#include "oi/plugin_registry.hpp"
#include "oi/stage.hpp"
#include "oi/xray/contract.hpp"
#include "region_classifier.hpp"
#include "stage_under_test.hpp"
#include "tip_attributes.hpp"
#include "tip_recorder.hpp"

namespace oi::xray::testing {
namespace {

namespace fs = std::filesystem;

const PluginRegistry& registry() { return oi::test::plugin_registry(OI_DETECT_PLUGIN); }

// A stage of `type` from the detect plugin, set up and started with `params` over its
// defaults; run() fails the test when the stage does.
class StageUnderTest : public oi::test::StageUnderTest {
 public:
  StageUnderTest(const std::string& type, const nlohmann::json& params)
      : oi::test::StageUnderTest(registry(), type, params, type) {}
  FramePtr run(FramePtr input) {
    FramePtr out;
    const Status s = oi::test::StageUnderTest::run(std::move(input), out);
    EXPECT_TRUE(s.is_ok()) << s.message();
    return out;
  }
};

FramePtr scan_frame(const ClassifiedScan& c) {
  FramePtr f = Frame::create(std::string(oi::xray::frame_kind::kScan));
  auto put = [&](const char* name, const cv::Mat& m, PixelFormat fmt) {
    m.copyTo(as_mat(f->add_plane(name, fmt, m.cols, m.rows)));
  };
  put(plane::kAHigh, c.a_high, PixelFormat::kF32);
  put(plane::kALow, c.a_low, PixelFormat::kF32);
  if (!c.zeff.empty()) {
    put(plane::kZeff, c.zeff, PixelFormat::kF32);
    put(plane::kMaterialClass, c.material_class, PixelFormat::kU8);
    put(plane::kArealDensity, c.areal_density, PixelFormat::kF32);
  }
  return f;
}

// One library per test process, recorded from the simulator (seed 7001: threats on empty
// containers) under the build tree's temporary area, not in git.
const fs::path& library_dir() {
  static const fs::path dir = [] {
    const fs::path work = fresh_dir("tip_library");
    record_tip_library_from_sim(work, work / "library", 7001, 12, 512, 4);
    return work / "library";
  }();
  return dir;
}

// A clear parcel: 0.3 of attenuation everywhere, so every patch fits and nothing saturates.
ClassifiedScan parcel() {
  return ClassifiedScan{
      cv::Mat(400, 512, CV_32F, cv::Scalar(0.3f)), cv::Mat(400, 512, CV_32F, cv::Scalar(0.4f)), {}, {}, {}};
}

TEST(TipLibrary, RecordedFromSimulatorAndRoundTrips) {
  const TipLibrary lib = TipLibrary::load(library_dir());
  ASSERT_FALSE(lib.threats.empty());
  for (const TipThreat& t : lib.threats) {
    EXPECT_EQ(t.high.size(), t.low.size());
    double lo = 0, hi = 0;
    cv::minMaxLoc(t.high, &lo, &hi);
    EXPECT_GE(lo, 0.0);
    EXPECT_GT(hi, 0.05) << t.id << ": a threat must attenuate";
  }
}

TEST(TipStage, AddsPatchExactlyInsideBoxAndMarksIt) {
  const TipLibrary lib = TipLibrary::load(library_dir());
  StageUnderTest tip("xray.tip", {{"library", library_dir().string()}, {"rate", 1.0}, {"seed", 3}});
  const ClassifiedScan before = parcel();
  FramePtr out = tip.run(scan_frame(before));
  ASSERT_TRUE(out);
  const nlohmann::json& marks = out->metadata().attributes[attr::kTip];
  ASSERT_EQ(marks.size(), 1u) << marks.dump();
  const cv::Rect box = box_from_json(marks[0]["box"]);
  const std::string id = marks[0]["tip_id"];
  const TipThreat* threat = nullptr;
  for (const TipThreat& t : lib.threats)
    if (id.size() >= t.id.size() && id.compare(id.size() - t.id.size(), t.id.size(), t.id) == 0) threat = &t;
  ASSERT_NE(threat, nullptr) << "tip_id " << id << " names no library threat";
  EXPECT_EQ(marks[0]["class"], threat->threat_class);
  ASSERT_EQ(box.size(), threat->high.size());
  for (auto [name, patch, base] : {std::tuple{plane::kAHigh, &threat->high, &before.a_high},
                                   {plane::kALow, &threat->low, &before.a_low}}) {
    const cv::Mat after = as_mat(out->plane(name));
    cv::Mat diff = after - *base;
    // Exactly the patch, except where the sum reaches kMaxAttenuation (the chain's ceiling).
    cv::Mat expected = cv::min((*base)(box) + *patch, static_cast<double>(kMaxAttenuation)) - (*base)(box);
    cv::Mat inside = diff(box) - expected;
    EXPECT_LE(cv::norm(inside, cv::NORM_INF), 1e-5)
        << name << ": a_after - a_before must equal the patch inside the box";
    diff(box).setTo(0);
    EXPECT_EQ(cv::norm(diff, cv::NORM_INF), 0.0) << name << ": nothing may change outside the box";
  }
  EXPECT_EQ(tip.summary()["inserted"], 1);
}

TEST(TipStage, RateZeroInsertsNothingAndKeepsPlanes) {
  StageUnderTest tip("xray.tip", {{"library", library_dir().string()}, {"rate", 0.0}});
  const ClassifiedScan before = parcel();
  FramePtr out = tip.run(scan_frame(before));
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->metadata().attributes[attr::kTip].empty());
  EXPECT_EQ(cv::norm(as_mat(out->plane(plane::kAHigh)) - before.a_high, cv::NORM_INF), 0.0);
}

TEST(TipAccounting, DetectMarksTipDetectionsAndCountsThem) {
  const TipLibrary lib = TipLibrary::load(library_dir());
  StageUnderTest tip("xray.tip", {{"library", library_dir().string()}, {"rate", 1.0}, {"seed", 11}});
  // Rule scores alone: the stand-in classification is not the calibration the shipped
  // classifier learnt from.
  StageUnderTest detect("xray.detect", {{"classifier", false}});
  int inserted = 0, detected = 0;
  for (int i = 0; i < 6; ++i) {
    FramePtr t = tip.run(scan_frame(parcel()));
    ASSERT_TRUE(t);
    const ClassifiedScan c =
        classify_stand_in(as_mat(t->plane(plane::kAHigh)).clone(), as_mat(t->plane(plane::kALow)).clone());
    FramePtr in = scan_frame(c);
    in->metadata().attributes = t->metadata().attributes;
    FramePtr d = detect.run(in);
    ASSERT_TRUE(d);
    const nlohmann::json& a = d->metadata().attributes;
    ASSERT_TRUE(a.contains(attr::kDecision));
    ASSERT_TRUE(a.contains(kDecisionExcludingTip));
    EXPECT_EQ(a[kDecisionExcludingTip], decision::kClear) << "the parcel holds nothing real: " << a.dump();
    for (const auto& m : a[attr::kTip]) {
      ++inserted;
      detected += m["detected"].get<bool>();
    }
    for (const auto& det : a[attr::kDetections]) EXPECT_TRUE(det["tip"].get<bool>()) << a.dump();
  }
  const nlohmann::json s = detect.summary();
  EXPECT_EQ(s["tip"]["inserted"], inserted);
  EXPECT_EQ(s["tip"]["detected"], detected);
  EXPECT_EQ(inserted, 6);
  EXPECT_GE(detected, 1) << "projected threats on an empty parcel should mostly be found";
}

TEST(TipStage, BadLibraryIsAConfigErrorNamingTheFile) {
  const fs::path dir = fresh_dir("bad_library");
  auto start = [&] { StageUnderTest tip("xray.tip", {{"library", dir.string()}}); };
  try {
    start();
    FAIL() << "a missing library.json was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("library.json"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "library.json") << "{\"format\": \"something-else\", \"version\": 1, \"threats\": []}";
  EXPECT_THROW(start(), ConfigError);
  std::ofstream(dir / "library.json", std::ios::trunc)
      << R"({"format": "openinspect-tip-library", "version": 1, "threats": [{"id": "x", "class": "firearm", "width": 4,
            "height": 4, "high": "x_high.f32", "low": "x_low.f32"}]})";
  std::ofstream(dir / "x_high.f32", std::ios::binary) << "short";
  try {
    start();
    FAIL() << "a truncated patch was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("x_high.f32"), std::string::npos) << e.what();
  }
}

// An operator must never clear a scan missing part of the parcel: the stage's decision for an
// incomplete scan with nothing found is cannot_clear, with the reason.
TEST(DetectStage, IncompleteScanIsCannotClearWithTheReason) {
  StageUnderTest detect("xray.detect", {{"backend", "cpu"}});
  const ClassifiedScan empty =
      classify_stand_in(cv::Mat::zeros(64, 64, CV_32F), cv::Mat::zeros(64, 64, CV_32F));
  FramePtr whole = detect.run(scan_frame(empty));
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->metadata().attributes[attr::kDecision], decision::kClear);
  EXPECT_FALSE(whole->metadata().attributes.contains(attr::kDecisionReason));

  FramePtr cut = scan_frame(empty);
  cut->metadata().incomplete = true;
  cut->metadata().attributes["incomplete_reason"] = "1 block(s) of the scan never arrived (lost upstream)";
  FramePtr out = detect.run(cut);
  ASSERT_TRUE(out);
  const nlohmann::json& a = out->metadata().attributes;
  EXPECT_EQ(a[attr::kDecision], decision::kCannotClear) << a.dump();
  ASSERT_TRUE(a.contains(attr::kDecisionReason)) << a.dump();
  EXPECT_NE(a[attr::kDecisionReason].get<std::string>().find("never arrived"), std::string::npos) << a.dump();
  EXPECT_NE(a[attr::kDecisionReason].get<std::string>().find("rescan"), std::string::npos) << a.dump();
  EXPECT_EQ(detect.summary()["decisions"][decision::kCannotClear], 1);
}

TEST(DetectStage, BadParametersAndMissingPlanesAreErrors) {
  EXPECT_THROW(StageUnderTest("xray.detect", {{"narcotics_zeff_min", 9.0}, {"narcotics_zeff_max", 6.0}}),
               ConfigError);
  FramePtr f = scan_frame(parcel());  // no zeff / material_class / areal_density
  oi::test::StageUnderTest stage(registry(), "xray.detect", nlohmann::json::object(), "detect");
  FramePtr out;
  const Status s = stage.run(f, out);
  ASSERT_TRUE(s.is_error());
  EXPECT_NE(s.message().find("zeff"), std::string::npos) << s.message();
}

// With `model` left empty the stage loads the region classifier that ships with OpenInspect
// (beside the build tree's SDK library, as beside an installed one); `classifier: false` loads
// none; a model that is not there names itself and the ways out.
TEST(DetectStage, UsesTheShippedClassifierUnlessToldOtherwise) {
  StageUnderTest shipped("xray.detect", {{"backend", "cpu"}});
  const std::string model = shipped.summary()["model"].get<std::string>();
  EXPECT_EQ(fs::path(model).filename(), kShippedRegionModel) << model;
  EXPECT_TRUE(fs::is_regular_file(model)) << model;

  StageUnderTest rules("xray.detect", {{"backend", "cpu"}, {"classifier", false}});
  EXPECT_EQ(rules.summary()["model"], "none (rule scores alone)");

  const fs::path missing = fresh_dir("no-model") / "site.yml.gz";
  try {
    StageUnderTest("xray.detect", {{"model", missing.string()}});
    FAIL() << "a model that is not there was accepted";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(missing.string()), std::string::npos) << what;
    EXPECT_NE(what.find("classifier: false"), std::string::npos) << what;
    EXPECT_NE(what.find("oi-train-detector"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace oi::xray::testing
