#pragma once
/// @file
/// What the runtime knows about a Vulkan physical device, and which one it picks and why.
/// Filled in without creating a VkDevice, so `oi gpu` can list devices cheaply.

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oi::gpu {

/// Kind of a physical device, in the order the runtime prefers them.
enum class DeviceType {
  kDiscrete,    ///< a separate GPU with its own memory
  kIntegrated,  ///< a GPU sharing memory with the CPU
  kVirtual,     ///< a GPU seen through virtualisation
  kCpu,         ///< a CPU implementation, e.g. Mesa's lavapipe ("llvmpipe")
  kOther,       ///< anything else
};

/// "discrete", "integrated", "virtual", "cpu" or "other".
std::string_view to_string(DeviceType type);

/// One memory heap of a device.
struct MemoryHeapInfo {
  std::uint64_t size_bytes = 0;  ///< heap size
  bool device_local = false;     ///< VK_MEMORY_HEAP_DEVICE_LOCAL_BIT
  bool host_visible = false;     ///< some memory type of this heap can be mapped by the host
};

/// Everything `oi gpu` prints about one device.
struct DeviceInfo {
  int index = 0;                                       ///< position in vkEnumeratePhysicalDevices order
  std::string name;                                    ///< e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"
  DeviceType type = DeviceType::kOther;                ///< kind of device
  std::uint32_t vendor_id = 0;                         ///< PCI vendor id
  std::uint32_t device_id = 0;                         ///< PCI device id
  std::string driver_name;                             ///< e.g. "llvmpipe"
  std::string driver_info;                             ///< e.g. "Mesa 22.3.6 (LLVM 15.0.6)"
  std::uint32_t driver_version = 0;                    ///< raw, vendor-encoded driver version
  std::string api_version;                             ///< Vulkan version the device supports, "1.3.230"
  std::array<std::uint8_t, 16> device_uuid{};          ///< VkPhysicalDeviceIDProperties
  std::array<std::uint8_t, 16> pipeline_cache_uuid{};  ///< keys the pipeline cache
  std::vector<MemoryHeapInfo> memory_heaps;            ///< all heaps
  std::array<std::uint32_t, 3> max_workgroup_size{};   ///< maxComputeWorkGroupSize
  std::uint32_t max_workgroup_invocations = 0;         ///< maxComputeWorkGroupInvocations
  std::array<std::uint32_t, 3> max_workgroup_count{};  ///< maxComputeWorkGroupCount
  std::uint32_t max_shared_memory_bytes = 0;           ///< maxComputeSharedMemorySize
  std::uint32_t max_storage_buffer_range = 0;          ///< largest storage-buffer binding
  std::uint32_t max_push_constants_bytes = 0;          ///< maxPushConstantsSize
  /// Device-local memory the host can map with a heap as large as the largest device-local
  /// heap (CPU devices, integrated GPUs, resizable BAR): planes are then used in place.
  bool unified_memory = false;
  bool has_compute_queue = false;    ///< a queue family with VK_QUEUE_COMPUTE_BIT exists
  bool supports_vulkan_1_1 = false;  ///< apiVersion >= 1.1, which the runtime requires
  bool storage_16bit = false;        ///< storageBuffer16BitAccess (uint16_t in SSBOs)
  bool storage_8bit = false;         ///< storageBuffer8BitAccess (uint8_t in SSBOs)
  bool shader_int64 = false;         ///< shaderInt64 (64-bit integers in shaders; enabled when supported)

  /// True when the runtime can run compute work on this device.
  bool usable() const { return has_compute_queue && supports_vulkan_1_1; }
  /// Device UUID as 8-4-4-4-12 hex.
  std::string uuid_string() const;
  /// All fields as JSON (what `oi gpu --json` prints per device, plus the short keys
  /// "index", "name", "type", "driver").
  nlohmann::json to_json() const;
};

/// The devices found, which one the runtime uses and why.
struct DeviceListing {
  std::vector<DeviceInfo> devices;  ///< every physical device, in enumeration order
  std::optional<int> selected;      ///< index into `devices`; nullopt when none is usable
  /// Why that device (e.g. "highest ranked: discrete > integrated > virtual > cpu",
  /// "OI_VK_DEVICE=1") or why none (e.g. "vkCreateInstance failed: ...").
  std::string reason;

  /// `{"devices": [...], "selected": INDEX|null, "reason": "..."}`.
  nlohmann::json to_json() const;
};

/// The result of choosing among devices.
struct DeviceSelection {
  std::optional<int> index;  ///< chosen device, nullopt when none is usable
  std::string reason;        ///< why that one, or why none
};

/// Picks a device: the highest-ranked usable one (discrete > integrated > virtual > cpu,
/// enumeration order breaks ties), or the one `override_spec` names: a decimal index, or a
/// case-insensitive substring of the device name. A pure function, used by the runtime with
/// the value of OI_VK_DEVICE.
/// @throws oi::ConfigError when `override_spec` matches no usable device; the message lists
///         the devices.
DeviceSelection select_device(const std::vector<DeviceInfo>& devices, std::string_view override_spec);

}  // namespace oi::gpu
