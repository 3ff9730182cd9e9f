// xray.materials: the Vulkan kernel against the CPU reference (validation layer on: the
// GpuTest fixture fails a test on any message), the per-pixel model on hand-checked cases,
// and the calibration file's errors.
//
// Tolerance GPU vs CPU: both sum the box in the same order and use the same f32 tables, but
// a GPU may contract a*b+c into an fma and its sqrt and division may differ by an ULP, so a
// pixel whose smoothed value sits within rounding of a decision boundary (empty threshold,
// noise floor, a band edge, a class threshold) may land on the other side: allowed for at
// most 0.1 % of the pixels. Everywhere else Z_eff and areal density agree within 1e-4
// relative and the class is equal.

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>
#include <random>
#include <utility>
#include <vector>

#include "gpu_test_fixture.hpp"
#include "material_model.hpp"
#include "materials_test_support.hpp"
#include "oi/error.hpp"
#include "oi/frame_cv.hpp"
#include "oi/xray/contract.hpp"
#include "stage_under_test.hpp"

namespace oi::xray::testing {
namespace {

using oi::gpu::testing::fresh_dir;
using oi::gpu::testing::GpuTest;

std::filesystem::path synthetic_file() {
  return write_text(fresh_dir("calibration") / "calibration.json", synthetic_calibration().dump());
}

struct Outputs {
  cv::Mat zeff, material_class, density;
};

Outputs run(const std::filesystem::path& cal, const char* backend, int radius, const cv::Mat& ah,
            const cv::Mat& al) {
  MaterialsStage stage({{"calibration", cal.string()}, {"backend", backend}, {"smoothing_radius", radius}});
  EXPECT_EQ(stage.summary()["backend"], backend);
  FramePtr out = stage.run(make_attenuation_frame(ah, al));
  Outputs o;
  if (!out) return o;
  const Frame& f = *out;
  EXPECT_TRUE(f.has_plane(plane::kAHigh) && f.has_plane(plane::kALow)) << "inputs must be kept";
  o.zeff = as_mat(f.plane(plane::kZeff)).clone();
  o.material_class = as_mat(f.plane(plane::kMaterialClass)).clone();
  o.density = as_mat(f.plane(plane::kArealDensity)).clone();
  return o;
}

// Attenuations spread over the calibrated range, a_low 1-3 times a_high.
void random_attenuation(int w, int h, std::mt19937& rng, cv::Mat& ah, cv::Mat& al) {
  ah.create(h, w, CV_32F);
  al.create(h, w, CV_32F);
  std::uniform_real_distribution<float> a(0.0f, 7.0f), ratio(1.0f, 3.0f);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      ah.at<float>(y, x) = a(rng);
      al.at<float>(y, x) = ah.at<float>(y, x) * ratio(rng);
    }
}

class MaterialsGpuTest : public GpuTest {
 protected:
  void compare(int width, int height, int radius, const cv::Mat& ah, const cv::Mat& al) {
    SCOPED_TRACE(std::to_string(width) + "x" + std::to_string(height) + " radius " + std::to_string(radius));
    const auto cal = synthetic_file();
    const Outputs g = run(cal, "gpu", radius, ah, al), c = run(cal, "cpu", radius, ah, al);
    ASSERT_FALSE(g.zeff.empty());
    ASSERT_FALSE(c.zeff.empty());
    ASSERT_EQ(g.material_class.type(), CV_8UC1);
    int differing = 0;
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        const float gz = g.zeff.at<float>(y, x), cz = c.zeff.at<float>(y, x);
        const float gd = g.density.at<float>(y, x), cd = c.density.at<float>(y, x);
        const bool same =
            g.material_class.at<std::uint8_t>(y, x) == c.material_class.at<std::uint8_t>(y, x) &&
            std::fabs(gz - cz) <= 1e-4f * std::max(1.0f, cz) &&
            std::fabs(gd - cd) <= 1e-4f * std::max(1.0f, cd);
        differing += !same;
      }
    }
    EXPECT_LE(differing, std::max(1, width * height / 1000))
        << differing << " of " << width * height << " pixels differ";
  }
};

