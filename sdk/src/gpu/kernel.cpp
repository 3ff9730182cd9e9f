#include "oi/gpu/kernel.hpp"

#include <algorithm>
#include <chrono>

#include "device_state.hpp"
#include "oi/gpu/runtime.hpp"
#include "spirv_reflect.hpp"
#include "vk_util.hpp"

namespace oi::gpu {
namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// The preferred size, clamped per axis and then halved on its largest axis until the total
// fits maxComputeWorkGroupInvocations.
std::array<std::uint32_t, 3> clamp_workgroup(std::array<std::uint32_t, 3> wanted,
                                             const VkPhysicalDeviceLimits& limits) {
  for (int a = 0; a < 3; ++a) {
    wanted[a] = std::clamp<std::uint32_t>(wanted[a], 1, limits.maxComputeWorkGroupSize[a]);
  }
  while (static_cast<std::uint64_t>(wanted[0]) * wanted[1] * wanted[2] >
         limits.maxComputeWorkGroupInvocations) {
    auto largest = std::max_element(wanted.begin(), wanted.end());
    *largest = std::max<std::uint32_t>(1, *largest / 2);
  }
  return wanted;
}

std::string describe_block(const detail::WorkgroupReflection& r) {
  std::string text;
  for (const detail::PushMemberReflection& m : *r.push_block) {
    if (!text.empty()) text += ", ";
    text += (m.name.empty() ? "?" : m.name) + " @" + std::to_string(m.offset) + " (" +
            std::to_string(m.bytes) + " B)";
  }
  return text;
}

// The push-constant block the stage writes must be the one the shader reads: a mismatch
// would make the shader read fields at the wrong offsets, silently.
void check_push_block(const std::string& where, const KernelDesc& desc,
                      const detail::WorkgroupReflection& r) {
  if (!r.push_block) {
    if (desc.push_constant_bytes != 0)
      throw ConfigError(where + ": push_constant_bytes = " + std::to_string(desc.push_constant_bytes) +
                        " but the shader declares no push-constant block; set it to 0 or declare the block");
    return;
  }
  if (r.push_block_bytes != desc.push_constant_bytes) {
    throw ConfigError(where + ": the shader's push-constant block is " + std::to_string(r.push_block_bytes) +
                      " bytes {" + describe_block(r) + "} but the stage passes " +
                      std::to_string(desc.push_constant_bytes) +
                      " bytes; make the C++ struct match the GLSL block member for member");
  }
  if (desc.push_layout.empty()) return;
  const std::vector<detail::PushMemberReflection>& shader = *r.push_block;
  if (desc.push_layout.size() != shader.size()) {
    throw ConfigError(where + ": the C++ push-constant struct has " +
                      std::to_string(desc.push_layout.size()) + " members, the shader's block " +
                      std::to_string(shader.size()) + " {" + describe_block(r) + "}");
  }
  for (std::size_t m = 0; m < shader.size(); ++m) {
    const PushMember& mine = desc.push_layout[m];
    const detail::PushMemberReflection& theirs = shader[m];
    const bool name_ok = theirs.name.empty() || theirs.name == mine.name;
    if (mine.offset != theirs.offset || (theirs.bytes != 0 && mine.bytes != theirs.bytes) || !name_ok) {
      throw ConfigError(where + ": push-constant member " + std::to_string(m) + " is '" + mine.name + "' @" +
                        std::to_string(mine.offset) + " (" + std::to_string(mine.bytes) + " B) in C++ but '" +
                        theirs.name + "' @" + std::to_string(theirs.offset) + " (" +
                        std::to_string(theirs.bytes) +
                        " B) in the shader; make the C++ struct match the GLSL block member for member");
    }
  }
}

void check_spec_constants(const std::string& where, const KernelDesc& desc,
                          const detail::WorkgroupReflection& r) {
  for (const SpecConstant& c : desc.spec_constants) {
    auto found = std::find_if(r.spec_constants.begin(), r.spec_constants.end(),
                              [&](const detail::SpecReflection& s) { return s.id == c.id; });
    if (found == r.spec_constants.end()) {
      std::string ids;
      for (const detail::SpecReflection& s : r.spec_constants)
        ids += (ids.empty() ? "" : ", ") + std::to_string(s.id);
      throw ConfigError(where + ": specialization constant " + std::to_string(c.id) +
                        " is not declared by the shader (it declares constant_id " +
                        (ids.empty() ? "none" : ids) + "); the value would be ignored");
    }
    const char want = static_cast<char>(c.kind);
    const bool fits = found->kind == want || (want == 'u' && found->kind == 'b');
    if (found->kind != '?' && (!fits || found->bits != 32)) {
      auto word = [](char k) {
        return std::string(k == 'f'   ? "float"
                           : k == 'i' ? "int"
                           : k == 'b' ? "bool"
                           : k == 'u' ? "uint"
                                      : "?");
      };
      throw ConfigError(where + ": specialization constant " + std::to_string(c.id) + " is a " +
                        std::to_string(found->bits) + "-bit " + word(found->kind) +
                        " in the shader but the stage passes a " + word(want) + " (SpecConstant::" +
                        (want == 'f'   ? "f32"
                         : want == 'i' ? "i32"
                                       : "u32") +
                        "); its bits would be misread");
    }
  }
}

}  // namespace

