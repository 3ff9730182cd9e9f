// xray.correct: references consumed and averaged, a scan before the references is an error,
// dead-pixel repair (detected from the gain and flagged), parameters as references, and the
// GPU kernel against the CPU reference.
//
// Tolerance GPU vs CPU: |dA| <= 2e-5 * max(1, |A|): Vulkan allows 3 ULP for log and 2.5 ULP
// for the division (the contract's -ln(i / i0)); at A ~ 12 that is a few 1e-6.

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <utility>

#include "gpu_test_fixture.hpp"
#include "oi/xray/contract.hpp"
#include "stage_harness.hpp"

namespace oi::gpu::testing {
namespace {

FramePtr reference_frame(const char* kind, int width, int lines,
                         const std::function<std::uint16_t(int, int, int)>& value) {
  FramePtr f = make_dual_energy_frame(width, lines, value);
  f->set_kind(std::string(oi::xray::frame_kind::kScan));
  f->metadata().attributes[xray::attr::kCalibration] = kind;
  f->metadata().end_of_scan = true;
  return f;
}

FramePtr scan_frame(int width, int lines, const std::function<std::uint16_t(int, int, int)>& value) {
  FramePtr f = make_dual_energy_frame(width, lines, value);
  f->set_kind(std::string(oi::xray::frame_kind::kScan));
  f->metadata().scan_id = 7;
  return f;
}

const float* row(const FramePtr& f, const char* plane, int y) {
  return std::as_const(*f).plane(plane).row<float>(y);
}

class CorrectTest : public GpuTest {};

TEST_F(CorrectTest, ReferenceFramesAreConsumedAveragedAndUsed) {
  for (const char* backend : {"gpu", "cpu"}) {
    SCOPED_TRACE(backend);
    StageUnderTest stage("xray.correct", {{"backend", backend}});
    FramePtr out;
    // Dark alternates 100 / 110 by line (mean 105), air 50000 / 50010 (mean 50005); low: +20.
    ASSERT_TRUE(stage
                    .run(reference_frame(
                             "dark", 16, 4,
                             [](int, int y, int c) { return std::uint16_t(100 + 10 * (y % 2) + 20 * c); }),
                         out)
                    .is_ok());
    EXPECT_EQ(out, nullptr) << "a reference frame must not be forwarded";
    ASSERT_TRUE(stage
                    .run(reference_frame(
                             "air", 16, 4,
                             [](int, int y, int c) { return std::uint16_t(50000 + 10 * (y % 2) + 20 * c); }),
                         out)
                    .is_ok());
    EXPECT_EQ(out, nullptr);
    const auto summary = stage.summary();
    EXPECT_EQ(summary["reference_frames"]["dark"], 1);
    EXPECT_EQ(summary["reference_frames"]["air"], 1);
    EXPECT_EQ(summary["reference_lines"]["air"], 4);
    FramePtr scan =
        scan_frame(16, 3, [](int x, int, int c) { return std::uint16_t(1000 + 1000 * x + 20 * c); });
    const Status s = stage.run(scan, out);
    ASSERT_TRUE(s.is_ok()) << s.message();
    ASSERT_NE(out, nullptr);
    EXPECT_TRUE(out->has_plane("high") && out->has_plane("low")) << "raw planes are kept";
    for (int x = 0; x < 16; ++x) {
      const float raw = 1000.0f + 1000.0f * x;
      EXPECT_NEAR(row(out, "a_high", 1)[x], xray::log_attenuation(raw, 105.0f, 50005.0f), 2e-5f) << x;
      EXPECT_NEAR(row(out, "a_low", 1)[x], xray::log_attenuation(raw + 20, 125.0f, 50025.0f), 2e-5f) << x;
    }
    EXPECT_EQ(stage.summary()["scans"], 1);
  }
}

TEST_F(CorrectTest, ScanBeforeReferencesIsAnErrorNamingTheFix) {
  StageUnderTest stage("xray.correct", {{"backend", "cpu"}});
  FramePtr out;
  Status s = stage.run(scan_frame(8, 2, [](int, int, int) { return std::uint16_t(1000); }), out);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("references: start"), std::string::npos) << s.message();
  EXPECT_EQ(out, nullptr) << "never silently uncorrected";
  // Dark alone is not enough either.
  ASSERT_TRUE(stage.run(reference_frame("dark", 8, 2, [](int, int, int) { return std::uint16_t(100); }), out)
                  .is_ok());
  s = stage.run(scan_frame(8, 2, [](int, int, int) { return std::uint16_t(1000); }), out);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("air reference"), std::string::npos) << s.message();
}

