#include "oi/gpu/device_info.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <vector>

#include "device_query.hpp"
#include "oi/error.hpp"
#include "vk_util.hpp"

namespace oi::gpu {
namespace {

DeviceType to_device_type(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return DeviceType::kDiscrete;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return DeviceType::kIntegrated;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return DeviceType::kVirtual;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return DeviceType::kCpu;
    default:
      return DeviceType::kOther;
  }
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string describe(const std::vector<DeviceInfo>& devices) {
  if (devices.empty()) return "no devices found";
  std::string out = "devices:";
  for (const DeviceInfo& d : devices) {
    out += " " + std::to_string(d.index) + ": " + d.name + " (" + std::string(to_string(d.type)) +
           (d.usable() ? "" : ", unusable") + ");";
  }
  out.pop_back();
  return out;
}

}  // namespace

std::string_view to_string(DeviceType type) {
  switch (type) {
    case DeviceType::kDiscrete:
      return "discrete";
    case DeviceType::kIntegrated:
      return "integrated";
    case DeviceType::kVirtual:
      return "virtual";
    case DeviceType::kCpu:
      return "cpu";
    case DeviceType::kOther:
      return "other";
  }
  return "other";
}

std::string DeviceInfo::uuid_string() const {
  std::string out;
  char hex[3];
  for (std::size_t i = 0; i < device_uuid.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    std::snprintf(hex, sizeof(hex), "%02x", device_uuid[i]);
    out += hex;
  }
  return out;
}

nlohmann::json DeviceInfo::to_json() const {
  nlohmann::json heaps = nlohmann::json::array();
  for (const MemoryHeapInfo& h : memory_heaps) {
    heaps.push_back(
        {{"size_bytes", h.size_bytes}, {"device_local", h.device_local}, {"host_visible", h.host_visible}});
  }
  return {{"index", index},
          {"name", name},
          {"type", std::string(to_string(type))},
          {"driver", driver_info.empty() ? driver_name : driver_name + " " + driver_info},
          {"driver_name", driver_name},
          {"driver_info", driver_info},
          {"driver_version", driver_version},
          {"api_version", api_version},
          {"vendor_id", vendor_id},
          {"device_id", device_id},
          {"uuid", uuid_string()},
          {"memory_heaps", heaps},
          {"max_workgroup_size", max_workgroup_size},
          {"max_workgroup_invocations", max_workgroup_invocations},
          {"max_workgroup_count", max_workgroup_count},
          {"max_shared_memory_bytes", max_shared_memory_bytes},
          {"max_storage_buffer_range", max_storage_buffer_range},
          {"max_push_constants_bytes", max_push_constants_bytes},
          {"unified_memory", unified_memory},
          {"has_compute_queue", has_compute_queue},
          {"storage_16bit", storage_16bit},
          {"storage_8bit", storage_8bit},
          {"shader_int64", shader_int64},
          {"usable", usable()}};
}

nlohmann::json DeviceListing::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const DeviceInfo& d : devices) list.push_back(d.to_json());
  return {{"devices", list},
          {"selected", selected ? nlohmann::json(*selected) : nlohmann::json(nullptr)},
          {"reason", reason}};
}

DeviceSelection select_device(const std::vector<DeviceInfo>& devices, std::string_view override_spec) {
  if (!override_spec.empty()) {
    int index = -1;
    const char* end = override_spec.data() + override_spec.size();
    auto [ptr, ec] = std::from_chars(override_spec.data(), end, index);
    if (ec == std::errc() && ptr == end) {
      if (index < 0 || index >= static_cast<int>(devices.size())) {
        throw ConfigError("OI_VK_DEVICE=" + std::string(override_spec) + " is not a device index; " +
                          describe(devices) +
                          ". Set OI_VK_DEVICE to one of these indices or a part of a name");
      }
    } else {
      const std::string wanted = lower(override_spec);
      index = -1;
      for (const DeviceInfo& d : devices) {
        if (lower(d.name).find(wanted) != std::string::npos) {
          index = d.index;
          break;
        }
      }
      if (index < 0) {
        throw ConfigError("OI_VK_DEVICE=" + std::string(override_spec) + " matches no device name; " +
                          describe(devices) +
                          ". Set OI_VK_DEVICE to one of these indices or a part of a name");
      }
    }
    const DeviceInfo& chosen = devices[static_cast<std::size_t>(index)];
    if (!chosen.usable()) {
      throw ConfigError("OI_VK_DEVICE=" + std::string(override_spec) + " names device " +
                        std::to_string(index) + " (" + chosen.name + "), which " +
                        (chosen.has_compute_queue ? "supports only Vulkan 1.0" : "has no compute queue") +
                        "; " + describe(devices));
    }
    return {index, "OI_VK_DEVICE=" + std::string(override_spec)};
  }
  const DeviceInfo* best = nullptr;
  for (const DeviceInfo& d : devices) {
    if (!d.usable()) continue;
    // The enum is declared in preference order; enumeration order breaks ties.
    if (best == nullptr || static_cast<int>(d.type) < static_cast<int>(best->type)) best = &d;
  }
  if (best == nullptr) {
    return {std::nullopt, devices.empty()
                              ? "no Vulkan physical device; install a GPU driver, or "
                                "mesa-vulkan-drivers for a CPU device"
                              : "no device has a compute queue and Vulkan 1.1; " + describe(devices)};
  }
  return {best->index,
          "highest ranked usable device (discrete > integrated > virtual > cpu); "
          "set OI_VK_DEVICE=<index or name> to choose another"};
}

