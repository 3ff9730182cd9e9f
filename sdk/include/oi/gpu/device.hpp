#pragma once
/// @file
/// An opened Vulkan device: one compute queue, pooled memory, a pipeline cache saved to disk,
/// and the factories for buffers, kernels and command recorders. Get the shared one with
/// oi::gpu::default_device().

#include <vulkan/vulkan.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "oi/gpu/buffer.hpp"
#include "oi/gpu/device_info.hpp"

namespace oi::gpu {

class Kernel;
class CommandRecorder;
struct KernelDesc;
namespace detail {
struct DeviceState;
struct DeviceAccess;
}  // namespace detail

/// Counters for tests, `oi gpu` and benchmarks. Monotonic since the device was opened.
struct DeviceStats {
  std::uint64_t memory_blocks_allocated = 0;   ///< vkAllocateMemory calls (pool blocks)
  std::uint64_t memory_bytes_reserved = 0;     ///< bytes held in pool blocks now
  std::uint64_t buffers_created = 0;           ///< sub-allocations handed out
  std::uint64_t kernels_created = 0;           ///< Kernel objects built
  std::uint64_t spirv_cache_hits = 0;          ///< kernels whose SPIR-V came from disk
  std::uint64_t spirv_cache_misses = 0;        ///< kernels compiled from GLSL
  bool pipeline_cache_loaded = false;          ///< a valid pipeline cache file was read at open
  std::uint64_t pipeline_cache_rejected = 0;   ///< pipeline cache files found invalid
  std::uint64_t pipeline_cache_saves = 0;      ///< pipeline cache files written
  std::uint64_t command_buffers_created = 0;   ///< primary command buffers allocated
  std::uint64_t descriptor_pools_created = 0;  ///< descriptor pools created
  std::uint64_t submissions = 0;               ///< vkQueueSubmit calls
  std::uint64_t uploads = 0;                   ///< host-to-device plane copies
  std::uint64_t downloads = 0;                 ///< device-to-host plane copies
};

/// An opened logical device. Thread-safe. Shared (std::shared_ptr): every buffer, kernel and
/// recorder keeps it alive; the pipeline cache is saved when the last reference goes.
class Device : public std::enable_shared_from_this<Device> {
 public:
  /// Internal: made by the runtime (default_device(), open_device()).
  explicit Device(std::unique_ptr<detail::DeviceState> state);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  /// Properties of the physical device.
  const DeviceInfo& info() const;
  /// Limits of the physical device.
  const VkPhysicalDeviceLimits& limits() const;
  /// True when device-local memory is host-visible and planes are used in place.
  bool unified_memory() const { return info().unified_memory; }

  /// A buffer of `size_bytes` from the pool (contents undefined).
  /// @throws GpuError when the device is out of memory or the size exceeds its limits.
  std::shared_ptr<Buffer> create_buffer(std::size_t size_bytes, MemoryUse use = MemoryUse::kDeviceLocal);
  /// Compiles (or loads from cache) and builds a kernel.
  /// @throws ShaderCompileError, oi::ConfigError (bad description), GpuError (Vulkan).
  std::shared_ptr<Kernel> create_kernel(const KernelDesc& desc);
  /// A command recorder for one stage.
  /// @throws GpuError when its command pool or fence cannot be created.
  std::unique_ptr<CommandRecorder> create_recorder();

  /// Writes the pipeline cache to disk now if it grew since the last save (also done after
  /// each new kernel and when the device closes). Never throws.
  void save_pipeline_cache() noexcept;
  /// vkDeviceWaitIdle under the queue lock.
  void wait_idle();
  /// Counters.
  DeviceStats stats() const;
  /// Key of this device's on-disk pipeline cache: vendor, device, driver version and name,
  /// device UUID and pipelineCacheUUID. Another driver or device gives another key.
  const std::string& pipeline_cache_key() const;
  /// The file the pipeline cache is saved to (under cache_directory() at open time).
  std::filesystem::path pipeline_cache_file() const;

  /// The Vulkan handles, for code that goes beyond this API.
  VkInstance vk_instance() const;
  /// See vk_instance().
  VkPhysicalDevice vk_physical_device() const;
  /// See vk_instance().
  VkDevice vk_device() const;
  /// The compute queue family index.
  std::uint32_t queue_family() const;

 private:
  friend struct detail::DeviceAccess;
  std::unique_ptr<detail::DeviceState> state_;
};

}  // namespace oi::gpu
