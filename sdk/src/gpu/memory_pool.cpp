#include "memory_pool.hpp"

#include <algorithm>
#include <string>

#include "oi/gpu/runtime.hpp"
#include "vk_util.hpp"

namespace oi::gpu::detail {
namespace {

VkDeviceSize round_up(VkDeviceSize value, VkDeviceSize alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

// Idle dedicated blocks kept for reuse; beyond this they are freed (frame sizes changed).
constexpr std::size_t kIdleDedicatedBlocks = 4;

}  // namespace

MemoryPool::MemoryPool(VkDevice device, VkPhysicalDevice physical, bool unified_memory)
    : device_(device), unified_(unified_memory) {
  vkGetPhysicalDeviceMemoryProperties(physical, &memory_);
  VkPhysicalDeviceProperties props{};
  vkGetPhysicalDeviceProperties(physical, &props);
  // Every sub-allocation starts at a multiple of this, so it can be bound as a storage buffer
  // and flushed/invalidated by itself without touching a neighbour's atoms.
  alignment_ = std::max<VkDeviceSize>(
      {64, props.limits.minStorageBufferOffsetAlignment, props.limits.nonCoherentAtomSize});
}

MemoryPool::~MemoryPool() {
  for (auto& block : blocks_) destroy_block(block.get());
}

std::uint32_t MemoryPool::pick_memory_type(std::uint32_t type_bits, MemoryUse use) const {
  // Preference lists, best first; the first type allowed by the buffer wins.
  std::vector<std::pair<VkMemoryPropertyFlags, VkMemoryPropertyFlags>> wanted;  // required, none of
  constexpr auto kLocal = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
  constexpr auto kVisible = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
  constexpr auto kCoherent = VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  constexpr auto kCached = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
  if (use == MemoryUse::kDeviceLocal) {
    if (unified_) {
      wanted = {{kLocal | kVisible | kCoherent, 0}, {kLocal | kVisible, 0}};
    }
    wanted.push_back({kLocal, 0});
    wanted.push_back({0, 0});
  } else {
    // Host-cached makes downloads fast; on discrete GPUs avoid eating the small BAR heap.
    wanted = {{kVisible | kCached, unified_ ? 0 : kLocal},
              {kVisible | kCoherent, unified_ ? 0 : kLocal},
              {kVisible, 0}};
  }
  for (const auto& [required, excluded] : wanted) {
    for (std::uint32_t t = 0; t < memory_.memoryTypeCount; ++t) {
      const VkMemoryPropertyFlags flags = memory_.memoryTypes[t].propertyFlags;
      if ((type_bits & (1u << t)) && (flags & required) == required && !(flags & excluded)) {
        return t;
      }
    }
  }
  throw GpuError(
      std::string("no Vulkan memory type fits ") +
      (use == MemoryUse::kStaging ? "a host-visible staging buffer" : "a device-local storage buffer") +
      "; the driver reports no suitable memory, pick another device with OI_VK_DEVICE");
}

MemoryBlock* MemoryPool::create_block(VkDeviceSize size, MemoryUse use, bool dedicated) {
  auto block = std::make_unique<MemoryBlock>();
  block->size = size;
  block->use = use;
  block->dedicated = dedicated;
  VkBufferCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
  info.size = size;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
               VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  vk_check(vkCreateBuffer(device_, &info, nullptr, &block->buffer),
           "vkCreateBuffer for a " + std::to_string(size >> 20) + " MiB memory block");
  VkMemoryRequirements requirements{};
  vkGetBufferMemoryRequirements(device_, block->buffer, &requirements);
  try {
    const std::uint32_t type = pick_memory_type(requirements.memoryTypeBits, use);
    VkMemoryAllocateInfo allocate{};
    allocate.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
    allocate.allocationSize = requirements.size;
    allocate.memoryTypeIndex = type;
    vk_check(vkAllocateMemory(device_, &allocate, nullptr, &block->memory),
             "vkAllocateMemory of " + std::to_string(requirements.size) + " bytes");
    vk_check(vkBindBufferMemory(device_, block->buffer, block->memory, 0), "vkBindBufferMemory");
    const VkMemoryPropertyFlags flags = memory_.memoryTypes[type].propertyFlags;
    block->coherent = (flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
    if (flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) {
      void* mapped = nullptr;
      vk_check(vkMapMemory(device_, block->memory, 0, VK_WHOLE_SIZE, 0, &mapped), "vkMapMemory");
      block->mapped = static_cast<std::byte*>(mapped);
    }
  } catch (...) {
    destroy_block(block.get());
    throw;
  }
  block->free_ranges.emplace(0, size);
  ++blocks_allocated_;
  blocks_.push_back(std::move(block));
  return blocks_.back().get();
}

void MemoryPool::destroy_block(MemoryBlock* block) noexcept {
  if (block->buffer != VK_NULL_HANDLE) vkDestroyBuffer(device_, block->buffer, nullptr);
  if (block->memory != VK_NULL_HANDLE) vkFreeMemory(device_, block->memory, nullptr);
  block->buffer = VK_NULL_HANDLE;
  block->memory = VK_NULL_HANDLE;
}

Allocation MemoryPool::allocate(VkDeviceSize size, MemoryUse use) {
  const VkDeviceSize reserved = round_up(std::max<VkDeviceSize>(size, 1), alignment_);
  std::lock_guard lock(mutex_);
  const bool dedicated = reserved > kBlockSize;
  for (auto& owned : blocks_) {
    MemoryBlock* block = owned.get();
    if (block->use != use || block->dedicated != dedicated) continue;
    if (dedicated) {
      // Reuse an idle dedicated block unless it would waste more than half of it.
      if (block->used == 0 && block->size >= reserved && block->size / 2 <= reserved) {
        block->free_ranges.clear();
        block->used = block->size;
        return {block, 0, block->size};
      }
      continue;
    }
    for (auto it = block->free_ranges.begin(); it != block->free_ranges.end(); ++it) {
      if (it->second < reserved) continue;
      const VkDeviceSize offset = it->first;
      const VkDeviceSize remaining = it->second - reserved;
      block->free_ranges.erase(it);
      if (remaining > 0) block->free_ranges.emplace(offset + reserved, remaining);
      block->used += reserved;
      return {block, offset, reserved};
    }
  }
  if (dedicated) {
    MemoryBlock* block = create_block(reserved, use, true);
    block->free_ranges.clear();
    block->used = reserved;
    return {block, 0, reserved};
  }
  MemoryBlock* block = create_block(kBlockSize, use, false);
  block->free_ranges.clear();
  block->free_ranges.emplace(reserved, kBlockSize - reserved);
  block->used = reserved;
  return {block, 0, reserved};
}

void MemoryPool::release(const Allocation& allocation) noexcept {
  std::lock_guard lock(mutex_);
  MemoryBlock* block = allocation.block;
  block->used -= allocation.reserved;
  if (block->dedicated) {
    std::size_t idle = 0;
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
      if ((*it)->dedicated && (*it)->used == 0 && ++idle > kIdleDedicatedBlocks) {
        MemoryBlock* victim = it->get();
        destroy_block(victim);
        blocks_.erase(std::next(it).base());
        break;
      }
    }
    return;
  }
  auto [it, inserted] = block->free_ranges.emplace(allocation.offset, allocation.reserved);
  (void)inserted;
  if (auto next = std::next(it); next != block->free_ranges.end() && it->first + it->second == next->first) {
    it->second += next->second;
    block->free_ranges.erase(next);
  }
  if (it != block->free_ranges.begin()) {
    auto prev = std::prev(it);
    if (prev->first + prev->second == it->first) {
      prev->second += it->second;
      block->free_ranges.erase(it);
    }
  }
  if (block->used == 0) {
    // Keep one empty block per use for the next frame; free further empty ones.
    for (auto& other : blocks_) {
      if (other.get() != block && !other->dedicated && other->use == block->use && other->used == 0) {
        destroy_block(block);
        blocks_.erase(
            std::find_if(blocks_.begin(), blocks_.end(), [&](const auto& b) { return b.get() == block; }));
        return;
      }
    }
  }
}

std::uint64_t MemoryPool::blocks_allocated() const {
  std::lock_guard lock(mutex_);
  return blocks_allocated_;
}

std::uint64_t MemoryPool::bytes_reserved() const {
  std::lock_guard lock(mutex_);
  std::uint64_t total = 0;
  for (const auto& block : blocks_) total += block->size;
  return total;
}

}  // namespace oi::gpu::detail
