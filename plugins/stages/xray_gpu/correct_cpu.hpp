#pragma once
// CPU side of xray.correct: averaging dark/air reference frames, the per-column correction
// table (offset, gain, dead-pixel neighbours) both implementations use, and the plain C++
// reference of the correction (the CPU fallback and the oracle of the GPU kernel,
// shaders/xray/correct.comp). The formula is oi::xray::log_attenuation() of the contract
// (oi/xray/contract.hpp).

#include <cstdint>
#include <vector>

#include "oi/error.hpp"
#include "oi/frame.hpp"

namespace oi::xray {

/// Per-column (detector pixel) mean of one reference kind (dark or air), both channels.
struct ReferenceLine {
  std::vector<float> high;   ///< mean counts of the high-energy channel, one per column
  std::vector<float> low;    ///< mean counts of the low-energy channel, one per column
  std::uint64_t frames = 0;  ///< reference frames averaged into it
  std::uint64_t lines = 0;   ///< lines averaged into it
  bool empty() const { return high.empty(); }
};

/// Averages the lines of reference frames of one kind per column. A new reference of the
/// same kind replaces the previous one (the scanner re-references: the new one is current).
/// @return ok when `frame` was used; else an error (what, which frame, what to do) and `into`
/// is unchanged.
Status average_reference(const Frame& frame, ReferenceLine& into);

/// The per-column table the correction uses; also the GPU kernel's table plane (8 floats per
/// column, see Column).
struct CorrectionTable {
  /// One detector column. Layout shared with shaders/xray/correct.comp (two vec4 per column).
  struct Column {
    float dark_high = 0, air_high = 1, dark_low = 0, air_low = 1;  ///< mean reference counts
    /// Dead-pixel repair: the result is (1 - weight) * A(left) + weight * A(right); a good
    /// column has left == right == itself and weight 0.
    float left = 0, right = 0, weight = 0, dead = 0;
  };
  std::vector<Column> columns;  ///< one per detector pixel across the line
  std::vector<int> dead;        ///< dead columns, ascending
  int width() const { return static_cast<int>(columns.size()); }
};
static_assert(sizeof(CorrectionTable::Column) == 8 * sizeof(float), "two vec4 per column in the shader");

/// The default of xray.correct's `dead_pixel_tolerance`: the one dead-pixel rule every reader
/// of raw scans uses (the stage, data-set readers, `oi calibrate-materials`).
inline constexpr double kDefaultDeadTolerance = 0.5;

/// Builds the table from dark and air lines of `width` columns. A column is dead when it is
/// listed in `flagged_dead` or when, in either channel, its gain air - dark differs from the
/// median gain of that channel by more than `tolerance` x median (or is below one count).
/// Dead columns are interpolated linearly from the nearest good columns on each side (the
/// nearest one alone at the edges).
/// @throws oi::ConfigError when a flagged column is outside the line or every column is dead.
CorrectionTable build_correction_table(const ReferenceLine& dark, const ReferenceLine& air, double tolerance,
                                       const std::vector<std::int64_t>& flagged_dead);

/// The reference correction: u16 planes `high`, `low` (width = table width) into f32 planes
/// `a_high`, `a_low` of the same size (host planes, written in place), with dead columns
/// repaired. Rows are spread over threads.
void correct_reference(const Plane& high, const Plane& low, const CorrectionTable& table, Plane& a_high,
                       Plane& a_low);

}  // namespace oi::xray
