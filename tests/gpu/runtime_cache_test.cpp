// SPIR-V and pipeline caches as the runtime uses them: warm hits, damaged files rebuilt with
// correct results, another device's file rejected.

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>

#include "gpu_test_fixture.hpp"

namespace oi::gpu::testing {
namespace {

struct CountPush {
  std::uint32_t count;
};

class GpuRuntimeCache : public GpuTest {
 protected:
  void SetUp() override {
    GpuTest::SetUp();
    if (HasFatalFailure()) return;
    cache_ = fresh_dir("runtime-cache");
    ::setenv("OI_CACHE_DIR", cache_.c_str(), 1);
    shader_dir_ = fresh_dir("cached-shaders");
    write_file(shader_dir_ / "value.glsl", "const float kValue = 3.0;\n");
    write_file(shader_dir_ / "fill.comp", R"(#version 450
#extension GL_GOOGLE_include_directive : require
#include "oi/compute.glsl"
#include "value.glsl"
OI_WORKGROUP_1D;
layout(std430, binding = 0) writeonly buffer Out { float v[]; } o;
layout(push_constant) uniform Push { uint count; } push;
void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i < push.count) o.v[i] = kValue + float(i);
}
)");
  }
  void TearDown() override {
    ::setenv("OI_CACHE_DIR", test_cache_dir().c_str(), 1);
    GpuTest::TearDown();
  }

  KernelDesc desc() const {
    KernelDesc d;
    d.name = "test.fill";
    d.source = ShaderSource::from_file(shader_dir_ / "fill.comp");
    d.bindings = {{"out", Access::kWrite}};
    d.push_constant_bytes = sizeof(CountPush);
    d.workgroup = {64, 1, 1};
    return d;
  }

  // Runs the kernel on `device` and checks out[i] == value + i.
  void expect_fill(const std::shared_ptr<Device>& device, const Kernel& kernel, float value) {
    Plane out = make_gpu_plane(device, PixelFormat::kF32, 100, 1);
    auto recorder = device->create_recorder();
    ASSERT_TRUE(recorder->dispatch_grid(kernel, {out}, CountPush{100}, 100, 1).is_ok());
    ASSERT_TRUE(recorder->submit_and_wait().is_ok());
    for (int i = 0; i < 100; ++i) ASSERT_EQ(std::as_const(out).row<float>(0)[i], value + i);
  }

  std::vector<std::filesystem::path> files_in(const std::string& sub) const {
    std::vector<std::filesystem::path> files;
    std::error_code ignored;
    for (const auto& e : std::filesystem::directory_iterator(cache_ / sub, ignored)) {
      files.push_back(e.path());
    }
    return files;
  }

  std::filesystem::path cache_;
  std::filesystem::path shader_dir_;
};

void damage(const std::filesystem::path& path, bool truncate) {
  std::vector<char> raw;
  {
    std::ifstream in(path, std::ios::binary);
    raw.assign(std::istreambuf_iterator<char>(in), {});
  }
  if (truncate) {
    raw.resize(raw.size() / 2);
  } else {
    for (std::size_t i = raw.size() / 2; i < raw.size() / 2 + 16 && i < raw.size(); ++i) raw[i] ^= 0x33;
  }
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(raw.data(), raw.size());
}

TEST_F(GpuRuntimeCache, SecondKernelCreationReadsTheSpirvCache) {
  const DeviceStats before = device_->stats();
  auto cold = device_->create_kernel(desc());
  EXPECT_FALSE(cold->timing().spirv_from_cache);
  auto warm = device_->create_kernel(desc());
  EXPECT_TRUE(warm->timing().spirv_from_cache);
  EXPECT_EQ(device_->stats().spirv_cache_hits - before.spirv_cache_hits, 1u);
  EXPECT_EQ(device_->stats().spirv_cache_misses - before.spirv_cache_misses, 1u);
  EXPECT_GT(cold->timing().compile_ms, 0.0);
  expect_fill(device_, *warm, 3.0f);
}

TEST_F(GpuRuntimeCache, DamagedSpirvFilesAreRebuiltAndResultsStayCorrect) {
  device_->create_kernel(desc());
  for (bool truncate : {false, true}) {
    const auto files = files_in("spirv");
    ASSERT_EQ(files.size(), 1u);
    damage(files.front(), truncate);
    auto rebuilt = device_->create_kernel(desc());
    EXPECT_FALSE(rebuilt->timing().spirv_from_cache) << (truncate ? "truncated" : "garbled");
    expect_fill(device_, *rebuilt, 3.0f);
    EXPECT_TRUE(device_->create_kernel(desc())->timing().spirv_from_cache) << "rewritten";
  }
}

