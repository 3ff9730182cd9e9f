// Kernels: specialization and push constants, workgroup size from device limits, and the
// errors a stage author meets.

#include <gtest/gtest.h>

#include "gpu_test_fixture.hpp"

namespace oi::gpu::testing {
namespace {

using GpuKernel = GpuTest;

constexpr const char* kSpecPushShader = R"(#version 450
#include "oi/compute.glsl"
OI_WORKGROUP_1D;
layout(constant_id = 0) const float kScale = 1.0;
layout(constant_id = 1) const int kBias = 0;
layout(std430, binding = 0) writeonly buffer Out { float v[]; } o;
layout(push_constant) uniform Push { uint count; float offset; } push;
void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= push.count) return;
  o.v[i] = kScale * float(i) + push.offset + float(kBias);
}
)";

struct SpecPush {
  std::uint32_t count;
  float offset;
};

KernelDesc spec_push_desc() {
  KernelDesc desc;
  desc.name = "test.spec_push";
  desc.source = ShaderSource::from_text(kSpecPushShader, "spec_push.comp");
  desc.bindings = {{"out", Access::kWrite}};
  desc.push_constant_bytes = sizeof(SpecPush);
  desc.spec_constants = {SpecConstant::f32(0, 2.5f), SpecConstant::i32(1, -3)};
  desc.workgroup = {64, 1, 1};
  return desc;
}

TEST_F(GpuKernel, SpecializationAndPushConstantsReachTheShader) {
  auto kernel = device_->create_kernel(spec_push_desc());
  EXPECT_EQ(kernel->local_size(), (std::array<std::uint32_t, 3>{64, 1, 1}));
  constexpr std::uint32_t kCount = 1000;  // not a multiple of 64: the tail is bounds-checked
  Plane out = make_gpu_plane(device_, PixelFormat::kF32, kCount, 1);
  auto recorder = device_->create_recorder();
  const SpecPush push{kCount, 0.25f};
  ASSERT_TRUE(recorder
                  ->dispatch(*kernel, std::vector<BufferRef>{out}, std::as_bytes(std::span(&push, 1)),
                             kernel->groups_for(kCount, 1))
                  .is_ok());
  ASSERT_TRUE(recorder->submit_and_wait().is_ok());
  const float* values = std::as_const(out).row<float>(0);
  for (std::uint32_t i = 0; i < kCount; ++i) {
    ASSERT_FLOAT_EQ(values[i], 2.5f * static_cast<float>(i) + 0.25f - 3.0f) << "i = " << i;
  }
}

TEST_F(GpuKernel, WorkgroupSizeIsClampedToDeviceLimits) {
  const VkPhysicalDeviceLimits& limits = device_->limits();
  KernelDesc wide = spec_push_desc();
  wide.workgroup = {1u << 20, 1, 1};
  auto kernel = device_->create_kernel(wide);
  EXPECT_EQ(kernel->local_size()[0],
            std::min(limits.maxComputeWorkGroupSize[0], limits.maxComputeWorkGroupInvocations));

  KernelDesc square;
  square.name = "test.square";
  square.source = ShaderSource::from_text(R"(#version 450
#include "oi/compute.glsl"
OI_WORKGROUP_2D;
layout(std430, binding = 0) writeonly buffer Out { uint v[]; } o;
void main() { o.v[0] = gl_WorkGroupSize.x * gl_WorkGroupSize.y; }
)",
                                          "square.comp");
  square.bindings = {{"out", Access::kWrite}};
  square.workgroup = {1024, 1024, 1};
  auto big = device_->create_kernel(square);
  const auto size = big->local_size();
  EXPECT_LE(size[0] * size[1], limits.maxComputeWorkGroupInvocations);
  EXPECT_LE(size[0], limits.maxComputeWorkGroupSize[0]);
  EXPECT_EQ(size[0], size[1]) << "halving the largest axis keeps a square tile square";
  // The shader sees the same size the runtime reports.
  Plane out = make_gpu_plane(device_, PixelFormat::kF32, 1, 1);
  auto recorder = device_->create_recorder();
  ASSERT_TRUE(recorder->dispatch(*big, std::vector<BufferRef>{out}, {}, {1, 1, 1}).is_ok());
  ASSERT_TRUE(recorder->submit_and_wait().is_ok());
  EXPECT_EQ(std::as_const(out).row<std::uint32_t>(0)[0], size[0] * size[1]);
}

TEST_F(GpuKernel, FixedLocalSizeIsHonoured) {
  KernelDesc desc;
  desc.name = "test.fixed";
  desc.source = ShaderSource::from_text(
      "#version 450\nlayout(local_size_x = 8, local_size_y = 4) in;\nvoid main() {}\n", "fixed.comp");
  EXPECT_EQ(device_->create_kernel(desc)->local_size(), (std::array<std::uint32_t, 3>{8, 4, 1}));
}

TEST_F(GpuKernel, BadDescriptionsAreConfigErrors) {
  KernelDesc reserved = spec_push_desc();
  reserved.spec_constants.push_back(SpecConstant::u32(kLocalSizeXId, 7));
  EXPECT_THROW(device_->create_kernel(reserved), ConfigError);
  KernelDesc odd_push = spec_push_desc();
  odd_push.push_constant_bytes = 6;
  EXPECT_THROW(device_->create_kernel(odd_push), ConfigError);
  KernelDesc undeclared = spec_push_desc();
  undeclared.bindings.clear();
  try {
    device_->create_kernel(undeclared);
    ADD_FAILURE() << "a shader binding missing from KernelDesc::bindings was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("uses storage buffer binding 0"), std::string::npos) << e.what();
  }
  KernelDesc broken = spec_push_desc();
  broken.source.text += "\nthis is not glsl\n";
  EXPECT_THROW(device_->create_kernel(broken), ShaderCompileError);
}

TEST_F(GpuKernel, DispatchMistakesAreStatusErrorsThatNameTheProblem) {
  auto kernel = device_->create_kernel(spec_push_desc());
  auto recorder = device_->create_recorder();
  const SpecPush push{4, 0};
  const auto push_bytes = std::as_bytes(std::span(&push, 1));
  Plane gpu = make_gpu_plane(device_, PixelFormat::kF32, 4, 1);
  Plane host = Plane::allocate(PixelFormat::kF32, 4, 1);

  Status s = recorder->dispatch(*kernel, {}, push_bytes, {1, 1, 1});
  EXPECT_NE(s.message().find("declares 1 bindings but the dispatch passes 0"), std::string::npos)
      << s.message();
  s = recorder->dispatch(*kernel, std::vector<BufferRef>{gpu}, {}, {1, 1, 1});
  EXPECT_NE(s.message().find("8 bytes of push constants"), std::string::npos) << s.message();
  s = recorder->dispatch(*kernel, std::vector<BufferRef>{host}, push_bytes, {1, 1, 1});
  EXPECT_NE(s.message().find("to_gpu_plane"), std::string::npos) << s.message();
  s = recorder->dispatch(*kernel, std::vector<BufferRef>{gpu}, push_bytes,
                         {device_->limits().maxComputeWorkGroupCount[0] + 1, 1, 1});
  EXPECT_NE(s.message().find("maxComputeWorkGroupCount"), std::string::npos) << s.message();
  // After errors the recorder is clean and works.
  EXPECT_TRUE(recorder->dispatch(*kernel, std::vector<BufferRef>{gpu}, push_bytes, {1, 1, 1}).is_ok());
  EXPECT_TRUE(recorder->submit_and_wait().is_ok());
}

}  // namespace
}  // namespace oi::gpu::testing
