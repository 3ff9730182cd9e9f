// GPU stages with no Vulkan driver at all: each body runs in a fresh child process (gtest
// death-test machinery, "threadsafe" style re-executes this binary) whose loader is pointed
// at an empty driver list before the runtime starts. The parent never touches the runtime.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <opencv2/core.hpp>

#include "log_attenuation_cpu.hpp"
#include "oi/frame_cv.hpp"
#include "oi/gpu/plane_memory.hpp"
#include "oi/gpu/runtime.hpp"
#include "stage_harness.hpp"

namespace oi::gpu::testing {
namespace {

// Runs `check` in a child without a Vulkan driver; it returns an empty string on success.
void without_driver(const std::function<std::string()>& check) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ::setenv("VK_ICD_FILENAMES", "/nonexistent/openinspect-no-driver.json", 1);
        ::setenv("VK_DRIVER_FILES", "/nonexistent/openinspect-no-driver.json", 1);
        ::unsetenv("VK_ADD_DRIVER_FILES");
        ::setenv("OI_VK_VALIDATION", "1", 0);
        std::string problem;
        try {
          problem = check();
        } catch (const std::exception& e) {
          problem = std::string("threw: ") + e.what();
        }
        std::fprintf(stderr, "%s\n", problem.empty() ? "child ok" : problem.c_str());
        std::exit(problem.empty() ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "child ok");
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(GpuStagesWithoutDriver, LogAttenuationFallsBackToItsCpuImplementation) {
  without_driver([]() -> std::string {
    if (available()) return "a Vulkan device is available";
    StageUnderTest stage("xray.log_attenuation", {{"air_high", 60000.0}, {"air_low", 60000.0}});
    const nlohmann::json summary = stage.summary();
    if (summary["backend"] != "cpu" || !summary["device"].is_null() ||
        !has(summary["reason"].get<std::string>(), "no Vulkan device")) {
      return "summary: " + summary.dump();
    }
    FramePtr in = make_dual_energy_frame(33, 7, [](int x, int y, int c) {
      return static_cast<std::uint16_t>((x * 1999 + y * 7 + c * 13) % 65536);
    });
    FramePtr out;
    if (Status s = stage.run(in, out); !s.is_ok()) return s.message();
    cv::Mat a_high, a_low, ratio;
    xray::DualEnergyLevels levels;
    levels.air_high = levels.air_low = 60000;
    xray::dual_energy_reference(as_mat(std::as_const(*in).plane("high")),
                                as_mat(std::as_const(*in).plane("low")), levels, a_high, a_low, ratio);
    const std::pair<const char*, cv::Mat*> expected[] = {
        {"a_high", &a_high}, {"a_low", &a_low}, {"ratio", &ratio}};
    for (const auto& [name, mat] : expected) {
      const Plane& plane = std::as_const(*out).plane(name);
      if (gpu_memory_of(plane) != nullptr) return std::string(name) + " is a GPU plane";
      if (cv::norm(as_mat(plane), *mat, cv::NORM_INF) != 0)
        return std::string(name) + " differs from the reference";
    }
    return {};
  });
}

TEST(GpuStagesWithoutDriver, BackendGpuIsAConfigErrorSayingWhy) {
  without_driver([]() -> std::string {
    try {
      StageUnderTest stage("xray.log_attenuation", {{"backend", "gpu"}}, "attenuation");
      return "started without a device";
    } catch (const ConfigError& e) {
      const std::string text = e.what();
      if (!has(text, "stage 'attenuation'") || !has(text, "backend: gpu") || !has(text, "no Vulkan device") ||
          !has(text, "backend: auto")) {
        return "unclear: " + text;
      }
    }
    return {};
  });
}

TEST(GpuStagesWithoutDriver, GpuShaderIsAConfigErrorSayingWhy) {
  without_driver([]() -> std::string {
    const std::string shader = std::string(OI_SOURCE_DIR) + "/samples/gpu_shader/organic.comp";
    try {
      StageUnderTest stage("gpu.shader",
                           {{"shader", shader},
                            {"inputs", {"ratio", "a_high"}},
                            {"outputs", {"organic"}},
                            {"constants", {"ratio_min=1", "ratio_max=2"}}},
                           "organic");
      return "started without a device";
    } catch (const ConfigError& e) {
      const std::string text = e.what();
      if (!has(text, "gpu.shader") || !has(text, "this stage runs only on a Vulkan device") ||
          !has(text, "no Vulkan device")) {
        return "unclear: " + text;
      }
    }
    return {};
  });
}

}  // namespace
}  // namespace oi::gpu::testing
