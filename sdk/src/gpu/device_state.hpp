#pragma once
// What a Device holds, shared by the runtime's translation units. Internal.

#include <vulkan/vulkan.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "instance.hpp"
#include "memory_pool.hpp"
#include "oi/gpu/device.hpp"
#include "pipeline_cache.hpp"

namespace oi::gpu::detail {

struct DeviceState {
  std::shared_ptr<Instance> instance;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  bool owns_device = true;
  std::uint32_t queue_family = 0;
  VkQueue queue = VK_NULL_HANDLE;
  std::mutex queue_mutex;  // Vulkan requires external synchronisation of a queue
  DeviceInfo info;
  VkPhysicalDeviceProperties properties{};
  std::unique_ptr<MemoryPool> memory;
  std::unique_ptr<PipelineCache> pipeline_cache;

  // One-off transfers (downloads for host access), made lazily and reused.
  std::mutex transfer_mutex;
  VkCommandPool transfer_pool = VK_NULL_HANDLE;
  VkCommandBuffer transfer_cmd = VK_NULL_HANDLE;
  VkFence transfer_fence = VK_NULL_HANDLE;

  std::atomic<std::uint64_t> buffers_created{0};
  std::atomic<std::uint64_t> kernels_created{0};
  std::atomic<std::uint64_t> spirv_cache_hits{0};
  std::atomic<std::uint64_t> spirv_cache_misses{0};
  std::atomic<std::uint64_t> command_buffers_created{0};
  std::atomic<std::uint64_t> descriptor_pools_created{0};
  std::atomic<std::uint64_t> submissions{0};
  std::atomic<std::uint64_t> uploads{0};
  std::atomic<std::uint64_t> downloads{0};

  ~DeviceState();

  /// vkQueueSubmit of one command buffer under the queue lock.
  VkResult submit(VkCommandBuffer cmd, VkFence fence);
  /// Copies `size` bytes between two buffers now and waits (used for downloads).
  /// @throws GpuError when Vulkan fails.
  void copy_and_wait(const Buffer& source, const Buffer& destination, VkDeviceSize size);
};

struct DeviceAccess {
  static DeviceState& state(Device& device) { return *device.state_; }
  static const DeviceState& state(const Device& device) { return *device.state_; }
};

/// Opens a logical device with one compute queue on `physical`.
/// @throws GpuError with the VkResult and what to do.
std::shared_ptr<Device> open_vulkan_device(std::shared_ptr<Instance> instance, VkPhysicalDevice physical,
                                           DeviceInfo info);
/// Wraps an application's device (not destroyed by us).
std::shared_ptr<Device> wrap_vulkan_device(std::shared_ptr<Instance> instance, const ExternalVulkan& handles,
                                           DeviceInfo info);

}  // namespace oi::gpu::detail
