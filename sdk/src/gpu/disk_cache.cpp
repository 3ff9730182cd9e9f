#include "oi/gpu/disk_cache.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>

#include "hash.hpp"

namespace oi::gpu {
namespace {

constexpr std::array<char, 8> kMagic = {'O', 'I', 'C', 'A', 'C', 'H', 'E', '1'};
// Bump when the header or a payload layout changes: old files are then rejected, not misread.
constexpr std::uint32_t kFormatVersion = 1;

struct Header {
  std::array<char, 8> magic;
  std::uint32_t format_version;
  std::uint32_t kind;
  std::uint64_t key_digest[2];
  std::uint64_t payload_size;
  std::uint64_t payload_checksum;
};
static_assert(sizeof(Header) == 48, "the on-disk header must have no padding");

std::uint64_t checksum(std::span<const std::byte> payload) { return detail::mix64(detail::fnv1a64(payload)); }

std::uint32_t kind_tag(std::string_view kind) { return static_cast<std::uint32_t>(detail::fnv1a64(kind)); }

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

std::filesystem::path cache_directory() {
  if (std::string dir = env_or_empty("OI_CACHE_DIR"); !dir.empty()) return dir;
  if (std::string xdg = env_or_empty("XDG_CACHE_HOME"); !xdg.empty()) {
    return std::filesystem::path(xdg) / "openinspect";
  }
  if (std::string home = env_or_empty("HOME"); !home.empty()) {
    return std::filesystem::path(home) / ".cache" / "openinspect";
  }
  // No home (a service account): a per-user folder in /tmp still avoids recompiling.
  return std::filesystem::temp_directory_path() / ("openinspect-cache-" + std::to_string(::getuid()));
}

DiskCache::DiskCache(std::filesystem::path folder, std::string kind)
    : folder_(std::move(folder)), kind_(std::move(kind)) {}

std::filesystem::path DiskCache::path_for(std::string_view key) const {
  return folder_ / (detail::to_hex(detail::digest128(key)) + ".bin");
}

std::optional<std::vector<std::byte>> DiskCache::load(std::string_view key) {
  const std::filesystem::path path = path_for(key);
  // Only a regular file of a sane size is read: a folder or device node of the cache file's
  // name "opens" as a stream whose length is nonsense, and a cache problem is never an error.
  std::error_code status_error;
  const auto status = std::filesystem::status(path, status_error);
  if (status.type() != std::filesystem::file_type::regular) {
    if (status.type() != std::filesystem::file_type::not_found && !status_error) {
      spdlog::debug("{} cache entry {} is not a regular file; ignored, will rebuild", kind_, path.string());
    }
    std::lock_guard lock(mutex_);
    ++stats_.misses;
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::lock_guard lock(mutex_);
    ++stats_.misses;
    return std::nullopt;
  }
  in.seekg(0, std::ios::end);
  const std::streamoff length = in.tellg();
  constexpr std::streamoff kLargestEntry = std::streamoff{1}
                                           << 30;  // SPIR-V and pipeline caches are far smaller
  if (length < 0 || length > kLargestEntry) {
    std::lock_guard lock(mutex_);
    ++stats_.misses;
    ++stats_.rejected;
    return std::nullopt;
  }
  in.seekg(0, std::ios::beg);
  std::vector<std::byte> bytes(length > 0 ? static_cast<std::size_t>(length) : 0);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!in) bytes.clear();  // vanished or shrank while reading: treated as truncated below
  in.close();
  auto reject = [&](std::string_view why) -> std::optional<std::vector<std::byte>> {
    spdlog::debug("{} cache file {} is {}; deleted, will rebuild", kind_, path.string(), why);
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    std::lock_guard lock(mutex_);
    ++stats_.rejected;
    ++stats_.misses;
    return std::nullopt;
  };
  Header header{};
  if (bytes.size() < sizeof(Header)) return reject("truncated (shorter than its header)");
  std::memcpy(&header, bytes.data(), sizeof(Header));
  if (header.magic != kMagic) return reject("not a cache file (bad magic)");
  if (header.format_version != kFormatVersion) return reject("of another format version");
  if (header.kind != kind_tag(kind_)) return reject("of another cache kind");
  const detail::Digest128 digest = detail::digest128(key);
  if (header.key_digest[0] != digest[0] || header.key_digest[1] != digest[1]) {
    return reject("made for another key");
  }
  if (header.payload_size != bytes.size() - sizeof(Header)) {
    return reject("truncated or extended (payload size does not match the header)");
  }
  std::vector<std::byte> payload(bytes.begin() + sizeof(Header), bytes.end());
  if (checksum(payload) != header.payload_checksum) return reject("corrupt (checksum mismatch)");
  std::lock_guard lock(mutex_);
  ++stats_.hits;
  return payload;
}

bool DiskCache::store(std::string_view key, std::span<const std::byte> payload) {
  static std::atomic<std::uint64_t> counter{0};
  const std::filesystem::path path = path_for(key);
  // Unique per process and call, so concurrent writers never share a temporary file.
  const std::filesystem::path temp =
      path.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  Header header{};
  header.magic = kMagic;
  header.format_version = kFormatVersion;
  header.kind = kind_tag(kind_);
  const detail::Digest128 digest = detail::digest128(key);
  header.key_digest[0] = digest[0];
  header.key_digest[1] = digest[1];
  header.payload_size = payload.size();
  header.payload_checksum = checksum(payload);

  std::error_code error;
  std::filesystem::create_directories(folder_, error);
  bool ok = !error;
  if (ok) {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(&header), sizeof(header));
    out.write(reinterpret_cast<const char*>(payload.data()), static_cast<std::streamsize>(payload.size()));
    out.close();
    ok = static_cast<bool>(out);
  }
  if (ok) {
    std::filesystem::rename(temp, path, error);
    ok = !error;
  }
  std::lock_guard lock(mutex_);
  if (!ok) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    ++stats_.write_failures;
    if (!warned_write_failure_) {
      warned_write_failure_ = true;
      spdlog::warn(
          "cannot write the {} cache in {}{}; shaders will be rebuilt on every start "
          "(set OI_CACHE_DIR to a writable folder)",
          kind_, folder_.string(), error ? ": " + error.message() : std::string());
    }
    return false;
  }
  ++stats_.writes;
  return true;
}

DiskCacheStats DiskCache::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace oi::gpu
