#include "plugin_search_path.hpp"

#include <dlfcn.h>

#include "oi/plugin_registry.hpp"

#ifndef OI_PLUGIN_SUBDIR
#error "OI_PLUGIN_SUBDIR must be defined by the build (see sdk/CMakeLists.txt)"
#endif

namespace oi {

std::optional<std::filesystem::path> sdk_plugin_directory() {
  // Any function of this library will do: dladdr names the file that contains it, which is
  // the SDK library itself however it was found (rpath, LD_LIBRARY_PATH, ld.so.cache).
  Dl_info info{};
  if (::dladdr(reinterpret_cast<const void*>(&installed_plugin_subdir), &info) == 0 ||
      info.dli_fname == nullptr || info.dli_fname[0] == '\0') {
    return std::nullopt;
  }
  std::error_code error;
  std::filesystem::path library = std::filesystem::absolute(info.dli_fname, error);
  if (error) return std::nullopt;
  return (library.parent_path() / OI_PLUGIN_SUBDIR).lexically_normal();
}

std::filesystem::path shipped_model_path(std::string_view file_name) {
  // As in sdk_plugin_directory(): the SDK library names its own file.
  Dl_info info{};
  std::filesystem::path folder;
  if (::dladdr(reinterpret_cast<const void*>(&installed_plugin_subdir), &info) != 0 &&
      info.dli_fname != nullptr) {
    std::error_code error;
    folder = std::filesystem::weakly_canonical(info.dli_fname, error).parent_path();
    if (error) folder = std::filesystem::path(info.dli_fname).parent_path();
  }
  return folder / "openinspect" / "models" / std::filesystem::path(file_name);
}

std::vector<std::string> split_plugin_path(std::string_view value) {
  std::vector<std::string> entries;
  while (!value.empty()) {
    const std::size_t colon = value.find(':');
    const std::string_view entry = value.substr(0, colon);
    if (!entry.empty()) entries.emplace_back(entry);
    if (colon == std::string_view::npos) break;
    value.remove_prefix(colon + 1);
  }
  return entries;
}

}  // namespace oi
