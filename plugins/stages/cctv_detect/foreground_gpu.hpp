#pragma once
/// @file
/// The background model and the foreground clean-up of `cctv.detect` on Vulkan
/// (shaders/cctv/background_model.comp; foreground_pack.comp, foreground_median.comp and
/// foreground_morphology.comp on bit-packed masks), all of one frame recorded into one command
/// buffer. Each camera's model lives in its own GPU buffer
/// (GpuSourceModel). The CPU reference is BackgroundModel and clean_foreground()
/// (background_model.hpp); the masks and the model state are equal bit for bit.

#include <cstdint>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <vector>

#include "background_model.hpp"
#include "oi/error.hpp"
#include "oi/frame.hpp"
#include "oi/gpu/plane_memory.hpp"

namespace oi::gpu {
class Kernel;
class StageBackend;
class CommandRecorder;
}  // namespace oi::gpu

namespace oi::cctv {

/// The GPU memory of one camera's model: the model state and the masks of the processing size.
struct GpuSourceModel {
  cv::Size size;  ///< processing size
  Plane image;    ///< the image at processing size (prepare_image()), 4 bytes a pixel
  Plane state;    ///< ModelLayout's words, 4 bytes a word in a u8 plane
  Plane persons;  ///< u8: the last frame's person boxes (person_mask())
  Plane raw;      ///< u8: background_model.comp's mask
  Plane bits[2];  ///< bit-packed masks (foreground_bits.glsl), the clean-up's steps
  /// The model state copied to the host (tests).
  std::vector<std::uint32_t> state_on_host() const;
};

/// See the file comment. Not thread-safe: one per stage.
class ForegroundGpu {
 public:
  /// Builds the kernels through `backend` (started on the GPU; it owns them and the recorder
  /// and outlives this object). @throws oi::ConfigError (a layout the shader does not have),
  /// oi::gpu::GpuError (Vulkan).
  ForegroundGpu(gpu::StageBackend& backend, const ForegroundParams& params);
  ~ForegroundGpu();
  ForegroundGpu(const ForegroundGpu&) = delete;
  ForegroundGpu& operator=(const ForegroundGpu&) = delete;

  /// (Re)allocates `model` for images of `image_size`; the next segment() must reset it.
  /// `residency` kStaged exercises the discrete-GPU path on any device (tests).
  /// @throws oi::gpu::GpuError when the memory cannot be allocated.
  void allocate(GpuSourceModel& model, cv::Size image_size,
                gpu::Residency residency = gpu::Residency::kAuto) const;

  /// One frame: `rgba` (prepare_image() of an image of the size `model` was allocated for)
  /// updates the model, with `persons` as BackgroundModel::apply() takes it (empty: none);
  /// `cleaned` receives the cleaned mask (CV_8U 0 / 255, a copy) and `raw`, when not null, the
  /// model's mask. Returns an error naming the Vulkan failure.
  Status segment(const cv::Mat& rgba, const LearningStep& step, const cv::Mat& persons, GpuSourceModel& model,
                 cv::Mat& cleaned, cv::Mat* raw = nullptr);

 private:
  struct CleanStep;

  ForegroundParams params_;
  std::shared_ptr<gpu::Device> device_;
  gpu::CommandRecorder* recorder_;  // the backend's
  std::shared_ptr<gpu::Kernel> model_kernel_, pack_kernel_, median_kernel_, morphology_kernel_;
  std::vector<CleanStep> clean_steps_;
};

}  // namespace oi::cctv
