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
#include <vector>

namespace oi::xray {

/// In-painting settings: grids are at most kInpaintSide cells a side (larger patches are
/// in-painted on a coarser grid), kInpaintSweeps red-black sweeps with over-relaxation
/// kInpaintOmega.
inline constexpr int kInpaintSide = 48;
inline constexpr int kInpaintSweeps = 40;
inline constexpr float kInpaintOmega = 1.8f;

/// Gives the pixels of `values` (CV_32F) where `unknown` (CV_8U, non-zero) is set their
/// starting values: the mean of the linear interpolations along their row and their column
/// between the nearest known pixels (one side when only one exists; the known pixels' mean
/// where neither exists). Returns false (and changes nothing) when no pixel is known.
bool inpaint_start(cv::Mat& values, const cv::Mat& unknown);

/// `sweeps` red-black Gauss-Seidel sweeps with over-relaxation `omega` of the 4-neighbour
/// mean (neighbours outside the picture left out) over the unknown pixels of a continuous
/// `values`; known pixels never change. Red first: pixels whose x + y is even. The CPU
/// reference of shaders/xray/detect_inpaint.comp (InpaintGpu), which sums in the same order.
void inpaint_sweeps(cv::Mat& values, const cv::Mat& unknown, int sweeps = kInpaintSweeps,
                    float omega = kInpaintOmega);

/// Fills the pixels of `values` (CV_32F) where `unknown` (CV_8U, non-zero) is set with the
/// harmonic interpolation of the known ones: inpaint_start(), then inpaint_sweeps(). Returns
/// false (and leaves `values` as they were) when no pixel is known.
bool inpaint_harmonic(cv::Mat& values, const cv::Mat& unknown, int sweeps = kInpaintSweeps,
                      double omega = kInpaintOmega);

/// One in-painting problem, both channels on one grid: the values (CV_32F, continuous, the
/// unknown cells holding their starting values) and the unknown cells (CV_8U, 0 or 1).
struct InpaintGrid {
  cv::Mat high, low, unknown;
};

/// Runs inpaint_sweeps() on both channels of every grid: the CPU reference. A GPU solver
/// (InpaintGpu) does the same in one dispatch for all the grids of a scan.
void inpaint_grids_cpu(const std::vector<InpaintGrid*>& grids);

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

/// A candidate region's patch prepared for in-painting (prepare_object_patch()).
struct ObjectPatch {
  cv::Mat high, low, own;  ///< the patch's channels and the region (CV_8U 0/255)
  InpaintGrid grid;        ///< its background problem: full size, or coarse when the patch is large
  bool coarse = false;     ///< the grid is a kInpaintSide grid to be interpolated back
  bool valid = false;      ///< false: an empty region, or no background pixel to start from
};

/// Prepares the object-own material of the region `own` (CV_8U, non-zero inside) of the
/// patches `high`, `low` (CV_32F, same size; the region must not touch the patch's border
/// for a ring to exist). `exclude` (CV_8U, same size, may be empty): pixels that are not
/// background (other candidates, saturated pixels), in-painted like the region. A patch
/// longer than kInpaintSide pixels is in-painted on a kInpaintSide grid (a cell is unknown
/// when any of its pixels is): the background is smooth by construction, and the cost stays
/// small. The grid's unknown cells hold their starting values (inpaint_start()); the sweeps
/// are left to the solver.
ObjectPatch prepare_object_patch(const cv::Mat& high, const cv::Mat& low, const cv::Mat& own,
                                 const cv::Mat& exclude);

/// What the patch's region adds to its background, once its grid's sweeps have run (a coarse
/// grid is interpolated back to the patch). Not valid when the patch is not.
ObjectMaterial finish_object_material(const ObjectPatch& patch);

/// prepare_object_patch(), `sweeps` sweeps on the CPU, finish_object_material().
ObjectMaterial object_material(const cv::Mat& high, const cv::Mat& low, const cv::Mat& own,
                               const cv::Mat& exclude, int sweeps = kInpaintSweeps);

}  // namespace oi::xray
