#include "spirv_reflect.hpp"

#include <algorithm>
#include <map>

#include "oi/gpu/kernel.hpp"

namespace oi::gpu::detail {
namespace {

// Opcodes and enumerants of the SPIR-V specification (section 3).
constexpr std::uint32_t kOpMemberName = 6;
constexpr std::uint32_t kOpExecutionMode = 16;
constexpr std::uint32_t kOpTypeBool = 20;
constexpr std::uint32_t kOpTypeInt = 21;
constexpr std::uint32_t kOpTypeFloat = 22;
constexpr std::uint32_t kOpTypeVector = 23;
constexpr std::uint32_t kOpTypeMatrix = 24;
constexpr std::uint32_t kOpTypeArray = 28;
constexpr std::uint32_t kOpTypeStruct = 30;
constexpr std::uint32_t kOpTypePointer = 32;
constexpr std::uint32_t kOpConstant = 43;
constexpr std::uint32_t kOpSpecConstantTrue = 48;
constexpr std::uint32_t kOpSpecConstantFalse = 49;
constexpr std::uint32_t kOpSpecConstant = 50;
constexpr std::uint32_t kOpVariable = 59;
constexpr std::uint32_t kOpDecorate = 71;
constexpr std::uint32_t kOpMemberDecorate = 72;
constexpr std::uint32_t kExecutionModeLocalSize = 17;
constexpr std::uint32_t kDecorationSpecId = 1;
constexpr std::uint32_t kDecorationArrayStride = 6;
constexpr std::uint32_t kDecorationBinding = 33;
constexpr std::uint32_t kDecorationOffset = 35;
constexpr std::uint32_t kStorageClassPushConstant = 9;

std::string literal_string(std::span<const std::uint32_t> words) {
  std::string s;
  for (std::uint32_t w : words) {
    for (int b = 0; b < 4; ++b) {
      const char c = static_cast<char>((w >> (8 * b)) & 0xff);
      if (c == '\0') return s;
      s.push_back(c);
    }
  }
  return s;
}

struct Type {
  std::uint32_t opcode = 0;
  std::vector<std::uint32_t> operands;  // after the result id
};

}  // namespace

WorkgroupReflection reflect_workgroup(std::span<const std::uint32_t> words) {
  WorkgroupReflection out;
  std::map<std::uint32_t, Type> types;
  std::map<std::uint32_t, std::uint32_t> constants;     // OpConstant id -> first word of its value
  std::map<std::uint32_t, std::uint32_t> array_stride;  // array type id -> stride
  std::map<std::uint32_t, std::map<std::uint32_t, std::uint32_t>>
      member_offset;  // struct -> member -> offset
  std::map<std::uint32_t, std::map<std::uint32_t, std::string>> member_name;
  std::map<std::uint32_t, std::uint32_t> spec_id;    // result id -> constant_id
  std::map<std::uint32_t, std::uint32_t> spec_type;  // result id -> type id
  std::optional<std::uint32_t> push_pointer_type;

  std::size_t i = 5;  // after the header
  while (i < words.size()) {
    const std::uint32_t count = words[i] >> 16;
    const std::uint32_t opcode = words[i] & 0xffff;
    if (count == 0 || i + count > words.size()) break;
    const std::span<const std::uint32_t> op = words.subspan(i, count);
    switch (opcode) {
      case kOpExecutionMode:
        if (count >= 6 && op[2] == kExecutionModeLocalSize) out.fixed = {op[3], op[4], op[5]};
        break;
      case kOpDecorate:
        if (count >= 4 && op[2] == kDecorationSpecId) {
          const std::uint32_t id = op[3];
          if (id >= kLocalSizeXId && id <= kLocalSizeZId) {
            out.specializable[id - kLocalSizeXId] = true;
          } else {
            spec_id[op[1]] = id;
          }
        } else if (count >= 4 && op[2] == kDecorationBinding) {
          out.bindings.push_back(op[3]);
        } else if (count >= 4 && op[2] == kDecorationArrayStride) {
          array_stride[op[1]] = op[3];
        }
        break;
      case kOpMemberDecorate:
        if (count >= 5 && op[3] == kDecorationOffset) member_offset[op[1]][op[2]] = op[4];
        break;
      case kOpMemberName:
        if (count >= 4) member_name[op[1]][op[2]] = literal_string(op.subspan(3));
        break;
      case kOpTypeBool:
      case kOpTypeInt:
      case kOpTypeFloat:
      case kOpTypeVector:
      case kOpTypeMatrix:
      case kOpTypeArray:
      case kOpTypeStruct:
      case kOpTypePointer:
        if (count >= 2) types[op[1]] = Type{opcode, std::vector<std::uint32_t>(op.begin() + 2, op.end())};
        break;
      case kOpConstant:
        if (count >= 4) constants[op[2]] = op[3];
        break;
      case kOpSpecConstantTrue:
      case kOpSpecConstantFalse:
      case kOpSpecConstant:
        if (count >= 3) spec_type[op[2]] = op[1];
        break;
      case kOpVariable:
        if (count >= 4 && op[3] == kStorageClassPushConstant) push_pointer_type = op[1];
        break;
      default:
        break;
    }
    i += count;
  }

  // Size of a type as laid out in a push-constant block (std430-like: what Offset and
  // ArrayStride say); 0 when it cannot be told.
  auto size_of = [&](auto&& self, std::uint32_t type_id) -> std::uint32_t {
    auto t = types.find(type_id);
    if (t == types.end()) return 0;
    const Type& type = t->second;
    switch (type.opcode) {
      case kOpTypeBool:
        return 4;
      case kOpTypeInt:
      case kOpTypeFloat:
        return type.operands.empty() ? 0 : type.operands[0] / 8;
      case kOpTypeVector:
      case kOpTypeMatrix:
        return type.operands.size() < 2 ? 0 : self(self, type.operands[0]) * type.operands[1];
      case kOpTypeArray: {
        if (type.operands.size() < 2) return 0;
        auto length = constants.find(type.operands[1]);
        auto stride = array_stride.find(type_id);
        if (length == constants.end()) return 0;
        const std::uint32_t each =
            stride != array_stride.end() ? stride->second : self(self, type.operands[0]);
        return each * length->second;
      }
      case kOpTypeStruct: {
        std::uint32_t end = 0;
        for (std::uint32_t m = 0; m < type.operands.size(); ++m)
          end = std::max(end, member_offset[type_id][m] + self(self, type.operands[m]));
        return end;
      }
      default:
        return 0;
    }
  };

  if (push_pointer_type) {
    auto pointer = types.find(*push_pointer_type);
    if (pointer != types.end() && pointer->second.opcode == kOpTypePointer &&
        pointer->second.operands.size() >= 2) {
      const std::uint32_t block = pointer->second.operands[1];
      auto t = types.find(block);
      if (t != types.end() && t->second.opcode == kOpTypeStruct) {
        std::vector<PushMemberReflection> members;
        for (std::uint32_t m = 0; m < t->second.operands.size(); ++m) {
          members.push_back(
              {member_name[block][m], member_offset[block][m], size_of(size_of, t->second.operands[m])});
        }
        out.push_block_bytes = size_of(size_of, block);
        out.push_block = std::move(members);
      }
    }
  }

  for (const auto& [result, id] : spec_id) {
    SpecReflection s;
    s.id = id;
    if (auto type = spec_type.find(result); type != spec_type.end()) {
      if (auto t = types.find(type->second); t != types.end()) {
        const Type& ty = t->second;
        if (ty.opcode == kOpTypeBool) {
          s.kind = 'b';
          s.bits = 32;
        } else if (ty.opcode == kOpTypeInt && ty.operands.size() >= 2) {
          s.kind = ty.operands[1] != 0 ? 'i' : 'u';
          s.bits = ty.operands[0];
        } else if (ty.opcode == kOpTypeFloat && !ty.operands.empty()) {
          s.kind = 'f';
          s.bits = ty.operands[0];
        }
      }
    }
    out.spec_constants.push_back(s);
  }
  std::sort(out.spec_constants.begin(), out.spec_constants.end(),
            [](const SpecReflection& a, const SpecReflection& b) { return a.id < b.id; });
  return out;
}

}  // namespace oi::gpu::detail
