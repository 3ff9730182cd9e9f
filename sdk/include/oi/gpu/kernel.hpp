#pragma once
/// @file
/// A compute kernel: shader module, pipeline, pipeline layout and descriptor set layout,
/// created once at configuration time and dispatched by a CommandRecorder every frame.
///
/// Conventions a shader follows:
/// - storage buffers at `set = 0`, `binding = 0..N-1`, in the order of KernelDesc::bindings;
/// - at most one `layout(push_constant)` block of KernelDesc::push_constant_bytes;
/// - workgroup size from the device: declare
///   `layout(local_size_x_id = 233, local_size_y_id = 234, local_size_z_id = 235) in;`
///   (or `#include "oi/compute.glsl"` and write `OI_WORKGROUP_2D;`) and the runtime picks
///   KernelDesc::workgroup clamped to the device's limits. A fixed `local_size_x = 8` works
///   too and is honoured as written.
///
/// @code
/// oi::gpu::KernelDesc desc;
/// desc.name = "threshold";
/// desc.source = oi::gpu::ShaderSource::from_file(dir / "threshold.comp");
/// desc.bindings = {{"in", oi::gpu::Access::kRead}, {"out", oi::gpu::Access::kWrite}};
/// desc.push_constant_bytes = sizeof(ThresholdPush);
/// desc.spec_constants = {oi::gpu::SpecConstant::f32(0, 0.5f)};
/// std::shared_ptr<oi::gpu::Kernel> kernel = device->create_kernel(desc);
/// @endcode

#include <vulkan/vulkan.h>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "oi/gpu/shader_compiler.hpp"

/// A oi::gpu::PushMember for field `FIELD` of struct `STRUCT`.
#define OI_PUSH_MEMBER(STRUCT, FIELD)                                        \
  ::oi::gpu::PushMember {                                                    \
#FIELD, static_cast < std::uint32_t>(offsetof(STRUCT, FIELD)),           \
        static_cast < std::uint32_t>(sizeof(std::declval <STRUCT&>().FIELD)) \
  }

