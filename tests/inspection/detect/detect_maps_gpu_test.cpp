// xray.detect's maps on Vulkan (DetectionMapsGpu, shaders/xray/detect_*.comp) against their CPU
// reference compute_maps(), with the Khronos validation layer on (the GpuTest fixture fails a
// test on any message): simulated scans, random and threshold-straddling inputs, tiny sizes,
// image borders, all-impenetrable and empty scans, every smoothing radius; then the stage on
// both backends gives the same detections.
//
// Tolerances. Both sides add the same f32 values in the same order and scale them by the same
// rounded 1 / (2r+1)^2, and the kernels forbid fusing a multiply-add (`precise`); additions
// and multiplications are exactly rounded in Vulkan, so the means come out bit-identical and
// every threshold comparison (the narcotics homogeneity test is variance <= (limit * mean)^2,
// without sqrt or division) decides alike: the masks must be equal, pixel for pixel, and
// mean and zeff_mean equal (except subnormal values, which a device may flush to zero).
// rel_std = sqrt(variance) / mean goes through sqrt and a
// division, which Vulkan lets a device compute within a few ULP: 1e-5 relative.

#include "detect_maps_gpu.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <opencv2/core.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "detect_test_support.hpp"
#include "detector_training.hpp"
#include "gpu_test_fixture.hpp"
#include "oi/error.hpp"
#include "oi/frame_cv.hpp"
#include "oi/plugin_registry.hpp"
#include "oi/xray/contract.hpp"
#include "oi_stages_xray_detect_shaders.hpp"
#include "stage_under_test.hpp"

namespace oi::xray::testing {
namespace {

namespace fs = std::filesystem;
using oi::gpu::testing::GpuTest;

constexpr auto kEmpty = static_cast<std::uint8_t>(MaterialClass::kEmpty);
constexpr auto kOrganic = static_cast<std::uint8_t>(MaterialClass::kOrganic);
constexpr auto kMetal = static_cast<std::uint8_t>(MaterialClass::kMetal);
constexpr auto kImpenetrable = static_cast<std::uint8_t>(MaterialClass::kImpenetrable);

Plane host_plane(const cv::Mat& m, PixelFormat format) {
  Plane p = Plane::allocate(format, m.cols, m.rows);
  m.copyTo(as_mat(p));
  return p;
}

// A scan of random pixels: blobs of each class (so that the morphology has shapes to open and
// close, also at the borders) with attenuations and Z_eff spread over the thresholds.
ClassifiedScan random_scan(int width, int height, std::uint32_t seed) {
  std::mt19937 rng(seed);
  ClassifiedScan s;
  s.material_class = cv::Mat(height, width, CV_8U, cv::Scalar(kEmpty));
  std::uniform_int_distribution<int> cls(0, 4), px(0, std::max(0, width - 1)), py(0, std::max(0, height - 1)),
      size(1, 12);
  const int blobs = std::max(1, width * height / 40);
  for (int b = 0; b < blobs; ++b) {
    const cv::Rect r =
        cv::Rect(px(rng) - 3, py(rng) - 3, size(rng), size(rng)) & cv::Rect(0, 0, width, height);
    s.material_class(r).setTo(cls(rng));
  }
  s.a_high.create(height, width, CV_32F);
  s.zeff.create(height, width, CV_32F);
  std::uniform_real_distribution<float> noise(0.8f, 1.2f);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const std::uint8_t c = s.material_class.at<std::uint8_t>(y, x);
      // Organic near the narcotics density band, metal near the firearm threshold.
      const float base = c == kOrganic ? 0.9f : c == kMetal ? 1.7f : c == kImpenetrable ? 8.0f : 0.1f * c;
      s.a_high.at<float>(y, x) = base * noise(rng);
      s.zeff.at<float>(y, x) = c == kOrganic                       ? 7.0f * noise(rng)
                               : c == kImpenetrable || c == kEmpty ? 0.0f
                                                                   : 12.0f * noise(rng);
    }
  s.a_low = s.a_high * 1.3f;
  s.areal_density = s.a_high * 5.0f;
  return s;
}

ClassifiedScan uniform_scan(int width, int height, std::uint8_t cls, float a_high, float zeff) {
  ClassifiedScan s;
  s.material_class = cv::Mat(height, width, CV_8U, cv::Scalar(cls));
  s.a_high = cv::Mat(height, width, CV_32F, cv::Scalar(a_high));
  s.a_low = cv::Mat(height, width, CV_32F, cv::Scalar(a_high * 1.3f));
  s.zeff = cv::Mat(height, width, CV_32F, cv::Scalar(zeff));
  s.areal_density = cv::Mat(height, width, CV_32F, cv::Scalar(a_high * 5.0f));
  return s;
}

class DetectMapsGpuTest : public GpuTest {
 protected:
  // The stage's GPU side, as xray.detect starts it (`backend: auto` picks the device the
  // fixture checked).
  void SetUp() override {
    GpuTest::SetUp();
    ASSERT_TRUE(backend_.start(StageConfig{"detect", "xray.detect", "", {}, {}, {}}));
  }
  void TearDown() override {
    backend_.stop();
    GpuTest::TearDown();
  }

