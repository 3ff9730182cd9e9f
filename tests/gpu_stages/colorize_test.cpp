// xray.colorize: the GPU kernel against the CPU reference in every view, and what each view
// shows (organic orange-ish, inorganic green, metal blue, impenetrable black, empty white,
// grey for the classes a view leaves out, stretched grey in high_penetration).
//
// Tolerance GPU vs CPU: 1 per 8-bit channel (the same float formula; rounding to 8 bits may
// go the other way for a value within an ULP of a half step).

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <utility>

#include "gpu_test_fixture.hpp"
#include "oi/xray/contract.hpp"
#include "stage_harness.hpp"

namespace oi::gpu::testing {
namespace {

using Rgb = std::array<int, 3>;

FramePtr classified(int width, int height,
                    const std::function<std::pair<float, std::uint8_t>(int, int)>& value) {
  FramePtr f = Frame::create(std::string(oi::xray::frame_kind::kScan));
  Plane& a = f->add_plane(xray::plane::kAHigh, PixelFormat::kF32, width, height);
  Plane& c = f->add_plane(xray::plane::kMaterialClass, PixelFormat::kU8, width, height);
  f->add_plane(xray::plane::kZeff, PixelFormat::kF32, width, height);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) std::tie(a.row<float>(y)[x], c.row<std::uint8_t>(y)[x]) = value(x, y);
  return f;
}

FramePtr run(const char* backend, const char* view, const FramePtr& in) {
  StageUnderTest stage("xray.colorize", {{"backend", backend}, {"view", view}});
  FramePtr out;
  const Status s = stage.run(in, out);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return out;
}

Rgb pixel(const FramePtr& f, int x, int y = 0) {
  const std::uint8_t* p = std::as_const(*f).plane(xray::plane::kRgb).row<std::uint8_t>(y) + 3 * x;
  return {p[0], p[1], p[2]};
}

class ColorizeTest : public GpuTest {};

TEST_F(ColorizeTest, GpuMatchesCpuInEveryView) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> a(0.0f, 12.0f);
  std::uniform_int_distribution<int> cls(0, 5);  // 5: a code the contract does not define
  // 64 x 4: whole groups of 16 pixels (the kernel's vector path); 257 x 31 and 1 x 7 end with
  // fewer than 16 pixels, which the kernel handles one at a time.
  for (auto [w, h] : {std::pair{64, 4}, std::pair{257, 31}, std::pair{1, 7}}) {
    FramePtr in = classified(w, h, [&](int, int) { return std::pair{a(rng), std::uint8_t(cls(rng))}; });
    for (const char* view : {"standard", "organic_only", "inorganic_only", "high_penetration"}) {
      SCOPED_TRACE(view);
      FramePtr gpu = run("gpu", view, in), cpu = run("cpu", view, in);
      ASSERT_TRUE(gpu && cpu);
      ASSERT_EQ(std::as_const(*gpu).plane(xray::plane::kRgb).format, PixelFormat::kRGB8);
      EXPECT_TRUE(gpu->has_plane(xray::plane::kZeff)) << "other planes are kept";
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
          const Rgb g = pixel(gpu, x, y), c = pixel(cpu, x, y);
          for (int k = 0; k < 3; ++k)
            ASSERT_LE(std::abs(g[k] - c[k]), 1) << "channel " << k << " at " << x << "," << y;
        }
    }
  }
}

// One pixel per class at moderate attenuation (1.0), plus a thick organic (5.0) and nothing (0).
FramePtr class_row() {
  return classified(7, 1, [](int x, int) {
    static const std::pair<float, std::uint8_t> px[7] = {{0.0f, 0},  {1.0f, 1}, {1.0f, 2}, {1.0f, 3},
                                                         {12.0f, 4}, {5.0f, 1}, {0.3f, 1}};
    return px[x];
  });
}

TEST_F(ColorizeTest, StandardViewFollowsTheConvention) {
  for (const char* backend : {"gpu", "cpu"}) {
    SCOPED_TRACE(backend);
    FramePtr out = run(backend, "standard", class_row());
    EXPECT_EQ(pixel(out, 0), (Rgb{255, 255, 255})) << "empty: white";
    const Rgb organic = pixel(out, 1), inorganic = pixel(out, 2), metal = pixel(out, 3);
    EXPECT_TRUE(organic[0] > organic[1] && organic[1] > organic[2] && organic[0] > 150) << "organic: orange";
    EXPECT_TRUE(inorganic[1] > inorganic[0] + 50 && inorganic[1] > inorganic[2] + 50) << "inorganic: green";
    EXPECT_TRUE(metal[2] > metal[0] + 50 && metal[2] > metal[1] + 50) << "metal: blue";
    EXPECT_EQ(pixel(out, 4), (Rgb{0, 0, 0})) << "impenetrable: black";
    EXPECT_LT(pixel(out, 5)[0], organic[0]) << "thicker is darker";
    EXPECT_GT(pixel(out, 6)[2], organic[2]) << "thinner is paler";
  }
}

TEST_F(ColorizeTest, OrganicAndInorganicOnlyGreyTheOtherClasses) {
  for (const char* backend : {"gpu", "cpu"}) {
    SCOPED_TRACE(backend);
    auto grey = [](Rgb c) { return c[0] == c[1] && c[1] == c[2]; };
    FramePtr organic_only = run(backend, "organic_only", class_row());
    EXPECT_FALSE(grey(pixel(organic_only, 1))) << "organic stays in colour";
    EXPECT_TRUE(grey(pixel(organic_only, 2)) && grey(pixel(organic_only, 3))) << "inorganic and metal grey";
    FramePtr inorganic_only = run(backend, "inorganic_only", class_row());
    EXPECT_TRUE(grey(pixel(inorganic_only, 1))) << "organic grey";
    EXPECT_FALSE(grey(pixel(inorganic_only, 2)) || grey(pixel(inorganic_only, 3)));
  }
}

TEST_F(ColorizeTest, HighPenetrationStretchesDenseRegionsInGrey) {
  for (const char* backend : {"gpu", "cpu"}) {
    SCOPED_TRACE(backend);
    FramePtr out = run(backend, "high_penetration", classified(4, 1, [](int x, int) {
                         return std::pair{1.0f + 3.0f * x, std::uint8_t(3)};
                       }));
    EXPECT_EQ(pixel(out, 0), (Rgb{255, 255, 255})) << "below penetration_min: white";
    for (int x = 1; x < 4; ++x) {
      const Rgb c = pixel(out, x);
      EXPECT_TRUE(c[0] == c[1] && c[1] == c[2]);
      EXPECT_LT(c[0], pixel(out, x - 1)[0]) << "denser is darker at " << x;
    }
  }
}

}  // namespace
}  // namespace oi::gpu::testing
