// `oi calibrate-materials` and xray.materials end to end on simulated step wedges:
// calibrate on wedge scans of seed A, classify wedge scans of seed B (never used for the
// fit), and measure the material class accuracy within the penetrable range (target of issue
// 6: >= 98 %). Also the command's errors (exit status 2).
//
// Protocol (docs/materials.md): per wedge step of the B scans, the pixels of its box interior
// (the box shrunk by the smoothing radius + 2 pixels and by 10 % per side, so no pixel's
// smoothing window reaches a neighbouring step); a step counts as within the penetrable range
// when its mean A_high and A_low lie at least kFloorMargin below the calibration's noise
// floor; a pixel is correct when its class is the step material's (polyethylene, POM:
// organic; aluminium: inorganic; steel, lead: metal).

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/core.hpp>

#include "gpu_test_fixture.hpp"
#include "materials_test_support.hpp"
#include "oi/frame_cv.hpp"
#include "oi/xray/contract.hpp"

namespace oi::xray::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kPixels = 256;  // detector pixels: small for test time
constexpr int kSeedCalibrate = 101, kSeedEvaluate = 202;
constexpr int kScansCalibrate = 2, kScansEvaluate = 4;  // even and odd: polyethylene and POM
constexpr double kFloorMargin = 0.3;                    // about 4 smoothed-pixel sigmas at the floor
constexpr double kMinAccuracy = 0.98;                   // issue 6's target

const fs::path& work_dir() {
  static const fs::path dir = oi::gpu::testing::fresh_dir("materials_accuracy");
  return dir;
}

// Simulated wedge scans of `seed` into `dir` (once per process).
fs::path wedge_dataset(int seed, int scans) {
  const fs::path dir = work_dir() / ("wedges_seed" + std::to_string(seed));
  if (fs::exists(dir / "dataset.json")) return dir;
  const std::string cmd = std::string("'") + OI_EXE + "' run -q '" + OI_SIM_PIPELINE +
                          "' --set scanner.scene=wedges" + " --set scanner.seed=" + std::to_string(seed) +
                          " --set scanner.scans=" + std::to_string(scans) +
                          " --set scanner.pixels_per_line=" + std::to_string(kPixels) +
                          " --set dataset.dir='" + dir.string() + "'";
  const int rc = run_command(cmd, work_dir() / ("sim_" + std::to_string(seed) + ".log"));
  EXPECT_EQ(rc, 0) << cmd;
  return dir;
}

int calibrate(const std::string& args, const fs::path& log) {
  return run_command(std::string("'") + OI_EXE + "' calibrate-materials " + args, log);
}

std::string read(const fs::path& f) {
  std::ifstream in(f);
  return {std::istreambuf_iterator<char>(in), {}};
}

MaterialClass expected_class(const std::string& material) {
  if (material == "polyethylene" || material == "pom") return MaterialClass::kOrganic;
  if (material == "aluminium") return MaterialClass::kInorganic;
  return MaterialClass::kMetal;
}