TEST_F(CorrectTest, DeadPixelsAreInterpolatedAndCounted) {
  for (const char* backend : {"gpu", "cpu"}) {
    SCOPED_TRACE(backend);
    // Column 5 has almost no gain (dead); column 9 is flagged.
    StageUnderTest stage("xray.correct",
                         {{"backend", backend}, {"dead_pixels", {9}}, {"dead_pixel_tolerance", 0.5}});
    FramePtr out;
    ASSERT_TRUE(
        stage.run(reference_frame("dark", 12, 2, [](int, int, int) { return std::uint16_t(100); }), out)
            .is_ok());
    ASSERT_TRUE(stage
                    .run(reference_frame("air", 12, 2,
                                         [](int x, int, int) { return std::uint16_t(x == 5 ? 300 : 60000); }),
                         out)
                    .is_ok());
    // A ramp across the line: the repaired pixels must lie between their neighbours.
    ASSERT_TRUE(
        stage
            .run(scan_frame(12, 2,
                            [](int x, int, int) { return std::uint16_t(x == 5 ? 0 : 30000 - 2000 * x); }),
                 out)
            .is_ok());
    ASSERT_NE(out, nullptr);
    const auto summary = stage.summary();
    EXPECT_EQ(summary["dead_pixels"], nlohmann::json({5, 9}));
    EXPECT_EQ(summary["repaired_pixels"], 4);
    for (int x : {5, 9}) {
      const float expected = 0.5f * (row(out, "a_high", 0)[x - 1] + row(out, "a_high", 0)[x + 1]);
      EXPECT_NEAR(row(out, "a_high", 0)[x], expected, 1e-5f) << "column " << x;
    }
  }
}

TEST_F(CorrectTest, ParamsAsReferencesAndReferenceFramesIgnoredButCounted) {
  StageUnderTest stage("xray.correct", {{"backend", "gpu"},
                                        {"references", "params"},
                                        {"dark_high", 100.0},
                                        {"air_high", 60100.0},
                                        {"dark_low", 0.0},
                                        {"air_low", 40000.0}});
  FramePtr out;
  ASSERT_TRUE(
      stage.run(reference_frame("air", 4, 2, [](int, int, int) { return std::uint16_t(1); }), out).is_ok());
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(stage.summary()["reference_frames"]["ignored"], 1);
  ASSERT_TRUE(
      stage.run(scan_frame(4, 1, [](int, int, int c) { return std::uint16_t(c == 0 ? 6100 : 4000); }), out)
          .is_ok());
  EXPECT_NEAR(row(out, "a_high", 0)[2], std::log(10.0f), 2e-5f);
  EXPECT_NEAR(row(out, "a_low", 0)[2], std::log(10.0f), 2e-5f);
}

TEST_F(CorrectTest, GpuMatchesCpuReference) {
  std::mt19937 rng(11);
  // 1024: the kernel's vector path (width a multiple of 4), several strips of lines; 202 x 19:
  // its per-pixel path with a partial strip at the end of each line; 1 and 333 x 1: edges.
  for (auto [width, lines] : {std::pair{1024, 37}, std::pair{202, 19}, std::pair{1, 9}, std::pair{333, 1}}) {
    SCOPED_TRACE(std::to_string(width) + "x" + std::to_string(lines));
    std::uniform_int_distribution<int> any(0, 65535), dark(50, 400), air(40000, 62000);
    std::vector<int> d(static_cast<std::size_t>(width)), a(static_cast<std::size_t>(width));
    for (int x = 0; x < width; ++x) {
      d[x] = dark(rng);
      a[x] = (x % 97 == 3) ? d[x] + 5 : air(rng);  // some dead columns
    }
    auto dark_f = reference_frame("dark", width, 3, [&](int x, int, int) { return std::uint16_t(d[x]); });
    auto air_f = reference_frame("air", width, 3, [&](int x, int, int) { return std::uint16_t(a[x]); });
    // Random counts, plus edge values: 0, dark, air, 65535.
    auto scan = scan_frame(width, lines, [&](int x, int y, int) {
      switch ((x + y) % 7) {
        case 0:
          return std::uint16_t(0);
        case 1:
          return std::uint16_t(d[x]);
        case 2:
          return std::uint16_t(a[x]);
        case 3:
          return std::uint16_t(65535);
        default:
          return std::uint16_t(any(rng));
      }
    });
    FramePtr results[2];
    int i = 0;
    for (const char* backend : {"gpu", "cpu"}) {
      StageUnderTest stage("xray.correct", {{"backend", backend}});
      FramePtr out;
      ASSERT_TRUE(stage.run(dark_f, out).is_ok());
      ASSERT_TRUE(stage.run(air_f, out).is_ok());
      const Status s = stage.run(scan, out);
      ASSERT_TRUE(s.is_ok()) << s.message();
      results[i++] = out;
    }
    ASSERT_NE(gpu_memory_of(std::as_const(*results[0]).plane("a_high")), nullptr) << "GPU output on the GPU";
    for (const char* plane : {"a_high", "a_low"}) {
      for (int y = 0; y < lines; ++y) {
        for (int x = 0; x < width; ++x) {
          const float c = row(results[1], plane, y)[x];
          ASSERT_NEAR(row(results[0], plane, y)[x], c, 2e-5f * std::max(1.0f, std::fabs(c)))
              << plane << " at " << x << "," << y;
          ASSERT_TRUE(c >= 0.0f && c <= xray::kMaxAttenuation);
        }
      }
    }
  }
}

}  // namespace
}  // namespace oi::gpu::testing
