// xray.log_attenuation: the GPU kernel against the OpenCV reference on random and edge
// inputs and odd sizes, the reference against the formula in double precision, and the
// `backend` parameter.
//
// Tolerance (stated in docs/writing-a-gpu-stage.md): attenuation |dA| <= 1e-5 * max(1, |A|)
// (Vulkan allows 3 ULP for log, 2^-21 absolute near 1; OpenCV's cv::log is about as exact);
// ratio: the propagated error |R| * (dA/A_high + dA/A_low) + 1e-6; a pixel whose A_high lies
// within dA of epsilon may be 0 on one side and A_low/A_high on the other.

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "gpu_test_fixture.hpp"
#include "log_attenuation_cpu.hpp"
#include "log_attenuation_push.hpp"
#include "oi/frame_cv.hpp"
#include "oi/xray/contract.hpp"
#include "stage_harness.hpp"

namespace oi::gpu::testing {
namespace {

float tolerance_a(float a) { return 1e-5f * std::max(1.0f, std::fabs(a)); }

struct Levels {
  float dark_high = 0, air_high = 65535, dark_low = 0, air_low = 65535, epsilon = 0.01f;
  nlohmann::json params(const char* backend) const {
    return {{"dark_high", dark_high}, {"air_high", air_high}, {"dark_low", dark_low},
            {"air_low", air_low},     {"epsilon", epsilon},   {"backend", backend}};
  }
};

// The stage on `frame` with `backend`; returns the emitted frame.
FramePtr run_stage(const Levels& levels, const char* backend, const FramePtr& frame) {
  StageUnderTest stage("xray.log_attenuation", levels.params(backend));
  EXPECT_EQ(stage.summary()["backend"], backend == std::string("cpu") ? "cpu" : "gpu");
  FramePtr out;
  const Status s = stage.run(frame, out);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return out;
}

class LogAttenuationTest : public GpuTest {
 protected:
  // GPU stage vs CPU stage (the OpenCV reference) on the same frame.
  void compare(const Levels& levels, int width, int height,
               const std::function<std::uint16_t(int, int, int)>& value) {
    SCOPED_TRACE(std::to_string(width) + "x" + std::to_string(height));
    FramePtr input = make_dual_energy_frame(width, height, value);
    FramePtr gpu = run_stage(levels, "gpu", input);
    FramePtr cpu = run_stage(levels, "cpu", input);
    ASSERT_TRUE(gpu && cpu);
    for (const char* name : {"a_high", "a_low", "ratio"}) {
      const Plane& p = std::as_const(*gpu).plane(name);
      ASSERT_NE(gpu_memory_of(p), nullptr) << name << " should be a GPU plane";
      ASSERT_EQ(gpu_memory_of(std::as_const(*cpu).plane(name)), nullptr) << name << " should be a host plane";
      ASSERT_EQ(p.format, PixelFormat::kF32);
      ASSERT_EQ(p.width, width);
      ASSERT_EQ(p.height, height);
    }
    const Plane& ga_high = std::as_const(*gpu).plane("a_high");
    const Plane& ga_low = std::as_const(*gpu).plane("a_low");
    const Plane& g_ratio = std::as_const(*gpu).plane("ratio");
    const Plane& ca_high = std::as_const(*cpu).plane("a_high");
    const Plane& ca_low = std::as_const(*cpu).plane("a_low");
    const Plane& c_ratio = std::as_const(*cpu).plane("ratio");
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        const float ah = ca_high.row<float>(y)[x], al = ca_low.row<float>(y)[x], r = c_ratio.row<float>(y)[x];
        ASSERT_NEAR(ga_high.row<float>(y)[x], ah, tolerance_a(ah)) << "a_high at " << x << "," << y;
        ASSERT_NEAR(ga_low.row<float>(y)[x], al, tolerance_a(al)) << "a_low at " << x << "," << y;
        const float gr = g_ratio.row<float>(y)[x];
        if (std::fabs(ah - levels.epsilon) <= tolerance_a(ah) && (gr == 0 || r == 0)) continue;
        const float tol = 1e-6f + std::fabs(r) * (tolerance_a(ah) / std::max(ah, 1e-30f) +
                                                  tolerance_a(al) / std::max(al, tolerance_a(al)));
        ASSERT_NEAR(gr, r, tol) << "ratio at " << x << "," << y << " (a_high " << ah << ", a_low " << al
                                << ")";
      }
    }
  }
};

