#pragma once
// Reading a physical device's properties into DeviceInfo. Internal.

#include <vulkan/vulkan.h>

#include <cstdint>

#include "oi/gpu/device_info.hpp"

namespace oi::gpu::detail {

/// Properties, limits, heaps and features of `device` (number `index`), as far as the
/// instance version `instance_api` lets us ask.
DeviceInfo query_device_info(VkPhysicalDevice device, int index, std::uint32_t instance_api);

/// A DEVICE_LOCAL | HOST_VISIBLE memory type lives on a heap as large as the largest
/// device-local heap: the whole GPU memory is mappable, so planes need no staging.
bool has_unified_memory(const VkPhysicalDeviceMemoryProperties& memory);

/// The queue family used for compute: a compute-only family if there is one (it does not
/// compete with graphics), else the first with VK_QUEUE_COMPUTE_BIT; -1 when none.
int pick_compute_queue_family(VkPhysicalDevice device);

}  // namespace oi::gpu::detail
