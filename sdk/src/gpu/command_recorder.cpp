#include "oi/gpu/command_recorder.hpp"

#include <algorithm>
#include <string>

#include "device_state.hpp"
#include "oi/gpu/kernel.hpp"
#include "oi/gpu/plane_memory.hpp"
#include "vk_util.hpp"

namespace oi::gpu {
namespace {

// Descriptor sets per pool; a frame needing more opens another pool (once, then reused).
constexpr std::uint32_t kSetsPerPool = 64;
constexpr std::uint32_t kBuffersPerPool = kSetsPerPool * 8;

struct Range {
  VkBuffer buffer;
  VkDeviceSize begin;
  VkDeviceSize end;
  bool overlaps(const Range& other) const {
    return buffer == other.buffer && begin < other.end && other.begin < end;
  }
};

}  // namespace

BufferRef::BufferRef(std::shared_ptr<Buffer> buffer)
    : buffer_(std::move(buffer)), size_(buffer_ ? buffer_->size() : 0) {}

BufferRef::BufferRef(const Plane& plane) {
  if (auto gpu = std::dynamic_pointer_cast<GpuPlaneMemory>(plane.memory)) {
    plane_ = gpu;
    // Aliasing constructor: shares ownership with the plane memory, points at its buffer.
    buffer_ = std::shared_ptr<Buffer>(gpu, const_cast<Buffer*>(&gpu->device_buffer()));
    offset_ = plane.offset;
    size_ = plane.height > 0 ? plane.stride * static_cast<std::uint64_t>(plane.height - 1) + plane.row_bytes()
                             : 0;
  } else {
    host_plane_ = plane.memory;
  }
}

/// One buffer access of a recorded command, for hazard tracking.
struct CommandRecorder::TrackedAccess {
  Range range;
  bool write;
  VkPipelineStageFlags stage;
  VkAccessFlags access;
};

struct CommandRecorder::Impl {
  detail::DeviceState* state = nullptr;
  VkDevice device = VK_NULL_HANDLE;
  VkCommandPool command_pool = VK_NULL_HANDLE;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;
  std::vector<VkDescriptorPool> descriptor_pools;
  std::size_t current_pool = 0;
  bool recording = false;
  bool submitted = false;
  bool wrote_anything = false;
  // Accesses since the last barrier; a new command conflicting with them needs one.
  std::vector<TrackedAccess> pending;
  // Keeps buffers alive until the fence signalled; planes written get marked afterwards.
  std::vector<std::shared_ptr<Buffer>> keep_alive;
  std::vector<std::shared_ptr<GpuPlaneMemory>> written_planes;
  std::vector<std::shared_ptr<GpuPlaneMemory>> uploaded_planes;  // restored if discarded

  void destroy() noexcept {
    if (device == VK_NULL_HANDLE) return;
    if (submitted) vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX);
    for (VkDescriptorPool pool : descriptor_pools) vkDestroyDescriptorPool(device, pool, nullptr);
    if (fence != VK_NULL_HANDLE) vkDestroyFence(device, fence, nullptr);
    if (command_pool != VK_NULL_HANDLE) vkDestroyCommandPool(device, command_pool, nullptr);
  }

