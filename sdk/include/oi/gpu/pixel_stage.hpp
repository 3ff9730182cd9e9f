#pragma once
/// @file
/// PixelStage: the base class of per-pixel GPU stages. A stage says which planes its kernel
/// reads and writes, which shader to run and which constants to pass; the base class does
/// the rest: device acquisition, kernel creation (once, at start), converting input planes
/// to GPU planes (no copy when they already are), allocating output planes in GPU memory,
/// recording and submitting one command buffer per frame, and running the stage's CPU
/// implementation instead when there is no Vulkan device or the user asks for it.
///
/// Conventions (see docs/writing-a-gpu-stage.md):
/// - every input plane has the same size; outputs get that size, tightly packed rows;
/// - storage buffers at set 0, bindings 0..N-1: the inputs, then the outputs, in declared
///   order (or PixelKernelSpec::bindings);
/// - the push-constant block holds `uvec2 size` (the plane size, written by the base class
///   every frame) at PixelKernelSpec::size_offset, by default its first member;
/// - the stage reads frames on input port 0 and emits on output port 0 (declared as `in` and
///   `out` when on_setup() declares no ports), adding the output planes to a shallow copy of
///   the frame; input planes that were converted to GPU planes replace the frame's, so the
///   next GPU stage finds them resident.
///
/// @code
/// // invert.comp sits next to this file; CMake: oi_add_shaders(my_plugin SHADERS invert.comp)
/// // embeds it in the plugin and generates my_plugin_shaders.hpp.
/// #include "my_plugin_shaders.hpp"
/// struct InvertPush { std::uint32_t size[2]; };  // the shader's `uvec2 size`
/// class Invert final : public oi::gpu::PixelStage {
///   void on_setup(oi::StageSpec& spec) override { spec.describe("65535 - value."); }
///   oi::gpu::PixelKernelSpec on_start(const oi::StageConfig&) override {
///     oi::gpu::PixelKernelSpec k;
///     k.spirv = my_plugin_shaders::words("invert.comp");
///     k.inputs = {{oi::xray::plane::kHigh, oi::PixelFormat::kU16}};
///     k.outputs = {{"inverted", oi::PixelFormat::kU16}};
///     k.push_constants = oi::gpu::push_block(InvertPush{});
///     k.push_layout = {OI_PUSH_MEMBER(InvertPush, size)};  // checked against the shader at start
///     return k;
///   }
///   oi::Status process_cpu(oi::gpu::PixelPlanes& p) override { ...; return oi::Status::ok(); }
/// };
/// @endcode
/// A complete out-of-tree example: samples/gpu_stage_skeleton (docs/writing-a-gpu-stage.md).

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "oi/gpu/device_info.hpp"
#include "oi/gpu/kernel.hpp"
#include "oi/gpu/plane_memory.hpp"
#include "oi/gpu/stage_backend.hpp"
#include "oi/stage.hpp"

namespace oi::gpu {

class Device;
class CommandRecorder;

/// A plane a pixel kernel reads or writes.
struct PlaneDecl {
  std::string name;                        ///< plane name in the frame, e.g. "high"
  PixelFormat format = PixelFormat::kF32;  ///< inputs: required format; outputs: format allocated
};

/// What a PixelStage runs; returned by PixelStage::on_start() once, at start.
struct PixelKernelSpec {
  std::string name;                  ///< kernel name for messages, e.g. "xray.log_attenuation"
  std::vector<std::uint32_t> spirv;  ///< SPIR-V embedded at build time (oi_add_shaders), or empty
  ShaderSource source;               ///< GLSL compiled at run time (cached) when `spirv` is empty
  CompileOptions options;            ///< defines and include folders for `source`
  std::vector<PlaneDecl> inputs;     ///< planes read; at least one
  std::vector<PlaneDecl> outputs;    ///< planes written; at least one; no input name reused
  /// Plane names in binding order (0..N-1); empty means the inputs, then the outputs.
  std::vector<std::string> bindings;
  /// The push-constant block (see push_block()); the base class writes the plane size into
  /// it every frame at `size_offset`.
  std::vector<std::byte> push_constants;
  /// Optional: the C++ struct's members (OI_PUSH_MEMBER), checked against the shader's block
  /// at start (KernelDesc::push_layout). Its size is always checked.
  std::vector<PushMember> push_layout;
  /// Byte offset of `uvec2 size` in the push-constant block; nullopt when the shader has none.
  std::optional<std::uint32_t> size_offset = 0;
  std::vector<SpecConstant> spec_constants;              ///< specialization constants
  std::array<std::uint32_t, 3> workgroup = {16, 16, 1};  ///< preferred workgroup size
  /// 0: a 2-D dispatch, one invocation per pixel (`oi_pixel()`). N > 0: a linear dispatch of
  /// ceil(width * height / N) invocations, each handling N consecutive pixels of the tightly
  /// packed planes (`oi_linear_id()`, an `OI_WORKGROUP_1D` shader; set `workgroup` to e.g.
  /// {64, 1, 1}). Several pixels per invocation let the shader read and write them with
  /// vector accesses, which lavapipe runs much faster.
  std::uint32_t pixels_per_invocation = 0;
  /// true: output planes start zeroed, as make_gpu_plane() gives them. false (the kernel
  /// writes every pixel of every output): outputs are not cleared and are recycled from a
  /// small per-stage pool once nothing holds the frame that carried them, so a steady
  /// stream of frames allocates and clears no output memory.
  bool clear_outputs = true;
  /// kStaged keeps a separate host copy even on unified memory (tests use it to exercise
  /// the discrete-GPU path on a CPU device).
  Residency residency = Residency::kAuto;
  /// Lines above and below an output line that the kernel reads (a vertical window such as a
  /// (2r+1)-line box mean: r), clamping at the frame's first and last line. 0: each output
  /// line depends on its input line only.
  ///
  /// With a halo, the blocks of an X-ray scan are processed as they arrive (while the belt
  /// moves) and still give exactly the planes of the whole scan processed at once: a block
  /// (FrameMetadata::scan_id != 0, not of kind `xray.scan`, and not a single block holding the whole
  /// scan) is held until
  /// `line_halo` lines of the blocks after it have come (or its scan ends), then run with the
  /// lines it needs from its neighbours and emitted with its own lines only, in order. A scan
  /// cut short (another scan or a frame that is no block arrives, or the stream ends) ends its
  /// held blocks at the cut, as a whole-scan run of the cut scan would. The CPU implementation
  /// sees the block with its neighbours' lines; outputs come as host planes of the block's size.
  int line_halo = 0;
};

/// The bytes of a push-constant struct, for PixelKernelSpec::push_constants.
template <class T>
requires std::is_trivially_copyable_v<T> std::vector<std::byte> push_block(const T& block) {
  const auto bytes = std::as_bytes(std::span<const T, 1>(&block, 1));
  return {bytes.begin(), bytes.end()};
}

/// One frame's planes as the CPU implementation sees them: inputs in host-readable form
/// (a GPU-resident plane is downloaded once, on first read) and freshly allocated host
/// output planes of the input size.
class PixelPlanes {
 public:
  /// Width of every plane.
  int width() const { return width_; }
  /// Height of every plane.
  int height() const { return height_; }
  /// An input plane. @throws oi::Error when `name` is not a declared input.
  const Plane& input(std::string_view name) const;
  /// An output plane to fill. @throws oi::Error when `name` is not a declared output.
  Plane& output(std::string_view name);

