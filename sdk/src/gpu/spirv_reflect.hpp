#pragma once
// Just enough SPIR-V reading to know a kernel's workgroup size. Internal.

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace oi::gpu::detail {

struct WorkgroupReflection {
  std::array<std::uint32_t, 3> fixed = {1, 1, 1};             // OpExecutionMode LocalSize
  std::array<bool, 3> specializable = {false, false, false};  // SpecId 233/234/235 present
  std::vector<std::uint32_t> bindings;  // every `binding = N` decoration, in module order
};

/// Reads OpExecutionMode LocalSize, the SpecId and the Binding decorations. Malformed input yields the
/// defaults (Vulkan validation reports the module itself).
WorkgroupReflection reflect_workgroup(std::span<const std::uint32_t> words);

}  // namespace oi::gpu::detail