Kernel::Kernel(std::shared_ptr<Device> device, const KernelDesc& desc)
    : device_(std::move(device)),
      name_(desc.name),
      bindings_(desc.bindings),
      push_constant_bytes_(desc.push_constant_bytes) {
  const std::string where = "kernel '" + name_ + "'";
  const VkPhysicalDeviceLimits& limits = device_->limits();
  if (push_constant_bytes_ % 4 != 0 || push_constant_bytes_ > limits.maxPushConstantsSize) {
    throw ConfigError(where + ": push_constant_bytes = " + std::to_string(push_constant_bytes_) +
                      " must be a multiple of 4 and at most " + std::to_string(limits.maxPushConstantsSize) +
                      " on " + device_->info().name + "; move large parameters into a storage buffer");
  }
  for (const SpecConstant& c : desc.spec_constants) {
    if (c.id >= kLocalSizeXId && c.id <= kLocalSizeZId) {
      throw ConfigError(where + ": specialization constant id " + std::to_string(c.id) +
                        " is reserved for the workgroup size (233..235); use another id");
    }
  }

  auto start = std::chrono::steady_clock::now();
  std::vector<std::uint32_t> words = desc.spirv;
  if (words.empty()) {
    SpirvModule module = compile_compute_shader(desc.source, desc.options);
    words = std::move(module.words);
    timing_.spirv_from_cache = module.from_cache;
  }
  timing_.compile_ms = ms_since(start);

  const detail::WorkgroupReflection reflection = detail::reflect_workgroup(words);
  // Caught here with a message a stage author understands, rather than as a validation
  // error (or a crash without the layer) at pipeline creation.
  for (std::uint32_t binding : reflection.bindings) {
    if (binding >= bindings_.size()) {
      throw ConfigError(where + ": the shader uses storage buffer binding " + std::to_string(binding) +
                        " but KernelDesc::bindings declares " + std::to_string(bindings_.size()) +
                        "; declare one entry per binding, in order");
    }
  }
  check_push_block(where, desc, reflection);
  check_spec_constants(where, desc, reflection);
  const std::array<std::uint32_t, 3> chosen = clamp_workgroup(desc.workgroup, limits);
  for (int a = 0; a < 3; ++a) {
    local_size_[a] = reflection.specializable[a] ? chosen[a] : reflection.fixed[a];
  }

  start = std::chrono::steady_clock::now();
  VkDevice vk = device_->vk_device();
  try {
    VkShaderModuleCreateInfo module_info{};
    module_info.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO;
    module_info.codeSize = words.size() * sizeof(std::uint32_t);
    module_info.pCode = words.data();
    detail::vk_check(vkCreateShaderModule(vk, &module_info, nullptr, &module_),
                     "vkCreateShaderModule for " + where);

    std::vector<VkDescriptorSetLayoutBinding> layout_bindings(bindings_.size());
    for (std::size_t b = 0; b < bindings_.size(); ++b) {
      layout_bindings[b].binding = static_cast<std::uint32_t>(b);
      layout_bindings[b].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
      layout_bindings[b].descriptorCount = 1;
      layout_bindings[b].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    }
    VkDescriptorSetLayoutCreateInfo set_info{};
    set_info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO;
    set_info.bindingCount = static_cast<std::uint32_t>(layout_bindings.size());
    set_info.pBindings = layout_bindings.data();
    detail::vk_check(vkCreateDescriptorSetLayout(vk, &set_info, nullptr, &set_layout_),
                     "vkCreateDescriptorSetLayout for " + where);

    VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, push_constant_bytes_};
    VkPipelineLayoutCreateInfo layout_info{};
    layout_info.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO;
    layout_info.setLayoutCount = 1;
    layout_info.pSetLayouts = &set_layout_;
    layout_info.pushConstantRangeCount = push_constant_bytes_ > 0 ? 1 : 0;
    layout_info.pPushConstantRanges = &push;
    detail::vk_check(vkCreatePipelineLayout(vk, &layout_info, nullptr, &layout_),
                     "vkCreatePipelineLayout for " + where);

    std::vector<std::uint32_t> values;
    std::vector<VkSpecializationMapEntry> entries;
    auto add = [&](std::uint32_t id, std::uint32_t bits) {
      entries.push_back({id, static_cast<std::uint32_t>(values.size() * 4), 4});
      values.push_back(bits);
    };
    for (const SpecConstant& c : desc.spec_constants) add(c.id, c.bits);
    for (int a = 0; a < 3; ++a) {
      if (reflection.specializable[a]) add(kLocalSizeXId + a, local_size_[a]);
    }
    VkSpecializationInfo spec{};
    spec.mapEntryCount = static_cast<std::uint32_t>(entries.size());
    spec.pMapEntries = entries.data();
    spec.dataSize = values.size() * 4;
    spec.pData = values.data();

    VkComputePipelineCreateInfo pipeline_info{};
    pipeline_info.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO;
    pipeline_info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    pipeline_info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    pipeline_info.stage.module = module_;
    pipeline_info.stage.pName = "main";
    pipeline_info.stage.pSpecializationInfo = entries.empty() ? nullptr : &spec;
    pipeline_info.layout = layout_;
    detail::vk_check(
        vkCreateComputePipelines(vk, detail::DeviceAccess::state(*device_).pipeline_cache->handle(), 1,
                                 &pipeline_info, nullptr, &pipeline_),
        "vkCreateComputePipelines for " + where);
  } catch (...) {
    destroy();
    throw;
  }
  timing_.pipeline_ms = ms_since(start);
}

Kernel::~Kernel() { destroy(); }

void Kernel::destroy() noexcept {
  VkDevice vk = device_->vk_device();
  if (pipeline_ != VK_NULL_HANDLE) vkDestroyPipeline(vk, pipeline_, nullptr);
  if (layout_ != VK_NULL_HANDLE) vkDestroyPipelineLayout(vk, layout_, nullptr);
  if (set_layout_ != VK_NULL_HANDLE) vkDestroyDescriptorSetLayout(vk, set_layout_, nullptr);
  if (module_ != VK_NULL_HANDLE) vkDestroyShaderModule(vk, module_, nullptr);
  pipeline_ = VK_NULL_HANDLE;
  layout_ = VK_NULL_HANDLE;
  set_layout_ = VK_NULL_HANDLE;
  module_ = VK_NULL_HANDLE;
}

std::array<std::uint32_t, 3> Kernel::groups_for(std::uint32_t width, std::uint32_t height,
                                                std::uint32_t depth) const {
  auto div_up = [](std::uint32_t n, std::uint32_t d) { return n / d + (n % d != 0 ? 1 : 0); };
  return {div_up(width, local_size_[0]), div_up(height, local_size_[1]), div_up(depth, local_size_[2])};
}

}  // namespace oi::gpu
