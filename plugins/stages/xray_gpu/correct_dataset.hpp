#pragma once
/// @file
/// A data set written by sink.dataset (docs/sim-scenes.md), read scan by scan and corrected
/// exactly as xray.correct corrects a live scan, with its CPU reference (correct_cpu.hpp):
/// the dark and air references written last before the scan, the stage's default dead-pixel
/// tolerance (kDefaultDeadTolerance). Used by oi-train-detector, `oi calibrate-materials`,
/// the accuracy benchmark and the inspection tests, so that all of them see the a_high /
/// a_low a pipeline would.

#include <cstddef>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>
#include <utility>
#include <vector>

#include "correct_cpu.hpp"

namespace oi::xray {

class CorrectedDataset {
 public:
  /// Reads `dir`/dataset.json. @throws oi::Error naming the file when it is missing or not a
  /// data set.
  explicit CorrectedDataset(std::filesystem::path dir);
  std::size_t size() const { return index_["scans"].size(); }
  const std::filesystem::path& dir() const { return dir_; }

  /// One corrected scan.
  struct Scan {
    cv::Mat a_high, a_low;          ///< CV_32F log attenuation
    nlohmann::json json;            ///< the scan's JSON: ground_truth, scene, tube, ...
    std::vector<int> dead_columns;  ///< columns the correction found dead and interpolated
  };
  /// Scan `index`. The correction table of each dark/air pair is built once and reused.
  /// @throws oi::Error naming the file when a PNG or JSON file cannot be read, or the data
  /// set when no dark and air reference precede the scan.
  Scan scan(std::size_t index) const;

 private:
  std::filesystem::path dir_;
  nlohmann::json index_;
  // By (dark, air) position in the data set's reference list.
  mutable std::map<std::pair<std::size_t, std::size_t>, CorrectionTable> tables_;
};

}  // namespace oi::xray
