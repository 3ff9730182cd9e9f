#pragma once
// Base fixture of the GPU tests: requires a Vulkan device and an active validation layer
// (both are dependencies: mesa-vulkan-drivers, vulkan-validationlayers), gives each test
// process its own cache folder, and fails the test on any validation message.

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <vector>

#include "oi/gpu/gpu.hpp"

namespace oi::gpu::testing {

class GpuTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  void SetUp() override;
  void TearDown() override;

  /// The runtime's default device (checked in SetUp).
  std::shared_ptr<Device> device_;
};

/// For suites of which only some tests use the GPU: the same environment as GpuTest, and a
/// test that calls REQUIRE_GPU() is skipped without a Vulkan device, fails without the
/// validation layer, and fails on any validation message.
class OptionalGpuTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  void TearDown() override;
  /// Skips the test without a Vulkan device; fails it without the validation layer. Use
  /// through REQUIRE_GPU().
  void require_gpu();

 private:
  bool gpu_used_ = false;
};

/// Skips (no device) or stops (no validation layer) the calling test of an OptionalGpuTest.
#define REQUIRE_GPU()                             \
  do {                                            \
    require_gpu();                                \
    if (IsSkipped() || HasFatalFailure()) return; \
  } while (false)

/// The per-process cache folder the fixture set OI_CACHE_DIR to.
std::filesystem::path test_cache_dir();
/// A fresh empty folder under the test's temporary directory.
std::filesystem::path fresh_dir(const std::string& name);
/// Folder of the test shaders (tests/gpu/shaders).
std::filesystem::path test_shader_dir();
/// Writes `text` to `path` (creating folders).
void write_file(const std::filesystem::path& path, const std::string& text);

}  // namespace oi::gpu::testing
