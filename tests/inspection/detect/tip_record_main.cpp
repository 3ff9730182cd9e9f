// xray_tip_record: records a TIP library for xray.tip from the simulated scanner.
//
//   xray_tip_record OUT_DIR [SEED=7001] [SCANS=40] [PIXELS=512] [MAX_PER_CLASS=10]
//
// Threats on empty containers (threat_rate 1, clutter 0); see tip_recorder.hpp.
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "detect_test_support.hpp"
#include "tip_recorder.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR [SEED=7001] [SCANS=40] [PIXELS=512] [MAX_PER_CLASS=10]\n",
                 argv[0]);
    return 2;
  }
  auto arg = [&](int i, int def) { return argc > i ? std::atoi(argv[i]) : def; };
  try {
    const auto lib =
        oi::xray::testing::record_tip_library_from_sim(oi::xray::testing::fresh_dir("tip_record"), argv[1],
                                                       arg(2, 7001), arg(3, 40), arg(4, 512), arg(5, 10));
    std::printf("wrote %zu threats to %s/library.json\n", lib.threats.size(), argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xray_tip_record: %s\n", e.what());
    return 1;
  }
  return 0;
}
