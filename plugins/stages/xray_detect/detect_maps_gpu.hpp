#pragma once
/// @file
/// The per-pixel and neighbourhood half of `xray.detect` on Vulkan: the same DetectionMaps as
/// compute_maps() (threat_detector.hpp, the CPU reference), from the kernels
/// shaders/xray/detect_box_rows.comp, detect_maps.comp, detect_pack.comp,
/// detect_morphology.comp and detect_unpack.comp, all recorded into one command buffer per
/// scan. docs/detection.md, "Kernels".

#include <array>
#include <memory>
#include <vector>

#include "object_material.hpp"
#include "oi/error.hpp"
#include "oi/frame.hpp"
#include "threat_detector.hpp"

namespace oi::gpu {
class Buffer;
class CommandRecorder;
class Device;
class Kernel;
class StageBackend;
}  // namespace oi::gpu

namespace oi::xray {

/// The maps of one scan as planes in GPU memory (host-readable; see maps()).
struct DetectionMapPlanes {
  Plane mean, zeff_mean, rel_std;       ///< f32
  Plane shielding, narcotics, firearm;  ///< u8 0/255, after morphology
  /// cv::Mat views of the planes (no copy where the device shares memory with the host, else
  /// one download each), valid while this object lives.
  DetectionMaps maps() const;
};

/// Builds the kernels once for fixed DetectorParams and computes the maps of scan after
/// scan. Not thread-safe: one per stage.
class DetectionMapsGpu {
 public:
  /// Builds the kernels through `backend` (started on the GPU; it owns them and the command
  /// recorder, and outlives this object) for `params` (only the thresholds and
  /// smoothing_radius are used). @throws oi::ConfigError (shader build or a layout the shader
  /// does not have), oi::gpu::GpuError (Vulkan).
  DetectionMapsGpu(gpu::StageBackend& backend, const DetectorParams& params);
  ~DetectionMapsGpu();
  DetectionMapsGpu(const DetectionMapsGpu&) = delete;
  DetectionMapsGpu& operator=(const DetectionMapsGpu&) = delete;

  /// The maps of one scan. `a_high` and `zeff` are f32 planes, `material_class` a u8 plane, all of one
  /// size, in host or GPU memory (host planes are copied to the GPU; GPU planes must be
  /// tightly packed). Returns an error naming the plane or the Vulkan failure.
  Status compute(const Plane& a_high, const Plane& zeff, const Plane& material_class,
                 DetectionMapPlanes& out);

  /// The device the kernels run on.
  const gpu::Device& device() const { return *device_; }

 private:
  struct Morphology;
  // A GPU plane, from the pool when one is free; contents undefined.
  Plane new_plane(PixelFormat format, int width, int height);
  // A bit-packed mask (shaders/xray/detect_masks.glsl) of the given size, from the pool when
  // one is free; contents undefined.
  std::shared_ptr<gpu::Buffer> new_mask(int width, int height);
  // `plane` when it is in GPU memory, else a pooled GPU copy.
  Plane on_gpu(const Plane& plane);
  // Records one erosion or dilation of `source` into a new mask `target`.
  Status morphology(const std::shared_ptr<gpu::Buffer>& source, const Morphology& op,
                    std::shared_ptr<gpu::Buffer>& target, int width, int height);

  std::shared_ptr<gpu::Device> device_;
  // Per-pixel kernels: [0] one pixel an invocation, [1] four (planes of a width divisible by 4).
  std::array<std::shared_ptr<gpu::Kernel>, 2> box_rows_, maps_, pack_, unpack_;
  std::shared_ptr<gpu::Kernel> morphology_;
  gpu::CommandRecorder* recorder_;  // the backend's
  std::vector<Plane> plane_pool_;
  std::vector<std::shared_ptr<gpu::Buffer>> mask_pool_;
};

/// The in-painting sweeps of the candidates' object-own material on Vulkan
/// (shaders/xray/detect_inpaint.comp): all the grids of a scan in one dispatch, one
/// workgroup per grid and channel, the same result as inpaint_grids_cpu() (its CPU
/// reference) up to float rounding. Not thread-safe: one per stage.
class InpaintGpu {
 public:
  /// Builds the kernel through `backend` (started on the GPU; it owns the kernel and the
  /// command recorder, and outlives this object). @throws oi::ConfigError, oi::gpu::GpuError.
  explicit InpaintGpu(gpu::StageBackend& backend);
  ~InpaintGpu();
  InpaintGpu(const InpaintGpu&) = delete;
  InpaintGpu& operator=(const InpaintGpu&) = delete;

  /// Runs the sweeps on both channels of every grid (at most kInpaintSide cells a side, both
  /// channels continuous CV_32F, `unknown` CV_8U 0/1) and writes the results back into them.
  /// Returns an error naming the grid or the Vulkan failure; the grids are then unchanged.
  Status solve(const std::vector<InpaintGrid*>& grids);

 private:
  std::shared_ptr<gpu::Device> device_;
  std::shared_ptr<gpu::Kernel> kernel_;
  gpu::CommandRecorder* recorder_;  // the backend's
};

}  // namespace oi::xray