TEST_F(MaterialsGpuTest, MatchesCpuReferenceOnRandomAttenuation) {
  std::mt19937 rng(42);
  // Widths that are multiples of 4 take the kernel's vector path, the others its per-pixel
  // path; 4 x 19 and 8 x 40 put both borders in one or two strips of 4 columns; 5 x 1600 has
  // more strips than the dispatch has invocations.
  for (auto [w, h, r] : {std::tuple{64, 48, 2},
                         {37, 23, 1},
                         {1, 50, 2},
                         {50, 1, 2},
                         {129, 65, 0},
                         {33, 17, 4},
                         {4, 19, 3},
                         {8, 40, 4},
                         {5, 1600, 2}}) {
    cv::Mat ah, al;
    random_attenuation(w, h, rng, ah, al);
    compare(w, h, r, ah, al);
  }
}

TEST_F(MaterialsGpuTest, MatchesCpuReferenceOnSmoothCurves) {
  // Pixels lying on and between the curves, the case that matters in practice.
  const int w = 200, h = 40;
  cv::Mat ah(h, w, CV_32F), al(h, w, CV_32F);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      ah.at<float>(y, x) = 0.02f + 6.5f * x / w;
      al.at<float>(y, x) = ah.at<float>(y, x) * (1.1f + 1.8f * y / h);
    }
  compare(w, h, 2, ah, al);
}

TEST_F(MaterialsGpuTest, EmptyAndImpenetrableEdges) {
  const cv::Mat zeros = cv::Mat::zeros(16, 16, CV_32F), full(16, 16, CV_32F, cv::Scalar(kMaxAttenuation));
  for (const cv::Mat* m : {&zeros, &full}) {
    const Outputs g = run(synthetic_file(), "gpu", 2, *m, *m);
    const auto expected = m == &zeros ? MaterialClass::kEmpty : MaterialClass::kImpenetrable;
    ASSERT_FALSE(g.material_class.empty());
    EXPECT_EQ(cv::countNonZero(g.material_class != static_cast<int>(expected)), 0);
    EXPECT_EQ(cv::countNonZero(g.zeff != 0.0f), 0);
  }
}

// Streaming: the blocks of a scan, processed as they arrive (each held until the lines below
// it have come), give exactly the planes of the whole scan processed at once, on both
// backends, for every radius and for blocks thinner than the radius; nothing is held past
// the end of its scan, a scan cut short ends where it was cut, and finish() emits the rest.
class MaterialsStreamTest : public GpuTest, public ::testing::WithParamInterface<const char*> {};

FramePtr block_of(const cv::Mat& ah, const cv::Mat& al, int first, int lines, std::uint64_t scan,
                  std::uint32_t index, bool last) {
  FramePtr f = make_attenuation_frame(ah.rowRange(first, first + lines), al.rowRange(first, first + lines));
  f->metadata().scan_id = scan;
  f->metadata().block_index = index;
  f->metadata().end_of_scan = last;
  return f;
}

// The outputs of `frames` stacked in order, as one Outputs (inputs checked to be the blocks').
Outputs stacked(const std::vector<FramePtr>& frames) {
  Outputs o;
  std::vector<cv::Mat> z, c, d;
  for (const FramePtr& f : frames) {
    z.push_back(as_mat(std::as_const(*f).plane(plane::kZeff)));
    c.push_back(as_mat(std::as_const(*f).plane(plane::kMaterialClass)));
    d.push_back(as_mat(std::as_const(*f).plane(plane::kArealDensity)));
  }
  cv::vconcat(z, o.zeff);
  cv::vconcat(c, o.material_class);
  cv::vconcat(d, o.density);
  return o;
}