TEST_F(LogAttenuationTest, RandomInputMatchesOpenCvReference) {
  std::mt19937 rng(31337);
  std::uniform_int_distribution<int> counts(0, 65535);
  auto random = [&](int, int, int) { return static_cast<std::uint16_t>(counts(rng)); };
  compare(Levels{}, 256, 160, random);
  compare(Levels{100, 60000, 120, 58000, 0.02f}, 200, 120, random);  // calibrated: clamps at both ends
}

TEST_F(LogAttenuationTest, EdgeValues) {
  const Levels levels{100, 60000, 120, 58000, 0.01f};
  compare(levels, 64, 32, [](int, int, int) { return std::uint16_t{0}; });
  compare(levels, 64, 32, [](int, int, int) { return std::uint16_t{65535}; });
  compare(Levels{}, 64, 32, [](int, int, int) { return std::uint16_t{0}; });
  compare(Levels{}, 64, 32, [](int, int, int) { return std::uint16_t{65535}; });
  compare(levels, 64, 32, [](int x, int y, int c) {  // around dark and air of each channel
    const std::uint16_t values[] = {0,     99,    100,   101,   119,   120,   121,
                                    57999, 58000, 58001, 59999, 60000, 60001, 65535};
    return values[(x + 3 * y + 5 * c) % 14];
  });
  // a_high around epsilon: the ratio switches between 0 and A_low / A_high there.
  compare(Levels{}, 97, 3,
          [](int x, int, int c) { return static_cast<std::uint16_t>(c == 0 ? 64700 + x : 30000); });
}

TEST_F(LogAttenuationTest, OddAndDegenerateSizes) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> counts(0, 65535);
  auto random = [&](int, int, int) { return static_cast<std::uint16_t>(counts(rng)); };
  const Levels levels{50, 61000, 50, 61000, 0.01f};
  compare(levels, 17, 13, random);  // not a multiple of the workgroup
  compare(levels, 1, 301, random);  // 1xN
  compare(levels, 301, 1, random);  // Nx1
  compare(levels, 1, 1, random);
  compare(levels, 33, 1, random);
}

// The stage runs log_attenuation.comp (64-bit accesses) where the device has shaderInt64, as
// lavapipe does; the 32-bit variant for other devices is checked here directly.
TEST_F(LogAttenuationTest, BothKernelVariantsMatchTheReference) {
  const xray::DualEnergyLevels levels{100, 60000, 120, 58000, 0.01f};
  std::mt19937 rng(77);
  std::uniform_int_distribution<int> counts(0, 65535);
  for (const auto& [file, pixels_per_invocation] :
       {std::pair{"log_attenuation.comp", 8u}, {"log_attenuation_32bit.comp", 4u}}) {
    if (pixels_per_invocation == 8 && !device_->info().shader_int64) continue;
    KernelDesc desc;
    desc.name = file;
    desc.source = ShaderSource::from_file(shader_directory() / "xray" / file);
    desc.bindings = {{"high", Access::kRead},
                     {"low", Access::kRead},
                     {"a_high", Access::kWrite},
                     {"a_low", Access::kWrite},
                     {"ratio", Access::kWrite}};
    desc.push_constant_bytes = sizeof(xray::LogAttenuationPush);
    desc.workgroup = {64, 1, 1};
    auto kernel = device_->create_kernel(desc);
    auto recorder = device_->create_recorder();
    for (const auto& [w, h] : {std::pair{17, 13}, {1, 1}, {33, 1}, {1, 7}, {256, 9}}) {
      SCOPED_TRACE(std::string(file) + " " + std::to_string(w) + "x" + std::to_string(h));
      std::vector<Plane> planes;
      for (int i = 0; i < 5; ++i) {
        planes.push_back(make_gpu_plane(device_, i < 2 ? PixelFormat::kU16 : PixelFormat::kF32, w, h,
                                        Residency::kAuto, InitialContents::kUndefined));
      }
      for (int i = 0; i < 2; ++i) {
        for (int y = 0; y < h; ++y) {
          for (int x = 0; x < w; ++x)
            planes[i].row<std::uint16_t>(y)[x] = static_cast<std::uint16_t>(counts(rng));
        }
      }
      const auto push = xray::LogAttenuationPush::from(levels, w, h);
      const std::uint32_t invocations =
          (static_cast<std::uint32_t>(w * h) + pixels_per_invocation - 1) / pixels_per_invocation;
      const std::vector<BufferRef> refs(planes.begin(), planes.end());
      ASSERT_TRUE(recorder
                      ->dispatch(*kernel, refs, std::as_bytes(std::span(&push, 1)),
                                 kernel->groups_for(invocations, 1))
                      .is_ok());
      ASSERT_TRUE(recorder->submit_and_wait().is_ok());
      cv::Mat a_high, a_low, ratio;
      xray::dual_energy_reference(as_mat(std::as_const(planes[0])), as_mat(std::as_const(planes[1])), levels,
                                  a_high, a_low, ratio);
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          const float ah = a_high.at<float>(y, x), al = a_low.at<float>(y, x), r = ratio.at<float>(y, x);
          ASSERT_NEAR(std::as_const(planes[2]).row<float>(y)[x], ah, tolerance_a(ah)) << x << "," << y;
          ASSERT_NEAR(std::as_const(planes[3]).row<float>(y)[x], al, tolerance_a(al)) << x << "," << y;
          const float tol = 1e-6f + std::fabs(r) * (tolerance_a(ah) / std::max(ah, 1e-30f) +
                                                    tolerance_a(al) / std::max(al, tolerance_a(al)));
          if (std::fabs(ah - levels.epsilon) > tolerance_a(ah)) {
            ASSERT_NEAR(std::as_const(planes[4]).row<float>(y)[x], r, tol) << x << "," << y;
          }
        }
      }
    }
  }
}