  VkDescriptorPool add_descriptor_pool() {
    VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kBuffersPerPool};
    VkDescriptorPoolCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
    info.maxSets = kSetsPerPool;
    info.poolSizeCount = 1;
    info.pPoolSizes = &size;
    VkDescriptorPool pool = VK_NULL_HANDLE;
    detail::vk_check(vkCreateDescriptorPool(device, &info, nullptr, &pool), "vkCreateDescriptorPool");
    descriptor_pools.push_back(pool);
    ++state->descriptor_pools_created;
    return pool;
  }

  VkDescriptorSet allocate_set(VkDescriptorSetLayout layout) {
    for (;;) {
      if (current_pool == descriptor_pools.size()) add_descriptor_pool();
      VkDescriptorSetAllocateInfo info{};
      info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO;
      info.descriptorPool = descriptor_pools[current_pool];
      info.descriptorSetCount = 1;
      info.pSetLayouts = &layout;
      VkDescriptorSet set = VK_NULL_HANDLE;
      const VkResult result = vkAllocateDescriptorSets(device, &info, &set);
      if (result == VK_SUCCESS) return set;
      if (result != VK_ERROR_OUT_OF_POOL_MEMORY && result != VK_ERROR_FRAGMENTED_POOL) {
        detail::vk_check(result, "vkAllocateDescriptorSets");
      }
      ++current_pool;  // this pool is full for this frame; use (or open) the next one
    }
  }

  /// Records a barrier before a command with `accesses` when it conflicts with pending ones:
  /// read-after-write, write-after-write (memory dependency) or write-after-read (execution
  /// dependency). Returns true when it recorded one.
  bool barrier_for(const std::vector<TrackedAccess>& accesses, VkPipelineStageFlags dst_stage,
                   VkAccessFlags dst_access) {
    bool conflict = false;
    for (const TrackedAccess& a : accesses) {
      for (const TrackedAccess& p : pending) {
        if ((p.write || a.write) && a.range.overlaps(p.range)) conflict = true;
      }
    }
    if (!conflict) return false;
    VkPipelineStageFlags src_stage = 0;
    std::vector<VkBufferMemoryBarrier> barriers;
    for (const TrackedAccess& p : pending) {
      src_stage |= p.stage;
      if (!p.write) continue;
      VkBufferMemoryBarrier b{};
      b.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER;
      b.srcAccessMask = p.access;
      b.dstAccessMask = dst_access;
      b.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
      b.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
      b.buffer = p.range.buffer;
      b.offset = p.range.begin;
      b.size = p.range.end - p.range.begin;
      barriers.push_back(b);
    }
    vkCmdPipelineBarrier(cmd, src_stage, dst_stage, 0, 0, nullptr,
                         static_cast<std::uint32_t>(barriers.size()), barriers.data(), 0, nullptr);
    pending.clear();
    return true;
  }
};

CommandRecorder::CommandRecorder(std::shared_ptr<Device> device)
    : device_(std::move(device)), impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.state = &detail::DeviceAccess::state(*device_);
  m.device = device_->vk_device();
  try {
    VkCommandPoolCreateInfo pool{};
    pool.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
    pool.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
    pool.queueFamilyIndex = device_->queue_family();
    detail::vk_check(vkCreateCommandPool(m.device, &pool, nullptr, &m.command_pool), "vkCreateCommandPool");
    VkCommandBufferAllocateInfo alloc{};
    alloc.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
    alloc.commandPool = m.command_pool;
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    detail::vk_check(vkAllocateCommandBuffers(m.device, &alloc, &m.cmd), "vkAllocateCommandBuffers");
    ++m.state->command_buffers_created;
    VkFenceCreateInfo fence{};
    fence.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
    detail::vk_check(vkCreateFence(m.device, &fence, nullptr, &m.fence), "vkCreateFence");
    m.add_descriptor_pool();
  } catch (...) {
    m.destroy();
    throw;
  }
}

CommandRecorder::~CommandRecorder() { impl_->destroy(); }

Status CommandRecorder::fail(std::string message) {
  reset();
  return Status::error(std::move(message));
}

void CommandRecorder::reset() {
  Impl& m = *impl_;
  if (m.submitted) return;  // in flight: wait() finishes it
  if (m.recording) {
    vkResetCommandPool(m.device, m.command_pool, 0);
    for (VkDescriptorPool pool : m.descriptor_pools) vkResetDescriptorPool(m.device, pool, 0);
  }
  // Uploads recorded into the discarded buffer never ran: the host copy is still the newest.
  for (const auto& plane : m.uploaded_planes) {
    std::lock_guard lock(plane->mutex_);
    plane->host_dirty_ = true;
  }
  m.uploaded_planes.clear();
  m.recording = false;
  m.wrote_anything = false;
  m.current_pool = 0;
  m.pending.clear();
  m.keep_alive.clear();
  m.written_planes.clear();
  dispatches_ = 0;
  barriers_ = 0;
}

