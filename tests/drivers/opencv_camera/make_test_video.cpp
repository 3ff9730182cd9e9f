// opencv_camera_make_video OUT.avi FRAMES: writes the test video the conformance run of
// opencv.camera reads (a ctest fixture); the same writer the unit tests use.
#include <cstdlib>
#include <iostream>

#include "test_media.hpp"

int main(int argc, char** argv) {
  if (argc != 3 || std::atoi(argv[2]) <= 0) {
    std::cerr << "usage: opencv_camera_make_video OUT.avi FRAMES\n";
    return 2;
  }
  try {
    oi::test::write_test_video(argv[1], std::atoi(argv[2]));
  } catch (const std::exception& e) {
    std::cerr << "opencv_camera_make_video: " << e.what() << "\n";
    return 1;
  }
  std::cout << "wrote " << argv[1] << "\n";
  return 0;
}
