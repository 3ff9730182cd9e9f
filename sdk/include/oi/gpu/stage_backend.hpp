#pragma once
/// @file
/// StageBackend: the GPU side of a stage, set up once. A stage with Vulkan kernels and a CPU
/// implementation keeps one as a member; it declares the `backend` parameter, picks the
/// backend at start (the one rule of choose_backend()), holds the device, the command
/// recorder and the kernels (their push-constant and specialization layouts checked against
/// the shaders), converts input planes to GPU planes (replacing the frame's, so the next GPU
/// stage finds them resident), hands out output planes (pooled when the kernel writes every
/// pixel) and reports the choice in summary(). PixelStage is built on it; stages whose work
/// is more than one per-pixel kernel (several kernels and dispatches, tables, counters) use it
/// directly (xray.correct, xray.detect).
///
/// @code
/// class Threshold final : public oi::Stage {
///   oi::gpu::StageBackend gpu_;
///   std::shared_ptr<oi::gpu::Kernel> kernel_;
///   void setup(oi::StageSpec& spec) override { ...; gpu_.declare(spec); }
///   void start(const oi::StageConfig& config) override {
///     if (gpu_.start(config)) kernel_ = gpu_.kernel(desc);  // false: the CPU implementation runs
///   }
///   oi::Status process(oi::StageContext& ctx) override {
///     ... if (gpu_.on_gpu()) { oi::Plane in = gpu_.input(*frame, "high");
///                              oi::Plane out = gpu_.output(0, oi::PixelFormat::kU8, w, h);
///                              gpu_.recorder().dispatch_grid(*kernel_, ...); gpu_.submit(); } ...
///   }
///   void stop() override { kernel_.reset(); gpu_.stop(); }
/// };
/// @endcode

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "oi/error.hpp"
#include "oi/frame.hpp"
#include "oi/gpu/command_recorder.hpp"
#include "oi/gpu/kernel.hpp"
#include "oi/gpu/plane_memory.hpp"
#include "oi/result.hpp"
#include "oi/stage.hpp"

namespace oi::gpu {

/// Where a stage runs.
enum class Backend {
  kGpu,  ///< the stage's Vulkan kernel
  kCpu,  ///< the stage's CPU implementation
};

/// Whether a stage has a CPU implementation.
enum class CpuImplementation {
  kYes,  ///< declares the `backend` parameter {auto, gpu, cpu}; falls back without a GPU
  kNo,   ///< GPU only (e.g. gpu.shader): start() fails with the reason when there is no GPU
};

/// The GPU side of one stage; see the file comment. Not thread-safe (one per stage object).
class StageBackend {
 public:
  explicit StageBackend(CpuImplementation cpu = CpuImplementation::kYes) : cpu_(cpu) {}
  ~StageBackend();
  StageBackend(const StageBackend&) = delete;
  StageBackend& operator=(const StageBackend&) = delete;

  /// Declares the `backend` parameter {auto, gpu, cpu} (nothing for a GPU-only stage);
  /// `description` replaces the standard one when a stage has more to say.
  void declare(StageSpec& spec, std::string description = {});
  /// Picks the backend for node `config.name` of type `config.type` and, on the GPU, gets the
  /// device and a command recorder. Returns true on the GPU.
  /// @throws oi::ConfigError (`backend: gpu`, or a GPU-only stage, without a usable device).
  bool start(const StageConfig& config);
  /// Releases kernels, pools, recorder and device (they hold GPU memory). Safe to repeat.
  void stop();

  /// The backend chosen at start.
  Backend backend() const { return backend_; }
  /// True on the GPU backend.
  bool on_gpu() const { return backend_ == Backend::kGpu; }
  /// Why that backend, e.g. "backend: auto, Vulkan device available".
  const std::string& reason() const { return reason_; }
  /// The device (GPU backend only).
  const std::shared_ptr<Device>& device() const { return device_; }
  /// The command recorder (GPU backend only).
  CommandRecorder& recorder();

  /// Builds a kernel on the device (GPU backend, at start): the kernel checks its bindings,
  /// push-constant block and specialization constants against the shader.
  std::shared_ptr<Kernel> kernel(const KernelDesc& desc);
  /// The frame's plane `name` as a GPU plane, put back into the frame in its place. With
  /// `tight`, a GPU plane with padded rows or an offset is refused (per-pixel kernels index
  /// tightly packed planes). Returns an error naming the plane.
  Result<Plane> input(Frame& frame, const std::string& name, bool tight = true,
                      Residency residency = Residency::kAuto);
  /// A GPU plane for output `slot` (a small index the stage chooses per output). `cleared`:
  /// zeroed, new every time; otherwise recycled from the slot's pool once nothing else holds
  /// it (the kernel must write every pixel), so a steady stream allocates nothing.
  Plane output(std::size_t slot, PixelFormat format, int width, int height, bool cleared = false,
               Residency residency = Residency::kAuto);
  /// Submits what the recorder holds and waits for it.
  Status submit();

  /// `{"backend": "gpu"|"cpu", "device": NAME|null, "reason": "..."}`.
  nlohmann::json summary() const;

 private:
  CpuImplementation cpu_;
  std::string choice_ = "auto";  // parameter `backend`
  Backend backend_ = Backend::kCpu;
  std::string reason_;
  std::string device_name_;  // kept after stop() for summary()
  std::shared_ptr<Device> device_;
  std::unique_ptr<CommandRecorder> recorder_;
  std::vector<std::shared_ptr<Kernel>> kernels_;
  std::vector<std::vector<Plane>> pools_;  // per output slot
};

}  // namespace oi::gpu
