#pragma once
/// @file
/// LOMO (Local Maximal Occurrence; Liao et al., CVPR 2015), the appearance descriptor of
/// reid.embed: a person crop resized to 128 x 48, illumination-normalised, then joint HSV
/// histograms and SILTP texture histograms in 10 x 10 windows (step 5), max-pooled over the
/// windows of each horizontal row, over a three-scale pyramid; each block (HSV; SILTP of each
/// radius) log(x + 1) and L2 normalised. This is the CPU reference of the Vulkan kernels
/// (shaders/reid/); docs/reid.md describes the layout of the vector.
///
/// What is computed, step by step (the authors' LOMO.m where not said otherwise):
/// 1. The crop is resized to height x width with cv::INTER_AREA (lomo_resize(); not when it
///    already has that size).
/// 2. Illumination normalisation (lomo_normalise_illumination()), instead of LOMO.m's
///    multi-scale Retinex: a per-channel white point. Each channel's white point is its 99th
///    percentile (the value below which all but n / 100 of the n pixels lie, integer
///    division); each value v of a channel with white point w > 0 becomes
///    min(255, round(255 v / w)) in exact integer arithmetic. This removes a global gain and a
///    per-channel colour cast (a von Kries model of a camera's exposure and white balance)
///    exactly when the gain maps 8-bit values to 8-bit values without rounding (e.g. x2 of
///    values below 128), and is the same integer operation on the GPU.
/// 3. HSV bins per pixel from the normalised 8-bit RGB, exact in integers: value bin
///    floor(V_bins max / 255), saturation bin floor(S_bins (max - min) / max) (0 when max is 0),
///    hue bin floor(H_bins h) with MATLAB's rgb2hsv hue h in [0, 1) as an exact fraction
///    (blue wins ties of the maximum over green over red, as rgb2hsv's order of assignment
///    does; 0 when max = min); each bin capped at bins - 1. The joint code is
///    (v S_bins + s) H_bins + h.
/// 4. Gray per pixel: OpenCV's fixed-point RGB to gray, (4899 R + 9617 G + 1868 B + 8192) >> 14.
/// 5. Pyramid: level k + 1 is level k 2 x 2 pooled, a last odd row or column dropped. The HSV
///    bins are pooled per channel as floor of the mean of the four bins (LOMO.m's
///    ColorPooling of the quantised image); gray values are summed (sums of 4^k pixels: SILTP
///    compares ratios, so it is the mean's code).
/// 6. SILTP (4 neighbours at radius R: right, up, left, down, borders replicated): digit t_k is
///    1 when the neighbour n < (1 - tau) c, 2 when n > (1 + tau) c, else 0, compared in float
///    with the factors (1 - tau) and (1 + tau) rounded to float once; code = sum t_k 3^k.
/// 7. Windows of window x window pixels at (step i, step j) that fit in the level; per row of
///    windows and per bin, the largest count over the row's windows. A level with no window
///    (smaller than a window) contributes nothing.
/// 8. Each block log(count + 1) (lomo_log_table()) and L2 normalised (a block of zeros stays
///    zeros).
///
/// Layout (lomo_layout()): the HSV block, then one SILTP block per radius in the order of
/// LomoParams::siltp_radii. Within a block, levels from the full size down, rows of windows
/// top to bottom, and per row the bins in code order. Defaults: 24 + 11 + 5 = 40 rows,
/// 40 x 512 HSV values and 2 x 40 x 81 SILTP values: 26,960.

#include <cstddef>
#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <vector>

#include "oi/cctv/contract.hpp"

