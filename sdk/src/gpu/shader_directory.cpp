#include <dlfcn.h>

#include <filesystem>

#include "oi/gpu/shader_compiler.hpp"

#ifndef OI_SHADER_DIR_FROM_LIB
#error "OI_SHADER_DIR_FROM_LIB must be defined by the build (see sdk/gpu.cmake)"
#endif
#ifndef OI_SHADER_SOURCE_DIR
#error "OI_SHADER_SOURCE_DIR must be defined by the build (see sdk/gpu.cmake)"
#endif

namespace oi::gpu {

std::filesystem::path shader_directory() {
  // Like the plugin folder: found relative to this library however it was loaded, so an
  // installed tree works wherever it was copied. A build tree has no such folder and uses
  // the sources.
  Dl_info info{};
  if (::dladdr(reinterpret_cast<const void*>(&shader_directory), &info) != 0 && info.dli_fname != nullptr &&
      info.dli_fname[0] != '\0') {
    std::error_code error;
    const std::filesystem::path library = std::filesystem::absolute(info.dli_fname, error);
    if (!error) {
      const std::filesystem::path installed =
          (library.parent_path() / OI_SHADER_DIR_FROM_LIB).lexically_normal();
      if (std::filesystem::is_directory(installed, error)) return installed;
    }
  }
  return std::filesystem::path(OI_SHADER_SOURCE_DIR);
}

}  // namespace oi::gpu
