// A per-pixel kernel against a CPU reference on random and edge inputs, and two dependent
// kernels recorded into one command buffer.

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "gpu_test_fixture.hpp"

namespace oi::gpu::testing {
namespace {

// Tolerance for -ln(x) on the GPU: Vulkan allows 3 ULP (or 2^-21 absolute near 1) for log.
constexpr float kTolerance = 1e-5f;
constexpr float kDark = 100.0f;
constexpr float kAir = 60000.0f;

struct AttenuationPush {
  std::uint32_t width, height;
  float dark, air;
};
struct SizePush {
  std::uint32_t width, height;
};

float reference_attenuation(std::uint16_t counts) {
  const float signal = std::max(static_cast<float>(counts) - kDark, 1.0f);
  return -std::log(signal / (kAir - kDark));
}

class GpuPixelKernel : public GpuTest {
 protected:
  void SetUp() override {
    GpuTest::SetUp();
    if (HasFatalFailure()) return;
    KernelDesc desc;
    desc.name = "test.log_attenuation";
    desc.source = ShaderSource::from_file(test_shader_dir() / "log_attenuation.comp");
    desc.bindings = {{"counts", Access::kRead}, {"attenuation", Access::kWrite}};
    desc.push_constant_bytes = sizeof(AttenuationPush);
    attenuation_ = device_->create_kernel(desc);
    desc.name = "test.threshold";
    desc.source = ShaderSource::from_file(test_shader_dir() / "threshold.comp");
    desc.bindings = {{"value", Access::kRead}, {"mask", Access::kWrite}};
    desc.push_constant_bytes = sizeof(SizePush);
    desc.spec_constants = {SpecConstant::f32(0, 1.0f)};
    threshold_ = device_->create_kernel(desc);
    recorder_ = device_->create_recorder();
  }
  void TearDown() override {
    recorder_.reset();
    attenuation_.reset();
    threshold_.reset();
    GpuTest::TearDown();
  }

  // Runs attenuation then threshold in one submission; checks both against the reference.
  void check(int width, int height, const std::function<std::uint16_t(int, int)>& input) {
    SCOPED_TRACE(std::to_string(width) + "x" + std::to_string(height));
    Plane counts = make_gpu_plane(device_, PixelFormat::kU16, width, height);
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) counts.row<std::uint16_t>(y)[x] = input(x, y);
    }
    Plane attenuation = make_gpu_plane(device_, PixelFormat::kF32, width, height);
    Plane mask = make_gpu_plane(device_, PixelFormat::kU8, width, height);
    const auto w = static_cast<std::uint32_t>(width);
    const auto h = static_cast<std::uint32_t>(height);
    ASSERT_TRUE(
        recorder_
            ->dispatch_grid(*attenuation_, {counts, attenuation}, AttenuationPush{w, h, kDark, kAir}, w, h)
            .is_ok());
    ASSERT_TRUE(recorder_->dispatch_grid(*threshold_, {attenuation, mask}, SizePush{w, h}, w, h).is_ok());
    EXPECT_EQ(recorder_->dispatch_count(), 2u);
    if (device_->unified_memory()) {
      // Staged planes (discrete GPUs) add upload barriers; in place only the dependency is left.
      EXPECT_EQ(recorder_->barrier_count(), 1u) << "threshold reads what attenuation wrote";
    }
    ASSERT_TRUE(recorder_->submit_and_wait().is_ok());

    const Plane& a = attenuation;
    const Plane& m = mask;
    const Plane& c = counts;
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        const float expected = reference_attenuation(c.row<std::uint16_t>(y)[x]);
        const float got = a.row<float>(y)[x];
        ASSERT_NEAR(got, expected, kTolerance * std::max(1.0f, std::fabs(expected)))
            << "pixel " << x << "," << y;
        ASSERT_EQ(m.row<std::uint8_t>(y)[x], got > 1.0f ? 255 : 0) << "pixel " << x << "," << y;
      }
    }
  }

  std::shared_ptr<Kernel> attenuation_;
  std::shared_ptr<Kernel> threshold_;
  std::unique_ptr<CommandRecorder> recorder_;
};

TEST_F(GpuPixelKernel, RandomInputMatchesCpuReference) {
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> counts(0, 65535);
  check(256, 192, [&](int, int) { return static_cast<std::uint16_t>(counts(rng)); });
}

TEST_F(GpuPixelKernel, EdgeValues) {
  check(64, 48, [](int, int) { return std::uint16_t{0}; });
  check(64, 48, [](int, int) { return std::uint16_t{65535}; });
  check(64, 48, [](int x, int y) {  // around dark and air
    const std::uint16_t values[] = {99, 100, 101, 59999, 60000, 60001};
    return values[(x + y) % 6];
  });
}

TEST_F(GpuPixelKernel, OddAndDegenerateSizes) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> counts(0, 65535);
  auto random = [&](int, int) { return static_cast<std::uint16_t>(counts(rng)); };
  check(17, 13, random);  // neither a multiple of the workgroup
  check(1, 301, random);  // 1xN
  check(301, 1, random);  // Nx1
  check(1, 1, random);
  check(33, 1, random);  // odd u8 row: the mask plane is not a multiple of 4 bytes
}

TEST_F(GpuPixelKernel, EmptyPlaneDispatchesNothing) {
  Plane counts = make_gpu_plane(device_, PixelFormat::kU16, 0, 5);
  Plane out = make_gpu_plane(device_, PixelFormat::kF32, 0, 5);
  EXPECT_TRUE(recorder_->dispatch_grid(*attenuation_, {counts, out}, AttenuationPush{0, 5, kDark, kAir}, 0, 5)
                  .is_ok());
  EXPECT_EQ(recorder_->dispatch_count(), 0u);
  EXPECT_TRUE(recorder_->submit_and_wait().is_ok());
}

}  // namespace
}  // namespace oi::gpu::testing
