// conformance.genicam_camera: starts Aravis's fake GigE Vision camera on 127.0.0.1, runs
// `oi-conformance ARGS...` against it, stops the camera and returns the suite's exit status
// (77 = skipped, when the fake camera tool is missing).
//
//   oi_genicam_conformance_runner OI_CONFORMANCE_PATH [oi-conformance arguments]...
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "fake_camera.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " OI_CONFORMANCE_PATH [oi-conformance arguments]...\n";
    return 2;
  }
  if (oi::genicam::test::fake_camera_tool().empty()) {
    std::cout << "SKIPPED: arv-fake-gv-camera-0.8 was not found at configure time (install aravis-tools)\n";
    return 77;
  }
  // OI_TEST_MIN_RMEM_MAX: the test streams at the camera's defaults, which need a receive
  // buffer of one frame; the kernel caps any socket's buffer at net.core.rmem_max.
  if (const char* wanted = std::getenv("OI_TEST_MIN_RMEM_MAX")) {
    std::ifstream in("/proc/sys/net/core/rmem_max");
    unsigned long long rmem_max = 0;
    if (in >> rmem_max && rmem_max < std::stoull(wanted)) {
      std::cout << "SKIPPED: net.core.rmem_max is " << rmem_max << " bytes, below one frame at the camera's "
                << "defaults (" << wanted
                << "); frames would arrive incomplete, as the driver warns. Raise it "
                << "with `sysctl -w net.core.rmem_max=" << wanted << "` to run this test\n";
      return 77;
    }
  }
  oi::genicam::test::FakeCamera camera;
  if (std::string problem = camera.start(); !problem.empty()) {
    std::cerr << "cannot start the fake camera: " << problem << "\n";
    return 1;
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  oi::test::ProcessResult r = oi::test::run_process(args);
  camera.stop();
  std::cout << r.out;
  std::cerr << r.err;
  return r.exit_code;
}
