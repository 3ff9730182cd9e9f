// oi::gpu::PixelStage: consecutive GPU stages pass planes on without copies, a CPU reader
// triggers exactly one transfer, and steady-state frames create no Vulkan objects.

#include <gtest/gtest.h>

#include <cmath>

#include "gpu_test_fixture.hpp"
#include "stage_harness.hpp"

namespace oi::gpu::testing {
namespace {

constexpr const char* kScaleShader = R"(#version 450
#extension GL_GOOGLE_include_directive : require
#include "oi/pixel.glsl"
OI_WORKGROUP_2D;
OI_PLANE_IN(0, float, source);
OI_PLANE_OUT(1, float, result);
layout(push_constant) uniform Push { uvec2 size; float factor; } push;
void main() {
  uvec2 p;
  if (!oi_pixel(push.size, p)) return;
  const uint i = oi_index(p, push.size.x);
  result.px[i] = source.px[i] * push.factor;
}
)";

// A per-pixel stage built on the helper whose planes are always staged, as on a discrete GPU.
class StagedScale final : public PixelStage {
  void on_setup(StageSpec& spec) override {
    spec.param("from", planes_from_).without_default();
    spec.param("to", planes_to_).without_default();
    spec.param("factor", factor_);
  }
  PixelKernelSpec on_start(const StageConfig&) override {
    struct Push {
      std::uint32_t width = 0, height = 0;
      float factor;
    };
    PixelKernelSpec k;
    k.source = ShaderSource::from_text(kScaleShader, "scale.comp");
    k.inputs = {{planes_from_, PixelFormat::kF32}};
    k.outputs = {{planes_to_, PixelFormat::kF32}};
    k.push_constants = push_block(Push{0, 0, factor_});
    k.residency = Residency::kStaged;
    return k;
  }
  Status process_cpu(PixelPlanes& planes) override {
    for (int y = 0; y < planes.height(); ++y) {
      for (int x = 0; x < planes.width(); ++x) {
        planes.output(planes_to_).row<float>(y)[x] = planes.input(planes_from_).row<float>(y)[x] * factor_;
      }
    }
    return Status::ok();
  }
  float factor_ = 2;
  std::string planes_from_, planes_to_;
};

void register_staged_scale() {
  static const bool once = [] {
    gpu_stage_registry().register_type("test.staged_scale", FactoryKind::kStage, "x factor, staged planes",
                                       [] { return std::make_unique<StagedScale>(); });
    return true;
  }();
  (void)once;
}

using PixelStageTest = GpuTest;

TEST_F(PixelStageTest, ChainedStagesPassStagedPlanesWithoutCopies) {
  register_staged_scale();
  StageUnderTest first("test.staged_scale",
                       {{"from", "x"}, {"to", "y"}, {"factor", 2.0}, {"backend", "gpu"}});
  StageUnderTest second("test.staged_scale",
                        {{"from", "y"}, {"to", "z"}, {"factor", 3.0}, {"backend", "gpu"}});
  FramePtr frame = Frame::create();
  Plane& x = frame->add_plane("x", PixelFormat::kF32, 40, 30);
  for (int r = 0; r < 30; ++r) {
    for (int c = 0; c < 40; ++c) x.row<float>(r)[c] = static_cast<float>(r * 40 + c);
  }
  const DeviceStats before = device_->stats();
  FramePtr after_first, after_second;
  ASSERT_TRUE(first.run(frame, after_first).is_ok());
  ASSERT_TRUE(second.run(after_first, after_second).is_ok());

  const Plane& y1 = std::as_const(*after_first).plane("y");
  const Plane& y2 = std::as_const(*after_second).plane("y");
  EXPECT_EQ(y1.memory, y2.memory) << "the second stage must bind the first stage's plane itself";
  EXPECT_EQ(std::as_const(*after_first).plane("x").memory, std::as_const(*after_second).plane("x").memory);
  EXPECT_FALSE(gpu_memory_of(y1)->in_place());
  EXPECT_EQ(y1.memory->location(), MemoryLocation::kDevice);
  const DeviceStats gpu_only = device_->stats();
  EXPECT_EQ(gpu_only.uploads - before.uploads, 1u) << "only the host plane x crosses to the device";
  EXPECT_EQ(gpu_only.downloads - before.downloads, 0u) << "nothing comes back while only GPU stages run";

  // A CPU stage reading z: exactly one download, however much it reads.
  const Plane& z = std::as_const(*after_second).plane("z");
  for (int r = 0; r < 30; ++r) {
    for (int c = 0; c < 40; ++c) ASSERT_EQ(z.row<float>(r)[c], 6.0f * static_cast<float>(r * 40 + c));
  }
  EXPECT_EQ(gpu_memory_of(z)->download_count(), 1u);
  EXPECT_EQ(gpu_memory_of(z)->upload_count(), 0u)
      << "a new output plane is cleared on the device, not uploaded";
  EXPECT_EQ(y2.row<float>(29)[39], 2.0f * (29 * 40 + 39));
  EXPECT_EQ(device_->stats().downloads - before.downloads, 2u) << "z and y, once each";
  EXPECT_EQ(device_->stats().uploads - before.uploads, 1u);
}

TEST_F(PixelStageTest, RealGpuStagesChainInPlace) {
  const auto dir = fresh_dir("chain");
  write_file(dir / "dense.comp", R"(#version 450
#extension GL_GOOGLE_include_directive : require
#include "oi/pixel.glsl"
OI_WORKGROUP_2D;
OI_PLANE_IN(0, float, ratio);
OI_PLANE_IN(1, float, a_high);
OI_PLANE_OUT(2, float, density);
layout(push_constant) uniform Push { uvec2 size; } push;
void main() {
  uvec2 p;
  if (!oi_pixel(push.size, p)) return;
  const uint i = oi_index(p, push.size.x);
  density.px[i] = ratio.px[i] * a_high.px[i];
}
)");
  StageUnderTest attenuation("xray.log_attenuation", {{"air_high", 60000.0}, {"air_low", 60000.0}});
  StageUnderTest shader(
      "gpu.shader",
      {{"shader", (dir / "dense.comp").string()}, {"inputs", {"ratio", "a_high"}}, {"outputs", {"density"}}});
  FramePtr frame = make_dual_energy_frame(70, 9, [](int x, int, int c) {
    return static_cast<std::uint16_t>(c == 0 ? 60000 - 500 * x : 60000 - 650 * x);
  });
  const DeviceStats before = device_->stats();
  FramePtr a, b;
  ASSERT_TRUE(attenuation.run(frame, a).is_ok());
  ASSERT_TRUE(shader.run(a, b).is_ok());
  EXPECT_EQ(std::as_const(*a).plane("ratio").memory, std::as_const(*b).plane("ratio").memory);
  EXPECT_EQ(std::as_const(*a).plane("a_high").memory, std::as_const(*b).plane("a_high").memory);
  ASSERT_NE(gpu_memory_of(std::as_const(*b).plane("high")), nullptr)
      << "converted inputs travel on as GPU planes";
  const DeviceStats after = device_->stats();
  EXPECT_EQ(after.downloads, before.downloads);
  EXPECT_LE(after.uploads - before.uploads, device_->unified_memory() ? 0u : 2u) << "high and low at most";
  const Plane& density = std::as_const(*b).plane("density");
  const Plane& a_low = std::as_const(*b).plane("a_low");
  for (int x = 0; x < 70; ++x) {
    const float expected = a_low.row<float>(4)[x];  // ratio * a_high = a_low where a_high >= epsilon
    const float ah = std::as_const(*b).plane("a_high").row<float>(4)[x];
    if (ah >= 0.011f) {
      EXPECT_NEAR(density.row<float>(4)[x], expected, 1e-5f * std::max(1.0f, expected)) << x;
    }
  }
}

TEST_F(PixelStageTest, SteadyStateFramesCreateNoVulkanObjects) {
  StageUnderTest stage("xray.log_attenuation", {{"backend", "gpu"}});
  auto frame = [&] {
    FramePtr out;
    ASSERT_TRUE(
        stage
            .run(make_dual_energy_frame(
                     128, 32, [](int x, int y, int) { return static_cast<std::uint16_t>(x * 300 + y); }),
                 out)
            .is_ok());
  };
  frame();
  const DeviceStats warm = device_->stats();
  for (int i = 0; i < 4; ++i) frame();
  const DeviceStats after = device_->stats();
  EXPECT_EQ(after.memory_blocks_allocated, warm.memory_blocks_allocated);
  EXPECT_EQ(after.descriptor_pools_created, warm.descriptor_pools_created);
  EXPECT_EQ(after.command_buffers_created, warm.command_buffers_created);
  EXPECT_EQ(after.kernels_created, warm.kernels_created);
  EXPECT_EQ(after.submissions, warm.submissions + 4) << "one submission per frame";
}

TEST_F(PixelStageTest, OutputPlanesAreRecycledOnlyOnceReleased) {
  // xray.log_attenuation writes every output pixel (clear_outputs = false): its output
  // planes come back from a pool, but never while a frame still holds them.
  StageUnderTest stage("xray.log_attenuation", {{"backend", "gpu"}});
  auto run = [&](std::uint16_t value) {
    FramePtr out;
    EXPECT_TRUE(stage.run(make_dual_energy_frame(33, 7, [&](int, int, int) { return value; }), out).is_ok());
    return out;
  };
  FramePtr first = run(1000);
  const PlaneMemory* first_ratio = std::as_const(*first).plane("ratio").memory.get();  // not owning
  const float first_value = std::as_const(*first).plane("a_high").row<float>(6)[32];
  FramePtr second = run(2000);
  EXPECT_NE(std::as_const(*second).plane("ratio").memory.get(), first_ratio)
      << "the first frame still holds it";
  EXPECT_EQ(std::as_const(*first).plane("a_high").row<float>(6)[32], first_value) << "held frame overwritten";
  first.reset();
  second.reset();
  FramePtr third = run(3000);
  EXPECT_EQ(std::as_const(*third).plane("ratio").memory.get(), first_ratio) << "released planes are reused";
  // Whichever plane it got, every pixel holds the new frame's value, including the last
  // pixels the shader handles one by one (33 x 7 is not a multiple of 4).
  const float expected = std::log(65535.0f / 3000.0f);
  const Plane& a_high = std::as_const(*third).plane("a_high");
  for (int y = 0; y < 7; ++y) {
    for (int x = 0; x < 33; ++x) ASSERT_NEAR(a_high.row<float>(y)[x], expected, 1e-5f) << x << "," << y;
  }
}

TEST_F(PixelStageTest, BackendCpuNeverTouchesTheDevice) {
  const DeviceStats before = device_->stats();
  StageUnderTest stage("xray.log_attenuation", {{"backend", "cpu"}});
  EXPECT_EQ(stage.summary()["backend"], "cpu");
  EXPECT_EQ(stage.summary()["device"], nullptr);
  FramePtr out;
  ASSERT_TRUE(stage.run(make_dual_energy_frame(16, 4, [](int, int, int) { return std::uint16_t{1000}; }), out)
                  .is_ok());
  EXPECT_EQ(gpu_memory_of(std::as_const(*out).plane("ratio")), nullptr);
  EXPECT_EQ(device_->stats().kernels_created, before.kernels_created);
  EXPECT_EQ(device_->stats().submissions, before.submissions);
}

}  // namespace
}  // namespace oi::gpu::testing