  // The GPU maps of `scan`, copied to host matrices.
  DetectionMaps gpu_maps(const ClassifiedScan& scan, const DetectorParams& params,
                         gpu::Residency residency = gpu::Residency::kAuto) {
    DetectionMapsGpu kernels(backend_, params);
    Plane a_high = host_plane(scan.a_high, PixelFormat::kF32),
          zeff = host_plane(scan.zeff, PixelFormat::kF32);
    Plane material_class = host_plane(scan.material_class, PixelFormat::kU8);
    if (residency == gpu::Residency::kStaged) {  // inputs already on the GPU, as behind xray.materials
      a_high = gpu::to_gpu_plane(device_, a_high, residency);
      zeff = gpu::to_gpu_plane(device_, zeff, residency);
      material_class = gpu::to_gpu_plane(device_, material_class, residency);
    }
    DetectionMapPlanes planes;
    const Status s = kernels.compute(a_high, zeff, material_class, planes);
    EXPECT_TRUE(s.is_ok()) << s.message();
    if (!s.is_ok()) return {};
    const DetectionMaps v = planes.maps();
    return {v.mean.clone(),      v.zeff_mean.clone(), v.rel_std.clone(),
            v.shielding.clone(), v.narcotics.clone(), v.firearm.clone()};
  }

  // GPU against compute_maps(); `what` names the case in failures.
  void compare(const std::string& what, const ClassifiedScan& scan, const DetectorParams& params = {},
               gpu::Residency residency = gpu::Residency::kAuto) {
    SCOPED_TRACE(what + " (" + std::to_string(scan.a_high.cols) + "x" + std::to_string(scan.a_high.rows) +
                 ", radius " + std::to_string(params.smoothing_radius) + ")");
    const DetectionMaps c = compute_maps(scan, params);
    const DetectionMaps g = gpu_maps(scan, params, residency);
    ASSERT_FALSE(g.mean.empty());
    const std::tuple<const char*, const cv::Mat*, const cv::Mat*, float> floats[] = {
        {"mean", &g.mean, &c.mean, 0.0f},
        {"zeff_mean", &g.zeff_mean, &c.zeff_mean, 0.0f},
        {"rel_std", &g.rel_std, &c.rel_std, 1e-5f}};
    for (const auto& [name, gm, cm, tolerance] : floats) {
      ASSERT_EQ(gm->size(), cm->size()) << name;
      ASSERT_EQ(gm->type(), CV_32F) << name;
      int differing = 0;
      for (int y = 0; y < cm->rows; ++y)
        for (int x = 0; x < cm->cols; ++x) {
          const float a = gm->at<float>(y, x), b = cm->at<float>(y, x);
          const bool subnormal = std::fabs(a) < FLT_MIN && std::fabs(b) < FLT_MIN;  // a device may flush them
          if (std::fabs(a - b) > tolerance * std::max(1.0f, std::fabs(b)) && !subnormal) {
            if (differing++ == 0)
              ADD_FAILURE() << name << " at (" << x << ", " << y << "): gpu " << a << ", cpu " << b;
          }
        }
      EXPECT_EQ(differing, 0) << name << ": pixels outside the tolerance";
    }
    const std::tuple<const char*, const cv::Mat*, const cv::Mat*> masks[] = {
        {"shielding", &g.shielding, &c.shielding},
        {"narcotics", &g.narcotics, &c.narcotics},
        {"firearm", &g.firearm, &c.firearm}};
    for (const auto& [name, gm, cm] : masks) {
      ASSERT_EQ(gm->type(), CV_8U) << name;
      ASSERT_EQ(gm->size(), cm->size()) << name;
      EXPECT_EQ(cv::countNonZero(*gm != *cm), 0) << name << " masks differ";
    }
  }

