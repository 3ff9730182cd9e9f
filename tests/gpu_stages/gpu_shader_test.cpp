// gpu.shader: a pipeline whose shader the test writes runs from YAML (load_pipeline +
// Pipeline) and produces the expected planes; configuration mistakes are ConfigErrors that
// name the shader file and line where there is one.

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "gpu_test_fixture.hpp"
#include "oi/pipeline.hpp"
#include "oi/pipeline_spec.hpp"
#include "stage_harness.hpp"

namespace oi::gpu::testing {
namespace {

// Line numbers matter: the error tests look for them.
constexpr const char* kShader = R"(#version 450
#extension GL_GOOGLE_include_directive : require
#include "oi/pixel.glsl"
OI_WORKGROUP_2D;
OI_PLANE_IN(0, uint16_t, high);
OI_PLANE_OUT(1, float, scaled);
OI_PLANE_OUT(2, uint8_t, mask);
layout(constant_id = 0) const float offset = 0.0;
layout(constant_id = 1) const uint threshold = 1000;
layout(push_constant) uniform Push { uvec2 size; float gain; int bias; } push;
void main() {
  uvec2 p;
  if (!oi_pixel(push.size, p)) return;
  const uint i = oi_index(p, push.size.x);
  const uint v = uint(high.px[i]);
  scaled.px[i] = float(v) * push.gain + offset + float(push.bias);
  mask.px[i] = uint8_t(v > threshold ? 255u : 0u);
}
)";

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

nlohmann::json shader_params(const std::filesystem::path& shader) {
  return {{"shader", shader.string()},
          {"inputs", {"high"}},
          {"outputs", {"scaled:f32", "mask"}},
          {"constants", {"gain=0.5", "bias=-3", "offset=1.25", "threshold=40000"}}};
}

class GpuShaderTest : public GpuTest {
 protected:
  // The message of the ConfigError that starting gpu.shader with `text` and `params` throws;
  // empty when it starts.
  std::string start_error(const std::string& text, nlohmann::json params = nullptr) {
    const auto file = fresh_dir("case") / "case.comp";
    write_file(file, text);
    nlohmann::json p = shader_params(file);
    if (params.is_object()) {
      for (const auto& [k, v] : params.items()) p[k] = v;
    }
    try {
      StageUnderTest stage("gpu.shader", p, "shade");
    } catch (const ConfigError& e) {
      return e.what();
    }
    return {};
  }
};

TEST_F(GpuShaderTest, PipelineFromYamlProducesTheExpectedPlanes) {
  const auto dir = fresh_dir("pipeline");
  write_file(dir / "shaders" / "scale.comp", kShader);
  write_file(dir / "pipeline.yaml", R"(devices:
  source: { driver: test.planes, params: { count: 3 } }
stages:
  shade:
    type: gpu.shader
    params:
      shader: shaders/scale.comp
      inputs: [high]
      outputs: ["scaled:f32", mask]
      constants: [gain=0.5, bias=-3, offset=1.25, threshold=40000]
  capture: { type: test.capture }
connections:
  - { from: source.out, to: shade.in }
  - { from: shade.out, to: capture.in }
)");
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> counts(0, 65535);
  set_frame_maker([&](int) {
    return make_dual_energy_frame(37, 19,
                                  [&](int, int, int) { return static_cast<std::uint16_t>(counts(rng)); });
  });
  clear_captured_frames();
  {
    const PipelineSpec spec = load_pipeline(dir / "pipeline.yaml", gpu_stage_registry());
    Pipeline pipeline(spec, gpu_stage_registry());
    const RunResult result = pipeline.run();
    ASSERT_TRUE(result.ok) << result.error;
  }
  const std::vector<FramePtr> frames = captured_frames();
  ASSERT_EQ(frames.size(), 3u);
  for (const FramePtr& frame : frames) {
    const Frame& f = *frame;
    const Plane& high = f.plane("high");
    const Plane& scaled = f.plane("scaled");
    const Plane& mask = f.plane("mask");
    ASSERT_EQ(scaled.format, PixelFormat::kF32);
    ASSERT_EQ(mask.format, PixelFormat::kU8);
    ASSERT_EQ(scaled.width, 37);
    ASSERT_EQ(mask.height, 19);
    for (int y = 0; y < 19; ++y) {
      for (int x = 0; x < 37; ++x) {
        const std::uint16_t v = high.row<std::uint16_t>(y)[x];
        ASSERT_FLOAT_EQ(scaled.row<float>(y)[x], v * 0.5f + 1.25f - 3.0f) << x << "," << y;
        ASSERT_EQ(mask.row<std::uint8_t>(y)[x], v > 40000 ? 255 : 0) << x << "," << y;
      }
    }
  }
  clear_captured_frames();
}

TEST_F(GpuShaderTest, ErrorsThroughThePipelineNameTheStageAndTheShaderLine) {
  const auto dir = fresh_dir("broken");
  write_file(dir / "broken.comp", replace(kShader, "float(v) * push.gain", "float(v) * push.gian"));
  write_file(dir / "pipeline.yaml", R"(devices:
  source: { driver: test.planes }
stages:
  shade:
    type: gpu.shader
    params: { shader: broken.comp, inputs: [high], outputs: [scaled, mask], constants: [gain=1, bias=0] }
connections:
  - { from: source.out, to: shade.in }
)");
  const PipelineSpec spec = load_pipeline(dir / "pipeline.yaml", gpu_stage_registry());
  try {
    Pipeline pipeline(spec, gpu_stage_registry());
    FAIL() << "a shader with a GLSL error started";
  } catch (const ConfigError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("stage 'shade'"), std::string::npos) << text;
    EXPECT_NE(text.find("broken.comp:16"), std::string::npos) << text;
    EXPECT_NE(text.find("gian"), std::string::npos) << text;
  }
}

