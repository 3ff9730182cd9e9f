#include "shader_interface.hpp"

#include <spirv-tools/libspirv.h>
#include <spirv_cross_c.h>

#include <algorithm>
#include <memory>

#include "oi/error.hpp"
#include "oi/gpu/kernel.hpp"

namespace oi::gpu_shader {
namespace {

struct ContextDeleter {
  void operator()(spvc_context_s* context) const { spvc_context_destroy(context); }
};
using Context = std::unique_ptr<spvc_context_s, ContextDeleter>;

ScalarKind kind_of(spvc_basetype type) {
  switch (type) {
    case SPVC_BASETYPE_FP32:
      return ScalarKind::kFloat;
    case SPVC_BASETYPE_INT32:
      return ScalarKind::kInt;
    case SPVC_BASETYPE_UINT32:
      return ScalarKind::kUint;
    case SPVC_BASETYPE_BOOLEAN:
      return ScalarKind::kBool;
    default:
      return ScalarKind::kOther;
  }
}

std::string glsl_type(spvc_basetype type, unsigned components) {
  std::string scalar, prefix;
  switch (type) {
    case SPVC_BASETYPE_FP32:
      scalar = "float";
      prefix = "vec";
      break;
    case SPVC_BASETYPE_FP64:
      scalar = "double";
      prefix = "dvec";
      break;
    case SPVC_BASETYPE_INT32:
      scalar = "int";
      prefix = "ivec";
      break;
    case SPVC_BASETYPE_UINT32:
      scalar = "uint";
      prefix = "uvec";
      break;
    case SPVC_BASETYPE_BOOLEAN:
      scalar = "bool";
      prefix = "bvec";
      break;
    case SPVC_BASETYPE_UINT16:
      scalar = "uint16_t";
      prefix = "u16vec";
      break;
    case SPVC_BASETYPE_INT16:
      scalar = "int16_t";
      prefix = "i16vec";
      break;
    case SPVC_BASETYPE_UINT8:
      scalar = "uint8_t";
      prefix = "u8vec";
      break;
    case SPVC_BASETYPE_INT8:
      scalar = "int8_t";
      prefix = "i8vec";
      break;
    case SPVC_BASETYPE_FP16:
      scalar = "float16_t";
      prefix = "f16vec";
      break;
    case SPVC_BASETYPE_STRUCT:
      return "struct";
    default:
      return "an unsupported type";
  }
  return components <= 1 ? scalar : prefix + std::to_string(components);
}

std::optional<PixelFormat> plane_format(spvc_basetype type, unsigned components) {
  if (components != 1) return std::nullopt;
  switch (type) {
    case SPVC_BASETYPE_UINT8:
      return PixelFormat::kU8;
    case SPVC_BASETYPE_UINT16:
      return PixelFormat::kU16;
    case SPVC_BASETYPE_FP32:
      return PixelFormat::kF32;
    default:
      return std::nullopt;
  }
}

void check(spvc_result result, spvc_context context, const char* what) {
  if (result != SPVC_SUCCESS) {
    throw ConfigError(std::string("SPIR-V reflection (SPIRV-Cross) failed in ") + what + ": " +
                      spvc_context_get_last_error_string(context));
  }
}

std::span<const spvc_reflected_resource> resources(spvc_resources all, spvc_resource_type type) {
  const spvc_reflected_resource* list = nullptr;
  std::size_t count = 0;
  spvc_resources_get_resource_list_for_type(all, type, &list, &count);
  return {list, count};
}

// SPIRV-Cross assumes a valid module (it reads ids and operands without bounds checks), so the
// module is checked first with SPIRV-Tools' validator, for the environment the SDK's shader
// compiler targets (Vulkan 1.1, SPIR-V 1.3). Block layouts are not judged (relaxed and scalar
// layouts allowed): reflection reads the offsets the module declares, whatever rule made them.
void validate(std::span<const std::uint32_t> words) {
  std::unique_ptr<spv_context_t, decltype(&spvContextDestroy)> context(spvContextCreate(SPV_ENV_VULKAN_1_1),
                                                                       &spvContextDestroy);
  if (!context) throw ConfigError("cannot create a SPIRV-Tools context");
  spv_const_binary_t binary{words.data(), words.size()};
  std::unique_ptr<spv_validator_options_t, decltype(&spvValidatorOptionsDestroy)> options(
      spvValidatorOptionsCreate(), &spvValidatorOptionsDestroy);
  if (!options) throw ConfigError("cannot create SPIRV-Tools validator options");
  spvValidatorOptionsSetRelaxBlockLayout(options.get(), true);
  spvValidatorOptionsSetScalarBlockLayout(options.get(), true);
  spv_diagnostic diagnostic = nullptr;
  const spv_result_t result = spvValidateWithOptions(context.get(), options.get(), &binary, &diagnostic);
  std::string why = diagnostic && diagnostic->error ? diagnostic->error : "no diagnostic";
  spvDiagnosticDestroy(diagnostic);
  if (result != SPV_SUCCESS) {
    throw ConfigError("the SPIR-V module (" + std::to_string(words.size()) +
                      " words) is not valid for Vulkan 1.1: " + why +
                      "; it was not produced by the SDK's shader compiler or was corrupted on disk "
                      "(delete the shader cache and run again)");
  }
}

}  // namespace

ShaderInterface reflect_shader(std::span<const std::uint32_t> words) {
  validate(words);
  spvc_context raw = nullptr;
  if (spvc_context_create(&raw) != SPVC_SUCCESS) throw ConfigError("cannot create a SPIRV-Cross context");
  Context context(raw);
  spvc_parsed_ir ir = nullptr;
  check(spvc_context_parse_spirv(raw, words.data(), words.size(), &ir), raw, "parse");
  spvc_compiler compiler = nullptr;
  check(spvc_context_create_compiler(raw, SPVC_BACKEND_NONE, ir, SPVC_CAPTURE_MODE_TAKE_OWNERSHIP, &compiler),
        raw, "create_compiler");
  spvc_resources all = nullptr;
  check(spvc_compiler_create_shader_resources(compiler, &all), raw, "create_shader_resources");

  ShaderInterface out;
  for (const spvc_reflected_resource& r : resources(all, SPVC_RESOURCE_TYPE_STORAGE_BUFFER)) {
    StorageBuffer b;
    b.block_name = r.name ? r.name : "";
    const char* instance = spvc_compiler_get_name(compiler, r.id);
    b.name = instance && *instance ? instance : b.block_name;
    b.set = spvc_compiler_get_decoration(compiler, r.id, SpvDecorationDescriptorSet);
    b.binding = spvc_compiler_get_decoration(compiler, r.id, SpvDecorationBinding);
    const SpvDecoration* decorations = nullptr;
    std::size_t count = 0;
    if (spvc_compiler_get_buffer_block_decorations(compiler, r.id, &decorations, &count) == SPVC_SUCCESS) {
      for (std::size_t i = 0; i < count; ++i) {
        b.readonly = b.readonly || decorations[i] == SpvDecorationNonWritable;
        b.writeonly = b.writeonly || decorations[i] == SpvDecorationNonReadable;
      }
    }
    spvc_type block = spvc_compiler_get_type_handle(compiler, r.base_type_id);
    b.element_type = "a struct that is not `T px[]`";
    if (spvc_type_get_num_member_types(block) == 1) {
      spvc_type member = spvc_compiler_get_type_handle(compiler, spvc_type_get_member_type(block, 0));
      if (spvc_type_get_num_array_dimensions(member) == 1) {
        const spvc_basetype base = spvc_type_get_basetype(member);
        const unsigned components = spvc_type_get_vector_size(member);
        b.element_type = glsl_type(base, components);
        b.format = plane_format(base, components);
      }
    }
    out.buffers.push_back(std::move(b));
  }
  std::sort(out.buffers.begin(), out.buffers.end(), [](const StorageBuffer& a, const StorageBuffer& b) {
    return std::tie(a.set, a.binding) < std::tie(b.set, b.binding);
  });

  for (const spvc_reflected_resource& r : resources(all, SPVC_RESOURCE_TYPE_PUSH_CONSTANT)) {
    spvc_type block = spvc_compiler_get_type_handle(compiler, r.base_type_id);
    std::size_t size = 0;
    check(spvc_compiler_get_declared_struct_size(compiler, block, &size), raw, "push-constant size");
    out.push_block_bytes = static_cast<std::uint32_t>(size);
    for (unsigned i = 0; i < spvc_type_get_num_member_types(block); ++i) {
      ShaderConstant c;
      const char* name = spvc_compiler_get_member_name(compiler, r.base_type_id, i);
      c.name = name ? name : "";
      spvc_type member = spvc_compiler_get_type_handle(compiler, spvc_type_get_member_type(block, i));
      const spvc_basetype base = spvc_type_get_basetype(member);
      c.components = spvc_type_get_vector_size(member);
      const bool plain =
          spvc_type_get_num_array_dimensions(member) == 0 && spvc_type_get_columns(member) == 1;
      c.kind = plain ? kind_of(base) : ScalarKind::kOther;
      c.type = plain ? glsl_type(base, c.components) : "an array or matrix";
      unsigned offset = 0;
      spvc_compiler_type_struct_member_offset(compiler, block, i, &offset);
      c.offset = offset;
      out.push_members.push_back(std::move(c));
    }
  }

  const spvc_specialization_constant* constants = nullptr;
  std::size_t constant_count = 0;
  check(spvc_compiler_get_specialization_constants(compiler, &constants, &constant_count), raw,
        "specialization constants");
  for (std::size_t i = 0; i < constant_count; ++i) {
    if (constants[i].constant_id >= gpu::kLocalSizeXId && constants[i].constant_id <= gpu::kLocalSizeZId)
      continue;
    ShaderConstant c;
    const char* name = spvc_compiler_get_name(compiler, constants[i].id);
    c.name = name ? name : "";
    c.constant_id = constants[i].constant_id;
    spvc_constant handle = spvc_compiler_get_constant_handle(compiler, constants[i].id);
    spvc_type type = spvc_compiler_get_type_handle(compiler, spvc_constant_get_type(handle));
    c.kind = kind_of(spvc_type_get_basetype(type));
    c.type = glsl_type(spvc_type_get_basetype(type), 1);
    out.spec_constants.push_back(std::move(c));
  }

  const std::pair<spvc_resource_type, const char*> others[] = {
      {SPVC_RESOURCE_TYPE_UNIFORM_BUFFER, "uniform buffer"},
      {SPVC_RESOURCE_TYPE_STORAGE_IMAGE, "storage image"},
      {SPVC_RESOURCE_TYPE_SAMPLED_IMAGE, "sampled image"},
      {SPVC_RESOURCE_TYPE_SEPARATE_IMAGE, "image"},
      {SPVC_RESOURCE_TYPE_SEPARATE_SAMPLERS, "sampler"},
      {SPVC_RESOURCE_TYPE_ACCELERATION_STRUCTURE, "acceleration structure"}};
  for (const auto& [type, what] : others) {
    for (const spvc_reflected_resource& r : resources(all, type)) {
      out.unsupported.push_back(std::string(what) + " '" + (r.name ? r.name : "") + "'");
    }
  }
  return out;
}

}  // namespace oi::gpu_shader
