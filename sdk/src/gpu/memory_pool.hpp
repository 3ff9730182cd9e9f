#pragma once
// Pooled device memory: 64 MiB blocks, each one VkDeviceMemory with one VkBuffer over all of
// it, sub-allocated first-fit with coalescing. Larger requests get a dedicated block that is
// kept for reuse when freed, so steady-state frames call vkAllocateMemory zero times. Internal.

#include <vulkan/vulkan.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "oi/gpu/buffer.hpp"

namespace oi::gpu::detail {

struct MemoryBlock {
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceSize size = 0;
  std::byte* mapped = nullptr;  // whole block mapped once, for its lifetime
  bool coherent = false;
  MemoryUse use = MemoryUse::kDeviceLocal;
  bool dedicated = false;
  std::map<VkDeviceSize, VkDeviceSize> free_ranges;  // offset -> size
  VkDeviceSize used = 0;
};

struct Allocation {
  MemoryBlock* block = nullptr;
  VkDeviceSize offset = 0;
  VkDeviceSize reserved = 0;
};

class MemoryPool {
 public:
  static constexpr VkDeviceSize kBlockSize = 64ull << 20;

  MemoryPool(VkDevice device, VkPhysicalDevice physical, bool unified_memory);
  ~MemoryPool();
  MemoryPool(const MemoryPool&) = delete;
  MemoryPool& operator=(const MemoryPool&) = delete;

  /// @throws GpuError when no memory type fits or the device is out of memory.
  Allocation allocate(VkDeviceSize size, MemoryUse use);
  void release(const Allocation& allocation) noexcept;

  std::uint64_t blocks_allocated() const;
  std::uint64_t bytes_reserved() const;
  VkDeviceSize alignment() const { return alignment_; }

 private:
  MemoryBlock* create_block(VkDeviceSize size, MemoryUse use, bool dedicated);
  void destroy_block(MemoryBlock* block) noexcept;
  std::uint32_t pick_memory_type(std::uint32_t type_bits, MemoryUse use) const;

  VkDevice device_;
  VkPhysicalDeviceMemoryProperties memory_{};
  bool unified_;
  VkDeviceSize alignment_ = 64;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<MemoryBlock>> blocks_;
  std::uint64_t blocks_allocated_ = 0;
};

}  // namespace oi::gpu::detail
