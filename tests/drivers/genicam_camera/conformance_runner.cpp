// conformance.genicam_camera: starts Aravis's fake GigE Vision camera on 127.0.0.1, runs
// `oi-conformance ARGS...` against it, stops the camera and returns the suite's exit status
// (77 = skipped, when the fake camera tool is missing).
//
//   oi_genicam_conformance_runner OI_CONFORMANCE_PATH [oi-conformance arguments]...
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