TEST_F(GpuShaderTest, ConfigurationMistakesAreConfigErrors) {
  EXPECT_EQ(start_error(kShader), "");
  struct Case {
    std::string what, text;
    nlohmann::json params;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"GLSL syntax error",
       replace(kShader, "const uint v =", "const uint v = ;"),
       nullptr,
       {"case.comp:15"}},
      {"unknown constant",
       kShader,
       {{"constants", {"gain=0.5", "bias=-3", "gian=2"}}},
       {"'gian' is neither", "gain (push float)", "offset (specialization float, id 0)"}},
      {"push constant without value",
       kShader,
       {{"constants", {"gain=0.5"}}},
       {"push constant 'bias' has no value", "case.comp:10"}},
      {"buffer that is no listed plane",
       kShader,
       {{"outputs", {"scaled"}}},
       {"storage buffer 'mask' (binding 2) is not a plane", "case.comp:7"}},
      {"plane the shader does not declare",
       kShader,
       {{"outputs", {"scaled", "mask", "extra"}}},
       {"plane 'extra' has no storage buffer"}},
      {"mismatched binding numbers",
       replace(kShader, "OI_PLANE_OUT(2, uint8_t, mask)", "OI_PLANE_OUT(3, uint8_t, mask)"),
       nullptr,
       {"binding 3", "bindings 0..2", "case.comp:7"}},
      {"input not readonly",
       replace(kShader, "OI_PLANE_IN(0, uint16_t, high)", "OI_PLANE_INOUT(0, uint16_t, high)"),
       nullptr,
       {"input plane 'high' must be declared readonly", "case.comp:5"}},
      {"output format mismatch",
       kShader,
       {{"outputs", {"scaled:u16", "mask"}}},
       {"'scaled:u16' but the shader's buffer holds float"}},
      {"bad output format", kShader, {{"outputs", {"scaled:f64", "mask"}}}, {"must be u8, u16 or f32"}},
      {"int constant given a fraction",
       kShader,
       {{"constants", {"gain=0.5", "bias=1.5"}}},
       {"bias (int)", "whole number"}},
      {"constant that is no number",
       kShader,
       {{"constants", {"gain=fast", "bias=1"}}},
       {"'fast' is not a number"}},
      {"malformed constant", kShader, {{"constants", {"gain", "bias=1"}}}, {"'gain' is not NAME=VALUE"}},
      {"no size member", replace_all(kShader, "size", "extent"), nullptr, {"no `uvec2 size`"}},
      {"missing shader file",
       kShader,
       {{"shader", "/nonexistent/openinspect/x.comp"}},
       {"/nonexistent/openinspect/x.comp"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string error = start_error(c.text, c.params);
    ASSERT_FALSE(error.empty()) << "started";
    EXPECT_NE(error.find("stage 'shade'"), std::string::npos) << error;
    for (const std::string& part : c.expected)
      EXPECT_NE(error.find(part), std::string::npos) << part << " in:\n" << error;
  }
}

}  // namespace
}  // namespace oi::gpu::testing