namespace oi::gpu {

class Device;

/// Specialization-constant ids the runtime sets to the chosen workgroup size (ncnn uses the
/// same ids). User constants must use other ids.
inline constexpr std::uint32_t kLocalSizeXId = 233;
/// See kLocalSizeXId.
inline constexpr std::uint32_t kLocalSizeYId = 234;
/// See kLocalSizeXId.
inline constexpr std::uint32_t kLocalSizeZId = 235;

/// How a kernel uses a storage buffer; drives the barriers the recorder inserts.
enum class Access { kRead, kWrite, kReadWrite };

/// One storage-buffer binding of a kernel.
struct BindingDecl {
  std::string name;               ///< for messages, e.g. the plane it carries
  Access access = Access::kRead;  ///< what the shader does with it
};

/// A specialization constant: id and 32-bit value (bool, int, uint or float bits). The
/// kernel checks at creation that the shader declares `constant_id = id` with a type of
/// this kind.
struct SpecConstant {
  /// The GLSL type the value is meant for.
  enum class Kind : char { kUint = 'u', kInt = 'i', kFloat = 'f' };
  std::uint32_t id = 0;     ///< `layout(constant_id = ID)`
  std::uint32_t bits = 0;   ///< the value's 32 bits
  Kind kind = Kind::kUint;  ///< uint (also accepted for a bool constant), int or float
  /// An unsigned (or bool) constant.
  static SpecConstant u32(std::uint32_t id, std::uint32_t value) { return {id, value, Kind::kUint}; }
  /// A signed constant.
  static SpecConstant i32(std::uint32_t id, std::int32_t value) {
    return {id, static_cast<std::uint32_t>(value), Kind::kInt};
  }
  /// A float constant.
  static SpecConstant f32(std::uint32_t id, float value) {
    return {id, std::bit_cast<std::uint32_t>(value), Kind::kFloat};
  }
};

/// One member of a C++ push-constant struct, for the layout check against the shader's
/// block: build the list with OI_PUSH_MEMBER(Struct, field).
struct PushMember {
  std::string name;          ///< the C++ field name (compared with the GLSL member name when it has one)
  std::uint32_t offset = 0;  ///< offsetof(Struct, field)
  std::uint32_t bytes = 0;   ///< sizeof the field
};

/// Everything needed to build a kernel.
struct KernelDesc {
  std::string name;                   ///< shown in errors and stats, e.g. "dual_energy.ratio"
  ShaderSource source;                ///< GLSL, compiled at run time (cached); unused when `spirv` is set
  CompileOptions options;             ///< defines and include folders for `source`
  std::vector<std::uint32_t> spirv;   ///< precompiled SPIR-V (build-time embedded shaders)
  std::vector<BindingDecl> bindings;  ///< storage buffers 0..N-1
  /// Size of the push-constant block (multiple of 4). Checked at creation against the
  /// shader's block: a different size is an error naming both layouts.
  std::uint32_t push_constant_bytes = 0;
  /// Optional: the C++ struct's members (OI_PUSH_MEMBER), each checked against the shader's
  /// member at the same position: offset, size and (when the module has names) name.
  std::vector<PushMember> push_layout;
  std::vector<SpecConstant> spec_constants;  ///< user constants (not ids 233..235)
  /// Preferred workgroup size for shaders that use the local-size ids; clamped to
  /// maxComputeWorkGroupSize and maxComputeWorkGroupInvocations.
  std::array<std::uint32_t, 3> workgroup = {16, 16, 1};
};

/// How long creation took; the benchmark compares a cold and a warm start with it.
struct KernelTiming {
  double compile_ms = 0;          ///< GLSL -> SPIR-V, or reading it from the cache
  bool spirv_from_cache = false;  ///< SPIR-V came from the on-disk cache
  double pipeline_ms = 0;         ///< vkCreateComputePipelines (fast when the pipeline cache hits)
};

/// A ready-to-dispatch compute pipeline. Immutable and thread-safe; keeps its device alive.
class Kernel {
 public:
  /// Internal: made by Device::create_kernel().
  Kernel(std::shared_ptr<Device> device, const KernelDesc& desc);
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  /// KernelDesc::name.
  const std::string& name() const { return name_; }
  /// The declared bindings.
  const std::vector<BindingDecl>& bindings() const { return bindings_; }
  /// Size of the push-constant block.
  std::uint32_t push_constant_bytes() const { return push_constant_bytes_; }
  /// The workgroup size the pipeline was built with.
  const std::array<std::uint32_t, 3>& local_size() const { return local_size_; }
  /// Workgroups needed to cover `width` x `height` x `depth` invocations (rounded up).
  std::array<std::uint32_t, 3> groups_for(std::uint32_t width, std::uint32_t height,
                                          std::uint32_t depth = 1) const;
  /// Creation timing.
  const KernelTiming& timing() const { return timing_; }
  /// The device.
  Device& device() const { return *device_; }

  /// Raw handles for code that records its own commands.
  VkPipeline vk_pipeline() const { return pipeline_; }
  /// See vk_pipeline().
  VkPipelineLayout vk_pipeline_layout() const { return layout_; }
  /// See vk_pipeline().
  VkDescriptorSetLayout vk_descriptor_set_layout() const { return set_layout_; }

 private:
  void destroy() noexcept;

  std::shared_ptr<Device> device_;
  std::string name_;
  std::vector<BindingDecl> bindings_;
  std::uint32_t push_constant_bytes_ = 0;
  std::array<std::uint32_t, 3> local_size_{1, 1, 1};
  KernelTiming timing_;
  VkShaderModule module_ = VK_NULL_HANDLE;
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout layout_ = VK_NULL_HANDLE;
  VkPipeline pipeline_ = VK_NULL_HANDLE;
};

}  // namespace oi::gpu
