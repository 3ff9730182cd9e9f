#pragma once
// Helpers of the xray.detect / xray.tip tests, the accuracy benchmark and the TIP library
// recorder: simulated data sets (written by `oi run samples/sim_dataset/pipeline.yaml`),
// corrected with the contract's log_attenuation(), a STAND-IN material classification, and
// the issue-6 evaluation (IoU >= 0.3 or centre inside).
//
// The stand-in classification exists because xray.materials (another engineer's stage) was
// not finished when these tests were written: it maps R = a_low / a_high to Z_eff between
// three reference curves read off docs/xray-physics.md's table (polyethylene 5.5, aluminium
// 13, steel 26) and applies the contract's class bands. It is test code, not a product.

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "corrected_dataset.hpp"
#include "threat_detector.hpp"

namespace oi::xray::testing {

/// Writes a simulated data set with `oi run` into `dir` (replaced); returns false and
/// fills `error` with the log when `oi` fails. `extra` are further "--set k=v" arguments.
bool make_dataset(const std::filesystem::path& dir, int seed, int scans, double threat_rate,
                  const std::vector<std::string>& extra, std::string& error);

// Data sets are read and corrected by ../support/corrected_dataset.hpp (xray.correct's CPU
// reference).

/// The stand-in for xray.materials (see the file comment): zeff, material_class, areal_density.
ClassifiedScan classify_stand_in(const cv::Mat& a_high, const cv::Mat& a_low);

/// Per-class counts of one evaluation run.
struct Evaluation {
  std::map<std::string, int> truths, found;  ///< by class
  std::map<std::string, int> false_alarms;   ///< regions matching no truth, by class
  int scans = 0, threat_scans = 0, alarmed_threat_scans = 0, clear_scans = 0, alarmed_clear_scans = 0;
  /// Adds one scan: `truth` is the ground_truth list; a truth counts as found when a region
  /// of its class matches it; narcotics inside shielding are also found by the shielding
  /// region (they cannot be seen). Truths with hidden_fraction >= `hidden_limit` are skipped
  /// for firearm/narcotics recall (reported separately by the caller if wanted).
  void add(const nlohmann::json& truth, const std::vector<Detection>& detections, double hidden_limit = 1.01);
  double recall(const std::string& cls) const;
  double false_alarms_per_scan() const;
  double scan_pd() const;
  double scan_pfa() const;
  /// A human-readable table.
  std::string table() const;
};

/// A material calibration fitted on simulated step wedges and a region classifier trained on
/// small 512-pixel sets of tuning seeds 1500 / 1501 (classifier_test.cpp): made once per test
/// process, on first use (about 10 s).
struct TrainedModel {
  std::filesystem::path calibration, model;  ///< empty when making them failed
};
/// The process's TrainedModel; when making it failed, its paths are empty and `error` says why.
const TrainedModel& trained_model(std::string& error);

/// A fresh, empty folder under the test binary's temporary area.
std::filesystem::path fresh_dir(const std::string& name);

}  // namespace oi::xray::testing
