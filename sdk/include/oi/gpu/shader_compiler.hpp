#pragma once
/// @file
/// Run-time GLSL compute-shader compilation with glslang, cached on disk.
///
/// Target: Vulkan 1.1 / SPIR-V 1.3. `#include "x.glsl"` (GL_GOOGLE_include_directive, enabled
/// automatically) is resolved against the including file's folder, then
/// `CompileOptions::include_dirs`, then shader_directory() (the repository's `shaders/`,
/// installed as share/openinspect/shaders). `#include <x.glsl>` skips the including file's
/// folder. Errors carry FILE:LINE of the file that holds the mistake, includes included.

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "oi/error.hpp"

namespace oi::gpu {

/// GLSL text plus the file it came from (for messages and `#include` resolution).
struct ShaderSource {
  std::string text;            ///< GLSL source, starting with `#version`
  std::filesystem::path path;  ///< its file; for text made in code, a name for messages

  /// Reads a file. @throws oi::ConfigError naming the file when it cannot be read.
  static ShaderSource from_file(const std::filesystem::path& path);
  /// Source made in code; `name` appears in error messages, and relative includes resolve
  /// against its folder (the current directory when it has none).
  static ShaderSource from_text(std::string text, std::filesystem::path name = "<inline>.comp");
};

/// Options that change the generated SPIR-V; all of them are part of the cache key.
struct CompileOptions {
  /// `#define NAME VALUE` lines inserted after `#version`, in this order.
  std::vector<std::pair<std::string, std::string>> defines;
  /// Extra folders searched for includes, before shader_directory().
  std::vector<std::filesystem::path> include_dirs;
  /// Emit OpLine/OpSource debug information (for RenderDoc and similar tools).
  bool debug_info = false;
};

/// A compiled module.
struct SpirvModule {
  std::vector<std::uint32_t> words;             ///< the SPIR-V binary
  std::vector<std::filesystem::path> includes;  ///< every file pulled in by `#include`
  bool from_cache = false;                      ///< read from the on-disk cache instead of compiled
  double milliseconds = 0;                      ///< time spent (compiling, or reading the cache)
};

/// The shader failed to compile or link. `diagnostics()` holds one entry per glslang message
/// with FILE and LINE; `what()` lists them all.
class ShaderCompileError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

/// Compiles a compute shader, or takes it from the SPIR-V cache when the source, every
/// included file, the options and the compiler version are unchanged (see disk_cache.hpp).
/// Thread-safe.
/// @throws ShaderCompileError on GLSL errors; oi::ConfigError when an include is missing.
SpirvModule compile_compute_shader(const ShaderSource& source, const CompileOptions& options = {});

/// The shared include folder: `<library dir>/<relative install path>` when the installed
/// layout exists, else the source tree's `shaders/` folder (build tree).
std::filesystem::path shader_directory();

}  // namespace oi::gpu
