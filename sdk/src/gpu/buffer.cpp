#include "oi/gpu/buffer.hpp"

#include "device_state.hpp"
#include "vk_util.hpp"

namespace oi::gpu {

Buffer::Buffer(std::shared_ptr<Device> device, detail::MemoryBlock* block, std::uint64_t offset,
               std::uint64_t size, std::uint64_t reserved, MemoryUse use)
    : device_(std::move(device)),
      block_(block),
      offset_(offset),
      size_(size),
      reserved_(reserved),
      use_(use) {}

Buffer::~Buffer() { detail::DeviceAccess::state(*device_).memory->release({block_, offset_, reserved_}); }

VkBuffer Buffer::vk_buffer() const { return block_->buffer; }

std::byte* Buffer::mapped() const { return block_->mapped == nullptr ? nullptr : block_->mapped + offset_; }

bool Buffer::host_coherent() const { return block_->mapped == nullptr || block_->coherent; }

void Buffer::flush() const {
  if (host_coherent()) return;
  // offset_ and reserved_ are multiples of nonCoherentAtomSize (see MemoryPool::alignment).
  VkMappedMemoryRange range{};
  range.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE;
  range.memory = block_->memory;
  range.offset = offset_;
  range.size = reserved_;
  detail::vk_check(vkFlushMappedMemoryRanges(device_->vk_device(), 1, &range), "vkFlushMappedMemoryRanges");
}

void Buffer::invalidate() const {
  if (host_coherent()) return;
  VkMappedMemoryRange range{};
  range.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE;
  range.memory = block_->memory;
  range.offset = offset_;
  range.size = reserved_;
  detail::vk_check(vkInvalidateMappedMemoryRanges(device_->vk_device(), 1, &range),
                   "vkInvalidateMappedMemoryRanges");
}

}  // namespace oi::gpu
