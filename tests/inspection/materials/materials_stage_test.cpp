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

#include "gpu_test_fixture.hpp"
#include "material_model.hpp"
#include "materials_test_support.hpp"
#include "oi/error.hpp"
#include "oi/frame_cv.hpp"
#include "oi/xray/contract.hpp"

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
    cv::Mat ah(h, w, CV_32F), al(h, w, CV_32F);
    std::uniform_real_distribution<float> a(0.0f, 7.0f), ratio(1.0f, 3.0f);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        ah.at<float>(y, x) = a(rng);
        al.at<float>(y, x) = ah.at<float>(y, x) * ratio(rng);
      }
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