  gpu::StageBackend backend_;
};

// Fixed-seed simulated scans (threats, clutter), corrected and classified as the detector
// tests do, at each smoothing radius the detector allows on one of them.
// An unknown name used to give an empty module that ran on the CPU backend and failed only on
// a GPU ("Missing entry point"); it must fail at once, naming what is embedded.
TEST(EmbeddedShaders, UnknownNameIsAnErrorNamingTheEmbeddedOnes) {
  EXPECT_FALSE(oi_stages_xray_detect_shaders::words("xray/detect_maps.comp").empty());
  try {
    (void)oi_stages_xray_detect_shaders::words("xray/detect_mpas.comp");
    FAIL() << "an unknown shader name gave SPIR-V";
  } catch (const std::out_of_range& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("no embedded shader 'xray/detect_mpas.comp'"), std::string::npos) << what;
    EXPECT_NE(what.find("xray/detect_maps.comp"), std::string::npos) << what;
  }
}

TEST_F(DetectMapsGpuTest, MatchesCpuReferenceOnSimulatedScans) {
  const fs::path dir = fresh_dir("detect_maps_sim") / "data";
  std::string error;
  ASSERT_TRUE(make_dataset(dir, 5151, 4, 0.9, {"scanner.pixels_per_line=384"}, error)) << error;
  const std::size_t scans = dataset_scans(dir);
  ASSERT_GT(scans, 0u);
  for (std::size_t i = 0; i < scans; ++i) {
    const CorrectedScan s = load_corrected_scan(dir, i);
    const ClassifiedScan scan = classify_stand_in(s.a_high, s.a_low);
    compare("simulated scan " + std::to_string(i), scan);
    if (i == 0) {
      for (int radius : {0, 1, 4, 8}) {
        DetectorParams p;
        p.smoothing_radius = radius;
        compare("simulated scan 0", scan, p);
      }
      compare("simulated scan 0, staged inputs", scan, {}, gpu::Residency::kStaged);
    }
  }
}

TEST_F(DetectMapsGpuTest, MatchesCpuReferenceOnRandomScansOfOddSizes) {
  std::uint32_t seed = 1;
  for (auto [w, h] : {std::pair{64, 48}, {37, 23}, {129, 65}, {200, 3}, {3, 200}, {17, 17}}) {
    for (int radius : {1, 2, 3}) {
      DetectorParams p;
      p.smoothing_radius = radius;
      compare("random", random_scan(w, h, seed++), p);
    }
  }
}

// Images smaller than the box and the structuring elements: every pixel is a border pixel.
TEST_F(DetectMapsGpuTest, MatchesCpuReferenceOnTinyImages) {
  std::uint32_t seed = 100;
  for (auto [w, h] : {std::pair{1, 1}, {1, 2}, {2, 1}, {2, 3}, {1, 50}, {50, 1}, {4, 4}, {9, 9}}) {
    compare("tiny random", random_scan(w, h, seed++));
    compare("tiny impenetrable", uniform_scan(w, h, kImpenetrable, 8.0f, 0.0f));
    compare("tiny organic", uniform_scan(w, h, kOrganic, 1.0f, 7.0f));
  }
}

