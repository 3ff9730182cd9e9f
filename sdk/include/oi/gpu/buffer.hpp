#pragma once
/// @file
/// GPU buffers: sub-ranges of pooled memory blocks. A Buffer never owns a VkDeviceMemory of
/// its own; it returns its range to the device's pool when destroyed, so steady-state frame
/// processing allocates no Vulkan memory.

#include <vulkan/vulkan.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace oi::gpu {

class Device;
namespace detail {
struct MemoryBlock;
}

/// What a buffer's memory is for; decides the memory type.
enum class MemoryUse {
  /// Read and written by kernels. Device-local; also host-visible where the device has
  /// unified memory (CPU devices, integrated GPUs, resizable BAR).
  kDeviceLocal,
  /// Host-visible memory the host fills or reads, used as the source or destination of
  /// transfers to device-local buffers (host-cached where available).
  kStaging,
};

/// A range of a pooled VkBuffer. Bind it with `vk_buffer()` at `offset()`; use `mapped()`
/// when the memory is host-visible. Created by Device::create_buffer(); keeps its device
/// alive.
class Buffer {
 public:
  /// Internal: made by Device::create_buffer().
  Buffer(std::shared_ptr<Device> device, detail::MemoryBlock* block, std::uint64_t offset, std::uint64_t size,
         std::uint64_t reserved, MemoryUse use);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  /// Bytes requested (the pool may reserve a little more for alignment).
  std::size_t size() const { return static_cast<std::size_t>(size_); }
  /// The block's VkBuffer this range lies in.
  VkBuffer vk_buffer() const;
  /// Byte offset of this range within vk_buffer(); a multiple of
  /// minStorageBufferOffsetAlignment and nonCoherentAtomSize.
  VkDeviceSize offset() const { return offset_; }
  /// Host pointer to the first byte, or nullptr when the memory is not host-visible.
  std::byte* mapped() const;
  /// True when host writes and reads need no flush()/invalidate().
  bool host_coherent() const;
  /// What the buffer was created for.
  MemoryUse use() const { return use_; }
  /// The device it belongs to.
  Device& device() const { return *device_; }

  /// Makes host writes visible to the device (vkFlushMappedMemoryRanges, rounded to
  /// nonCoherentAtomSize). No-op for coherent or unmapped memory.
  void flush() const;
  /// Makes device writes visible to the host (vkInvalidateMappedMemoryRanges). No-op for
  /// coherent or unmapped memory. Call after the GPU work that wrote it completed.
  void invalidate() const;

 private:
  std::shared_ptr<Device> device_;
  detail::MemoryBlock* block_;  // owned by the device's memory pool, which outlives us
  VkDeviceSize offset_;
  VkDeviceSize size_;
  VkDeviceSize reserved_;  // size of the range taken from the block
  MemoryUse use_;
};

}  // namespace oi::gpu