Status CommandRecorder::begin_if_needed() {
  Impl& m = *impl_;
  if (m.submitted) {
    if (Status s = wait(); !s.is_ok()) return s;
  }
  if (m.recording) return Status::ok();
  VkCommandBufferBeginInfo begin{};
  begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  const VkResult result = vkBeginCommandBuffer(m.cmd, &begin);
  if (result != VK_SUCCESS) {
    return Status::error("vkBeginCommandBuffer failed: " + detail::vk_result_name(result));
  }
  m.recording = true;
  return Status::ok();
}

Status CommandRecorder::dispatch(const Kernel& kernel, std::span<const BufferRef> bindings,
                                 std::span<const std::byte> push, std::array<std::uint32_t, 3> groups) {
  Impl& m = *impl_;
  const std::string where = "kernel '" + kernel.name() + "'";
  if (&kernel.device() != device_.get()) {
    return fail(where +
                " belongs to another device than this recorder; create both from the "
                "same oi::gpu::Device");
  }
  if (bindings.size() != kernel.bindings().size()) {
    return fail(where + " declares " + std::to_string(kernel.bindings().size()) +
                " bindings but the dispatch passes " + std::to_string(bindings.size()));
  }
  if (push.size() != kernel.push_constant_bytes()) {
    return fail(where + " declares " + std::to_string(kernel.push_constant_bytes()) +
                " bytes of push constants but the dispatch passes " + std::to_string(push.size()));
  }
  const VkPhysicalDeviceLimits& limits = device_->limits();
  for (int a = 0; a < 3; ++a) {
    if (groups[a] > limits.maxComputeWorkGroupCount[a]) {
      return fail(where + ": " + std::to_string(groups[a]) + " workgroups along " + "xyz"[a] +
                  " exceed this device's maxComputeWorkGroupCount = " +
                  std::to_string(limits.maxComputeWorkGroupCount[a]) +
                  "; split the work into tiles (smaller scan blocks)");
    }
  }
  std::vector<TrackedAccess> accesses;
  for (std::size_t b = 0; b < bindings.size(); ++b) {
    const BufferRef& ref = bindings[b];
    const BindingDecl& decl = kernel.bindings()[b];
    const std::string name = where + " binding " + std::to_string(b) + " ('" + decl.name + "')";
    if (ref.buffer() == nullptr) {
      return fail(name +
                  " is a plane in host memory; convert it with oi::gpu::to_gpu_plane() "
                  "or allocate it with oi::gpu::make_gpu_plane()");
    }
    if (&ref.buffer()->device() != device_.get()) {
      return fail(name + " lives on another device than the kernel");
    }
    if (ref.size() == 0) return fail(name + " is empty (a 0-pixel plane?); skip the dispatch");
    if (ref.offset() + ref.size() > ref.buffer()->size()) {
      return fail(name + " refers past the end of its buffer");
    }
    if (ref.size() > limits.maxStorageBufferRange) {
      return fail(name + " is " + std::to_string(ref.size()) +
                  " bytes, more than this device's "
                  "maxStorageBufferRange = " +
                  std::to_string(limits.maxStorageBufferRange) +
                  "; split the plane into tiles (smaller scan blocks)");
    }
    if ((ref.buffer()->offset() + ref.offset()) % limits.minStorageBufferOffsetAlignment != 0) {
      return fail(name +
                  " starts at a byte offset that is not a multiple of "
                  "minStorageBufferOffsetAlignment = " +
                  std::to_string(limits.minStorageBufferOffsetAlignment));
    }
    const bool reads = decl.access != oi::gpu::Access::kWrite;
    const bool writes = decl.access != oi::gpu::Access::kRead;
    const Range range{ref.buffer()->vk_buffer(), ref.buffer()->offset() + ref.offset(),
                      ref.buffer()->offset() + ref.offset() + ref.size()};
    const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT;
    if (reads) accesses.push_back({range, false, stage, VK_ACCESS_SHADER_READ_BIT});
    if (writes) accesses.push_back({range, true, stage, VK_ACCESS_SHADER_WRITE_BIT});
  }
  if (Status s = begin_if_needed(); !s.is_ok()) return fail(s.message());
  try {
    // Uploads of planes the host changed, each ordered like any other write.
    for (const BufferRef& ref : bindings) {
      GpuPlaneMemory* plane = ref.plane_memory();
      if (plane == nullptr) continue;
      const Range whole{ref.buffer()->vk_buffer(), ref.buffer()->offset(),
                        ref.buffer()->offset() + plane->size_bytes()};
      std::vector<TrackedAccess> upload{
          {whole, true, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT}};
      if (plane->upload_pending()) {
        barriers_ += m.barrier_for(upload, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
      }
      if (plane->prepare_for_gpu(m.cmd)) {
        m.pending.push_back(upload.front());
        m.uploaded_planes.push_back(ref.plane_);
        m.wrote_anything = true;
      }
    }
    barriers_ += m.barrier_for(accesses, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                               VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);

    VkDescriptorSet set = m.allocate_set(kernel.vk_descriptor_set_layout());
    std::vector<VkDescriptorBufferInfo> infos(bindings.size());
    std::vector<VkWriteDescriptorSet> writes(bindings.size());
    for (std::size_t b = 0; b < bindings.size(); ++b) {
      infos[b] = {bindings[b].buffer()->vk_buffer(), bindings[b].buffer()->offset() + bindings[b].offset(),
                  bindings[b].size()};
      writes[b].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
      writes[b].dstSet = set;
      writes[b].dstBinding = static_cast<std::uint32_t>(b);
      writes[b].descriptorCount = 1;
      writes[b].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
      writes[b].pBufferInfo = &infos[b];
    }
    vkUpdateDescriptorSets(m.device, static_cast<std::uint32_t>(writes.size()), writes.data(), 0, nullptr);
    vkCmdBindPipeline(m.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, kernel.vk_pipeline());
    if (!bindings.empty()) {
      vkCmdBindDescriptorSets(m.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, kernel.vk_pipeline_layout(), 0, 1, &set,
                              0, nullptr);
    }
    if (!push.empty()) {
      vkCmdPushConstants(m.cmd, kernel.vk_pipeline_layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0,
                         static_cast<std::uint32_t>(push.size()), push.data());
    }
    vkCmdDispatch(m.cmd, groups[0], groups[1], groups[2]);
  } catch (const std::exception& e) {
    return fail(where + ": " + e.what());
  }
  ++dispatches_;
  m.pending.insert(m.pending.end(), accesses.begin(), accesses.end());
  for (std::size_t b = 0; b < bindings.size(); ++b) {
    m.keep_alive.push_back(bindings[b].buffer_);
    if (bindings[b].plane_ && kernel.bindings()[b].access != oi::gpu::Access::kRead) {
      m.written_planes.push_back(bindings[b].plane_);
    }
  }
  m.wrote_anything = true;
  return Status::ok();
}

Status CommandRecorder::dispatch_grid(const Kernel& kernel, std::span<const BufferRef> bindings,
                                      std::span<const std::byte> push, std::uint32_t width,
                                      std::uint32_t height) {
  if (width == 0 || height == 0) return Status::ok();  // an empty plane: nothing to do
  return dispatch(kernel, bindings, push, kernel.groups_for(width, height));
}

Status CommandRecorder::copy(const BufferRef& source, const BufferRef& destination, std::uint64_t size) {
  Impl& m = *impl_;
  if (source.buffer() == nullptr || destination.buffer() == nullptr) {
    return fail(
        "copy: a plane in host memory cannot be copied on the GPU; convert it with "
        "oi::gpu::to_gpu_plane()");
  }
  if (size == 0) size = std::min(source.size(), destination.size());
  if (size > source.size() || size > destination.size()) {
    return fail("copy of " + std::to_string(size) + " bytes exceeds the source (" +
                std::to_string(source.size()) + " bytes) or destination (" +
                std::to_string(destination.size()) + " bytes)");
  }
  if (size == 0) return Status::ok();
  if (Status s = begin_if_needed(); !s.is_ok()) return fail(s.message());
  const VkDeviceSize src_begin = source.buffer()->offset() + source.offset();
  const VkDeviceSize dst_begin = destination.buffer()->offset() + destination.offset();
  if (GpuPlaneMemory* plane = source.plane_memory()) {
    std::vector<TrackedAccess> upload{{{source.buffer()->vk_buffer(), source.buffer()->offset(),
                                        source.buffer()->offset() + plane->size_bytes()},
                                       true,
                                       VK_PIPELINE_STAGE_TRANSFER_BIT,
                                       VK_ACCESS_TRANSFER_WRITE_BIT}};
    if (plane->upload_pending()) {
      barriers_ += m.barrier_for(upload, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    }
    if (plane->prepare_for_gpu(m.cmd)) {
      m.pending.push_back(upload.front());
      m.uploaded_planes.push_back(source.plane_);
    }
  }
  std::vector<TrackedAccess> accesses{{{source.buffer()->vk_buffer(), src_begin, src_begin + size},
                                       false,
                                       VK_PIPELINE_STAGE_TRANSFER_BIT,
                                       VK_ACCESS_TRANSFER_READ_BIT},
                                      {{destination.buffer()->vk_buffer(), dst_begin, dst_begin + size},
                                       true,
                                       VK_PIPELINE_STAGE_TRANSFER_BIT,
                                       VK_ACCESS_TRANSFER_WRITE_BIT}};
  barriers_ += m.barrier_for(accesses, VK_PIPELINE_STAGE_TRANSFER_BIT,
                             VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT);
  VkBufferCopy region{src_begin, dst_begin, size};
  vkCmdCopyBuffer(m.cmd, source.buffer()->vk_buffer(), destination.buffer()->vk_buffer(), 1, &region);
  m.pending.insert(m.pending.end(), accesses.begin(), accesses.end());
  m.keep_alive.push_back(source.buffer_);
  m.keep_alive.push_back(destination.buffer_);
  if (destination.plane_) m.written_planes.push_back(destination.plane_);
  m.wrote_anything = true;
  return Status::ok();
}

Status CommandRecorder::submit() {
  Impl& m = *impl_;
  if (!m.recording) return Status::ok();
  if (m.wrote_anything) {
    // Results are read by the host after the fence (in place, or from staging after a
    // download): make every shader and transfer write visible to host reads.
    VkMemoryBarrier to_host{};
    to_host.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
    to_host.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    to_host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(m.cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host, 0, nullptr, 0, nullptr);
  }
  VkResult result = vkEndCommandBuffer(m.cmd);
  if (result != VK_SUCCESS) {
    return fail("vkEndCommandBuffer failed: " + detail::vk_result_name(result));
  }
  m.recording = false;
  result = vkResetFences(m.device, 1, &m.fence);
  if (result == VK_SUCCESS) result = m.state->submit(m.cmd, m.fence);
  if (result != VK_SUCCESS) {
    m.recording = true;  // so reset() clears the pools
    return fail(
        "vkQueueSubmit failed: " + detail::vk_result_name(result) +
        (result == VK_ERROR_DEVICE_LOST ? "; the GPU was reset, restart the pipeline" : std::string()));
  }
  m.submitted = true;
  return Status::ok();
}

Status CommandRecorder::wait(std::uint64_t timeout_ns) {
  Impl& m = *impl_;
  if (!m.submitted) return Status::ok();
  const VkResult result = vkWaitForFences(m.device, 1, &m.fence, VK_TRUE, timeout_ns);
  if (result == VK_TIMEOUT) {
    return Status::error("GPU work did not finish within " + std::to_string(timeout_ns / 1000000) +
                         " ms; call wait() again or give the device more time");
  }
  m.submitted = false;
  for (const auto& plane : m.written_planes) plane->mark_written_by_gpu();
  m.uploaded_planes.clear();
  m.recording = true;  // the pools hold this frame's sets: let reset() recycle them
  reset();
  if (result != VK_SUCCESS) {
    return Status::error("vkWaitForFences failed: " + detail::vk_result_name(result) +
                         "; the frame's GPU results are lost");
  }
  return Status::ok();
}

Status CommandRecorder::submit_and_wait() {
  if (Status s = submit(); !s.is_ok()) return s;
  return wait();
}

}  // namespace oi::gpu
