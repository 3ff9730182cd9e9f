// Behaviour that depends on the environment the runtime starts in: no Vulkan driver at all,
// and OI_VK_DEVICE. Each body runs in a fresh child process (gtest death-test machinery in
// "threadsafe" style re-executes this binary), so the runtime starts there with exactly the
// environment the test sets. The parent never touches the runtime.

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>

#include "oi/gpu/gpu.hpp"

namespace oi::gpu::testing {
namespace {

// Runs `check` in a child; it returns an empty string on success, else what went wrong.
void in_child(const std::function<std::string()>& check) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ::setenv("OI_VK_VALIDATION", "1", 0);  // as ctest does; covers a run by hand
        const std::string problem = check();
        std::fprintf(stderr, "%s\n", problem.empty() ? "child ok" : problem.c_str());
        std::exit(problem.empty() ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "child ok");
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A stage with a CPU implementation: uses the GPU when there is one, else plain C++.
int count_above(const std::vector<float>& values, float threshold) {
  if (available()) return -1;  // the GPU path is exercised by the other tests
  int n = 0;
  for (float v : values) n += v > threshold ? 1 : 0;
  return n;
}

TEST(GpuRuntimeEnv, NoVulkanDriverIsReportedOnceAndCpuFallbackWorks) {
  in_child([]() -> std::string {
    // The loader finds no driver: an empty driver list.
    ::setenv("VK_ICD_FILENAMES", "/nonexistent/openinspect-no-driver.json", 1);
    ::setenv("VK_DRIVER_FILES", "/nonexistent/openinspect-no-driver.json", 1);
    ::unsetenv("VK_ADD_DRIVER_FILES");
    std::ostringstream log;
    spdlog::default_logger()->sinks().push_back(std::make_shared<spdlog::sinks::ostream_sink_mt>(log));

    if (available()) return "available() is true without a driver";
    if (available()) return "available() changed its mind";
    const std::string reason = unavailable_reason();
    if (!contains(reason, "no Vulkan device") || !contains(reason, "vkCreateInstance failed") ||
        !contains(reason, "VK_ERROR_INCOMPATIBLE_DRIVER") || !contains(reason, "mesa-vulkan-drivers")) {
      return "unclear reason: " + reason;
    }
    try {
      default_device();
      return "default_device() did not throw";
    } catch (const GpuUnavailableError& e) {
      if (std::string(e.what()) != reason) return std::string("different message: ") + e.what();
    }
    const DeviceListing listing = list_devices();
    if (!listing.devices.empty() || listing.selected.has_value() ||
        !contains(listing.reason, "VK_ERROR_INCOMPATIBLE_DRIVER")) {
      return "listing: " + listing.to_json().dump();
    }
    if (listing.to_json()["selected"] != nullptr) return "selected must be JSON null";
    if (count_above({0.5f, 1.5f, 2.5f}, 1.0f) != 2) return "CPU fallback gave a wrong result";
    // Said once, however often asked.
    const std::string text = log.str();
    std::size_t said = 0;
    for (std::size_t at = text.find("no Vulkan device"); at != std::string::npos;
         at = text.find("no Vulkan device", at + 1)) {
      ++said;
    }
    if (said != 1) return "reported " + std::to_string(said) + " times: " + text;
    return {};
  });
}

TEST(GpuRuntimeEnv, OverrideByIndex) {
  in_child([]() -> std::string {
    ::setenv("OI_VK_DEVICE", "0", 1);
    if (!available()) return unavailable_reason();
    if (default_device()->info().index != 0) return "device 0 was not used";
    const DeviceListing listing = list_devices();
    if (listing.selected != 0 || !contains(listing.reason, "OI_VK_DEVICE=0")) {
      return "listing: " + listing.to_json().dump();
    }
    return {};
  });
}

TEST(GpuRuntimeEnv, OverrideByCaseInsensitiveName) {
  in_child([]() -> std::string {
    ::setenv("OI_VK_DEVICE", "LLVMPIPE", 1);
    if (!available()) return unavailable_reason();
    if (!contains(default_device()->info().name, "llvmpipe")) {
      return "selected " + default_device()->info().name;
    }
    return {};
  });
}

TEST(GpuRuntimeEnv, BadOverrideIsAClearErrorListingDevices) {
  in_child([]() -> std::string {
    ::setenv("OI_VK_DEVICE", "99", 1);
    if (available()) return "OI_VK_DEVICE=99 was accepted";
    const std::string reason = unavailable_reason();
    if (!contains(reason, "OI_VK_DEVICE=99") || !contains(reason, "llvmpipe")) {
      return "unclear reason: " + reason;
    }
    const DeviceListing listing = list_devices();
    if (listing.selected.has_value() || !contains(listing.reason, "OI_VK_DEVICE=99") ||
        listing.devices.empty()) {
      return "listing: " + listing.to_json().dump();
    }
    return {};
  });
}

}  // namespace
}  // namespace oi::gpu::testing