 private:
  friend class PixelStage;
  int width_ = 0;
  int height_ = 0;
  std::vector<std::pair<std::string, Plane>> inputs_;
  std::vector<std::pair<std::string, Plane>> outputs_;
};

/// Base class of per-pixel GPU stages; see the file comment.
class PixelStage : public Stage {
 public:
  ~PixelStage() override;

  /// Calls on_setup(), then declares the default ports and the `backend` parameter.
  void setup(StageSpec& spec) final;
  /// Calls on_start(), picks the backend and, for the GPU, builds the kernel.
  /// @throws oi::ConfigError (bad spec, shader errors, `backend: gpu` without a GPU).
  void start(const StageConfig& config) final;
  /// Runs one frame on the chosen backend (scan blocks held for PixelKernelSpec::line_halo).
  Status process(StageContext& ctx) final;
  /// Emits the scan blocks still held for the line halo (the stream ended inside a scan).
  Status finish(StageContext& ctx) final;
  /// Releases the kernel, recorder and device.
  void stop() override;
  /// `{"backend": "gpu"|"cpu", "device": NAME|null, "reason": "..."}`.
  nlohmann::json summary() const override;

  /// The backend chosen at start.
  Backend backend() const { return gpu_.backend(); }
  /// Why that backend, e.g. "backend: auto, Vulkan device available".
  const std::string& backend_reason() const { return gpu_.reason(); }
  /// The kernel (nullptr on the CPU backend or before start).
  const Kernel* kernel() const { return kernel_.get(); }

 protected:
  /// `cpu`: whether process_cpu() is implemented.
  explicit PixelStage(CpuImplementation cpu = CpuImplementation::kYes);

  /// Declares the description and parameters (and ports, when not the default `in`/`out`).
  virtual void on_setup(StageSpec& spec) = 0;
  /// Says what to run (bound parameters already hold their values). Called once by start()
  /// on either backend. @throws oi::ConfigError for bad parameter combinations.
  virtual PixelKernelSpec on_start(const StageConfig& config) = 0;
  /// Called once on the GPU backend, after on_start(), with the chosen device: lets a stage
  /// switch to a faster shader variant for what the device supports (e.g.
  /// DeviceInfo::shader_int64): change the shader, pixels_per_invocation, workgroup or
  /// constants, not the planes. The default keeps `spec`.
  virtual void adapt_to_device(const DeviceInfo& device, PixelKernelSpec& spec);
  /// The CPU implementation: fills every output of `planes` from its inputs. The default
  /// (for CpuImplementation::kNo) returns an error.
  virtual Status process_cpu(PixelPlanes& planes);

 private:
  struct BlockHalo;
  void check_spec() const;
  // Checks the declared inputs of `frame`; sets its width and height.
  Status check_inputs(const Frame& frame, int& width, int& height) const;
  // Adds the outputs to `frame` (its inputs checked) on the chosen backend.
  Status run(Frame& frame, int width, int height);
  Status process_gpu(Frame& frame, int width, int height);
  // Line halo: takes a scan block; emits the held blocks that have their lines below.
  Status add_block(StageContext& ctx, FramePtr block);
  // Emits held blocks: those with line_halo lines after them, or all when `scan_over`.
  Status emit_blocks(StageContext& ctx, bool scan_over);

  StageBackend gpu_;
  PixelKernelSpec spec_;
  std::shared_ptr<Kernel> kernel_;
  std::vector<std::string> binding_names_;
  std::unique_ptr<BlockHalo> halo_;  // scan blocks held for the line halo
};

}  // namespace oi::gpu
