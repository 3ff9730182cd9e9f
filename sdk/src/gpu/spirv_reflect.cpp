#include "spirv_reflect.hpp"

#include "oi/gpu/kernel.hpp"

namespace oi::gpu::detail {
namespace {

constexpr std::uint32_t kOpExecutionMode = 16;
constexpr std::uint32_t kOpDecorate = 71;
constexpr std::uint32_t kExecutionModeLocalSize = 17;
constexpr std::uint32_t kDecorationSpecId = 1;
constexpr std::uint32_t kDecorationBinding = 33;

}  // namespace

WorkgroupReflection reflect_workgroup(std::span<const std::uint32_t> words) {
  WorkgroupReflection out;
  std::size_t i = 5;  // after the header
  while (i < words.size()) {
    const std::uint32_t count = words[i] >> 16;
    const std::uint32_t opcode = words[i] & 0xffff;
    if (count == 0 || i + count > words.size()) break;
    if (opcode == kOpExecutionMode && count >= 6 && words[i + 2] == kExecutionModeLocalSize) {
      out.fixed = {words[i + 3], words[i + 4], words[i + 5]};
    } else if (opcode == kOpDecorate && count >= 4 && words[i + 2] == kDecorationSpecId) {
      const std::uint32_t id = words[i + 3];
      if (id >= kLocalSizeXId && id <= kLocalSizeZId) out.specializable[id - kLocalSizeXId] = true;
    } else if (opcode == kOpDecorate && count >= 4 && words[i + 2] == kDecorationBinding) {
      out.bindings.push_back(words[i + 3]);
    }
    i += count;
  }
  return out;
}

}  // namespace oi::gpu::detail
