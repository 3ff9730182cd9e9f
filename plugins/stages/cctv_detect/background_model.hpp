#pragma once
/// @file
/// The per-pixel background model of `cctv.detect` (docs/cctv.md, "Detection"): a mixture of
/// Gaussians per pixel in the manner of Stauffer–Grimson and Zivkovic's MOG2 (weights, RGB
/// means and one variance per component; components sorted by weight; a pixel is background
/// when it matches a component among those that make up `background_ratio` of the weight),
/// MOG2's shadow test (darker than a background component by a ratio in [tau, 1] with little
/// colour distortion), and a selective update fed back from the detector: foreground and
/// shadow pixels inside the previous frame's person boxes learn at `person_learning_factor`
/// times the rate, so a person who stops stays foreground for seconds, while other foreground
/// (ghosts of persons who stood there while the model warmed up, left objects that are no
/// person) is absorbed at the normal rate. Then the clean-up of the mask (3x3 median, opening,
/// closing).
///
/// This file is the CPU reference; shaders/cctv/background_model.comp and
/// shaders/cctv/foreground_clean.comp compute the same masks on Vulkan, bit for bit: the
/// arithmetic is the same float operations in the same order (no fused multiply-adds on
/// either side: `precise` in the shaders, -ffp-contract=off here), divisions are replaced by
/// the same Newton reciprocal (Vulkan allows 2.5 ULP for a division), and values that could
/// become subnormal (which lavapipe flushes to zero) are flushed on both sides.

#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <vector>

namespace oi::cctv {

/// The most Gaussians per pixel the model and the shader support.
inline constexpr int kMaxMixtures = 5;

/// Mask values of the model's raw output (MOG2's convention).
namespace mask_value {
inline constexpr std::uint8_t kBackground = 0;
inline constexpr std::uint8_t kShadow = 127;
inline constexpr std::uint8_t kForeground = 255;
}  // namespace mask_value

/// Parameters of the background model and the clean-up. Defaults are the stage's.
struct ForegroundParams {
  /// Processing at 1/factor of the image size: each model pixel is the mean of a factor x
  /// factor block (the stage's `scale` is 1/factor; prepare_image()).
  int factor = 2;
  int mixtures = 3;                     ///< Gaussians per pixel, 1..kMaxMixtures
  float learning_rate = 0.005f;         ///< alpha once warmed up (about 1 / history in frames)
  float person_learning_factor = 0.1f;  ///< alpha multiplier of foreground pixels in person boxes
  int warmup_frames = 25;               ///< frames before the selective update and detections
  float variance_threshold = 16.0f;     ///< squared distance / variance to be background (MOG2 Tb)
  float match_ratio = 0.5625f;          ///< match threshold / variance_threshold (MOG2 Tg / Tb = 9 / 16)
  float background_ratio = 0.9f;        ///< weight that counts as background (MOG2 TB)
  float complexity_reduction = 0.05f;   ///< prune components lighter than alpha * this (MOG2 CT)
  float initial_variance = 15.0f;       ///< variance of a new component (intensity^2)
  float min_variance = 4.0f;            ///< lower clamp of a component's variance
  float max_variance = 75.0f;           ///< upper clamp of a component's variance
  bool shadow = true;                   ///< detect shadows (mask 127) instead of foreground
  float shadow_threshold = 0.5f;        ///< tau: darkest shadow, as a fraction of the background
  bool median = true;                   ///< 3x3 median of the foreground (shadows count as background)
  int open_size = 0;                    ///< opening element, pixels at processing size (0, 1: off; odd)
  int close_size = 3;                   ///< closing element, pixels at processing size (0, 1: off; odd)
};

/// What one frame of a source learns with, by how many frames the source has seen.
struct LearningStep {
  bool reset = false;             ///< first frame: the model's memory is (re)initialised
  float alpha_background = 1.0f;  ///< learning rate of background pixels
  float alpha_person = 1.0f;      ///< learning rate of shadow and foreground pixels in person boxes
};

/// The schedule: frame n (0-based) learns at max(learning_rate, 1 / (n + 1)) (a running mean
/// until it falls to the learning rate, as MOG2's 1 / min(2 n, history)); foreground pixels in
/// person boxes at learning_rate times person_learning_factor once n >= warmup_frames.
LearningStep learning_step(const ForegroundParams& params, std::int64_t frames_seen);

/// The processing size of an image: its size divided by `factor`, rounded down (the last
/// columns and rows of an image not divisible by the factor are not modelled).
cv::Size processing_size(cv::Size image, int factor);

/// What both backends model: the image (CV_8UC3, R G B) reduced to the processing size, each
/// pixel the rounded mean of its factor x factor block (cv::resize, INTER_AREA), as 4 bytes a
/// pixel (R, G, B, 255) into `rgba` (CV_8UC4): one 32-bit load a pixel for the shader, and
/// a quarter of the bytes to upload at scale 1/2.
void prepare_image(const cv::Mat& rgb, int factor, cv::Mat& rgba);

/// 32-bit words of model state per model pixel: four per component.
inline int model_words_per_pixel(int mixtures) { return 4 * mixtures; }

/// Layout of the model state, shared with the shader: per model pixel i and component k, four
/// words at 4 * (i * mixtures + k): the weight (a float), the variance (low 16 bits) and red
/// mean (high 16 bits), the green (low) and blue (high) means, and, in component 0, the number
/// of components in use (0 in the others); variance and means in 16-bit fixed point
/// (quantize()). Components are sorted by weight. Components past the number in use are
/// neither read nor written (except by a reset, which writes them all): on a CPU device such
/// as lavapipe every 32-bit word a kernel loads or stores costs a trip per SIMD lane, and
/// those trips dominate its time.
struct ModelLayout {
  int mixtures;
  std::size_t at(std::size_t pixel, int k) const {
    return 4 * (pixel * static_cast<std::size_t>(mixtures) + static_cast<std::size_t>(k));
  }
};

/// A mean or variance in the model's 16-bit fixed point: round(x * 256), at most 65535
/// (x >= 0; 1/256 of an intensity level).
inline std::uint32_t quantize(float x) {
  const float scaled = x * 256.0f + 0.5f;
  return static_cast<std::uint32_t>(scaled < 65535.0f ? scaled : 65535.0f);
}
/// The value of a fixed-point mean or variance.
inline float dequantize(std::uint32_t q) { return static_cast<float>(q) * (1.0f / 256.0f); }

/// The CPU reference of the background model of one source.
class BackgroundModel {
 public:
  /// A model of `size` (the processing size) that is reset by the first apply().
  BackgroundModel(const ForegroundParams& params, cv::Size size);