namespace detail {

bool has_unified_memory(const VkPhysicalDeviceMemoryProperties& memory) {
  VkDeviceSize largest_local = 0;
  for (std::uint32_t h = 0; h < memory.memoryHeapCount; ++h) {
    if (memory.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) {
      largest_local = std::max(largest_local, memory.memoryHeaps[h].size);
    }
  }
  constexpr VkMemoryPropertyFlags kWanted =
      VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
  for (std::uint32_t t = 0; t < memory.memoryTypeCount; ++t) {
    const VkMemoryType& type = memory.memoryTypes[t];
    if ((type.propertyFlags & kWanted) == kWanted &&
        memory.memoryHeaps[type.heapIndex].size >= largest_local) {
      return true;
    }
  }
  return false;
}

int pick_compute_queue_family(VkPhysicalDevice device) {
  std::uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(device, &count, nullptr);
  std::vector<VkQueueFamilyProperties> families(count);
  vkGetPhysicalDeviceQueueFamilyProperties(device, &count, families.data());
  int any = -1;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (families[i].queueCount == 0 || !(families[i].queueFlags & VK_QUEUE_COMPUTE_BIT)) continue;
    if (!(families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)) return static_cast<int>(i);
    if (any < 0) any = static_cast<int>(i);
  }
  return any;
}

DeviceInfo query_device_info(VkPhysicalDevice device, int index, std::uint32_t instance_api) {
  VkPhysicalDeviceProperties basic{};
  vkGetPhysicalDeviceProperties(device, &basic);
  const std::uint32_t api = std::min(basic.apiVersion, instance_api);

  DeviceInfo info;
  info.index = index;
  info.name = basic.deviceName;
  info.type = to_device_type(basic.deviceType);
  info.vendor_id = basic.vendorID;
  info.device_id = basic.deviceID;
  info.driver_version = basic.driverVersion;
  info.api_version = api_version_string(basic.apiVersion);
  info.supports_vulkan_1_1 = api >= VK_API_VERSION_1_1;
  std::copy(std::begin(basic.pipelineCacheUUID), std::end(basic.pipelineCacheUUID),
            info.pipeline_cache_uuid.begin());
  const VkPhysicalDeviceLimits& limits = basic.limits;
  std::copy(std::begin(limits.maxComputeWorkGroupSize), std::end(limits.maxComputeWorkGroupSize),
            info.max_workgroup_size.begin());
  std::copy(std::begin(limits.maxComputeWorkGroupCount), std::end(limits.maxComputeWorkGroupCount),
            info.max_workgroup_count.begin());
  info.max_workgroup_invocations = limits.maxComputeWorkGroupInvocations;
  info.max_shared_memory_bytes = limits.maxComputeSharedMemorySize;
  info.max_storage_buffer_range = limits.maxStorageBufferRange;
  info.max_push_constants_bytes = limits.maxPushConstantsSize;
  info.has_compute_queue = pick_compute_queue_family(device) >= 0;

  if (info.supports_vulkan_1_1) {
    // Driver name/info are core in 1.2; on a 1.1 device they stay empty.
    VkPhysicalDeviceDriverProperties driver{};
    driver.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES;
    VkPhysicalDeviceIDProperties ids{};
    ids.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES;
    ids.pNext = api >= VK_API_VERSION_1_2 ? &driver : nullptr;
    VkPhysicalDeviceProperties2 props{};
    props.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
    props.pNext = &ids;
    vkGetPhysicalDeviceProperties2(device, &props);
    std::copy(std::begin(ids.deviceUUID), std::end(ids.deviceUUID), info.device_uuid.begin());
    if (api >= VK_API_VERSION_1_2) {
      info.driver_name = driver.driverName;
      info.driver_info = driver.driverInfo;
    }

    VkPhysicalDevice8BitStorageFeatures storage8{};
    storage8.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES;
    VkPhysicalDevice16BitStorageFeatures storage16{};
    storage16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES;
    storage16.pNext = api >= VK_API_VERSION_1_2 ? &storage8 : nullptr;
    VkPhysicalDeviceFeatures2 features{};
    features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
    features.pNext = &storage16;
    vkGetPhysicalDeviceFeatures2(device, &features);
    info.storage_16bit = storage16.storageBuffer16BitAccess == VK_TRUE;
    info.storage_8bit = api >= VK_API_VERSION_1_2 && storage8.storageBuffer8BitAccess == VK_TRUE;
    info.shader_int64 = features.features.shaderInt64 == VK_TRUE;
  }

  VkPhysicalDeviceMemoryProperties memory{};
  vkGetPhysicalDeviceMemoryProperties(device, &memory);
  for (std::uint32_t h = 0; h < memory.memoryHeapCount; ++h) {
    MemoryHeapInfo heap;
    heap.size_bytes = memory.memoryHeaps[h].size;
    heap.device_local = (memory.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) != 0;
    for (std::uint32_t t = 0; t < memory.memoryTypeCount; ++t) {
      if (memory.memoryTypes[t].heapIndex == h &&
          (memory.memoryTypes[t].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)) {
        heap.host_visible = true;
      }
    }
    info.memory_heaps.push_back(heap);
  }
  info.unified_memory = has_unified_memory(memory);
  return info;
}

}  // namespace detail
}  // namespace oi::gpu
