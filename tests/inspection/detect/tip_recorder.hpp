#pragma once
// Records a TIP library from a simulated data set of threats on empty containers
// (threat_rate 1, clutter 0): each truth object's box, expanded by a margin, minus the
// container's attenuation (the median of a ring around the box, per channel), clamped at 0.
// Truth objects whose expanded box overlaps another truth object's are skipped (their patch
// would carry the other threat), and so are narcotics inside shielding (invisible by design).

#include <filesystem>

#include "tip_library.hpp"

namespace oi::xray::testing {

/// The library recorded from `dataset`; at most `max_per_class` threats of each class.
TipLibrary record_tip_library(const std::filesystem::path& dataset, int max_per_class);

/// Generates a data set (seed, scans, pixels) with `oi run` into `work`/tip_source and records
/// a library from it into `out`. Throws oi::Error with the simulator's log on failure.
TipLibrary record_tip_library_from_sim(const std::filesystem::path& work, const std::filesystem::path& out,
                                       int seed, int scans, int pixels, int max_per_class);

}  // namespace oi::xray::testing