void expect_identical(const Outputs& a, const Outputs& b) {
  ASSERT_EQ(a.zeff.size(), b.zeff.size());
  EXPECT_EQ(cv::norm(a.zeff, b.zeff, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(a.density, b.density, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::countNonZero(a.material_class != b.material_class), 0);
}

TEST_P(MaterialsStreamTest, ScanBlocksAsTheyArriveGiveTheWholeScanExactly) {
  const char* backend = GetParam();
  std::mt19937 rng(7);
  const int w = 37, h = 61;
  cv::Mat ah, al;
  random_attenuation(w, h, rng, ah, al);
  const auto cal = synthetic_file();
  for (int r : {0, 1, 2, 4}) {
    const Outputs whole = run(cal, backend, r, ah, al);
    for (const std::vector<int>& sizes :
         {std::vector<int>{16, 16, 16, 13}, {1, 1, 3, 1, 20, 2, 33}, {60, 1}}) {
      SCOPED_TRACE("radius " + std::to_string(r) + ", " + std::to_string(sizes.size()) + " blocks");
      oi::test::StageUnderTest stage(
          oi::test::plugin_registry(OI_MATERIALS_PLUGIN), "xray.materials",
          {{"calibration", cal.string()}, {"backend", backend}, {"smoothing_radius", r}});
      std::vector<FramePtr> emitted;
      int first = 0;
      for (std::size_t i = 0; i < sizes.size(); ++i) {
        std::vector<FramePtr> out;
        const bool last = i + 1 == sizes.size();
        ASSERT_TRUE(stage.run(block_of(ah, al, first, sizes[i], 5, static_cast<std::uint32_t>(i), last), out)
                        .is_ok());
        first += sizes[i];
        emitted.insert(emitted.end(), out.begin(), out.end());
        // A block is held only until r lines below it have come.
        int below = 0;
        for (std::size_t k = emitted.size() + 1; k <= i; ++k) below += sizes[k];
        if (emitted.size() <= i) EXPECT_LT(below, r) << "block " << emitted.size() << " was held too long";
      }
      ASSERT_EQ(emitted.size(), sizes.size()) << "every block is out once its scan has ended";
      for (std::size_t i = 0; i < emitted.size(); ++i) {
        EXPECT_EQ(emitted[i]->metadata().block_index, i) << "blocks leave in order, as they came";
        EXPECT_EQ(std::as_const(*emitted[i]).plane(plane::kZeff).height, sizes[i]);
        EXPECT_TRUE(emitted[i]->has_plane(plane::kAHigh)) << "inputs are kept";
      }
      expect_identical(stacked(emitted), whole);
    }
  }
}

TEST_P(MaterialsStreamTest, ACutScanEndsWhereItWasCutAndFinishEmitsWhatIsHeld) {
  const char* backend = GetParam();
  const int w = 20, h = 30;
  cv::Mat ah(h, w, CV_32F), al(h, w, CV_32F);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      ah.at<float>(y, x) = 0.1f + 0.2f * static_cast<float>((x * 7 + y * 3) % 30);
      al.at<float>(y, x) = ah.at<float>(y, x) * (1.2f + 0.05f * static_cast<float>(y % 11));
    }
  const auto cal = synthetic_file();
  oi::test::StageUnderTest stage(
      oi::test::plugin_registry(OI_MATERIALS_PLUGIN), "xray.materials",
      {{"calibration", cal.string()}, {"backend", backend}, {"smoothing_radius", 2}});
  std::vector<FramePtr> emitted, out;
  // Scan 1: two blocks, never ended; scan 2 begins: scan 1's blocks come out, cut at line 20.
  ASSERT_TRUE(stage.run(block_of(ah, al, 0, 10, 1, 0, false), out).is_ok());
  EXPECT_TRUE(out.empty()) << "the block waits for the lines below it";
  ASSERT_TRUE(stage.run(block_of(ah, al, 10, 10, 1, 1, false), out).is_ok());
  emitted.insert(emitted.end(), out.begin(), out.end());
  ASSERT_TRUE(stage.run(block_of(ah, al, 20, 10, 2, 0, false), out).is_ok());
  emitted.insert(emitted.end(), out.begin(), out.end());
  ASSERT_EQ(emitted.size(), 2u);
  expect_identical(stacked(emitted), run(cal, backend, 2, ah.rowRange(0, 20), al.rowRange(0, 20)));
  // A whole frame (no block) in between: scan 2's held block comes out first, then the frame.
  ASSERT_TRUE(stage.run(make_attenuation_frame(ah, al), out).is_ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0]->metadata().scan_id, 2u);
  expect_identical(stacked({out[0]}), run(cal, backend, 2, ah.rowRange(20, 30), al.rowRange(20, 30)));
  expect_identical(stacked({out[1]}), run(cal, backend, 2, ah, al));
  // A whole scan (kind xray.scan) with a scan id passes at once, whatever its block flags say.
  FramePtr whole = make_attenuation_frame(ah, al);
  whole->set_kind(std::string(frame_kind::kScan));
  whole->metadata().scan_id = 9;
  ASSERT_TRUE(stage.run(whole, out).is_ok());
  ASSERT_EQ(out.size(), 1u);
  expect_identical(stacked(out), run(cal, backend, 2, ah, al));
  // The stream ends inside scan 3: finish() emits its block.
  ASSERT_TRUE(stage.run(block_of(ah, al, 0, 10, 3, 0, false), out).is_ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(stage.finish(out).is_ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]->metadata().scan_id, 3u);
  expect_identical(stacked(out), run(cal, backend, 2, ah.rowRange(0, 10), al.rowRange(0, 10)));
}

