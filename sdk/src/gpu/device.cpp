#include "oi/gpu/device.hpp"

#include <spdlog/spdlog.h>

#include "device_query.hpp"
#include "device_state.hpp"
#include "oi/gpu/command_recorder.hpp"
#include "oi/gpu/kernel.hpp"
#include "vk_util.hpp"

namespace oi::gpu {
namespace detail {

DeviceState::~DeviceState() {
  if (device == VK_NULL_HANDLE) return;
  vkDeviceWaitIdle(device);
  if (pipeline_cache) pipeline_cache->save();
  pipeline_cache.reset();
  memory.reset();
  if (transfer_fence != VK_NULL_HANDLE) vkDestroyFence(device, transfer_fence, nullptr);
  if (transfer_pool != VK_NULL_HANDLE) vkDestroyCommandPool(device, transfer_pool, nullptr);
  if (owns_device) vkDestroyDevice(device, nullptr);
}

VkResult DeviceState::submit(VkCommandBuffer cmd, VkFence fence) {
  VkSubmitInfo info{};
  info.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
  info.commandBufferCount = 1;
  info.pCommandBuffers = &cmd;
  std::lock_guard lock(queue_mutex);
  ++submissions;
  return vkQueueSubmit(queue, 1, &info, fence);
}

void DeviceState::copy_and_wait(const Buffer& source, const Buffer& destination, VkDeviceSize size) {
  std::lock_guard lock(transfer_mutex);
  if (transfer_pool == VK_NULL_HANDLE) {
    VkCommandPoolCreateInfo pool{};
    pool.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
    pool.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pool.queueFamilyIndex = queue_family;
    vk_check(vkCreateCommandPool(device, &pool, nullptr, &transfer_pool), "vkCreateCommandPool");
    VkCommandBufferAllocateInfo alloc{};
    alloc.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
    alloc.commandPool = transfer_pool;
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    vk_check(vkAllocateCommandBuffers(device, &alloc, &transfer_cmd), "vkAllocateCommandBuffers");
    ++command_buffers_created;
    VkFenceCreateInfo fence{};
    fence.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
    vk_check(vkCreateFence(device, &fence, nullptr, &transfer_fence), "vkCreateFence");
  }
  VkCommandBufferBeginInfo begin{};
  begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  vk_check(vkBeginCommandBuffer(transfer_cmd, &begin), "vkBeginCommandBuffer");
  VkBufferCopy region{source.offset(), destination.offset(), size};
  vkCmdCopyBuffer(transfer_cmd, source.vk_buffer(), destination.vk_buffer(), 1, &region);
  // Make the copy visible to host reads after the fence.
  VkBufferMemoryBarrier to_host{};
  to_host.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER;
  to_host.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  to_host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  to_host.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_host.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_host.buffer = destination.vk_buffer();
  to_host.offset = destination.offset();
  to_host.size = size;
  vkCmdPipelineBarrier(transfer_cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0,
                       nullptr, 1, &to_host, 0, nullptr);
  vk_check(vkEndCommandBuffer(transfer_cmd), "vkEndCommandBuffer");
  vk_check(vkResetFences(device, 1, &transfer_fence), "vkResetFences");
  vk_check(submit(transfer_cmd, transfer_fence), "vkQueueSubmit (plane download)");
  vk_check(vkWaitForFences(device, 1, &transfer_fence, VK_TRUE, UINT64_MAX),
           "vkWaitForFences (plane download)");
}

std::shared_ptr<Device> open_vulkan_device(std::shared_ptr<Instance> instance, VkPhysicalDevice physical,
                                           DeviceInfo info) {
  auto state = std::make_unique<DeviceState>();
  state->instance = std::move(instance);
  state->physical = physical;
  const int family = pick_compute_queue_family(physical);
  if (family < 0) {
    throw GpuError("Vulkan device " + std::to_string(info.index) + " (" + info.name +
                   ") has no compute queue; pick another with OI_VK_DEVICE");
  }
  state->queue_family = static_cast<std::uint32_t>(family);
  vkGetPhysicalDeviceProperties(physical, &state->properties);

  // Enable only what the pixel helpers use and the device offers: uint16_t/uint8_t planes
  // read and written directly in storage buffers.
  VkPhysicalDeviceFeatures supported{};
  vkGetPhysicalDeviceFeatures(physical, &supported);
  VkPhysicalDevice8BitStorageFeatures storage8{};
  storage8.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES;
  storage8.storageBuffer8BitAccess = info.storage_8bit ? VK_TRUE : VK_FALSE;
  VkPhysicalDevice16BitStorageFeatures storage16{};
  storage16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES;
  storage16.storageBuffer16BitAccess = info.storage_16bit ? VK_TRUE : VK_FALSE;
  storage16.pNext = info.storage_8bit ? &storage8 : nullptr;
  VkPhysicalDeviceFeatures2 features{};
  features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
  features.pNext = &storage16;
  features.features.shaderInt16 = supported.shaderInt16;
  features.features.shaderInt64 = supported.shaderInt64;
  features.features.shaderFloat64 = supported.shaderFloat64;

  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue{};
  queue.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
  queue.queueFamilyIndex = state->queue_family;
  queue.queueCount = 1;
  queue.pQueuePriorities = &priority;
  VkDeviceCreateInfo create{};
  create.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
  create.pNext = &features;
  create.queueCreateInfoCount = 1;
  create.pQueueCreateInfos = &queue;
  vk_check(vkCreateDevice(physical, &create, nullptr, &state->device),
           "vkCreateDevice on device " + std::to_string(info.index) + " (" + info.name + ")",
           "pick another device with OI_VK_DEVICE, or update its driver");
  vkGetDeviceQueue(state->device, state->queue_family, 0, &state->queue);
  state->memory = std::make_unique<MemoryPool>(state->device, physical, info.unified_memory);
  state->pipeline_cache = std::make_unique<PipelineCache>(state->device, info);
  spdlog::debug("opened Vulkan device {} ({}, {}), queue family {}", info.index, info.name,
                to_string(info.type), state->queue_family);
  state->info = std::move(info);
  return std::make_shared<Device>(std::move(state));
}

std::shared_ptr<Device> wrap_vulkan_device(std::shared_ptr<Instance> instance, const ExternalVulkan& handles,
                                           DeviceInfo info) {
  auto state = std::make_unique<DeviceState>();
  state->instance = std::move(instance);
  state->physical = handles.physical_device;
  state->device = handles.device;
  state->owns_device = false;
  state->queue_family = handles.queue_family;
  state->queue = handles.queue;
  vkGetPhysicalDeviceProperties(handles.physical_device, &state->properties);
  // We cannot know which features the application enabled; assume none beyond core 1.1.
  info.storage_8bit = false;
  info.storage_16bit = false;
  info.shader_int64 = false;
  state->memory = std::make_unique<MemoryPool>(state->device, state->physical, info.unified_memory);
  state->pipeline_cache = std::make_unique<PipelineCache>(state->device, info);
  state->info = std::move(info);
  return std::make_shared<Device>(std::move(state));
}

}  // namespace detail

Device::Device(std::unique_ptr<detail::DeviceState> state) : state_(std::move(state)) {}

Device::~Device() = default;

const DeviceInfo& Device::info() const { return state_->info; }

const VkPhysicalDeviceLimits& Device::limits() const { return state_->properties.limits; }

std::shared_ptr<Buffer> Device::create_buffer(std::size_t size_bytes, MemoryUse use) {
  if (size_bytes == 0) {
    throw GpuError("cannot create an empty GPU buffer on " + info().name + "; ask for at least one byte");
  }
  const detail::Allocation a = state_->memory->allocate(size_bytes, use);
  ++state_->buffers_created;
  return std::make_shared<Buffer>(shared_from_this(), a.block, a.offset, size_bytes, a.reserved, use);
}

std::shared_ptr<Kernel> Device::create_kernel(const KernelDesc& desc) {
  auto kernel = std::make_shared<Kernel>(shared_from_this(), desc);
  ++state_->kernels_created;
  ++(kernel->timing().spirv_from_cache ? state_->spirv_cache_hits : state_->spirv_cache_misses);
  state_->pipeline_cache->save();
  return kernel;
}

std::unique_ptr<CommandRecorder> Device::create_recorder() {
  return std::make_unique<CommandRecorder>(shared_from_this());
}

void Device::save_pipeline_cache() noexcept { state_->pipeline_cache->save(); }

void Device::wait_idle() {
  std::lock_guard lock(state_->queue_mutex);
  detail::vk_check(vkDeviceWaitIdle(state_->device), "vkDeviceWaitIdle");
}

DeviceStats Device::stats() const {
  const detail::DeviceState& s = *state_;
  DeviceStats out;
  out.memory_blocks_allocated = s.memory->blocks_allocated();
  out.memory_bytes_reserved = s.memory->bytes_reserved();
  out.buffers_created = s.buffers_created;
  out.kernels_created = s.kernels_created;
  out.spirv_cache_hits = s.spirv_cache_hits;
  out.spirv_cache_misses = s.spirv_cache_misses;
  out.pipeline_cache_loaded = s.pipeline_cache->loaded();
  out.pipeline_cache_rejected = s.pipeline_cache->rejected();
  out.pipeline_cache_saves = s.pipeline_cache->saves();
  out.command_buffers_created = s.command_buffers_created;
  out.descriptor_pools_created = s.descriptor_pools_created;
  out.submissions = s.submissions;
  out.uploads = s.uploads;
  out.downloads = s.downloads;
  return out;
}

const std::string& Device::pipeline_cache_key() const { return state_->pipeline_cache->key(); }

std::filesystem::path Device::pipeline_cache_file() const { return state_->pipeline_cache->file(); }

VkInstance Device::vk_instance() const { return state_->instance->handle(); }
VkPhysicalDevice Device::vk_physical_device() const { return state_->physical; }
VkDevice Device::vk_device() const { return state_->device; }
std::uint32_t Device::queue_family() const { return state_->queue_family; }

}  // namespace oi::gpu
