# oi_add_shaders(<target> SHADERS <file.comp>... [BASE_DIR <dir>] [INCLUDE_DIRS <dir>...]
#                [NAMESPACE <name>] [HEADER <name.hpp>])
#
# Compiles GLSL compute shaders to SPIR-V at build time with glslangValidator and embeds
# them in <target>. A GLSL mistake fails the build with "ERROR: FILE:LINE: message", naming
# the included file when the mistake is there; editing a shader or anything it includes
# rebuilds it (depfile).
#
#   SHADERS       shader files, relative to BASE_DIR (or absolute)
#   BASE_DIR      folder the lookup names are relative to (default: the current source dir)
#   INCLUDE_DIRS  extra #include folders; always searched: the shader's own folder, then
#                 these, then the SDK's shared includes (`oi/pixel.glsl`, `oi/compute.glsl`)
#   NAMESPACE     C++ namespace of the lookup (default: <target>_shaders)
#   HEADER        name of the generated header (default: <target>_shaders.hpp)
#
# The generated header (on <target>'s include path) declares, in NAMESPACE:
#   std::span<const std::uint32_t> spirv(std::string_view name);  // empty when unknown
#   std::vector<std::uint32_t> words(std::string_view name);      // as a vector; an unknown
#                                                                 // name throws std::out_of_range
#   std::vector<std::string_view> shader_names();
# where `name` is the shader's path relative to BASE_DIR, e.g. "xray/log_attenuation.comp".
# Hand the words to oi::gpu::KernelDesc::spirv (or PixelKernelSpec::spirv).
#
# Target environment: Vulkan 1.1 / SPIR-V 1.3, as the run-time compiler uses. Used in this
# repository and, through find_package(OpenInspect), by out-of-tree plugin projects.

# The SDK's shared shader includes: the installed package config sets OpenInspect_SHADER_DIR
# before including this file; in the source tree they sit next to this folder. Kept in a
# global property so oi_add_shaders() works from any directory that calls it.
if(DEFINED OpenInspect_SHADER_DIR)
  set_property(GLOBAL PROPERTY OI_SDK_SHADER_DIR "${OpenInspect_SHADER_DIR}")
else()
  get_filename_component(_oi_sdk_shader_dir "${CMAKE_CURRENT_LIST_DIR}/../shaders" ABSOLUTE)
  set_property(GLOBAL PROPERTY OI_SDK_SHADER_DIR "${_oi_sdk_shader_dir}")
  unset(_oi_sdk_shader_dir)
endif()

function(oi_add_shaders target)
  cmake_parse_arguments(ARG "" "BASE_DIR;NAMESPACE;HEADER" "SHADERS;INCLUDE_DIRS" ${ARGN})
  if(NOT TARGET ${target})
    message(FATAL_ERROR "oi_add_shaders(${target}): no such target; call it after oi_add_plugin()")
  endif()
  if(NOT ARG_SHADERS)
    message(FATAL_ERROR "oi_add_shaders(${target}): SHADERS is required")
  endif()
  if(NOT ARG_BASE_DIR)
    set(ARG_BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  endif()
  if(NOT ARG_NAMESPACE)
    string(MAKE_C_IDENTIFIER "${target}_shaders" ARG_NAMESPACE)
  endif()
  if(NOT ARG_HEADER)
    set(ARG_HEADER ${target}_shaders.hpp)
  endif()
  # Looked up at call time, not at include time: a project that includes the package
  # without embedding shaders does not need glslang installed.
  find_program(OI_GLSLANG_VALIDATOR glslangValidator
    HINTS ${Vulkan_GLSLANG_VALIDATOR_EXECUTABLE})
  if(NOT OI_GLSLANG_VALIDATOR)
    message(FATAL_ERROR "oi_add_shaders(${target}): glslangValidator not found; "
                        "install glslang-tools (Debian) or set OI_GLSLANG_VALIDATOR")
  endif()
  get_property(sdk_shader_dir GLOBAL PROPERTY OI_SDK_SHADER_DIR)

  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/${target}_shaders)
  set(includes "")
  set(cases "")
  set(names "")
  set(outputs "")
  foreach(shader IN LISTS ARG_SHADERS)
    get_filename_component(source ${shader} ABSOLUTE BASE_DIR ${ARG_BASE_DIR})
    file(RELATIVE_PATH name ${ARG_BASE_DIR} ${source})
    string(MAKE_C_IDENTIFIER "spirv_${name}" symbol)
    set(output ${out_dir}/${name}.h)
    get_filename_component(source_dir ${source} DIRECTORY)
    get_filename_component(output_dir ${output} DIRECTORY)
    set(include_flags -I${source_dir})
    foreach(dir IN LISTS ARG_INCLUDE_DIRS)
      get_filename_component(dir ${dir} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
      list(APPEND include_flags -I${dir})
    endforeach()
    list(APPEND include_flags -I${sdk_shader_dir})
    set(depfile_args "")
    if(CMAKE_GENERATOR MATCHES "Ninja|Makefiles")
      set(depfile_args DEPFILE ${output}.d)
      set(depfile_flag --depfile ${output}.d)
    else()
      set(depfile_flag "")
    endif()
    add_custom_command(
      OUTPUT ${output}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${output_dir}
      COMMAND ${OI_GLSLANG_VALIDATOR} --target-env vulkan1.1 -S comp ${include_flags}
              --vn ${symbol} ${depfile_flag} -o ${output} ${source}
      MAIN_DEPENDENCY ${source}
      ${depfile_args}
      COMMENT "Compiling shader ${name} (glslangValidator)"
      VERBATIM)
    list(APPEND outputs ${output})
    string(APPEND includes "#include \"${output}\"\n")
    string(APPEND cases "  if (name == \"${name}\") return ${symbol};\n")
    string(APPEND names "\"${name}\", ")
  endforeach()

  set(header ${out_dir}/include/${ARG_HEADER})
  file(CONFIGURE OUTPUT ${header} CONTENT [=[
// Generated by oi_add_shaders() for target @target@: SPIR-V compiled at build time. Do not edit.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace @ARG_NAMESPACE@ {
namespace detail {
// glslangValidator --vn writes `const uint32_t NAME[] = {...};`, internal linkage in C++.
using std::uint32_t;
@includes@}  // namespace detail

/// SPIR-V words of the embedded shader `name` (its path relative to the shader folder, e.g.
/// "xray/log_attenuation.comp"); empty when there is no such shader.
inline std::span<const std::uint32_t> spirv(std::string_view name) {
  using namespace detail;
@cases@  return {};
}

/// Names of every embedded shader.
inline std::vector<std::string_view> shader_names() { return {@names@}; }

/// spirv() as a vector, e.g. for oi::gpu::PixelKernelSpec::spirv. @throws std::out_of_range
/// naming the shader and the embedded ones when there is no such shader: an empty module
/// would only fail later, on a GPU, as "Missing entry point".
inline std::vector<std::uint32_t> words(std::string_view name) {
  const std::span<const std::uint32_t> s = spirv(name);
  if (s.empty()) {
    std::string known;
    for (std::string_view n : shader_names()) known += (known.empty() ? "" : ", ") + std::string(n);
    throw std::out_of_range("no embedded shader '" + std::string(name) + "' in @target@ (embedded: " + known +
                            "); add it to oi_add_shaders(@target@ SHADERS ...) or correct the name");
  }
  return {s.begin(), s.end()};
}

}  // namespace @ARG_NAMESPACE@
]=] @ONLY)
  target_sources(${target} PRIVATE ${outputs})
  target_include_directories(${target} PRIVATE ${out_dir}/include)
endfunction()
