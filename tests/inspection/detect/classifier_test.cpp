// xray.detect's region classifier (docs/detection.md, "Region classifier"): model file errors
// (missing, malformed, other format or version, candidate parameters other than the
// training's), and a small train-then-detect run on the real chain (xray.correct and
// xray.materials CPU references with a calibration fitted at test time): trained on tuning
// seed 1500, thresholds on seed 1501, evaluated on the fixed test seed 4242.

#include <gtest/gtest.h>

#include <fstream>

#include "detect_test_support.hpp"
#include "detector_training.hpp"
#include "oi/error.hpp"
#include "region_classifier.hpp"
#include "xray_inspection.hpp"

namespace oi::xray::testing {
namespace {

namespace fs = std::filesystem;

// The message of the ConfigError `f` throws (fails the test when it throws nothing else).
template <class F>
std::string config_error(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no oi::ConfigError";
  return {};
}

fs::path write_file(const std::string& name, const std::string& text) {
  const fs::path file = fresh_dir("model") / name;
  std::ofstream(file) << text;
  return file;
}

TEST(RegionClassifierFile, MissingFileNamesItAndTheTool) {
  const std::string e = config_error([] { RegionClassifier::load("/nonexistent/detector.yml"); });
  EXPECT_NE(e.find("/nonexistent/detector.yml"), std::string::npos) << e;
  EXPECT_NE(e.find("oi-train-detector"), std::string::npos) << e;
}

TEST(RegionClassifierFile, MalformedFileIsAConfigError) {
  const fs::path file = write_file("broken.yml", "%YAML:1.0\n---\nformat: [unclosed\n  : :\n");
  const std::string e = config_error([&] { RegionClassifier::load(file); });
  EXPECT_NE(e.find(file.string()), std::string::npos) << e;
  const fs::path other = write_file("other.yml", "%YAML:1.0\n---\nformat: something-else\nversion: 1\n");
  EXPECT_NE(config_error([&] { RegionClassifier::load(other); }).find("not a region classifier"), std::string::npos);
}

TEST(RegionClassifierFile, OtherVersionIsAConfigError) {
  const fs::path file = write_file("v99.yml", std::string("%YAML:1.0\n---\nformat: ") + kRegionModelFormat +
                                                  "\nversion: 99\nfeatures: " + std::to_string(kRegionFeatures) + "\n");
  const std::string e = config_error([&] { RegionClassifier::load(file); });
  EXPECT_NE(e.find("version 99"), std::string::npos) << e;
  EXPECT_NE(e.find(file.string()), std::string::npos) << e;
}

// A calibration fitted on simulated step wedges, as `make demo` fits it; once per test run.
const fs::path& calibration() {
  static const fs::path file = [] {
    const fs::path dir = fresh_dir("calibration");
    const std::string oi = std::string("'") + OI_EXE + "'";
    if (run_command(oi + " run -q '" + OI_CALIBRATION_PIPELINE + "' --set dataset.dir='" + (dir / "wedges").string() + "'",
                    dir / "wedges.log") != 0 ||
        run_command(oi + " calibrate-materials '" + (dir / "wedges").string() + "' -o '" + (dir / "cal.json").string() + "'",
                    dir / "fit.log") != 0)
      return fs::path();
    return dir / "cal.json";
  }();
  return file;
}

// Small and fast: 512-pixel lines. Bounds sit below the figures measured when the test was
// written (docs/detection.md) with a margin for a different libm; regression guards, not
// the product's targets.
constexpr int kPixels = 512;

class TrainedClassifier : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    const TrainedModel& m = trained_model(error);
    ASSERT_FALSE(m.model.empty()) << error;
    model_file_ = &m.model;
  }
  static const fs::path* model_file_;
};
const fs::path* TrainedClassifier::model_file_ = nullptr;

TEST_F(TrainedClassifier, SavedModelLoadsAndDetectsOnTheRealChain) {
  ASSERT_TRUE(model_file_);
  DetectorParams params;
  params.classifier = RegionClassifier::load(*model_file_);
  validate(params);
  const MaterialTable table = training::load_material_table(calibration());
  const fs::path dir = fresh_dir("evaluate") / "data";
  std::string error;
  ASSERT_TRUE(make_dataset(dir, 4242, 40, 0.7, {"scanner.pixels=" + std::to_string(kPixels)}, error)) << error;
  Evaluation with_model, rules_only;
  const CorrectedDataset data(dir);
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto s = data.scan(i);
    const ClassifiedScan c = training::classify_materials(s.a_high, s.a_low, table);
    const auto found = detect_threats(c, params);
    for (const Detection& d : found) {
      EXPECT_GE(d.score, params.classifier->threshold(d.threat_class));
      EXPECT_LE(d.score, 1.0f);
    }
    with_model.add(s.json["ground_truth"], found, 0.5);
    rules_only.add(s.json["ground_truth"], detect_threats(c, DetectorParams{}), 0.5);
  }
  std::printf("with the classifier:\n%srules only:\n%s", with_model.table().c_str(), rules_only.table().c_str());
  EXPECT_GE(with_model.recall(threat::kShielding), 0.9);
  EXPECT_GE(with_model.recall(threat::kFirearm), 0.6);
  EXPECT_LE(with_model.false_alarms_per_scan(), 0.5);
  EXPECT_LT(with_model.false_alarms_per_scan(), rules_only.false_alarms_per_scan())
      << "the classifier exists to reject the rules' false alarms";
}

TEST_F(TrainedClassifier, CandidateParameterOtherThanTrainingIsAConfigError) {
  ASSERT_TRUE(model_file_);
  DetectorParams params;
  params.classifier = RegionClassifier::load(*model_file_);
  params.narcotics_zeff_min = 5.0f;
  const std::string e = config_error([&] { validate(params); });
  EXPECT_NE(e.find("narcotics_zeff_min"), std::string::npos) << e;
  EXPECT_NE(e.find("retrain"), std::string::npos) << e;
}

}  // namespace

const TrainedModel& trained_model(std::string& error) {
  static std::string problem;
  static const TrainedModel trained = []() -> TrainedModel {
    if (calibration().empty()) {
      problem = "fitting the material calibration failed; see the logs under " + fresh_dir("calibration").parent_path().string();
      return {};
    }
    training::TrainingOptions o;
    o.calibration = calibration();
    const fs::path root = fresh_dir("training");
    if (!make_dataset(root / "train", 1500, 160, 0.6, {"scanner.pixels=" + std::to_string(kPixels)}, problem) ||
        !make_dataset(root / "validate", 1501, 60, 0.6, {"scanner.pixels=" + std::to_string(kPixels)}, problem))
      return {};
    o.training = {root / "train"};
    o.validation = {root / "validate"};
    o.forest.trees = 60;
    o.false_alarm_budget = {{threat::kFirearm, 0.05}, {threat::kNarcotics, 0.05}, {threat::kShielding, 0.05}};
    training::TrainingResult r = training::train_region_classifier(o);
    r.model->save(root / "detector.yml", r.provenance());
    return {calibration(), root / "detector.yml"};
  }();
  error = problem;
  return trained;
}

}  // namespace oi::xray::testing
