#pragma once
// What a compiled compute shader declares, read with SPIRV-Cross: storage buffers, the
// push-constant block and specialization constants. gpu.shader binds YAML plane names and
// constants to them by name.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "oi/pixel_format.hpp"

namespace oi::gpu_shader {

/// Scalar kind of a constant.
enum class ScalarKind { kFloat, kInt, kUint, kBool, kOther };

/// A storage buffer (`layout(std430, set = S, binding = B) buffer Block { T px[]; } name;`).
struct StorageBuffer {
  std::string name;                   ///< the instance name (`name`), or the block name without one
  std::string block_name;             ///< the block type name (`Block`)
  std::uint32_t set = 0;              ///< descriptor set
  std::uint32_t binding = 0;          ///< binding number
  bool readonly = false;              ///< declared `readonly`
  bool writeonly = false;             ///< declared `writeonly`
  std::optional<PixelFormat> format;  ///< element type as a plane format (nullopt: unsupported)
  std::string element_type;           ///< the element type in GLSL words, for messages
};

/// A push-constant member or a specialization constant.
struct ShaderConstant {
  std::string name;  ///< member or constant name
  ScalarKind kind = ScalarKind::kOther;
  std::uint32_t components = 1;   ///< vector size (1 for scalars)
  std::uint32_t offset = 0;       ///< push constants: byte offset in the block
  std::uint32_t constant_id = 0;  ///< specialization constants: `constant_id`
  std::string type;               ///< GLSL type name for messages, e.g. "float", "uvec2"
};

/// Everything gpu.shader needs to know about a shader.
struct ShaderInterface {
  std::vector<StorageBuffer> buffers;          ///< sorted by (set, binding)
  std::uint32_t push_block_bytes = 0;          ///< declared size of the push-constant block
  std::vector<ShaderConstant> push_members;    ///< its members, in declaration order
  std::vector<ShaderConstant> spec_constants;  ///< user specialization constants (not 233..235)
  std::vector<std::string> unsupported;        ///< other resources (images, UBOs), as "kind 'name'"
};

/// Reflects a SPIR-V module. @throws oi::ConfigError when the module is not valid SPIR-V for
/// Vulkan 1.1 (SPIRV-Tools' validator, run first) or SPIRV-Cross cannot parse it.
ShaderInterface reflect_shader(std::span<const std::uint32_t> words);

}  // namespace oi::gpu_shader
