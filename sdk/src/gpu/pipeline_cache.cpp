#include "pipeline_cache.hpp"

#include <spdlog/spdlog.h>

#include <cstring>

#include "vk_util.hpp"

namespace oi::gpu::detail {
namespace {

std::string hex(const std::uint8_t* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xf];
  }
  return out;
}

}  // namespace

PipelineCache::PipelineCache(VkDevice device, const DeviceInfo& info)
    : device_(device), info_(info), disk_(cache_directory() / "pipelines", "pipeline") {
  // Pipeline binaries are only valid for the same driver build on the same device.
  key_ = "vk-pipeline-cache;vendor=" + std::to_string(info.vendor_id) +
         ";device=" + std::to_string(info.device_id) +
         ";driver_version=" + std::to_string(info.driver_version) + ";driver=" + info.driver_name + " " +
         info.driver_info + ";device_uuid=" + hex(info.device_uuid.data(), info.device_uuid.size()) +
         ";pipeline_cache_uuid=" + hex(info.pipeline_cache_uuid.data(), info.pipeline_cache_uuid.size());
  std::vector<std::byte> initial;
  const std::uint64_t rejected_before = disk_.stats().rejected;
  if (auto data = disk_.load(key_)) {
    if (header_matches(*data)) {
      initial = std::move(*data);
    } else {
      spdlog::debug(
          "pipeline cache {} was written by another device or driver; deleted, will "
          "rebuild",
          disk_.path_for(key_).string());
      std::error_code ignored;
      std::filesystem::remove(disk_.path_for(key_), ignored);
      ++rejected_;
    }
  }
  rejected_ += disk_.stats().rejected - rejected_before;
  VkPipelineCacheCreateInfo create{};
  create.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO;
  create.initialDataSize = initial.size();
  create.pInitialData = initial.empty() ? nullptr : initial.data();
  VkResult result = vkCreatePipelineCache(device_, &create, nullptr, &cache_);
  if (result != VK_SUCCESS && !initial.empty()) {
    // The driver refused data our checks accepted: start empty rather than fail.
    spdlog::debug("driver rejected the pipeline cache {} ({}); starting empty", disk_.path_for(key_).string(),
                  vk_result_name(result));
    ++rejected_;
    initial.clear();
    create.initialDataSize = 0;
    create.pInitialData = nullptr;
    result = vkCreatePipelineCache(device_, &create, nullptr, &cache_);
  }
  vk_check(result, "vkCreatePipelineCache");
  loaded_ = !initial.empty();
  saved_size_ = initial.size();
}

PipelineCache::~PipelineCache() {
  if (cache_ != VK_NULL_HANDLE) vkDestroyPipelineCache(device_, cache_, nullptr);
}

bool PipelineCache::header_matches(const std::vector<std::byte>& data) const {
  // VkPipelineCacheHeaderVersionOne: length, version, vendorID, deviceID, pipelineCacheUUID.
  if (data.size() < 32) return false;
  std::uint32_t words[4];
  std::memcpy(words, data.data(), sizeof(words));
  return words[0] >= 32 && words[1] == VK_PIPELINE_CACHE_HEADER_VERSION_ONE && words[2] == info_.vendor_id &&
         words[3] == info_.device_id &&
         std::memcmp(data.data() + 16, info_.pipeline_cache_uuid.data(), 16) == 0;
}

void PipelineCache::save() noexcept {
  std::lock_guard lock(mutex_);
  std::size_t size = 0;
  if (vkGetPipelineCacheData(device_, cache_, &size, nullptr) != VK_SUCCESS || size == 0 ||
      size == saved_size_) {
    return;
  }
  std::vector<std::byte> data(size);
  const VkResult result = vkGetPipelineCacheData(device_, cache_, &size, data.data());
  if (result != VK_SUCCESS) return;  // VK_INCOMPLETE: it grew meanwhile; the next save gets it
  data.resize(size);
  if (disk_.store(key_, data)) {
    saved_size_ = size;
    ++saves_;
  }
}

std::uint64_t PipelineCache::saves() const {
  std::lock_guard lock(mutex_);
  return saves_;
}

}  // namespace oi::gpu::detail
