// xray_detect_benchmark: the accuracy benchmark of xray.detect on the real chain
// (docs/detection.md, "Evaluation").
//
//   xray_detect_benchmark CALIBRATION MODEL|- [SEED=5000] [SCANS=500] [PIXELS=1024] [THREAT_RATE=0.5]
//   [BATCH=50]
//
// Simulates SCANS parcels in batches (seeds SEED, SEED+1, ...; evaluation seeds are >= 5000,
// never used for training or tuning), corrects them with xray.correct's CPU reference,
// classifies them with xray.materials' CPU reference and the material calibration CALIBRATION
// (oi calibrate-materials), runs the detector with its default parameters and the region
// classifier MODEL (oi-train-detector; `-`: the rules alone) and prints per-class recall,
// false alarms per scan, scan-level Pd and Pfa. Recall is given twice: all truths, and
// visible truths (hidden_fraction < 0.5).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>

#include "detect_test_support.hpp"
#include "detector_training.hpp"
#include "region_classifier.hpp"

int main(int argc, char** argv) {
  using namespace oi::xray::testing;
  namespace training = oi::xray::training;
  if (argc < 3) {
    std::fprintf(
        stderr,
        "usage: %s CALIBRATION MODEL|- [SEED=5000] [SCANS=500] [PIXELS=1024] [THREAT_RATE=0.5] [BATCH=50]\n"
        "  CALIBRATION: oi calibrate-materials output (make demo keeps build/cargo-calibration.json)\n"
        "  MODEL: oi-train-detector output (the shipped one: "
        "build/lib/openinspect/models/xray_detect_parcels.yml.gz); '-': rules only\n",
        argv[0]);
    return 2;
  }
  auto arg = [&](int i, double def) { return argc > i ? std::atof(argv[i]) : def; };
  const std::string model = argv[2];
  const int seed = static_cast<int>(arg(3, 5000)), scans = static_cast<int>(arg(4, 500));
  const int pixels = static_cast<int>(arg(5, 1024)), batch = static_cast<int>(arg(7, 50));
  const double rate = arg(6, 0.5);
  try {
    const oi::xray::MaterialTable table = training::load_material_table(argv[1]);
    oi::xray::DetectorParams params;
    if (model != "-") params.classifier = oi::xray::RegionClassifier::load(model);
    oi::xray::validate(params);
    Evaluation all, visible;
    const auto work = fresh_dir("benchmark");
    for (int done = 0, b = 0; done < scans; done += batch, ++b) {
      const int n = std::min(batch, scans - done);
      std::string error;
      const auto dir = work / ("batch" + std::to_string(b));
      if (!make_dataset(dir, seed + b, n, rate, {"scanner.pixels_per_line=" + std::to_string(pixels)},
                        error)) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
      }
      const oi::xray::CorrectedDataset data(dir);
      for (std::size_t i = 0; i < data.size(); ++i) {
        const oi::xray::CorrectedDataset::Scan s = data.scan(i);
        const auto found =
            oi::xray::detect_threats(training::classify_materials(s.a_high, s.a_low, table), params);
        all.add(s.json["ground_truth"], found);
        visible.add(s.json["ground_truth"], found, 0.5);
      }
      std::filesystem::remove_all(dir);
      std::fprintf(stderr, "%d / %d scans\n", done + n, scans);
    }
    std::printf(
        "seeds %d..%d, %d scans, %d pixels, threat_rate %.2f, model %s\nall truths:\n%svisible truths "
        "(hidden_fraction < 0.5):\n%s",
        seed, seed + (scans - 1) / batch, scans, pixels, rate, model.c_str(), all.table().c_str(),
        visible.table().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xray_detect_benchmark: %s\n", e.what());
    return 1;
  }
  return 0;
}