namespace oi::reid {

/// The descriptor's geometry; the defaults are LOMO's (26,960 values).
struct LomoParams {
  int height = 128;  ///< crop height after resizing, pixels
  int width = 48;    ///< crop width after resizing, pixels
  int window = 10;   ///< window side, pixels
  int step = 5;      ///< window step, pixels
  int scales = 3;    ///< pyramid levels (each 2 x 2 average-pooled from the previous)
  int hue_bins = 8, saturation_bins = 8, value_bins = 8;
  float siltp_tau = 0.3f;                 ///< SILTP's scale-invariant tolerance
  std::vector<int> siltp_radii = {3, 5};  ///< one 4-neighbour SILTP block (81 bins) per radius
  bool illumination_normalisation = true;
};

/// Number of values lomo_descriptor() returns for `params`.
std::size_t lomo_dimension(const LomoParams& params = {});

/// The descriptor of one person crop: `rgb` is CV_8UC3 in RGB order (the camera contract's
/// image plane), any size (resized to params.height x params.width). @throws oi::Error when
/// `rgb` is empty or not CV_8UC3.
std::vector<float> lomo_descriptor(const cv::Mat& rgb, const LomoParams& params = {});

/// The crop of `box` in `image` (CV_8UC3), clipped to the image; a view, not a copy. Empty
/// when less than `min_side` pixels of either side remain. The box's edges are rounded to the
/// nearest pixel edge.
cv::Mat crop_person(const cv::Mat& image, const oi::cctv::Box& box, int min_side = 8);

/// SILTP codes per radius: 3^4.
inline constexpr int kSiltpBins = 81;
/// Levels of the pyramid at most (LomoParams::scales).
inline constexpr int kMaxLomoScales = 6;
/// Joint HSV bins at most (hue x saturation x value bins).
inline constexpr int kMaxLomoHsvBins = 4096;

/// One level of the pyramid.
struct LomoLevel {
  int width = 0, height = 0;  ///< pixels
  int columns = 0, rows = 0;  ///< windows per row, rows of windows (0 x 0: the level has none)
};

/// Where everything of the descriptor lies (see the file comment).
struct LomoLayout {
  std::vector<LomoLevel> levels;  ///< LomoParams::scales levels, the full size first
  int hsv_bins = 0;               ///< hue x saturation x value bins
  int rows = 0;                   ///< rows of windows over all levels
  std::size_t hsv_size = 0;       ///< rows x hsv_bins
  std::size_t siltp_size = 0;     ///< rows x kSiltpBins (one block)
  std::size_t dimension = 0;      ///< hsv_size + radii x siltp_size
  std::size_t pixels = 0;         ///< pixels of all levels together
  /// Number of blocks: 1 + radii.
  int blocks = 0;
  /// First value of block `b` (0: HSV, 1 + i: SILTP of radius i).
  std::size_t block_offset(int b) const {
    return b == 0 ? 0 : hsv_size + static_cast<std::size_t>(b - 1) * siltp_size;
  }
  /// Values of block `b`.
  std::size_t block_size(int b) const { return b == 0 ? hsv_size : siltp_size; }
  /// First row of level `level` among all rows.
  int first_row(int level) const;
  /// First pixel of level `level` when all levels lie one after the other, each row-major.
  std::size_t first_pixel(int level) const;
};

/// The layout for `params`. @throws oi::ConfigError naming the parameter when the geometry is
/// not one the descriptor can be computed for (sizes below a window, more than kMaxLomoScales
/// levels, a level that pools to nothing, bins outside 1..256 or more than kMaxLomoHsvBins
/// joint bins, tau outside (0, 1), radii below 1 or no radius).
LomoLayout lomo_layout(const LomoParams& params);

/// `rgb` (CV_8UC3) at params.height x params.width: a copy when it already has that size,
/// else resized with cv::INTER_AREA. @throws oi::Error when `rgb` is empty or not CV_8UC3.
cv::Mat lomo_resize(const cv::Mat& rgb, const LomoParams& params);

/// The per-channel white point of `rgb` (CV_8UC3): the 99th percentile of each channel (see
/// the file comment).
cv::Vec3i lomo_white_point(const cv::Mat& rgb);

/// Step 2 of the file comment, in place, on a CV_8UC3 image.
void lomo_normalise_illumination(cv::Mat& rgb);

/// The joint HSV code of one pixel (step 3 of the file comment).
int lomo_hsv_code(int r, int g, int b, const LomoParams& params = {});

/// The max-pooled window counts of a crop already at params.height x params.width (CV_8UC3):
/// steps 2 to 7, before the log and the normalisation; the layout of the descriptor.
/// @throws oi::Error when `rgb` is not CV_8UC3 of that size.
std::vector<std::uint16_t> lomo_counts(const cv::Mat& rgb, const LomoParams& params = {});

/// log(k + 1) for k = 0 .. window², rounded to float once: the values both the CPU and the
/// GPU read instead of computing the logarithm.
std::vector<float> lomo_log_table(const LomoParams& params = {});

/// Step 8: the descriptor of lomo_counts() output `counts`.
std::vector<float> lomo_finish(const std::vector<std::uint16_t>& counts, const LomoParams& params = {});

}  // namespace oi::reid
