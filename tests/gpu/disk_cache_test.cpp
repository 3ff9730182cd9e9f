// DiskCache: round trip, every kind of damage detected and deleted, atomic writes, location.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>

#include "gpu_test_fixture.hpp"

namespace oi::gpu::testing {
namespace {

std::vector<std::byte> bytes_of(const std::string& text) {
  std::vector<std::byte> out(text.size());
  std::memcpy(out.data(), text.data(), text.size());
  return out;
}

std::vector<char> read_raw(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_raw(const std::filesystem::path& path, const std::vector<char>& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(data.data(), data.size());
}

class GpuDiskCache : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_.emplace(fresh_dir("disk-cache"), "spirv");
    payload_ = bytes_of(std::string(1000, 'x') + "payload");
    ASSERT_TRUE(cache_->store(kKey, payload_));
  }
  // Loading the damaged file must miss, count a rejection and delete the file.
  void expect_rejected() {
    const auto before = cache_->stats();
    EXPECT_FALSE(cache_->load(kKey).has_value());
    EXPECT_EQ(cache_->stats().rejected, before.rejected + 1);
    EXPECT_FALSE(std::filesystem::exists(cache_->path_for(kKey))) << "a bad file is deleted";
  }
  static constexpr const char* kKey = "glsl;source=abc;defines=X=1";
  std::optional<DiskCache> cache_;
  std::vector<std::byte> payload_;
};

TEST_F(GpuDiskCache, StoreThenLoadHits) {
  auto loaded = cache_->load(kKey);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(*loaded, payload_);
  EXPECT_EQ(cache_->stats().hits, 1u);
  EXPECT_EQ(cache_->stats().writes, 1u);
  // Written atomically: only the final file, no temporary left behind.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(cache_->folder())) {
    ++files;
    EXPECT_EQ(entry.path().extension(), ".bin") << entry.path();
  }
  EXPECT_EQ(files, 1);
}

TEST_F(GpuDiskCache, DifferentKeyMisses) {
  EXPECT_FALSE(cache_->load("glsl;source=abc;defines=X=2").has_value());
  EXPECT_EQ(cache_->stats().misses, 1u);
  EXPECT_EQ(cache_->stats().rejected, 0u);
}

TEST_F(GpuDiskCache, TruncatedFileIsRejected) {
  std::vector<char> raw = read_raw(cache_->path_for(kKey));
  raw.resize(raw.size() - 10);
  write_raw(cache_->path_for(kKey), raw);
  expect_rejected();
}

TEST_F(GpuDiskCache, FileShorterThanItsHeaderIsRejected) {
  write_raw(cache_->path_for(kKey), {'O', 'I'});
  expect_rejected();
}

TEST_F(GpuDiskCache, GarbledPayloadIsRejected) {
  std::vector<char> raw = read_raw(cache_->path_for(kKey));
  raw[raw.size() / 2] ^= 0x5a;
  write_raw(cache_->path_for(kKey), raw);
  expect_rejected();
}

TEST_F(GpuDiskCache, GarbledHeaderIsRejected) {
  std::vector<char> raw = read_raw(cache_->path_for(kKey));
  raw[0] = 'X';
  write_raw(cache_->path_for(kKey), raw);
  expect_rejected();
}

TEST_F(GpuDiskCache, FileWrittenForAnotherKeyIsRejected) {
  ASSERT_TRUE(cache_->store("another key", payload_));
  std::filesystem::copy_file(cache_->path_for("another key"), cache_->path_for(kKey),
                             std::filesystem::copy_options::overwrite_existing);
  expect_rejected();
}

TEST_F(GpuDiskCache, FileOfAnotherKindIsRejected) {
  DiskCache pipelines(cache_->folder(), "pipeline");
  ASSERT_TRUE(pipelines.store(kKey, payload_));  // same key, same folder, other kind
  expect_rejected();
}

// A file an older or newer OpenInspect wrote: the header's format version (the 32-bit word
// after the 8-byte magic) differs. It is a miss, counted as rejected and deleted, and the
// payload stored again is read back.
TEST_F(GpuDiskCache, FileOfAnotherFormatVersionIsRejectedAndRebuilt) {
  std::vector<char> raw = read_raw(cache_->path_for(kKey));
  ASSERT_GE(raw.size(), 12u);
  std::uint32_t version = 0;
  std::memcpy(&version, raw.data() + 8, sizeof version);
  ASSERT_EQ(version, 1u) << "the header layout changed: update this test";
  for (const std::uint32_t other : {version + 1, version - 1}) {
    std::memcpy(raw.data() + 8, &other, sizeof other);
    write_raw(cache_->path_for(kKey), raw);
    const auto misses = cache_->stats().misses;
    expect_rejected();
    EXPECT_EQ(cache_->stats().misses, misses + 1) << "format version " << other;
    ASSERT_TRUE(cache_->store(kKey, payload_));
    const auto rebuilt = cache_->load(kKey);
    ASSERT_TRUE(rebuilt.has_value()) << "rewritten after format version " << other;
    EXPECT_EQ(*rebuilt, payload_);
  }
}

TEST_F(GpuDiskCache, UnwritableFolderIsNotAnError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes into read-only folders";
  const auto folder = fresh_dir("read-only");
  ::chmod(folder.c_str(), 0500);
  DiskCache cache(folder / "sub", "spirv");
  EXPECT_FALSE(cache.store(kKey, payload_));
  EXPECT_EQ(cache.stats().write_failures, 1u);
  EXPECT_FALSE(cache.load(kKey).has_value());
  ::chmod(folder.c_str(), 0700);
}

// A folder where the cache file should be: a miss, and storing fails without an error
// (it used to read the folder as a file of absurd length and throw std::bad_alloc).
TEST_F(GpuDiskCache, FolderInPlaceOfTheFileIsAMissNotAnError) {
  const auto path = cache_->path_for(kKey);
  std::filesystem::remove(path);
  std::filesystem::create_directories(path / "inside");
  std::optional<std::vector<std::byte>> loaded;
  ASSERT_NO_THROW(loaded = cache_->load(kKey));
  EXPECT_FALSE(loaded.has_value());
  EXPECT_FALSE(cache_->store(kKey, payload_)) << "a folder cannot be replaced by a file";
  EXPECT_EQ(cache_->stats().write_failures, 1u);
  EXPECT_TRUE(std::filesystem::is_directory(path / "inside")) << "nothing of the user's is deleted";
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(GpuCacheDirectory, OiCacheDirThenXdgThenHome) {
  ScopedEnv home("HOME", "/home/inspector");
  {
    ScopedEnv dir("OI_CACHE_DIR", "/var/cache/oi");
    ScopedEnv xdg("XDG_CACHE_HOME", "/xdg");
    EXPECT_EQ(cache_directory(), "/var/cache/oi");
  }
  {
    ScopedEnv dir("OI_CACHE_DIR", nullptr);
    ScopedEnv xdg("XDG_CACHE_HOME", "/xdg");
    EXPECT_EQ(cache_directory(), "/xdg/openinspect");
  }
  ScopedEnv dir("OI_CACHE_DIR", nullptr);
  ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
  EXPECT_EQ(cache_directory(), "/home/inspector/.cache/openinspect");
}

}  // namespace
}  // namespace oi::gpu::testing
