#pragma once
// Media the opencv.camera tests write themselves with OpenCV, so no binary test data lives
// in the repository and the expected content is known exactly.

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <stdexcept>
#include <string>

namespace oi::test {

/// Colour (BGR, as OpenCV writes) of frame `index`: pure red, green or blue in turn, so a
/// reader can tell frames apart and check the channel order after lossy compression.
inline cv::Scalar frame_colour(int index) {
  switch (index % 3) {
    case 0:
      return {0, 0, 255};  // red
    case 1:
      return {0, 255, 0};  // green
    default:
      return {255, 0, 0};  // blue
  }
}

/// Writes an MJPG AVI of `frames` solid-colour frames (see frame_colour()), `width` x
/// `height` at `fps`; MJPG in AVI is the one codec every OpenCV build can both write and read.
inline void write_test_video(const std::filesystem::path& path, int frames, int width = 64, int height = 48,
                             double fps = 25.0) {
  std::filesystem::create_directories(path.parent_path());
  cv::VideoWriter writer(path.string(), cv::CAP_FFMPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps,
                         cv::Size(width, height));
  if (!writer.isOpened()) {
    writer.open(path.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps, cv::Size(width, height));
  }
  if (!writer.isOpened()) throw std::runtime_error("cannot write the test video " + path.string());
  for (int i = 0; i < frames; ++i) writer.write(cv::Mat(height, width, CV_8UC3, frame_colour(i)));
}

/// Writes `frames` PNG files `stem_0000.png`, `stem_0001.png`, ... in `dir`; returns the
/// printf pattern that names them.
inline std::string write_image_sequence(const std::filesystem::path& dir, const std::string& stem, int frames,
                                        int width = 40, int height = 30) {
  std::filesystem::create_directories(dir);
  char name[64];
  for (int i = 0; i < frames; ++i) {
    std::snprintf(name, sizeof(name), "_%04d.png", i);
    if (!cv::imwrite((dir / (stem + name)).string(), cv::Mat(height, width, CV_8UC3, frame_colour(i)))) {
      throw std::runtime_error("cannot write test image in " + dir.string());
    }
  }
  return (dir / (stem + "_%04d.png")).string();
}

}  // namespace oi::test