// A mask touching the borders: erosion must ignore outside pixels, as OpenCV's default
// border does, so an all-impenetrable scan stays all shielding and all firearm candidate.
TEST_F(DetectMapsGpuTest, AllImpenetrableAndEmptyScans) {
  const ClassifiedScan imp = uniform_scan(97, 61, kImpenetrable, 8.0f, 0.0f);
  compare("all impenetrable", imp);
  const DetectionMaps g = gpu_maps(imp, {});
  ASSERT_FALSE(g.shielding.empty());
  EXPECT_EQ(cv::countNonZero(g.shielding), 97 * 61);
  EXPECT_EQ(cv::countNonZero(g.firearm), 97 * 61);
  EXPECT_EQ(cv::countNonZero(g.narcotics), 0);

  const ClassifiedScan empty = uniform_scan(97, 61, kEmpty, 0.0f, 0.0f);
  compare("empty", empty);
  const DetectionMaps e = gpu_maps(empty, {});
  ASSERT_FALSE(e.shielding.empty());
  EXPECT_EQ(cv::countNonZero(e.shielding) + cv::countNonZero(e.firearm) + cv::countNonZero(e.narcotics), 0);
}

// Uniform scans whose smoothed values land on the thresholds themselves (the mean of 25 equal
// values is that value give or take a rounding): whichever side the rounding puts them, both
// backends must put them on the same side.
TEST_F(DetectMapsGpuTest, ValuesOnTheThresholds) {
  const DetectorParams d;
  for (float a : {d.narcotics_min_a_high, d.narcotics_max_a_high, d.firearm_min_a_high}) {
    compare("organic at a threshold", uniform_scan(40, 30, kOrganic, a, 7.0f));
    compare("metal at a threshold", uniform_scan(40, 30, kMetal, a, 20.0f));
  }
  for (float z : {d.narcotics_zeff_min, d.narcotics_zeff_max})
    compare("organic at a Z_eff threshold", uniform_scan(40, 30, kOrganic, 1.0f, z));
  // Alternating columns whose relative std sits near narcotics_max_relative_std.
  ClassifiedScan s = uniform_scan(60, 40, kOrganic, 1.0f, 7.0f);
  for (int x = 0; x < s.a_high.cols; x += 2)
    s.a_high.col(x).setTo(1.0f + 2.0f * d.narcotics_max_relative_std);
  compare("homogeneity near its limit", s);
}

TEST_F(DetectMapsGpuTest, PlaneErrorsNameThePlane) {
  DetectionMapsGpu kernels(backend_, {});
  const ClassifiedScan s = uniform_scan(8, 8, kOrganic, 1.0f, 7.0f);
  DetectionMapPlanes planes;
  const Status wrong_type =
      kernels.compute(host_plane(s.a_high, PixelFormat::kF32), host_plane(s.zeff, PixelFormat::kF32),
                      host_plane(s.zeff, PixelFormat::kF32), planes);
  ASSERT_FALSE(wrong_type.is_ok());
  EXPECT_NE(wrong_type.message().find("'material_class'"), std::string::npos) << wrong_type.message();
  const Status wrong_size =
      kernels.compute(host_plane(s.a_high, PixelFormat::kF32),
                      host_plane(s.zeff(cv::Rect(0, 0, 4, 8)).clone(), PixelFormat::kF32),
                      host_plane(s.material_class, PixelFormat::kU8), planes);
  ASSERT_FALSE(wrong_size.is_ok());
  EXPECT_NE(wrong_size.message().find("'zeff'"), std::string::npos) << wrong_size.message();
}

// --- the stage on both backends ---

const PluginRegistry& detect_plugin() { return oi::test::plugin_registry(OI_DETECT_PLUGIN); }

FramePtr classified_frame(const ClassifiedScan& c, std::uint64_t scan_id) {
  FramePtr f = Frame::create(std::string(oi::xray::frame_kind::kScan));
  f->metadata().scan_id = scan_id;
  f->set_plane(plane::kAHigh, host_plane(c.a_high, PixelFormat::kF32));
  f->set_plane(plane::kALow, host_plane(c.a_low, PixelFormat::kF32));
  f->set_plane(plane::kZeff, host_plane(c.zeff, PixelFormat::kF32));
  f->set_plane(plane::kMaterialClass, host_plane(c.material_class, PixelFormat::kU8));
  f->set_plane(plane::kArealDensity, host_plane(c.areal_density, PixelFormat::kF32));
  return f;
}

nlohmann::json stage_attributes(oi::test::StageUnderTest& stage, const ClassifiedScan& scan,
                                std::uint64_t id) {
  FramePtr out;
  const Status s = stage.run(classified_frame(scan, id), out);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return out ? out->metadata().attributes : nlohmann::json();
}

