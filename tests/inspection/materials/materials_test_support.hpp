#pragma once
// Helpers of the xray.materials tests and benchmark: the stage driven frame by frame, a
// synthetic calibration shaped like the simulator's curves, and data set scans corrected
// with the contract's log_attenuation().

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>
#include <string>

#include "corrected_dataset.hpp"
#include "oi/frame.hpp"
#include "oi/stage.hpp"
#include "stage_under_test.hpp"

namespace oi::xray::testing {

/// xray.materials from the build tree's plugin, set up and started with `params` (defaults
/// filled in), fed one frame at a time.
class MaterialsStage {
 public:
  /// @throws whatever start() throws (oi::ConfigError for a bad calibration).
  explicit MaterialsStage(const nlohmann::json& params);
  /// Runs one frame; returns the emitted frame (fails the test when the stage fails).
  FramePtr run(FramePtr input);
  /// The stage's summary() ({"backend": ...}).
  nlohmann::json summary() const { return stage_.summary(); }

 private:
  oi::test::StageUnderTest stage_;
};

/// A calibration document shaped like the simulator's curves at 160 kV: polyethylene,
/// aluminium, steel and lead (lead out of Z order, below aluminium's R).
nlohmann::json synthetic_calibration();
/// Writes `doc` (dumped) or `text` to `file`; returns `file`.
std::filesystem::path write_text(const std::filesystem::path& file, const std::string& text);

/// A frame holding f32 planes a_high and a_low.
FramePtr make_attenuation_frame(const cv::Mat& a_high, const cv::Mat& a_low);

// Data sets are read and corrected by ../support/corrected_dataset.hpp (xray.correct's CPU
// reference).

}  // namespace oi::xray::testing
