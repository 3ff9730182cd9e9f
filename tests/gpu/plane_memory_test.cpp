// GpuPlaneMemory residency (in place and staged), conversions, and steady-state reuse.

#include <gtest/gtest.h>

#include <numeric>

#include "gpu_test_fixture.hpp"

namespace oi::gpu::testing {
namespace {

struct SizePush {
  std::uint32_t width, height;
};

class GpuPlaneMemoryTest : public GpuTest {
 protected:
  void SetUp() override {
    GpuTest::SetUp();
    if (HasFatalFailure()) return;
    KernelDesc desc;
    desc.name = "test.add_one";
    desc.source = ShaderSource::from_text(R"(#version 450
#include "oi/pixel.glsl"
OI_WORKGROUP_2D;
OI_PLANE_INOUT(0, float, values);
layout(push_constant) uniform Push { uvec2 size; } push;
void main() {
  uvec2 p;
  if (!oi_pixel(push.size, p)) return;
  values.px[oi_index(p, push.size.x)] += 1.0;
}
)",
                                          "add_one.comp");
    desc.bindings = {{"values", Access::kReadWrite}};
    desc.push_constant_bytes = sizeof(SizePush);
    add_one_ = device_->create_kernel(desc);
    recorder_ = device_->create_recorder();
  }
  void TearDown() override {
    recorder_.reset();
    add_one_.reset();
    GpuTest::TearDown();
  }
  void add_one(const Plane& plane) {
    const auto w = static_cast<std::uint32_t>(plane.width);
    const auto h = static_cast<std::uint32_t>(plane.height);
    ASSERT_TRUE(recorder_->dispatch_grid(*add_one_, {plane}, SizePush{w, h}, w, h).is_ok());
    ASSERT_TRUE(recorder_->submit_and_wait().is_ok());
  }
  static void fill_iota(Plane& plane) {
    float* data = plane.row<float>(0);
    std::iota(data, data + plane.width * plane.height, 0.0f);
  }

  std::shared_ptr<Kernel> add_one_;
  std::unique_ptr<CommandRecorder> recorder_;
};

TEST_F(GpuPlaneMemoryTest, InPlaceOnUnifiedMemoryNeverCopies) {
  if (!device_->unified_memory()) GTEST_SKIP() << device_->info().name << " has no unified memory";
  Plane plane = make_gpu_plane(device_, PixelFormat::kF32, 31, 7);
  GpuPlaneMemory* memory = gpu_memory_of(plane);
  ASSERT_NE(memory, nullptr);
  EXPECT_TRUE(memory->in_place());
  fill_iota(plane);
  EXPECT_EQ(plane.memory->location(), MemoryLocation::kHost);
  add_one(plane);
  EXPECT_EQ(plane.memory->location(), MemoryLocation::kDevice);
  EXPECT_EQ(std::as_const(plane).row<float>(3)[5], 3 * 31 + 5 + 1.0f);
  EXPECT_EQ(plane.memory->location(), MemoryLocation::kHost);
  EXPECT_EQ(memory->upload_count(), 0u);
  EXPECT_EQ(memory->download_count(), 0u);
  // The host pointer is the mapped device buffer itself.
  EXPECT_EQ(plane.memory->host_data(), memory->device_buffer().mapped());
}

TEST_F(GpuPlaneMemoryTest, StagedPlaneCopiesOnlyWhenTheOtherSideNeedsIt) {
  const DeviceStats before = device_->stats();
  Plane plane = make_gpu_plane(device_, PixelFormat::kF32, 40, 9, Residency::kStaged);
  GpuPlaneMemory* memory = gpu_memory_of(plane);
  ASSERT_NE(memory, nullptr);
  EXPECT_FALSE(memory->in_place());
  fill_iota(plane);
  add_one(plane);  // host wrote it: one upload
  EXPECT_EQ(memory->upload_count(), 1u);
  EXPECT_EQ(plane.memory->location(), MemoryLocation::kDevice);
  add_one(plane);  // consecutive GPU work: stays on the device
  EXPECT_EQ(memory->upload_count(), 1u);
  EXPECT_EQ(memory->download_count(), 0u);

  const Plane& reader = plane;
  EXPECT_EQ(reader.row<float>(2)[3], 2 * 40 + 3 + 2.0f);    // one download
  EXPECT_EQ(reader.row<float>(8)[39], 8 * 40 + 39 + 2.0f);  // host copy now current
  EXPECT_EQ(memory->download_count(), 1u);
  EXPECT_EQ(plane.memory->location(), MemoryLocation::kHost);

  add_one(plane);  // only read by the host since: no upload
  EXPECT_EQ(memory->upload_count(), 1u);
  plane.row<float>(0)[0] = 100.0f;  // a write access syncs (one download) and marks it dirty
  EXPECT_EQ(memory->download_count(), 2u);
  add_one(plane);
  EXPECT_EQ(memory->upload_count(), 2u);
  EXPECT_EQ(reader.row<float>(0)[0], 101.0f);
  EXPECT_EQ(reader.row<float>(0)[1], 1 + 4.0f);
  EXPECT_EQ(device_->stats().uploads - before.uploads, 2u);
  EXPECT_EQ(device_->stats().downloads - before.downloads, 3u);
}

TEST_F(GpuPlaneMemoryTest, ToGpuPlaneCopiesHostPlanesAndPassesGpuPlanesThrough) {
  // A host plane with padded rows and an offset, as a cropped view would have.
  Plane host;
  host.format = PixelFormat::kU16;
  host.width = 5;
  host.height = 3;
  host.stride = 16;
  host.offset = 6;
  host.memory = std::make_shared<HostMemory>(host.offset + host.stride * 3);
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 5; ++x) host.row<std::uint16_t>(y)[x] = static_cast<std::uint16_t>(y * 10 + x);
  }
  Plane gpu = to_gpu_plane(device_, host);
  ASSERT_NE(gpu_memory_of(gpu), nullptr);
  EXPECT_EQ(gpu.stride, 10u);
  EXPECT_EQ(gpu.offset, 0u);
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 5; ++x) EXPECT_EQ(std::as_const(gpu).row<std::uint16_t>(y)[x], y * 10 + x);
  }
  Plane again = to_gpu_plane(device_, gpu);
  EXPECT_EQ(again.memory, gpu.memory) << "already on this device: no copy";
}

