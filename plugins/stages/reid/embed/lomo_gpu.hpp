#pragma once
/// @file
/// LOMO descriptors and their embeddings for a batch of person crops on Vulkan
/// (shaders/reid/). On the host each crop is cut and resized to the descriptor's size
/// (lomo_resize()); on the device, in one command buffer per batch: lomo_white.comp (each
/// crop's white point), lomo_pyramid.comp (illumination normalisation, HSV codes and gray
/// values of every pyramid level), lomo_rows.comp (per row of windows: the window counts
/// max-pooled over the row, and the row's sum of squared logs), lomo_scales.comp (each block's
/// L2 scale), then reid_project.comp ((descriptor - mean) x projection, straight from the
/// counts) and reid_normalise.comp (L2); lomo_descriptors.comp writes the descriptors
/// themselves only when they are asked for. The CPU reference is lomo_counts(), lomo_finish()
/// and apply_reid_model(): the counts are equal, descriptors and embeddings differ by float
/// rounding only.
///
/// The kernels are laid out for a CPU Vulkan device (lavapipe), where every storage-buffer
/// access costs a loop over the SIMD lanes and large private arrays cost seconds of
/// compilation: each invocation reads its inputs once into a small private memory and writes
/// its results once.

#include <cstdint>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "lomo.hpp"
#include "oi/error.hpp"
#include "oi/frame.hpp"
#include "oi/gpu/plane_memory.hpp"
#include "reid_model.hpp"

namespace oi::gpu {
class Device;
class Kernel;
class StageBackend;
class CommandRecorder;
}  // namespace oi::gpu

namespace oi::reid {

/// What LomoGpu::embed() can copy back besides the embeddings (tests, oi-train-reid).
struct LomoGpuOutputs {
  std::vector<std::vector<std::uint32_t>> counts;  ///< per crop: lomo_counts()' values
  std::vector<std::vector<float>> descriptors;     ///< per crop: lomo_finish()' values
};

/// See the file comment. Not thread-safe: one per stage.
class LomoGpu {
 public:
  /// Builds the kernels through `backend` (started on the GPU; it owns them and the recorder
  /// and outlives this object) and allocates the memory of batches of up to `max_batch`
  /// crops. `model`'s projection may be empty: then embed() computes descriptors only.
  /// @throws oi::ConfigError (a descriptor the kernels cannot compute on this device, a
  /// model whose sizes disagree, max_batch outside 1..1024; and, for the kernels' packed
  /// layouts, windows of more than 255 pixels, more than 5 scales or 4 SILTP radii, crops wider
  /// than the private memory holds), oi::gpu::GpuError (Vulkan).
  /// `residency` kStaged exercises the discrete-GPU path (host copies uploaded and downloaded)
  /// on any device (tests).
  LomoGpu(gpu::StageBackend& backend, const ReidModel& model, int max_batch,
          gpu::Residency residency = gpu::Residency::kAuto);
  ~LomoGpu();
  LomoGpu(const LomoGpu&) = delete;
  LomoGpu& operator=(const LomoGpu&) = delete;

  /// Crops per batch at most.
  int max_batch() const { return max_batch_; }
  /// Values per embedding (0 without a projection).
  int embedding_size() const { return size_; }
  /// The descriptor's parameters.
  const LomoParams& params() const { return params_; }

  /// One batch: `crops` (at most max_batch(), each CV_8UC3 RGB of the descriptor's size, e.g.
  /// from lomo_resize()) gives one L2-normalised embedding per crop in `embeddings` (empty
  /// vectors without a projection); `outputs`, when not null, receives the counts and
  /// descriptors too. Returns an error naming the bad crop or the Vulkan failure.
  Status embed(const std::vector<cv::Mat>& crops, std::vector<std::vector<float>>& embeddings,
               LomoGpuOutputs* outputs = nullptr);

 private:
  // Records the kernels of a batch of `batch` crops (already in crops_), the descriptors' when
  // `descriptors`.
  Status record(std::uint32_t batch, bool descriptors);

  LomoParams params_;
  LomoLayout layout_;
  int max_batch_ = 0;
  int size_ = 0;                   // embedding values
  std::uint32_t crop_words_ = 0;   // words of one crop's bytes
  std::uint32_t hsv_words_ = 0;    // count words of the HSV block (rows padded to whole words)
  std::uint32_t siltp_words_ = 0;  // count words of one SILTP block
  std::uint32_t count_words_ = 0;  // count words of one crop
  std::uint32_t tasks_ = 0;        // rows of windows: HSV's, then SILTP's
  std::string broken_;             // why the device failed a batch; then no more batches
  std::shared_ptr<gpu::Device> device_;
  gpu::CommandRecorder* recorder_;  // the backend's
  std::shared_ptr<gpu::Kernel> white_kernel_, pyramid_kernel_, rows_kernel_, scales_kernel_,
      descriptors_kernel_, project_, embed_normalise_;
  Plane crops_, white_, codes_, grays_, tasks_plane_, table_, counts_, row_sums_, scales_, descriptors_,
      mean_, projection_, projected_, embeddings_;
};

}  // namespace oi::reid
