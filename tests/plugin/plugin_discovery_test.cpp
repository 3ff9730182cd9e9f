// Where plugins are looked for: the SDK's own plugin folder, then OI_PLUGIN_PATH; never the
// current directory.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "oi/plugin_registry.hpp"

namespace oi {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

const fs::path kGoodDir = OI_TEST_GOOD_PLUGIN_DIR;
const fs::path kBrokenDir = OI_TEST_BROKEN_PLUGIN_DIR;
// The test links the SDK from the build tree's lib/, whose plugin folder this is.
const fs::path kSdkPluginDir = OI_PLUGIN_OUTPUT_DIR;

// Sets OI_PLUGIN_PATH for one test and restores it afterwards.
class ScopedPluginPath {
 public:
  explicit ScopedPluginPath(const char* value) {
    if (const char* old = ::getenv("OI_PLUGIN_PATH")) old_ = old;
    if (value != nullptr) {
      ::setenv("OI_PLUGIN_PATH", value, 1);
    } else {
      ::unsetenv("OI_PLUGIN_PATH");
    }
  }
  ~ScopedPluginPath() {
    if (old_) {
      ::setenv("OI_PLUGIN_PATH", old_->c_str(), 1);
    } else {
      ::unsetenv("OI_PLUGIN_PATH");
    }
  }

 private:
  std::optional<std::string> old_;
};

TEST(PluginDiscovery, SdkPluginFolderComesFirstThenEachPluginPathEntry) {
  const std::string value = ":" + kGoodDir.string() +
                            "::/nonexistent/oi-plugins:relative/dir:" + kBrokenDir.string() + ":" +
                            kGoodDir.string() + ":";
  ScopedPluginPath path(value.c_str());
  PluginRegistry registry;
  registry.load_default_locations();

  const auto& searched = registry.searched_directories();
  ASSERT_FALSE(searched.empty());
  EXPECT_EQ(fs::weakly_canonical(searched[0]), fs::weakly_canonical(kSdkPluginDir));
  // Empty and relative entries are ignored, a missing folder is recorded, a repeated one is
  // searched once.
  EXPECT_THAT(std::vector<fs::path>(searched.begin() + 1, searched.end()),
              ElementsAre(kGoodDir, fs::path("/nonexistent/oi-plugins"), kBrokenDir));

  ASSERT_NE(registry.find("test_good.gain"), nullptr);
  EXPECT_EQ(registry.find("test_good.gain")->plugin_path, fs::canonical(kGoodDir / "good.so"));
  bool saw_broken = false;
  for (const PluginRecord& plugin : registry.plugins()) {
    if (plugin.path.parent_path() == fs::canonical(kBrokenDir)) {
      saw_broken = true;
      EXPECT_TRUE(plugin.error) << plugin.path;
    }
  }
  EXPECT_TRUE(saw_broken);
}

TEST(PluginDiscovery, WithoutPluginPathOnlyTheSdkFolderIsSearched) {
  ScopedPluginPath path(nullptr);
  PluginRegistry registry;
  registry.load_default_locations();
  ASSERT_EQ(registry.searched_directories().size(), 1u);
  EXPECT_EQ(fs::weakly_canonical(registry.searched_directories()[0]), fs::weakly_canonical(kSdkPluginDir));
}

TEST(PluginDiscovery, NeverTheCurrentDirectory) {
  ScopedPluginPath path("");
  const fs::path previous = fs::current_path();
  fs::current_path(kGoodDir);
  PluginRegistry registry;
  registry.load_default_locations();
  fs::current_path(previous);

  EXPECT_EQ(registry.find("test_good.gain"), nullptr);
  EXPECT_THAT(registry.searched_directories(), Not(Contains(kGoodDir)));
  for (const PluginRecord& plugin : registry.plugins()) {
    EXPECT_NE(plugin.path.parent_path(), fs::canonical(kGoodDir));
  }
}

}  // namespace
}  // namespace oi
