#include "oi/gpu/plane_memory.hpp"

#include <cstring>

#include "device_state.hpp"
#include "oi/gpu/device.hpp"
#include "oi/gpu/runtime.hpp"

namespace oi::gpu {

GpuPlaneMemory::GpuPlaneMemory(std::shared_ptr<Device> device, std::size_t size_bytes, Residency residency,
                               InitialContents contents)
    : size_(size_bytes) {
  const std::size_t bytes = std::max<std::size_t>(size_bytes, 1);
  device_buffer_ = device->create_buffer(bytes, MemoryUse::kDeviceLocal);
  if (residency == Residency::kStaged || device_buffer_->mapped() == nullptr) {
    staging_ = device->create_buffer(bytes, MemoryUse::kStaging);
  }
  if (contents == InitialContents::kUndefined) {
    // The owner overwrites every byte before anything reads them: nothing to clear or upload.
    fresh_ = false;
    return;
  }
  // Pool memory is recycled: clear it so a new plane never shows an old frame's pixels.
  std::byte* host = staging_ ? staging_->mapped() : device_buffer_->mapped();
  std::memset(host, 0, bytes);
  host_dirty_ = true;
}

GpuPlaneMemory::~GpuPlaneMemory() = default;

MemoryLocation GpuPlaneMemory::location() const {
  std::lock_guard lock(mutex_);
  return device_dirty_ ? MemoryLocation::kDevice : MemoryLocation::kHost;
}

void GpuPlaneMemory::sync_to_host(bool will_write) const {
  std::lock_guard lock(mutex_);
  if (device_dirty_) {
    if (staging_) {
      auto& state = detail::DeviceAccess::state(device_buffer_->device());
      state.copy_and_wait(*device_buffer_, *staging_, std::max<std::size_t>(size_, 1));
      staging_->invalidate();
      ++downloads_;
      ++state.downloads;
    } else {
      device_buffer_->invalidate();
    }
    device_dirty_ = false;
  }
  if (will_write) {
    host_dirty_ = true;
    fresh_ = false;
  }
}

std::byte* GpuPlaneMemory::host_data() {
  sync_to_host(true);
  return staging_ ? staging_->mapped() : device_buffer_->mapped();
}

const std::byte* GpuPlaneMemory::host_data() const {
  sync_to_host(false);
  return staging_ ? staging_->mapped() : device_buffer_->mapped();
}

bool GpuPlaneMemory::prepare_for_gpu(VkCommandBuffer cmd) {
  std::lock_guard lock(mutex_);
  if (!host_dirty_) return false;
  host_dirty_ = false;
  if (!staging_) {
    device_buffer_->flush();
    return false;
  }
  if (fresh_) {
    // Zero the device copy in place; nothing crosses the bus, so it is not an upload.
    // Rounded up to whole words as vkCmdFillBuffer requires; the pool reserves ranges in
    // multiples of at least 64 bytes, so this stays inside the plane's own range.
    const VkDeviceSize bytes = (std::max<std::size_t>(size_, 1) + 3) / 4 * 4;
    vkCmdFillBuffer(cmd, device_buffer_->vk_buffer(), device_buffer_->offset(), bytes, 0);
    return true;
  }
  staging_->flush();
  VkBufferCopy region{staging_->offset(), device_buffer_->offset(), std::max<std::size_t>(size_, 1)};
  vkCmdCopyBuffer(cmd, staging_->vk_buffer(), device_buffer_->vk_buffer(), 1, &region);
  ++uploads_;
  ++detail::DeviceAccess::state(device_buffer_->device()).uploads;
  return true;
}

bool GpuPlaneMemory::upload_pending() const {
  std::lock_guard lock(mutex_);
  return host_dirty_ && staging_ != nullptr;
}

void GpuPlaneMemory::mark_written_by_gpu() {
  std::lock_guard lock(mutex_);
  device_dirty_ = true;
  fresh_ = false;
}

std::uint64_t GpuPlaneMemory::upload_count() const {
  std::lock_guard lock(mutex_);
  return uploads_;
}

std::uint64_t GpuPlaneMemory::download_count() const {
  std::lock_guard lock(mutex_);
  return downloads_;
}

Plane make_gpu_plane(const std::shared_ptr<Device>& device, PixelFormat format, int width, int height,
                     Residency residency, InitialContents contents) {
  Plane plane = Plane::packed(format, width, height);
  plane.memory = std::make_shared<GpuPlaneMemory>(device, plane.stride * static_cast<std::size_t>(height),
                                                  residency, contents);
  return plane;
}

GpuPlaneMemory* gpu_memory_of(const Plane& plane) {
  return dynamic_cast<GpuPlaneMemory*>(plane.memory.get());
}

Plane to_gpu_plane(const std::shared_ptr<Device>& device, const Plane& plane, Residency residency) {
  if (GpuPlaneMemory* memory = gpu_memory_of(plane); memory != nullptr && &memory->device() == device.get()) {
    return plane;
  }
  const std::size_t row_bytes = plane.row_bytes();
  if (row_bytes == 0 || plane.height == 0)
    return make_gpu_plane(device, plane.format, plane.width, plane.height, residency);
  // Every byte is copied below: no need to clear it first.
  Plane out =
      make_gpu_plane(device, plane.format, plane.width, plane.height, residency, InitialContents::kUndefined);
  // One host_data() call each: every call takes the plane's lock and may sync.
  const std::byte* source = static_cast<const PlaneMemory&>(*plane.memory).host_data() + plane.offset;
  std::byte* destination = out.memory->host_data();
  for (int y = 0; y < plane.height; ++y) {
    std::memcpy(destination + static_cast<std::size_t>(y) * out.stride,
                source + static_cast<std::size_t>(y) * plane.stride, row_bytes);
  }
  return out;
}

}  // namespace oi::gpu