TEST_F(DetectMapsGpuTest, StageGivesTheSameDetectionsOnBothBackends) {
  const fs::path dir = fresh_dir("detect_stage_sim") / "data";
  std::string error;
  ASSERT_TRUE(make_dataset(dir, 5252, 4, 1.0, {"scanner.pixels_per_line=384"}, error)) << error;
  oi::test::StageUnderTest gpu(detect_plugin(), "xray.detect", {{"backend", "gpu"}, {"classifier", false}},
                               "detect_gpu");
  oi::test::StageUnderTest cpu(detect_plugin(), "xray.detect", {{"backend", "cpu"}, {"classifier", false}},
                               "detect_cpu");
  int with_detections = 0;
  for (std::size_t i = 0; i < dataset_scans(dir); ++i) {
    const CorrectedScan s = load_corrected_scan(dir, i);
    const ClassifiedScan scan = classify_stand_in(s.a_high, s.a_low);
    const nlohmann::json g = stage_attributes(gpu, scan, i), c = stage_attributes(cpu, scan, i);
    ASSERT_TRUE(g.contains(attr::kDetections)) << g.dump();
    EXPECT_EQ(g[attr::kDetections], c[attr::kDetections]) << "scan " << i;
    EXPECT_EQ(g[attr::kDecision], c[attr::kDecision]) << "scan " << i;
    with_detections += !c[attr::kDetections].empty();
  }
  EXPECT_GT(with_detections, 0) << "the scans must exercise the detector";
  EXPECT_EQ(gpu.summary()["backend"], "gpu");
  EXPECT_FALSE(gpu.summary()["device"].is_null());
  EXPECT_EQ(cpu.summary()["backend"], "cpu");
  EXPECT_EQ(gpu.summary()["scans"], cpu.summary()["scans"]);
}

// The classifier path on Vulkan maps, on the real chain's material planes: the same regions
// as on the CPU reference. Scores may differ in the last bits (rel_std, sqrt and division on
// the device, feeds one feature), never enough to move a region across its threshold here.
// The object-own material's in-painting sweeps (InpaintGpu, shaders/xray/detect_inpaint.comp)
// against inpaint_grids_cpu(): grids of every shape up to 48 x 48 (a single cell, a single row
// or column, odd sizes), unknown cells from none to all but one, in one dispatch. Known cells
// stay bit-identical; the unknown ones within 1e-4 (relative above 1): each update is a sum of
// up to four neighbours in the CPU's order and one division, which Vulkan lets a device round
// within a few ULP, and 40 over-relaxed sweeps carry such differences along.
TEST_F(DetectMapsGpuTest, InpaintingMatchesTheCpuReference) {
  InpaintGpu solver(backend_);
  std::mt19937 rng(4711);
  const cv::Size sizes[] = {{1, 1},   {48, 48}, {1, 48}, {48, 1}, {17, 33},
                            {33, 17}, {2, 2},   {48, 5}, {7, 40}, {31, 31}};
  const double unknown_fractions[] = {0.0, 0.3, 0.7, 0.99};
  std::vector<InpaintGrid> cpu, gpu_grids;
  for (const cv::Size& size : sizes) {
    for (double fraction : unknown_fractions) {
      InpaintGrid g;
      g.high.create(size, CV_32F);
      g.low.create(size, CV_32F);
      cv::randu(g.high, 0.0, 6.0);
      cv::randu(g.low, 0.0, 9.0);
      g.unknown.create(size, CV_8U);
      std::bernoulli_distribution unknown(fraction);
      for (int y = 0; y < size.height; ++y)
        for (int x = 0; x < size.width; ++x) g.unknown.at<std::uint8_t>(y, x) = unknown(rng) ? 1 : 0;
      g.unknown.at<std::uint8_t>(size.height / 2, size.width / 2) = 0;  // at least one known cell
      ASSERT_TRUE(inpaint_start(g.high, g.unknown) && inpaint_start(g.low, g.unknown));
      cpu.push_back({g.high.clone(), g.low.clone(), g.unknown.clone()});
      gpu_grids.push_back(std::move(g));
    }
  }
  std::vector<InpaintGrid*> on_cpu, on_gpu;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    on_cpu.push_back(&cpu[i]);
    on_gpu.push_back(&gpu_grids[i]);
  }
  inpaint_grids_cpu(on_cpu);
  const Status s = solver.solve(on_gpu);
  ASSERT_TRUE(s.is_ok()) << s.message();
  int compared = 0;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    for (const auto& [name, g, c] : {std::tuple{"a_high", &gpu_grids[i].high, &cpu[i].high},
                                     std::tuple{"a_low", &gpu_grids[i].low, &cpu[i].low}}) {
      for (int y = 0; y < c->rows; ++y)
        for (int x = 0; x < c->cols; ++x) {
          const float a = g->at<float>(y, x), b = c->at<float>(y, x);
          if (cpu[i].unknown.at<std::uint8_t>(y, x) == 0)
            ASSERT_EQ(a, b) << "grid " << i << " " << name << ": known cell (" << x << ", " << y
                            << ") changed";
          else
            ASSERT_LE(std::fabs(a - b), 1e-4f * std::max(1.0f, std::fabs(b)))
                << "grid " << i << " (" << c->cols << "x" << c->rows << ") " << name << " at (" << x << ", "
                << y << "): gpu " << a << ", cpu " << b;
          ++compared;
        }
    }
  }
  EXPECT_GT(compared, 20000);

  // A grid the kernel cannot hold is an error naming it, and nothing is changed.
  InpaintGrid too_wide{cv::Mat(4, 49, CV_32F, cv::Scalar(1)), cv::Mat(4, 49, CV_32F, cv::Scalar(1)),
                       cv::Mat(4, 49, CV_8U, cv::Scalar(0))};
  const Status e = solver.solve({&cpu[0], &too_wide});
  ASSERT_FALSE(e.is_ok());
  EXPECT_NE(e.message().find("grid 1 (49x4)"), std::string::npos) << e.message();
}

