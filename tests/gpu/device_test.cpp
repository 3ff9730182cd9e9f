// Device listing and selection.

#include <gtest/gtest.h>

#include "gpu_test_fixture.hpp"

namespace oi::gpu::testing {
namespace {

using GpuDevice = GpuTest;

TEST_F(GpuDevice, ListingFindsLavapipeAndSelectsIt) {
  const DeviceListing listing = list_devices();
  ASSERT_FALSE(listing.devices.empty()) << listing.reason;
  ASSERT_TRUE(listing.selected.has_value()) << listing.reason;
  const DeviceInfo& selected = listing.devices[static_cast<std::size_t>(*listing.selected)];
  EXPECT_EQ(selected.index, *listing.selected);
  EXPECT_EQ(device_->info().index, *listing.selected);
  EXPECT_FALSE(listing.reason.empty());
  // CI has no GPU: lavapipe is the only device. Elsewhere a real GPU outranks it.
  bool has_lavapipe = false;
  for (const DeviceInfo& d : listing.devices) {
    if (d.name.find("llvmpipe") != std::string::npos) {
      has_lavapipe = true;
      EXPECT_EQ(d.type, DeviceType::kCpu);
      EXPECT_EQ(d.driver_name, "llvmpipe");
      EXPECT_TRUE(d.usable());
      EXPECT_TRUE(d.unified_memory) << "lavapipe's memory is host memory";
    }
  }
  EXPECT_TRUE(has_lavapipe) << "mesa-vulkan-drivers is a test dependency";
  if (listing.devices.size() == 1) {
    EXPECT_NE(selected.name.find("llvmpipe"), std::string::npos);
  }

  EXPECT_FALSE(selected.memory_heaps.empty());
  EXPECT_GT(selected.memory_heaps.front().size_bytes, 0u);
  EXPECT_GE(selected.max_workgroup_invocations, 128u);
  EXPECT_GE(selected.max_workgroup_size[0], 128u);
  EXPECT_GE(selected.max_shared_memory_bytes, 16384u);
  EXPECT_GT(selected.max_storage_buffer_range, 0u);
  EXPECT_EQ(selected.uuid_string().size(), 36u);
  EXPECT_NE(selected.api_version.find('.'), std::string::npos);
}

TEST_F(GpuDevice, ListingJsonHasTheDocumentedShape) {
  const nlohmann::json json = list_devices().to_json();
  ASSERT_TRUE(json.contains("devices"));
  ASSERT_TRUE(json["devices"].is_array());
  ASSERT_FALSE(json["devices"].empty());
  for (const auto& d : json["devices"]) {
    for (const char* key : {"index", "name", "type", "driver", "memory_heaps", "max_workgroup_size",
                            "max_shared_memory_bytes"}) {
      EXPECT_TRUE(d.contains(key)) << key;
    }
  }
  EXPECT_TRUE(json["selected"].is_number_integer());
  EXPECT_TRUE(json["reason"].is_string());
}

DeviceInfo fake(int index, const std::string& name, DeviceType type, bool usable = true) {
  DeviceInfo d;
  d.index = index;
  d.name = name;
  d.type = type;
  d.has_compute_queue = usable;
  d.supports_vulkan_1_1 = true;
  return d;
}

TEST(GpuDeviceSelection, RanksDiscreteIntegratedVirtualCpu) {
  const std::vector<DeviceInfo> devices = {
      fake(0, "llvmpipe (LLVM 15)", DeviceType::kCpu),
      fake(1, "Intel(R) UHD Graphics", DeviceType::kIntegrated),
      fake(2, "NVIDIA RTX A2000", DeviceType::kDiscrete, /*usable=*/false),
      fake(3, "AMD Radeon RX 7600", DeviceType::kDiscrete), fake(4, "virtio-gpu", DeviceType::kVirtual)};
  EXPECT_EQ(select_device(devices, "").index, 3);  // 2 has no compute queue
  EXPECT_EQ(select_device({devices[0], devices[4]}, "").index, 4);
  EXPECT_EQ(select_device({devices[0], devices[1], devices[4]}, "").index, 1);
  EXPECT_FALSE(select_device({devices[2]}, "").index.has_value());
  EXPECT_FALSE(select_device({}, "").index.has_value());
}

TEST(GpuDeviceSelection, OverrideByIndexAndCaseInsensitiveName) {
  const std::vector<DeviceInfo> devices = {fake(0, "llvmpipe (LLVM 15)", DeviceType::kCpu),
                                           fake(1, "AMD Radeon RX 7600", DeviceType::kDiscrete)};
  DeviceSelection by_index = select_device(devices, "0");
  EXPECT_EQ(by_index.index, 0);
  EXPECT_NE(by_index.reason.find("OI_VK_DEVICE=0"), std::string::npos);
  EXPECT_EQ(select_device(devices, "LLVMpipe").index, 0);
  EXPECT_EQ(select_device(devices, "radeon").index, 1);
}

TEST(GpuDeviceSelection, BadOverrideIsAnErrorListingTheDevices) {
  const std::vector<DeviceInfo> devices = {fake(0, "llvmpipe (LLVM 15)", DeviceType::kCpu),
                                           fake(1, "NVIDIA RTX A2000", DeviceType::kDiscrete, false)};
  for (const char* bad : {"7", "-1", "geforce"}) {
    try {
      select_device(devices, bad);
      ADD_FAILURE() << "OI_VK_DEVICE=" << bad << " was accepted";
    } catch (const ConfigError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(std::string("OI_VK_DEVICE=") + bad), std::string::npos) << what;
      EXPECT_NE(what.find("0: llvmpipe (LLVM 15) (cpu)"), std::string::npos) << what;
    }
  }
  EXPECT_THROW(select_device(devices, "1"), ConfigError);  // exists but has no compute queue
}

}  // namespace
}  // namespace oi::gpu::testing
