// The layouts a stage passes are checked against the shader's SPIR-V at kernel creation: a
// push-constant struct that differs from the GLSL block, or a specialization constant the
// shader does not declare (or declares with another type), is a clear error instead of a
// silent misread.

#include <gtest/gtest.h>

#include <string>

#include "gpu_test_fixture.hpp"

namespace oi::gpu::testing {
namespace {

using GpuKernelLayout = GpuTest;

constexpr const char* kShader = R"(#version 450
#include "oi/compute.glsl"
OI_WORKGROUP_1D;
layout(constant_id = 0) const float kScale = 1.0;
layout(constant_id = 1) const int kBias = 0;
layout(std430, binding = 0) writeonly buffer Out { float v[]; } o;
layout(push_constant) uniform Push { uint count; float offset; vec2 shift; } push;
void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= push.count) return;
  o.v[i] = kScale * float(i) + push.offset + push.shift.x + float(kBias);
}
)";

struct Push {
  std::uint32_t count;
  float offset;
  float shift[2];
};

KernelDesc desc() {
  KernelDesc d;
  d.name = "test.layout";
  d.source = ShaderSource::from_text(kShader, "layout.comp");
  d.bindings = {{"out", Access::kWrite}};
  d.push_constant_bytes = sizeof(Push);
  d.push_layout = {OI_PUSH_MEMBER(Push, count), OI_PUSH_MEMBER(Push, offset), OI_PUSH_MEMBER(Push, shift)};
  d.spec_constants = {SpecConstant::f32(0, 2.0f), SpecConstant::i32(1, 1)};
  d.workgroup = {64, 1, 1};
  return d;
}

std::string creation_error(const KernelDesc& d, const std::shared_ptr<Device>& device) {
  try {
    device->create_kernel(d);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

TEST_F(GpuKernelLayout, MatchingLayoutsCreateTheKernel) { EXPECT_EQ(creation_error(desc(), device_), ""); }

TEST_F(GpuKernelLayout, APushBlockOfAnotherSizeIsAnErrorShowingTheShadersBlock) {
  KernelDesc d = desc();
  d.push_constant_bytes = 8;
  d.push_layout.clear();
  const std::string e = creation_error(d, device_);
  EXPECT_NE(e.find("the shader's push-constant block is 16 bytes"), std::string::npos) << e;
  EXPECT_NE(e.find("count @0 (4 B), offset @4 (4 B), shift @8 (8 B)"), std::string::npos) << e;
  EXPECT_NE(e.find("passes 8 bytes"), std::string::npos) << e;
}

TEST_F(GpuKernelLayout, MembersInAnotherOrderAreAnError) {
  struct Swapped {
    float offset;
    std::uint32_t count;
    float shift[2];
  };
  KernelDesc d = desc();
  d.push_layout = {OI_PUSH_MEMBER(Swapped, offset), OI_PUSH_MEMBER(Swapped, count),
                   OI_PUSH_MEMBER(Swapped, shift)};
  const std::string e = creation_error(d, device_);
  EXPECT_NE(e.find("member 0 is 'offset' @0 (4 B) in C++ but 'count' @0 (4 B) in the shader"),
            std::string::npos)
      << e;
}

TEST_F(GpuKernelLayout, ASpecializationConstantTheShaderLacksIsAnError) {
  KernelDesc d = desc();
  d.spec_constants.push_back(SpecConstant::u32(7, 1));
  const std::string e = creation_error(d, device_);
  EXPECT_NE(e.find("specialization constant 7 is not declared by the shader (it declares constant_id 0, 1)"),
            std::string::npos)
      << e;
}

TEST_F(GpuKernelLayout, ASpecializationConstantOfAnotherTypeIsAnError) {
  KernelDesc d = desc();
  d.spec_constants = {SpecConstant::u32(0, 2), SpecConstant::i32(1, 1)};
  const std::string e = creation_error(d, device_);
  EXPECT_NE(e.find("specialization constant 0 is a 32-bit float in the shader but the stage passes a uint"),
            std::string::npos)
      << e;
}

}  // namespace
}  // namespace oi::gpu::testing
