// The `oi` tool with GPU stages: `oi gpu [--json]`, the gpu_shader sample, a gpu.shader
// pipeline written by the test run through `oi run`, and the same without a Vulkan driver.

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "gpu_test_fixture.hpp"
#include "oi/gpu/device_info.hpp"
#include "process.hpp"

namespace oi::gpu::testing {
namespace {

const std::string kOi = OI_EXE;
// The loader finds no Vulkan driver at all.
const std::map<std::string, std::string> kNoDriver = {
    {"VK_ICD_FILENAMES", "/nonexistent/openinspect-no-driver.json"},
    {"VK_DRIVER_FILES", "/nonexistent/openinspect-no-driver.json"},
    {"VK_ADD_DRIVER_FILES", ""}};

oi::test::ProcessResult run(const std::vector<std::string>& argv,
                            const std::map<std::string, std::string>& env = {}) {
  static const std::filesystem::path scratch = fresh_dir("child-output");
  return oi::test::Process(argv, env, scratch.string()).wait();
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string describe(const oi::test::ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

TEST(OiGpuCommand, JsonListsDevicesAndSelectsTheBestOne) {
  const oi::test::ProcessResult r = run({kOi, "gpu", "--json"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const nlohmann::json listing = nlohmann::json::parse(r.out);
  ASSERT_TRUE(listing["devices"].is_array());
  ASSERT_FALSE(listing["devices"].empty()) << "lavapipe (mesa-vulkan-drivers) is a dependency";
  bool only_cpu_devices = true;
  for (const nlohmann::json& d : listing["devices"]) {
    for (const char* key : {"index", "name", "type", "driver"})
      ASSERT_TRUE(d.contains(key)) << key << " in " << d;
    EXPECT_TRUE(d["index"].is_number_integer());
    only_cpu_devices = only_cpu_devices && d["type"] == "cpu";
  }
  ASSERT_TRUE(listing["selected"].is_number_integer()) << listing.dump(2);
  ASSERT_TRUE(listing["reason"].is_string());
  const nlohmann::json& selected = listing["devices"][listing["selected"].get<int>()];
  if (only_cpu_devices) {
    EXPECT_TRUE(has(selected["name"].get<std::string>(), "llvmpipe")) << listing.dump(2);
  } else {
    EXPECT_NE(selected["type"], "cpu") << "a GPU ranks above lavapipe";
  }
  EXPECT_TRUE(has(listing["reason"].get<std::string>(), "highest ranked")) << listing["reason"];
}

TEST(OiGpuCommand, TextNamesTheSelectedDeviceAndItsLimits) {
  const oi::test::ProcessResult r = run({kOi, "gpu"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(has(r.out, "selected: ")) << r.out;
  EXPECT_TRUE(has(r.out, "memory heap 0")) << r.out;
  EXPECT_TRUE(has(r.out, "invocations")) << r.out;
  EXPECT_TRUE(has(r.out, "KiB shared memory")) << r.out;
}

TEST(OiGpuCommand, WithoutADriverItSaysWhyAndExitsZero) {
  oi::test::ProcessResult r = run({kOi, "gpu", "--json"}, kNoDriver);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const nlohmann::json listing = nlohmann::json::parse(r.out);
  EXPECT_TRUE(listing["devices"].empty());
  EXPECT_TRUE(listing["selected"].is_null());
  EXPECT_TRUE(has(listing["reason"].get<std::string>(), "VK_ERROR_INCOMPATIBLE_DRIVER")) << listing.dump(2);
  r = run({kOi, "gpu"}, kNoDriver);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(has(r.out, "no Vulkan device")) << r.out;
  EXPECT_TRUE(has(r.out, "mesa-vulkan-drivers")) << r.out;
}

TEST(OiRunGpu, SampleRunsAndMarksOrganicMaterial) {
  const auto out = fresh_dir("sample-out");
  const oi::test::ProcessResult r =
      run({kOi, "run", std::string(OI_SOURCE_DIR) + "/samples/gpu_shader/pipeline.yaml", "--set",
           "sink.dir=" + out.string()},
          {{"OI_CACHE_DIR", (out / "cache").string()}});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_FALSE(has(r.err, "Vulkan: ")) << "validation messages:\n" << r.err;
  EXPECT_TRUE(has(r.out, R"("backend":"gpu")")) << r.out;
  const cv::Mat organic = cv::imread((out / "000001_000000_organic.png").string(), cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(organic.empty()) << "no organic mask written";
  ASSERT_EQ(organic.type(), CV_8UC1);
  // test.pattern attenuates its low channel 1.2x the high one, as organic material does.
  EXPECT_GT(cv::countNonZero(organic), organic.total() / 20) << "organic objects were not marked";
}

TEST(OiRunGpu, UserShaderThroughOiRunWritesExpectedPlanes) {
  const auto dir = fresh_dir("oi-run");
  write_file(dir / "half.comp", R"(#version 450
#extension GL_GOOGLE_include_directive : require
#include "oi/pixel.glsl"
OI_WORKGROUP_2D;
OI_PLANE_IN(0, uint16_t, high);
OI_PLANE_OUT(1, float, half_high);
layout(push_constant) uniform Push { uvec2 size; float gain; } push;
void main() {
  uvec2 p;
  if (!oi_pixel(push.size, p)) return;
  const uint i = oi_index(p, push.size.x);
  half_high.px[i] = float(uint(high.px[i])) * push.gain;
}
)");
  write_file(dir / "pipeline.yaml", R"(devices:
  scanner: { driver: test.pattern, params: { pattern: gradient, pixels_per_line: 96, lines_per_block: 8, blocks_per_scan: 1, scans: 2 } }
stages:
  half: { type: gpu.shader, params: { shader: half.comp, inputs: [high], outputs: [half_high], constants: [gain=0.5] } }
  sink: { type: sink.image, params: { dir: output, planes: [high, half_high] } }
connections:
  - { from: scanner.out, to: half.in }
  - { from: half.out, to: sink.in }
)");
  const oi::test::ProcessResult r =
      run({kOi, "run", (dir / "pipeline.yaml").string()}, {{"OI_CACHE_DIR", (dir / "cache").string()}});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_FALSE(has(r.err, "Vulkan: ")) << "validation messages:\n" << r.err;
  for (const char* stem : {"000001_000000", "000002_000001"}) {
    const cv::Mat high =
        cv::imread((dir / "output" / (std::string(stem) + "_high.png")).string(), cv::IMREAD_UNCHANGED);
    const cv::Mat half =
        cv::imread((dir / "output" / (std::string(stem) + "_half_high.tiff")).string(), cv::IMREAD_UNCHANGED);
    ASSERT_EQ(high.type(), CV_16UC1) << stem;
    ASSERT_EQ(half.type(), CV_32FC1) << stem;
    ASSERT_EQ(half.size(), high.size());
    for (int y = 0; y < high.rows; ++y) {
      for (int x = 0; x < high.cols; ++x)
        ASSERT_EQ(half.at<float>(y, x), high.at<std::uint16_t>(y, x) * 0.5f);
    }
  }
}

TEST(OiRunGpu, ShaderErrorIsInvalidInputWithFileAndLine) {
  const auto dir = fresh_dir("oi-run-error");
  write_file(dir / "bad.comp", "#version 450\nlayout(local_size_x = 8) in;\nvoid main() {\n  oops;\n}\n");
  write_file(dir / "pipeline.yaml", R"(devices:
  scanner: { driver: test.pattern, params: { scans: 1 } }
stages:
  bad: { type: gpu.shader, params: { shader: bad.comp, inputs: [high], outputs: [x] } }
connections:
  - { from: scanner.out, to: bad.in }
)");
  const oi::test::ProcessResult r =
      run({kOi, "run", (dir / "pipeline.yaml").string()}, {{"OI_CACHE_DIR", (dir / "cache").string()}});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(has(r.err, "bad.comp:4")) << describe(r);
  EXPECT_TRUE(has(r.err, "stage 'bad'")) << describe(r);
}

TEST(OiRunGpu, WithoutADriverCpuStagesFallBackAndGpuOnlyStagesExplain) {
  const auto dir = fresh_dir("no-driver");
  write_file(dir / "pipeline.yaml", R"(devices:
  scanner: { driver: test.pattern, params: { pixels_per_line: 64, lines_per_block: 8, blocks_per_scan: 1, scans: 2 } }
stages:
  attenuation: { type: xray.log_attenuation, params: { air_high: 60000, air_low: 60000 } }
  sink: { type: sink.image, params: { dir: output, planes: [ratio] } }
connections:
  - { from: scanner.out, to: attenuation.in }
  - { from: attenuation.out, to: sink.in }
)");
  oi::test::ProcessResult r = run({kOi, "run", (dir / "pipeline.yaml").string()}, kNoDriver);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(has(r.out, R"("backend":"cpu")")) << r.out;
  EXPECT_TRUE(has(r.out + r.err, "runs its CPU implementation")) << describe(r);
  EXPECT_TRUE(std::filesystem::exists(dir / "output" / "000001_000000_ratio.tiff"));

  r = run({kOi, "run", std::string(OI_SOURCE_DIR) + "/samples/gpu_shader/pipeline.yaml", "--set",
           "sink.dir=" + (dir / "sample").string()},
          kNoDriver);
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(has(r.err, "(type 'gpu.shader'): this stage runs only on a Vulkan device")) << r.err;
  EXPECT_TRUE(has(r.err, "stage 'organic'")) << r.err;
}

}  // namespace
}  // namespace oi::gpu::testing
