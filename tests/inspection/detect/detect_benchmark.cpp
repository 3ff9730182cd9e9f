// xray_detect_benchmark: the accuracy benchmark of xray.detect (docs/detection.md).
//
//   xray_detect_benchmark [SEED=5000] [SCANS=500] [PIXELS=512] [THREAT_RATE=0.5] [BATCH=50]
//
// Simulates SCANS parcels in batches (seeds SEED, SEED+1, ...; evaluation seeds are >= 5000,
// never used for tuning), corrects them with the contract's log_attenuation(), classifies them
// with the test stand-in for xray.materials, runs the detector with its default parameters
// and prints per-class recall, false alarms per scan, scan-level Pd and Pfa. Recall is given
// twice: all truths, and visible truths (hidden_fraction < 0.5).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <sstream>
#include <string>

#include "detect_test_support.hpp"

int main(int argc, char** argv) {
  using namespace oi::xray::testing;
  auto arg = [&](int i, double def) { return argc > i ? std::atof(argv[i]) : def; };
  const int seed = static_cast<int>(arg(1, 5000)), scans = static_cast<int>(arg(2, 500));
  const int pixels = static_cast<int>(arg(3, 512)), batch = static_cast<int>(arg(5, 50));
  const double rate = arg(4, 0.5);
  try {
    Evaluation all, visible;
    oi::xray::DetectorParams params;
    // Tuning aid (tuning seeds only): OI_DETECT_TUNE="field=value ..." overrides defaults.
    if (const char* tune = std::getenv("OI_DETECT_TUNE")) {
      std::istringstream in(tune);
      std::string kv;
      while (in >> kv) {
        const auto eq = kv.find('=');
        const std::string k = kv.substr(0, eq);
        const float v = std::stof(kv.substr(eq + 1));
#define OI_TUNE(f) if (k == #f) params.f = static_cast<decltype(params.f)>(v);
        OI_TUNE(narcotics_zeff_min) OI_TUNE(narcotics_zeff_max) OI_TUNE(narcotics_min_a_high) OI_TUNE(narcotics_max_a_high)
        OI_TUNE(narcotics_max_relative_std) OI_TUNE(narcotics_min_area_px) OI_TUNE(narcotics_min_solidity)
        OI_TUNE(firearm_min_a_high) OI_TUNE(firearm_min_area_px) OI_TUNE(firearm_min_length_px) OI_TUNE(firearm_max_length_px)
        OI_TUNE(firearm_min_width_px) OI_TUNE(firearm_min_fill) OI_TUNE(firearm_min_score) OI_TUNE(shielding_min_area_px)
#undef OI_TUNE
      }
      oi::xray::validate(params);
    }
    const auto work = fresh_dir("benchmark");
    for (int done = 0, b = 0; done < scans; done += batch, ++b) {
      const int n = std::min(batch, scans - done);
      std::string error;
      const auto dir = work / ("batch" + std::to_string(b));
      if (!make_dataset(dir, seed + b, n, rate, {"scanner.pixels=" + std::to_string(pixels)}, error)) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
      }
      for (std::size_t i = 0; i < dataset_scans(dir); ++i) {
        const CorrectedScan s = load_corrected_scan(dir, i);
        const auto found = oi::xray::detect_threats(classify_stand_in(s.a_high, s.a_low), params);
        all.add(s.scan_json["ground_truth"], found);
        visible.add(s.scan_json["ground_truth"], found, 0.5);
      }
      std::filesystem::remove_all(dir);
      std::fprintf(stderr, "%d / %d scans\n", done + n, scans);
    }
    std::printf("seeds %d..%d, %d scans, %d pixels, threat_rate %.2f\nall truths:\n%svisible truths (hidden_fraction < 0.5):\n%s",
                seed, seed + (scans - 1) / batch, scans, pixels, rate, all.table().c_str(), visible.table().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xray_detect_benchmark: %s\n", e.what());
    return 1;
  }
  return 0;
}