INSTANTIATE_TEST_SUITE_P(Backends, MaterialsStreamTest, ::testing::Values("gpu", "cpu"),
                         [](const auto& info) { return std::string(info.param); });

// The per-pixel model on points whose answer is known from the synthetic curves.
TEST(MaterialModel, ClassifiesOnAndBetweenCurves) {
  const MaterialTable t =
      MaterialTable::build(MaterialCalibration::from_json(synthetic_calibration(), "synthetic"));
  const ClassThresholds th;
  auto at = [&](float ah, float r) { return classify_pixel(ah, ah * r, t, th); };
  EXPECT_EQ(at(0.01f, 1.2f).klass, static_cast<int>(MaterialClass::kEmpty));
  EXPECT_EQ(at(6.5f, 1.2f).klass, static_cast<int>(MaterialClass::kImpenetrable));  // beyond a_high_max
  EXPECT_EQ(at(5.0f, 1.6f).klass, static_cast<int>(MaterialClass::kImpenetrable));  // a_low beyond 7.5
  EXPECT_NEAR(at(0.82f, 1.23f).zeff, 5.5f, 0.3f);                                   // on polyethylene
  EXPECT_EQ(at(0.82f, 1.23f).klass, static_cast<int>(MaterialClass::kOrganic));
  EXPECT_NEAR(at(0.49f, 1.98f).zeff, 13.0f, 0.5f);  // on aluminium
  EXPECT_EQ(at(0.49f, 1.98f).klass, static_cast<int>(MaterialClass::kInorganic));
  EXPECT_EQ(at(2.74f, 1.61f).klass, static_cast<int>(MaterialClass::kMetal));  // on steel
  EXPECT_FLOAT_EQ(at(3.4f, 1.25f).zeff, 82.0f);                                // on lead, out of Z order
  EXPECT_LT(at(0.5f, 1.3f).zeff, 10.0f);  // below lead's thinnest step lead is not a candidate
  // Areal density: A_high / mass attenuation, polyethylene 5 cm = 4.7 g/cm².
  EXPECT_NEAR(at(0.82f, 1.23f).areal_density, 0.82f / 0.174f, 0.2f);
}

TEST(MaterialCalibrationFile, ErrorsNameTheFileAndTheProblem) {
  const auto dir = fresh_dir("bad_calibration");
  auto message = [](const std::filesystem::path& f) {
    try {
      MaterialsStage stage({{"calibration", f.string()}, {"backend", "cpu"}});
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const auto missing = dir / "missing.json";
  EXPECT_NE(message(missing).find("missing.json': cannot be opened"), std::string::npos) << message(missing);
  const auto garbled = write_text(dir / "garbled.json", "{\"format\": ");
  EXPECT_NE(message(garbled).find("is not valid JSON"), std::string::npos) << message(garbled);
  nlohmann::json doc = synthetic_calibration();
  doc["version"] = 2;
  const auto version = write_text(dir / "version.json", doc.dump());
  EXPECT_NE(message(version).find("'version' must be 1"), std::string::npos) << message(version);
  doc = synthetic_calibration();
  doc["materials"] = nlohmann::json::array({doc["materials"][0]});
  const auto one = write_text(dir / "one.json", doc.dump());
  EXPECT_NE(message(one).find("at least two materials"), std::string::npos) << message(one);
  doc = synthetic_calibration();
  doc["materials"][1]["points"][1]["a_high"] = 0.05;
  const auto order = write_text(dir / "order.json", doc.dump());
  EXPECT_NE(message(order).find("materials[1].points[1]: a_high must increase"), std::string::npos)
      << message(order);
  doc = synthetic_calibration();
  doc["noise_floor"].erase("a_low_max");
  const auto floor = write_text(dir / "floor.json", doc.dump());
  EXPECT_NE(message(floor).find("noise_floor: 'a_low_max' must be a number"), std::string::npos)
      << message(floor);
}

}  // namespace
}  // namespace oi::xray::testing
