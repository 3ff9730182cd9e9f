#pragma once
/// @file
/// Object-own material of a candidate region (docs/detection.md, "Object-own material"). An
/// X-ray image is additive in log attenuation along each ray, so what an object adds to the
/// clutter above and below it is the image minus the background it hides. The background is
/// estimated in both channels by harmonic in-painting from a ring around the region: the
/// region (and other candidates and saturated pixels nearby, which are not background) is
/// filled with the solution of Laplace's equation whose boundary values are the ring's
/// pixels, the smoothest surface that meets the surroundings. The object's own ratio R =
/// ΔA_low / ΔA_high then measures its material, not the mixture's.

#include <opencv2/core.hpp>

namespace oi::xray {

/// Fills the pixels of `values` (CV_32F) where `unknown` (CV_8U, non-zero) is set with the
/// harmonic interpolation of the known ones: first each unknown pixel takes the mean of the
/// linear interpolations along its row and its column between the nearest known pixels
/// (one side when only one exists), then `sweeps` red-black Gauss-Seidel sweeps with
/// over-relaxation `omega` of the 4-neighbour mean (neighbours outside the picture are left
/// out). Known pixels are never changed. Returns false (and leaves `values` as they were)
/// when no pixel is known.
bool inpaint_harmonic(cv::Mat& values, const cv::Mat& unknown, int sweeps = 40, double omega = 1.8);

/// What a region adds to its estimated background.
struct ObjectMaterial {
  bool valid = false;             ///< false: no background pixel around the region
  double added_high = 0;          ///< mean over the region of a_high minus the background's a_high
  double added_low = 0;           ///< the same in a_low
  double ratio = 0;               ///< added_low / added_high, the object's own R (0 when added_high ≤ 0.02)
  double background_high = 0;     ///< mean background a_high under the region
  double background_ratio = 0;    ///< the background's a_low / a_high under the region
  double confidence = 0;          ///< added_high / (added_high + background_high), 0 .. 1
  double added_relative_std = 0;  ///< std / mean of the per-pixel added a_high: homogeneity
};

/// The object-own material of the region `own` (CV_8U, non-zero inside) of the patches
/// `high`, `low` (CV_32F, same size; the region must not touch the patch's border for a
/// ring to exist). `exclude` (CV_8U, same size, may be empty): pixels that are not background
/// (other candidates, saturated pixels), in-painted like the region. A patch longer than 48
/// pixels is in-painted on a 48-pixel grid (a cell is unknown when any of its pixels is) and
/// the background interpolated back: it is smooth by construction, and the cost stays small.
ObjectMaterial object_material(const cv::Mat& high, const cv::Mat& low, const cv::Mat& own,
                               const cv::Mat& exclude, int sweeps = 40);

}  // namespace oi::xray
