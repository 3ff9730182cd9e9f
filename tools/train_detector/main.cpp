// oi-train-detector: trains xray.detect's region classifier on simulated data sets
// (docs/detection.md, "Training").
//
//   oi-train-detector --calibration CAL.json -o MODEL.yml --validate DIR... -- DIR...
//
// Every scan goes through the real chain's CPU references (xray.correct, xray.materials with
// the calibration, compute_maps() with the detector's default parameters); the candidate
// regions are labelled with the contract's match rule; one forest per class is trained on the
// training sets and each class's score threshold is chosen on the validation sets
// (detector_training.hpp).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include "detector_training.hpp"
#include "oi/audit/audit_log.hpp"
#include "oi/xray/contract.hpp"

int main(int argc, char** argv) {
  namespace xr = oi::xray;
  CLI::App app{
      "Trains xray.detect's region classifier on simulated data sets (docs/detection.md, \"Training\")."};
  xr::training::TrainingOptions options;
  std::filesystem::path output;
  options.false_alarm_budget = {{xr::threat::kFirearm, 0.03},
                                {xr::threat::kNarcotics, 0.06},
                                {xr::threat::kShielding, 0.02},
                                {xr::threat::kKnife, 0.03}};
  app.add_option("--calibration", options.calibration, "material calibration (oi calibrate-materials)")
      ->required();
  app.add_option("-o,--output", output,
                 "model file to write (OpenCV FileStorage YAML; a name ending in .gz is written compressed)")
      ->required();
  std::vector<std::string> notes;
  app.add_option("--provenance", notes,
                 "KEY=VALUE recorded in the model's provenance (e.g. the source commit and the commands that "
                 "made the data sets); repeatable");
  app.add_option("--validate", options.validation,
                 "data sets that choose the score thresholds (not trained on)")
      ->required();
  app.add_option("datasets", options.training,
                 "training data sets (sink.dataset folders; tuning seeds 1000-1999)")
      ->required();
  app.add_option("--trees", options.forest.trees, "trees per forest")->capture_default_str();
  app.add_option("--max-depth", options.forest.max_depth, "depth limit of a tree")->capture_default_str();
  app.add_option("--firearm-false-alarms", options.false_alarm_budget[xr::threat::kFirearm],
                 "validation false alarms per scan allowed to firearms")
      ->capture_default_str();
  app.add_option("--narcotics-false-alarms", options.false_alarm_budget[xr::threat::kNarcotics],
                 "validation false alarms per scan allowed to narcotics")
      ->capture_default_str();
  app.add_option("--shielding-false-alarms", options.false_alarm_budget[xr::threat::kShielding],
                 "validation false alarms per scan allowed to shielding")
      ->capture_default_str();
  app.add_option(
         "--knife-false-alarms", options.false_alarm_budget[xr::threat::kKnife],
         "validation false alarms per scan allowed to knives (trained only when the training scans hold "
         "knives)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  for (const std::string& note : notes) {
    if (note.find('=') == std::string::npos || note.front() == '=') {
      std::fprintf(stderr, "oi-train-detector: --provenance '%s' is not KEY=VALUE\n", note.c_str());
      return 2;
    }
  }
  try {
    const auto t0 = std::chrono::steady_clock::now();
    options.progress = [](const std::filesystem::path& dir, std::size_t scans) {
      std::fprintf(stderr, "  %s: %zu scans\n", dir.string().c_str(), scans);
    };
    const xr::training::TrainingResult r = xr::training::train_region_classifier(options);
    std::printf("trained on %d scans, thresholds chosen on %d scans\n", r.training_scans, r.validation_scans);
    std::printf("%-10s %9s %9s %9s %11s %8s %8s\n", "class", "positive", "negative", "threshold",
                "cand.recall", "recall", "FA/scan");
    for (const auto& [cls, c] : r.classes)
      std::printf("%-10s %9d %9d %9.3f %11.3f %8.3f %8.3f\n", cls.c_str(), c.positives, c.negatives,
                  c.threshold, c.candidate_recall, c.recall, c.false_alarms_per_scan);
    for (const auto& [cls, why] : r.left_out) std::printf("%-10s left out: %s\n", cls.c_str(), why.c_str());
    std::printf("validation curve (false-alarm budget per scan: threshold, recall, false alarms per scan)\n");
    for (const auto& [cls, c] : r.classes)
      for (const auto& p : c.curve)
        std::printf("  %-10s budget %.2f: %.3f  recall %.3f  FA/scan %.3f\n", cls.c_str(), p[0], p[1], p[2],
                    p[3]);
    nlohmann::json provenance = r.provenance();
    provenance["calibration"] = options.calibration.string();
    {
      // The calibration's fingerprint, SHA-256 of its fitted content (without the time and the
      // folder of the fit): a site can tell whether its scanner's calibration is the one the
      // forests learnt their material features from.
      std::ifstream in(options.calibration, std::ios::binary);
      nlohmann::json fitted = nlohmann::json::parse(in, nullptr, false);
      if (fitted.is_object()) {
        fitted.erase("created_unix_s");
        fitted.erase("dataset");
        provenance["calibration_fingerprint"] = oi::audit::sha256_hex(fitted.dump());
      }
    }
    for (const std::string& note : notes) {
      const auto eq = note.find('=');
      provenance[note.substr(0, eq)] = note.substr(eq + 1);
    }
    r.model->save(output, provenance);
    std::printf("wrote %s (%.1f s)\n", output.string().c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oi-train-detector: %s\n", e.what());
    return 1;
  }
  return 0;
}
