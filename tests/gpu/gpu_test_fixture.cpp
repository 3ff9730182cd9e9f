#include "gpu_test_fixture.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace oi::gpu::testing {
namespace {

std::filesystem::path process_dir() {
  static const std::filesystem::path dir = [] {
    auto path = std::filesystem::temp_directory_path() / ("oi-gpu-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
    return path;
  }();
  return dir;
}

// Removes the process folder at exit. The constructor makes the folder first, so the
// function-local static above outlives this object.
struct Cleanup {
  Cleanup() { process_dir(); }
  ~Cleanup() {
    std::error_code ignored;
    std::filesystem::remove_all(process_dir(), ignored);
  }
} cleanup;

}  // namespace

std::filesystem::path test_cache_dir() { return process_dir() / "cache"; }

std::filesystem::path fresh_dir(const std::string& name) {
  static int counter = 0;
  auto path = process_dir() / (name + "-" + std::to_string(counter++));
  std::filesystem::create_directories(path);
  return path;
}

std::filesystem::path test_shader_dir() { return OI_GPU_TEST_SHADER_DIR; }

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

namespace {

// Every GPU test's environment: a per-process pipeline cache, and the validation layer on.
void set_test_environment() {
  // Before the runtime opens the default device, whose pipeline cache lives there.
  ::setenv("OI_CACHE_DIR", test_cache_dir().c_str(), 1);
  // ctest sets it too; this also covers running the binary by hand. An explicit
  // OI_VK_VALIDATION=0 is respected (and makes the test fail, saying so).
  ::setenv("OI_VK_VALIDATION", "1", 0);
}

std::string validation_missing() {
  return "GPU tests run with the Khronos validation layer (OI_VK_VALIDATION=1): " +
         (validation_problem().empty() ? std::string("OI_VK_VALIDATION is not 1 in this environment")
                                       : validation_problem());
}

// Fails the test on every validation message since the last clear.
void fail_on_validation_messages() {
  const std::vector<ValidationMessage> messages = validation_messages();
  for (const ValidationMessage& m : messages) {
    ADD_FAILURE() << "validation " << (m.error ? "error" : "warning") << " " << m.id_name << ": " << m.text;
  }
  clear_validation_messages();
}

}  // namespace

void GpuTest::SetUpTestSuite() { set_test_environment(); }

void GpuTest::SetUp() {
  ASSERT_TRUE(available()) << "these tests need a Vulkan device (install mesa-vulkan-drivers "
                              "for lavapipe): "
                           << unavailable_reason();
  ASSERT_TRUE(validation_enabled()) << validation_missing();
  device_ = default_device();
  clear_validation_messages();
}

void GpuTest::TearDown() {
  // Destroy what the test made first, so object-lifetime messages are caught here too.
  device_.reset();
  fail_on_validation_messages();
}

void OptionalGpuTest::SetUpTestSuite() { set_test_environment(); }

void OptionalGpuTest::require_gpu() {
  if (!available())
    GTEST_SKIP() << "no Vulkan device (mesa-vulkan-drivers gives lavapipe): " << unavailable_reason();
  ASSERT_TRUE(validation_enabled()) << validation_missing();
  gpu_used_ = true;
  clear_validation_messages();
}

void OptionalGpuTest::TearDown() {
  if (gpu_used_) fail_on_validation_messages();
}

}  // namespace oi::gpu::testing