TEST_F(LogAttenuationTest, ReferenceFollowsTheFormula) {
  const xray::DualEnergyLevels levels{100, 60000, 120, 58000, 0.01f};
  cv::Mat high(1, 6, CV_16UC1), low(1, 6, CV_16UC1);
  const std::uint16_t h[] = {0, 100, 101, 30000, 60000, 65535};
  const std::uint16_t l[] = {0, 120, 121, 20000, 58000, 65535};
  for (int i = 0; i < 6; ++i) {
    high.at<std::uint16_t>(i) = h[i];
    low.at<std::uint16_t>(i) = l[i];
  }
  cv::Mat a_high, a_low, ratio;
  xray::dual_energy_reference(high, low, levels, a_high, a_low, ratio);
  // The X-ray contract's formula, which xray.correct follows too.
  auto expected = [](double counts, double dark, double air) {
    return static_cast<double>(
        xray::log_attenuation(static_cast<float>(counts), static_cast<float>(dark), static_cast<float>(air)));
  };
  for (int i = 0; i < 6; ++i) {
    const double eh = expected(h[i], 100, 60000), el = expected(l[i], 120, 58000);
    EXPECT_NEAR(a_high.at<float>(i), eh, 1e-5 * std::max(1.0, eh)) << i;
    EXPECT_NEAR(a_low.at<float>(i), el, 1e-5 * std::max(1.0, el)) << i;
    EXPECT_NEAR(ratio.at<float>(i), eh >= 0.01 ? el / eh : 0.0, 1e-4) << i;
  }
  EXPECT_NEAR(a_high.at<float>(0), xray::kMaxAttenuation, 1e-4)
      << "at or below dark: the largest attenuation";
  EXPECT_NEAR(a_high.at<float>(1), xray::kMaxAttenuation, 1e-4) << "at dark: the largest attenuation";
  EXPECT_GE(a_high.at<float>(5), 0.0f) << "above air: no negative attenuation";
  EXPECT_NEAR(a_high.at<float>(5), 0.0f, 1e-6f);
  EXPECT_GE(a_high.at<float>(4), 0.0f) << "at air";
  EXPECT_EQ(ratio.at<float>(5), 0.0f) << "a_high below epsilon: ratio 0";
}

TEST_F(LogAttenuationTest, AirNotAboveDarkIsAConfigError) {
  Levels levels;
  levels.dark_low = 500;
  levels.air_low = 500;
  try {
    StageUnderTest stage("xray.log_attenuation", levels.params("auto"), "attenuation");
    FAIL() << "accepted air_low = dark_low";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("air_low"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("stage 'attenuation'"), std::string::npos) << e.what();
  }
}

TEST_F(LogAttenuationTest, MissingOrMismatchedPlanesAreDataPathErrors) {
  StageUnderTest stage("xray.log_attenuation", Levels{}.params("gpu"));
  FramePtr frame = Frame::create();
  frame->add_plane("high", PixelFormat::kU16, 8, 4);
  FramePtr out;
  Status s = stage.run(frame, out);
  ASSERT_TRUE(s.is_error());
  EXPECT_NE(s.message().find("no plane 'low'"), std::string::npos) << s.message();
  frame->add_plane("low", PixelFormat::kU16, 8, 5);
  s = stage.run(frame, out);
  ASSERT_TRUE(s.is_error());
  EXPECT_NE(s.message().find("8x5"), std::string::npos) << s.message();
  frame->add_plane("low", PixelFormat::kF32, 8, 4);
  s = stage.run(frame, out);
  ASSERT_TRUE(s.is_error());
  EXPECT_NE(s.message().find("f32"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace oi::gpu::testing