// A SPIR-V file another OpenInspect version wrote (its header's format version, the 32-bit
// word after the 8-byte magic, differs) is not used: compiled again, correct, rewritten.
TEST_F(GpuRuntimeCache, SpirvFileOfAnotherFormatVersionIsRebuilt) {
  device_->create_kernel(desc());
  const auto files = files_in("spirv");
  ASSERT_EQ(files.size(), 1u);
  std::vector<char> raw;
  {
    std::ifstream in(files.front(), std::ios::binary);
    raw.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GE(raw.size(), 12u);
  std::uint32_t version = 0;
  std::memcpy(&version, raw.data() + 8, sizeof version);
  ++version;
  std::memcpy(raw.data() + 8, &version, sizeof version);
  std::ofstream(files.front(), std::ios::binary | std::ios::trunc).write(raw.data(), raw.size());
  const auto before = device_->stats();
  auto rebuilt = device_->create_kernel(desc());
  EXPECT_FALSE(rebuilt->timing().spirv_from_cache);
  EXPECT_EQ(device_->stats().spirv_cache_misses - before.spirv_cache_misses, 1u);
  expect_fill(device_, *rebuilt, 3.0f);
  EXPECT_TRUE(device_->create_kernel(desc())->timing().spirv_from_cache) << "rewritten";
}

TEST_F(GpuRuntimeCache, EditingAnIncludedFileInvalidatesTheEntry) {
  device_->create_kernel(desc());
  write_file(shader_dir_ / "value.glsl", "const float kValue = 7.0;\n");
  auto kernel = device_->create_kernel(desc());
  EXPECT_FALSE(kernel->timing().spirv_from_cache);
  expect_fill(device_, *kernel, 7.0f);
}

TEST_F(GpuRuntimeCache, DifferentDefinesAreDifferentEntries) {
  device_->create_kernel(desc());
  KernelDesc other = desc();
  other.options.defines = {{"UNUSED", "1"}};
  EXPECT_FALSE(device_->create_kernel(other)->timing().spirv_from_cache);
}

TEST_F(GpuRuntimeCache, PipelineCacheIsSavedAndLoadedByTheNextDevice) {
  const int index = device_->info().index;
  std::filesystem::path file;
  {
    auto first = open_device(index);
    EXPECT_FALSE(first->stats().pipeline_cache_loaded);
    auto kernel = first->create_kernel(desc());
    file = first->pipeline_cache_file();
    EXPECT_EQ(file.parent_path(), cache_ / "pipelines");
  }  // closing saves
  ASSERT_TRUE(std::filesystem::exists(file));
  auto second = open_device(index);
  EXPECT_TRUE(second->stats().pipeline_cache_loaded);
  EXPECT_EQ(second->stats().pipeline_cache_rejected, 0u);
  auto kernel = second->create_kernel(desc());
  EXPECT_TRUE(kernel->timing().spirv_from_cache);
  expect_fill(second, *kernel, 3.0f);
}

TEST_F(GpuRuntimeCache, DamagedPipelineCacheIsRejectedAndRebuilt) {
  const int index = device_->info().index;
  std::filesystem::path file;
  {
    auto first = open_device(index);
    first->create_kernel(desc());
    file = first->pipeline_cache_file();
  }
  for (bool truncate : {false, true}) {
    damage(file, truncate);
    {
      auto device = open_device(index);
      EXPECT_FALSE(device->stats().pipeline_cache_loaded);
      EXPECT_EQ(device->stats().pipeline_cache_rejected, 1u);
      expect_fill(device, *device->create_kernel(desc()), 3.0f);
    }
    EXPECT_TRUE(open_device(index)->stats().pipeline_cache_loaded) << "rewritten on close";
  }
}

TEST_F(GpuRuntimeCache, PipelineCacheOfAnotherDeviceIsNotUsed) {
  const int index = device_->info().index;
  std::string key;
  {
    auto first = open_device(index);
    first->create_kernel(desc());
    key = first->pipeline_cache_key();
  }
  // Another driver version is another key: no file, a miss.
  DiskCache disk(cache_ / "pipelines", "pipeline");
  std::string other_key = key;
  other_key.replace(other_key.find("driver_version="), 15, "driver_version=9");
  EXPECT_FALSE(disk.load(other_key).has_value());
  EXPECT_EQ(disk.stats().rejected, 0u);

  // A file under our key whose Vulkan header names another device (copied from another
  // machine, say) passes the file checks but must still be refused.
  auto payload = disk.load(key);
  ASSERT_TRUE(payload.has_value());
  ASSERT_GE(payload->size(), 32u);
  (*payload)[8] ^= std::byte{0xff};  // VkPipelineCacheHeaderVersionOne::vendorID
  ASSERT_TRUE(disk.store(key, *payload));
  auto device = open_device(index);
  EXPECT_FALSE(device->stats().pipeline_cache_loaded);
  EXPECT_EQ(device->stats().pipeline_cache_rejected, 1u);
  expect_fill(device, *device->create_kernel(desc()), 3.0f);
}

}  // namespace
}  // namespace oi::gpu::testing
