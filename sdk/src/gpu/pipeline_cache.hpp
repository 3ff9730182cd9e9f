#pragma once
// The device's VkPipelineCache, loaded from and saved to the on-disk cache. Internal.

#include <vulkan/vulkan.h>

#include <cstdint>
#include <mutex>
#include <string>

#include "oi/gpu/device_info.hpp"
#include "oi/gpu/disk_cache.hpp"

namespace oi::gpu::detail {

class PipelineCache {
 public:
  /// Creates the VkPipelineCache, seeded from `<cache_directory()>/pipelines` when a file for
  /// this device (UUIDs and driver version) exists and passes every check.
  PipelineCache(VkDevice device, const DeviceInfo& info);
  ~PipelineCache();
  PipelineCache(const PipelineCache&) = delete;
  PipelineCache& operator=(const PipelineCache&) = delete;

  VkPipelineCache handle() const { return cache_; }
  bool loaded() const { return loaded_; }
  std::uint64_t rejected() const { return rejected_; }
  std::uint64_t saves() const;
  /// Writes the cache if it grew since the last save. Never throws.
  void save() noexcept;
  /// The key the file is stored under (tests build a mismatching one from it).
  const std::string& key() const { return key_; }
  std::filesystem::path file() const { return disk_.path_for(key_); }

 private:
  bool header_matches(const std::vector<std::byte>& data) const;

  VkDevice device_;
  DeviceInfo info_;
  DiskCache disk_;
  std::string key_;
  VkPipelineCache cache_ = VK_NULL_HANDLE;
  bool loaded_ = false;
  std::uint64_t rejected_ = 0;
  mutable std::mutex mutex_;
  std::size_t saved_size_ = 0;
  std::uint64_t saves_ = 0;
};

}  // namespace oi::gpu::detail
