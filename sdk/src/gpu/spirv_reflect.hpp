#pragma once
// Just enough SPIR-V reading to check a kernel against what its stage declares: workgroup
// size, storage-buffer bindings, the push-constant block's layout and the specialization
// constants. Internal.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace oi::gpu::detail {

/// One member of the push-constant block.
struct PushMemberReflection {
  std::string name;          // from OpMemberName; empty when the module has no names
  std::uint32_t offset = 0;  // byte offset (OpMemberDecorate Offset)
  std::uint32_t bytes = 0;   // size of the member's type (0 when unknown)
};

/// A specialization constant the shader declares.
struct SpecReflection {
  std::uint32_t id = 0;    // constant_id
  char kind = '?';         // 'b' bool, 'i' int, 'u' uint, 'f' float, '?' other
  std::uint32_t bits = 0;  // width of the type
};

struct WorkgroupReflection {
  std::array<std::uint32_t, 3> fixed = {1, 1, 1};             // OpExecutionMode LocalSize
  std::array<bool, 3> specializable = {false, false, false};  // SpecId 233/234/235 present
  std::vector<std::uint32_t> bindings;  // every `binding = N` decoration, in module order
  /// The push-constant block's members in declaration order; nullopt when there is none.
  std::optional<std::vector<PushMemberReflection>> push_block;
  /// The block's size: the end of its last member (0 without a block).
  std::uint32_t push_block_bytes = 0;
  std::vector<SpecReflection> spec_constants;  // user constants (not the workgroup ids)
};

/// Reads the module. Malformed input yields what could be read (Vulkan validation reports
/// the module itself).
WorkgroupReflection reflect_workgroup(std::span<const std::uint32_t> words);

}  // namespace oi::gpu::detail