TEST(MaterialsAccuracy, WedgeClassAccuracyOnUnseenSeeds) {
  const fs::path a = wedge_dataset(kSeedCalibrate, kScansCalibrate);
  const fs::path b = wedge_dataset(kSeedEvaluate, kScansEvaluate);
  const fs::path cal = work_dir() / "calibration.json";
  ASSERT_EQ(calibrate("'" + a.string() + "' -o '" + cal.string() + "'", work_dir() / "calibrate.log"), 0)
      << read(work_dir() / "calibrate.log");
  std::printf("%s", read(work_dir() / "calibrate.log").c_str());
  const nlohmann::json doc = nlohmann::json::parse(read(cal));
  ASSERT_EQ(doc["format"], "openinspect-material-calibration");
  ASSERT_EQ(doc["materials"].size(), 5u) << "polyethylene, pom, aluminium, steel and lead";
  const double a_high_max = doc["noise_floor"]["a_high_max"], a_low_max = doc["noise_floor"]["a_low_max"];

  const int radius = 2;
  MaterialsStage stage({{"calibration", cal.string()}, {"backend", "cpu"}, {"smoothing_radius", radius}});
  struct Count {
    std::size_t correct = 0, total = 0;
  };
  std::map<std::string, Count> per_material;
  Count impenetrable;
  for (std::size_t s = 0; s < dataset_scans(b); ++s) {
    const CorrectedScan scan = load_corrected_scan(b, s);
    FramePtr out = stage.run(make_attenuation_frame(scan.a_high, scan.a_low));
    ASSERT_TRUE(out);
    const cv::Mat material_class = as_mat(std::as_const(*out).plane(plane::kMaterialClass));
    for (const auto& t : scan.scan_json["ground_truth"]) {
      if (t["class"] != "wedge_step") continue;
      const int bx = t["box"][0], by = t["box"][1], bw = t["box"][2], bh = t["box"][3];
      const int mx = std::max(radius + 2, bw / 10), my = std::max(radius + 2, bh / 10);
      const cv::Rect interior(bx + mx, by + my, bw - 2 * mx, bh - 2 * my);
      ASSERT_GT(interior.area(), 0);
      const double mean_high = cv::mean(scan.a_high(interior))[0],
                   mean_low = cv::mean(scan.a_low(interior))[0];
      const cv::Mat classes = material_class(interior);
      if (mean_high <= a_high_max - kFloorMargin && mean_low <= a_low_max - kFloorMargin) {
        Count& c = per_material[t["material"].get<std::string>()];
        c.correct += cv::countNonZero(classes == static_cast<int>(expected_class(t["material"])));
        c.total += interior.area();
      } else if (mean_high > a_high_max + kFloorMargin || mean_low > a_low_max + kFloorMargin) {
        impenetrable.correct += cv::countNonZero(classes == static_cast<int>(MaterialClass::kImpenetrable));
        impenetrable.total += interior.area();
      }
    }
  }
  Count all;
  std::printf(
      "material class accuracy, calibrated on seed %d (%d scans), evaluated on seed %d (%d scans), %d "
      "pixels:\n",
      kSeedCalibrate, kScansCalibrate, kSeedEvaluate, kScansEvaluate, kPixels);
  for (const auto& [material, c] : per_material) {
    std::printf("  %-13s %8zu / %8zu = %.4f\n", material.c_str(), c.correct, c.total,
                double(c.correct) / c.total);
    all.correct += c.correct;
    all.total += c.total;
  }
  ASSERT_GT(all.total, 0u);
  const double accuracy = double(all.correct) / all.total;
  std::printf("  overall (penetrable range) %zu / %zu = %.4f (target %.2f)\n", all.correct, all.total,
              accuracy, kMinAccuracy);
  if (impenetrable.total)
    std::printf("  steps beyond the noise floor read impenetrable: %zu / %zu = %.4f\n", impenetrable.correct,
                impenetrable.total, double(impenetrable.correct) / impenetrable.total);
  EXPECT_EQ(per_material.size(), 5u) << "every reference material has steps within the penetrable range";
  EXPECT_GE(accuracy, kMinAccuracy);
}

TEST(CalibrateMaterialsCommand, BadInputExitsTwoWithAReason) {
  const fs::path log = work_dir() / "errors.log";
  EXPECT_EQ(calibrate("'" + (work_dir() / "nowhere").string() + "'", log), 2);
  EXPECT_NE(read(log).find("is not a folder"), std::string::npos) << read(log);
  const fs::path empty = work_dir() / "empty";
  fs::create_directories(empty);
  EXPECT_EQ(calibrate("'" + empty.string() + "'", log), 2);
  EXPECT_NE(read(log).find("dataset.json cannot be opened"), std::string::npos) << read(log);
  write_text(empty / "dataset.json", R"({"format": "something-else", "version": 1})");
  EXPECT_EQ(calibrate("'" + empty.string() + "'", log), 2);
  EXPECT_NE(read(log).find("is not an openinspect-xray-dataset version 1 index"), std::string::npos)
      << read(log);
  // A data set whose scans carry no wedge steps.
  const fs::path a = wedge_dataset(kSeedCalibrate, kScansCalibrate);
  const fs::path stripped = work_dir() / "no_wedges";
  fs::remove_all(stripped);
  fs::copy(a, stripped, fs::copy_options::recursive);
  for (const auto& entry : fs::directory_iterator(stripped)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("scan_", 0) != 0 || entry.path().extension() != ".json") continue;
    nlohmann::json j = nlohmann::json::parse(read(entry.path()));
    j["ground_truth"] = nlohmann::json::array();
    write_text(entry.path(), j.dump());
  }
  EXPECT_EQ(calibrate("'" + stripped.string() + "'", log), 2);
  EXPECT_NE(read(log).find("holds no wedge steps"), std::string::npos) << read(log);
  EXPECT_EQ(calibrate("", log), 2) << "missing argument";
}

}  // namespace
}  // namespace oi::xray::testing
