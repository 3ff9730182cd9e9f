#pragma once
// Test support shared by the inspection tests: reads scans of a data set written by
// sink.dataset (docs/sim-scenes.md) and corrects them exactly as xray.correct does, with its
// CPU reference (plugins/stages/xray_gpu/correct_cpu.hpp), so tests of later stages see the
// same a_high / a_low as a pipeline would.

#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>
#include <string>

namespace oi::xray::testing {

/// A JSON file; throws oi::Error naming the file when it cannot be opened.
nlohmann::json read_json(const std::filesystem::path& file);
/// Number of scans in a data set.
std::size_t dataset_scans(const std::filesystem::path& dataset);

/// One corrected scan.
struct CorrectedScan {
  cv::Mat a_high, a_low;     ///< CV_32F log attenuation
  nlohmann::json scan_json;  ///< the scan's JSON (ground_truth, tube, ...)
};
/// Scan `index` of a data set, corrected with the last dark/air references written before it
/// (xray.correct's defaults: dead-pixel tolerance 0.5); oi::xray::CorrectedDataset does the
/// work (plugins/stages/xray_gpu/correct_dataset.hpp), and is what to use for many scans.
CorrectedScan load_corrected_scan(const std::filesystem::path& dataset, std::size_t index);

/// Runs a shell command line; returns its exit status; stdout and stderr go to `log`.
int run_command(const std::string& command, const std::filesystem::path& log);

}  // namespace oi::xray::testing
