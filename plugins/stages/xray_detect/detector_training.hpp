#pragma once
/// @file
/// What `oi-train-detector` (and the accuracy benchmark) need around the detector: simulated
/// data sets (written by sink.dataset, docs/sim-scenes.md) corrected with xray.correct's CPU
/// reference, classified with xray.materials' CPU reference and a fitted calibration, and
/// candidate regions labelled against the ground truth with the contract's match rule.
/// docs/detection.md, "Training".

#include <array>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>
#include <string>
#include <utility>
#include <vector>

#include "correct_dataset.hpp"
#include "material_model.hpp"
#include "threat_detector.hpp"

namespace oi::xray::training {

/// xray.materials' CPU reference with the stage's default class thresholds and smoothing
/// radius: the ClassifiedScan xray.detect sees in a pipeline.
ClassifiedScan classify_materials(const cv::Mat& a_high, const cv::Mat& a_low, const MaterialTable& table);

/// The material table of a calibration file (oi calibrate-materials).
/// @throws oi::ConfigError naming the file.
MaterialTable load_material_table(const std::filesystem::path& calibration);

/// True when a truth object counts for recall: firearm, narcotics and knife truths need
/// hidden_fraction below `hidden_limit`; shielding always counts.
bool counts_for_recall(const nlohmann::json& truth, double hidden_limit);

/// For each candidate, the indices of the ground-truth objects of its class it matches
/// (xray::matches: IoU >= 0.3 or centre inside). Empty: the candidate is background.
std::vector<std::vector<int>> match_candidates(const std::vector<Candidate>& candidates,
                                               const nlohmann::json& ground_truth);

/// What train_region_classifier() needs.
struct TrainingOptions {
  std::filesystem::path calibration;              ///< oi calibrate-materials output
  std::vector<std::filesystem::path> training;    ///< data sets the forests learn from
  std::vector<std::filesystem::path> validation;  ///< data sets that choose the thresholds
  RegionClassifier::TrainSettings forest;
  /// False alarms per scan each class may cost on the validation sets.
  std::map<std::string, double> false_alarm_budget;
  /// Called after each data set with its folder and scan count (progress), may be empty.
  std::function<void(const std::filesystem::path&, std::size_t)> progress;
};

/// Per class: samples, the chosen threshold and its validation figures.
struct ClassReport {
  int positives = 0, negatives = 0;
  float threshold = 0;
  double candidate_recall = 0;  ///< visible validation truths that some candidate matches
  double recall = 0;            ///< visible validation truths found at the threshold
  double false_alarms_per_scan = 0;
  /// (budget, threshold, recall, false alarms per scan): the validation curve.
  std::vector<std::array<double, 4>> curve;
};

/// A trained model and how it did on the validation sets.
struct TrainingResult {
  std::unique_ptr<RegionClassifier> model;
  std::map<std::string, ClassReport> classes;
  /// Classes the model leaves out, and why (knives, when the training scans had none).
  std::map<std::string, std::string> left_out;
  int training_scans = 0, validation_scans = 0;
  /// Options, sets, thresholds and figures: the model file's provenance.
  nlohmann::json provenance() const;
};

/// Runs every scan through the chain (classify_materials(), compute_maps() and
/// find_candidates() with the default DetectorParams), trains one forest per class on the
/// training sets (positive: IoU >= 0.3 with a truth of its class; regions that match only by
/// containing a truth's centre are left out; negative: no match) and gives each class the
/// threshold with the highest validation recall (visible truths) whose false alarms per scan
/// stay within its budget. Knives are optional: without a knife in the training scans the
/// model has no knife forest (`left_out` says so). @throws oi::Error / oi::ConfigError naming
/// the file.
TrainingResult train_region_classifier(const TrainingOptions& options);

}  // namespace oi::xray::training