  /// Updates the model with `rgba` (CV_8UC4 of size(): prepare_image()) and writes the raw mask
  /// (CV_8U of size(): mask_value) into `raw`.
  /// `persons` (CV_8U of size(), non-zero inside the last frame's person boxes: person_mask())
  /// selects the pixels that learn at alpha_person; empty: none.
  void apply(const cv::Mat& rgba, const LearningStep& step, const cv::Mat& persons, cv::Mat& raw);

  /// The model's size (processing size).
  cv::Size size() const { return size_; }
  /// The model state (ModelLayout), for the GPU comparison.
  const std::vector<std::uint32_t>& state() const { return state_; }

 private:
  ForegroundParams params_;
  cv::Size size_;
  std::vector<std::uint32_t> state_;
};

/// The clean-up of a raw mask (CV_8U, mask_value) into a foreground mask (CV_8U, 0 / 255):
/// foreground pixels (not shadows), 3x3 median (replicated border), opening, closing
/// (rectangular elements; pixels outside the image are ignored).
void clean_foreground(const cv::Mat& raw, const ForegroundParams& params, cv::Mat& cleaned);

/// The person mask of a processing size: 255 inside `boxes` (image pixels, at 1 / `factor`,
/// widened by one pixel on each side), else 0. Written into `mask` (CV_8U of `size`).
void person_mask(const std::vector<cv::Rect2d>& boxes, int factor, cv::Size size, cv::Mat& mask);

/// 1 / x by three Newton steps from a bit-level first guess: the same bits on the CPU and in
/// the shaders (oi_reciprocal() in shaders/cctv/background_model.comp). x must be a normal,
/// positive float.
float reciprocal(float x);

}  // namespace oi::cctv