TEST_F(DetectMapsGpuTest, StageWithAModelGivesTheSameDetectionsOnBothBackends) {
  std::string error;
  const TrainedModel& trained = trained_model(error);
  ASSERT_FALSE(trained.model.empty()) << error;
  const MaterialTable table = training::load_material_table(trained.calibration);
  const fs::path dir = fresh_dir("detect_model_sim") / "data";
  ASSERT_TRUE(make_dataset(dir, 5252, 6, 1.0, {"scanner.pixels_per_line=512"}, error)) << error;
  const nlohmann::json model = trained.model.string();
  // `inpaint: gpu`: the candidates' in-painting on the Vulkan device even where `auto` keeps it
  // on the CPU (lavapipe).
  oi::test::StageUnderTest gpu(detect_plugin(), "xray.detect",
                               {{"backend", "gpu"}, {"model", model}, {"inpaint", "gpu"}}, "detect_gpu");
  EXPECT_EQ(gpu.summary()["inpaint"]["backend"], "gpu") << gpu.summary().dump();
  oi::test::StageUnderTest cpu(detect_plugin(), "xray.detect", {{"backend", "cpu"}, {"model", model}},
                               "detect_cpu");
  const CorrectedDataset data(dir);
  int detections = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const CorrectedDataset::Scan s = data.scan(i);
    const ClassifiedScan scan = training::classify_materials(s.a_high, s.a_low, table);
    const nlohmann::json g = stage_attributes(gpu, scan, i), c = stage_attributes(cpu, scan, i);
    ASSERT_EQ(g[attr::kDetections].size(), c[attr::kDetections].size()) << "scan " << i << "\n"
                                                                        << g.dump() << "\n"
                                                                        << c.dump();
    for (std::size_t k = 0; k < c[attr::kDetections].size(); ++k) {
      const nlohmann::json& dg = g[attr::kDetections][k];
      const nlohmann::json& dc = c[attr::kDetections][k];
      EXPECT_EQ(dg["class"], dc["class"]) << "scan " << i;
      EXPECT_EQ(dg["box"], dc["box"]) << "scan " << i;
      EXPECT_NEAR(dg["score"].get<double>(), dc["score"].get<double>(), 0.02) << "scan " << i;
    }
    EXPECT_EQ(g[attr::kDecision], c[attr::kDecision]) << "scan " << i;
    detections += static_cast<int>(c[attr::kDetections].size());
  }
  EXPECT_GT(detections, 0) << "the scans must exercise the classifier";
}