TEST_F(GpuPlaneMemoryTest, SteadyStateCreatesNoVulkanObjects) {
  auto frame = [&] {
    Plane plane = make_gpu_plane(device_, PixelFormat::kF32, 320, 240);
    fill_iota(plane);
    add_one(plane);
    EXPECT_EQ(std::as_const(plane).row<float>(239)[319], 239 * 320 + 319 + 1.0f);
  };
  frame();
  const DeviceStats warm = device_->stats();
  for (int i = 0; i < 5; ++i) frame();
  const DeviceStats after = device_->stats();
  EXPECT_EQ(after.memory_blocks_allocated, warm.memory_blocks_allocated);
  EXPECT_EQ(after.descriptor_pools_created, warm.descriptor_pools_created);
  EXPECT_EQ(after.command_buffers_created, warm.command_buffers_created);
  EXPECT_EQ(after.kernels_created, warm.kernels_created);
  EXPECT_EQ(after.submissions, warm.submissions + 5);
}

TEST_F(GpuPlaneMemoryTest, ManyDispatchesInOneFrameReuseDescriptorPools) {
  Plane plane = make_gpu_plane(device_, PixelFormat::kF32, 8, 8);
  auto frame = [&] {
    for (int i = 0; i < 100; ++i) {  // more sets than one descriptor pool holds
      ASSERT_TRUE(recorder_->dispatch_grid(*add_one_, {plane}, SizePush{8, 8}, 8, 8).is_ok());
    }
    EXPECT_EQ(recorder_->barrier_count(), 99u) << "each dispatch reads the previous one's write";
    ASSERT_TRUE(recorder_->submit_and_wait().is_ok());
  };
  frame();
  const std::uint64_t pools = device_->stats().descriptor_pools_created;
  frame();
  EXPECT_EQ(device_->stats().descriptor_pools_created, pools);
  EXPECT_EQ(std::as_const(plane).row<float>(7)[7], 200.0f);
}

TEST_F(GpuPlaneMemoryTest, BindingLargerThanTheDeviceLimitIsRejected) {
  const std::uint32_t limit = device_->limits().maxStorageBufferRange;
  if (limit > (256u << 20)) GTEST_SKIP() << "maxStorageBufferRange is " << limit << " bytes";
  const int width = 4096;
  const int height = static_cast<int>(limit / (width * sizeof(float))) + 1;
  Plane plane = make_gpu_plane(device_, PixelFormat::kF32, width, height);
  const Status s = recorder_->dispatch_grid(
      *add_one_, {plane}, SizePush{static_cast<std::uint32_t>(width), static_cast<std::uint32_t>(height)},
      width, height);
  ASSERT_TRUE(s.is_error());
  EXPECT_NE(s.message().find("maxStorageBufferRange"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace oi::gpu::testing
