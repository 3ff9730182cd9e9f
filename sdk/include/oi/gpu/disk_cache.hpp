#pragma once
/// @file
/// A folder of checksummed cache files. Used for compiled SPIR-V (`<dir>/spirv/`) and
/// Vulkan pipeline caches (`<dir>/pipelines/`).
///
/// Each file is named by a 128-bit digest of its key string and starts with a header:
/// magic "OICACHE1", format version, kind, key digest, payload size, payload checksum.
/// A file that is truncated, garbled, of another format version or made for another key is
/// logged at debug level, deleted and reported as a miss; it is never trusted. Writes go to
/// a temporary file that is then renamed over the target, so readers never see half a file
/// and concurrent writers do not corrupt each other.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace oi::gpu {

/// `$OI_CACHE_DIR`, else `$XDG_CACHE_HOME/openinspect`, else `~/.cache/openinspect`
/// (re-read on every call; created on first write).
std::filesystem::path cache_directory();

/// Counters of one DiskCache.
struct DiskCacheStats {
  std::uint64_t hits = 0;            ///< loads that returned a payload
  std::uint64_t misses = 0;          ///< loads that found no file (or a rejected one)
  std::uint64_t rejected = 0;        ///< files found corrupt, truncated or for another key
  std::uint64_t writes = 0;          ///< successful stores
  std::uint64_t write_failures = 0;  ///< stores that failed (read-only folder, disk full)
};

/// One cache folder. Thread-safe. Failures to read or write are never errors: the caller
/// recomputes, and a failed write is logged once at warning level.
class DiskCache {
 public:
  /// Uses `folder` (created on first store). `kind` ("spirv", "pipeline") is recorded in each
  /// header so files of one kind are never read as the other.
  DiskCache(std::filesystem::path folder, std::string kind);

  /// The payload stored under `key`, or nullopt (miss, or a file that failed a check and
  /// was deleted).
  std::optional<std::vector<std::byte>> load(std::string_view key);
  /// Stores `payload` under `key` atomically; false when it could not be written.
  bool store(std::string_view key, std::span<const std::byte> payload);
  /// The file that holds `key`.
  std::filesystem::path path_for(std::string_view key) const;
  /// The folder.
  const std::filesystem::path& folder() const { return folder_; }
  /// Counters since construction.
  DiskCacheStats stats() const;

 private:
  std::filesystem::path folder_;
  std::string kind_;
  mutable std::mutex mutex_;
  DiskCacheStats stats_;
  bool warned_write_failure_ = false;
};

}  // namespace oi::gpu