// A scan without pixels: the same clear error on both backends (the kernels never see it).
TEST_F(DetectMapsGpuTest, EmptyScanIsTheSameErrorOnBothBackends) {
  oi::test::StageUnderTest gpu(detect_plugin(), "xray.detect", {{"backend", "gpu"}}, "detect");
  oi::test::StageUnderTest cpu(detect_plugin(), "xray.detect", {{"backend", "cpu"}}, "detect");
  std::vector<std::string> messages;
  for (oi::test::StageUnderTest* stage : {&gpu, &cpu}) {
    FramePtr empty = Frame::create(std::string(oi::xray::frame_kind::kScan));  // planes of 0 x 8 pixels
    for (const char* name : {plane::kAHigh, plane::kALow, plane::kZeff, plane::kArealDensity})
      empty->add_plane(name, PixelFormat::kF32, 0, 8);
    empty->add_plane(plane::kMaterialClass, PixelFormat::kU8, 0, 8);
    FramePtr out;
    const Status s = stage->run(empty, out);
    ASSERT_FALSE(s.is_ok());
    EXPECT_NE(s.message().find("'a_high'"), std::string::npos) << s.message();
    messages.push_back(s.message());
  }
  EXPECT_EQ(messages[0], messages[1]);
}

TEST_F(DetectMapsGpuTest, StageReportsPlaneErrorsOnTheGpuBackend) {
  oi::test::StageUnderTest gpu(detect_plugin(), "xray.detect", {{"backend", "gpu"}}, "detect_gpu");
  ClassifiedScan scan = uniform_scan(16, 16, kOrganic, 1.0f, 7.0f);
  FramePtr in = classified_frame(scan, 7);
  in->set_plane(plane::kMaterialClass, host_plane(scan.zeff, PixelFormat::kF32));  // f32 instead of u8
  FramePtr out;
  const Status s = gpu.run(in, out);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find(oi::xray::plane::kMaterialClass), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("detect_gpu"), std::string::npos) << s.message();
}

// Without a Vulkan driver (a fresh child process whose loader finds none, as
// tests/gpu_stages/fallback_env_test.cpp does): `auto` falls back to the CPU reference and
// says why; `gpu` is a configuration error saying what to do.
TEST(DetectStageWithoutDriver, AutoFallsBackToTheCpuAndGpuIsAConfigError) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ::setenv("VK_ICD_FILENAMES", "/nonexistent/openinspect-no-driver.json", 1);
        ::setenv("VK_DRIVER_FILES", "/nonexistent/openinspect-no-driver.json", 1);
        ::unsetenv("VK_ADD_DRIVER_FILES");
        std::string problem;
        try {
          oi::test::StageUnderTest automatic(detect_plugin(), "xray.detect", {{"classifier", false}},
                                             "detect_auto");
          const nlohmann::json summary = automatic.summary();
          if (summary["backend"] != "cpu" || !summary["device"].is_null() ||
              summary["reason"].get<std::string>().find("no Vulkan device") == std::string::npos) {
            problem = "summary: " + summary.dump();
          }
          ClassifiedScan scan = uniform_scan(64, 64, kOrganic, 0.3f, 7.0f);
          scan.material_class(cv::Rect(10, 10, 45, 45)).setTo(kImpenetrable);
          const nlohmann::json attributes = stage_attributes(automatic, scan, 1);
          if (attributes.value(attr::kDecision, "") != decision::kCannotClear)
            problem += " attributes: " + attributes.dump();
          try {
            oi::test::StageUnderTest gpu(detect_plugin(), "xray.detect", {{"backend", "gpu"}}, "detect_gpu");
            problem += " backend: gpu started without a device";
          } catch (const ConfigError& e) {
            const std::string what = e.what();
            if (what.find("backend: gpu") == std::string::npos ||
                what.find("backend: auto") == std::string::npos)
              problem += " unhelpful error: " + what;
          }
        } catch (const std::exception& e) {
          problem += std::string(" threw: ") + e.what();
        }
        std::fprintf(stderr, "%s\n", problem.empty() ? "child ok" : problem.c_str());
        std::exit(problem.empty() ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "child ok");
}

}  // namespace
}  // namespace oi::xray::testing
