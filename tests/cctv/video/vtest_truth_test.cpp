// The hand-made truth of vtest.avi (samples/cctv_video/vtest_truth.txt, made by eye as
// ANNOTATION.md describes): well-formed MOTChallenge lines, boxes inside the picture and shaped
// like standing persons, frames spread over the video; and, when opencv-doc is installed,
// every box sits on something that moves (it differs from the video's median background),
// which also checks that the file's 1-based frame numbers meet the right frames.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

constexpr const char* kVtest = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
constexpr int kWidth = 768, kHeight = 576, kFrames = 795;

struct TruthBox {
  int frame = 0;  // 1-based
  int id = 0;
  double x = 0, y = 0, w = 0, h = 0;
};

std::vector<TruthBox> read_truth(const fs::path& file) {
  std::ifstream in(file);
  EXPECT_TRUE(in) << "cannot read " << file;
  std::vector<TruthBox> boxes;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::vector<std::string> fields;
    std::stringstream s(line);
    std::string field;
    while (std::getline(s, field, ',')) fields.push_back(field);
    EXPECT_EQ(fields.size(), 9u) << file << ":" << number << ": `" << line << "`";
    if (fields.size() != 9) continue;
    EXPECT_EQ(fields[6] + fields[7] + fields[8], "111")
        << file << ":" << number << ": conf, class, visibility";
    boxes.push_back({std::stoi(fields[0]), std::stoi(fields[1]), std::stod(fields[2]), std::stod(fields[3]),
                     std::stod(fields[4]), std::stod(fields[5])});
  }
  return boxes;
}

fs::path truth_file() { return fs::path(OI_SOURCE_DIR) / "samples" / "cctv_video" / "vtest_truth.txt"; }

TEST(CctvVideo, VtestTruthIsWellFormedAndSpreadOverTheVideo) {
  const std::vector<TruthBox> boxes = read_truth(truth_file());
  std::map<int, std::vector<TruthBox>> by_frame;
  for (const TruthBox& b : boxes) {
    SCOPED_TRACE("frame " + std::to_string(b.frame) + " id " + std::to_string(b.id));
    EXPECT_GE(b.frame, 1);
    EXPECT_LE(b.frame, kFrames);
    EXPECT_GE(b.x, 0);
    EXPECT_GE(b.y, 0);
    EXPECT_LE(b.x + b.w, kWidth);
    EXPECT_LE(b.y + b.h, kHeight);
    EXPECT_GE(b.h, 30) << "the smallest annotated person is over 30 px tall";
    EXPECT_GT(b.h, b.w) << "a walking or standing person is taller than wide";
    by_frame[b.frame].push_back(b);
  }
  EXPECT_GE(by_frame.size(), 10u);
  EXPECT_GE(boxes.size(), 50u);
  EXPECT_GE(by_frame.rbegin()->first - by_frame.begin()->first, 600) << "frames spread over the video";
  for (const auto& [frame, list] : by_frame) {
    std::set<int> ids;
    for (const TruthBox& b : list) ids.insert(b.id);
    EXPECT_EQ(ids.size(), list.size()) << "frame " << frame << ": ids repeat";
    EXPECT_EQ(*ids.begin(), 1);
    EXPECT_EQ(*ids.rbegin(), static_cast<int>(list.size())) << "frame " << frame << ": ids are 1..n";
  }
  // ANNOTATION.md names every annotated frame.
  std::ifstream doc(fs::path(OI_SOURCE_DIR) / "samples" / "cctv_video" / "ANNOTATION.md");
  std::stringstream text;
  text << doc.rdbuf();
  for (const auto& [frame, list] : by_frame) {
    EXPECT_NE(text.str().find(std::to_string(frame)), std::string::npos)
        << "ANNOTATION.md does not mention frame " << frame;
  }
}

TEST(CctvVideo, VtestTruthBoxesSitOnMovingPersons) {
  if (!fs::exists(kVtest))
    GTEST_SKIP() << kVtest << " is missing (package opencv-doc, scripts/install-deps.sh)";
  cv::VideoCapture capture(kVtest);
  ASSERT_TRUE(capture.isOpened()) << kVtest;
  std::vector<cv::Mat> frames;
  cv::Mat bgr;
  while (capture.read(bgr)) {
    cv::Mat grey;
    cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
    frames.push_back(grey);
  }
  ASSERT_EQ(frames.size(), static_cast<std::size_t>(kFrames));
  // The background: per pixel, the median of every 15th frame (persons keep moving).
  std::vector<cv::Mat> samples;
  for (std::size_t i = 0; i < frames.size(); i += 15) samples.push_back(frames[i]);
  cv::Mat background(frames[0].size(), CV_8U);
  std::vector<std::uint8_t> values(samples.size());
  for (int y = 0; y < background.rows; ++y) {
    for (int x = 0; x < background.cols; ++x) {
      for (std::size_t k = 0; k < samples.size(); ++k) values[k] = samples[k].at<std::uint8_t>(y, x);
      std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
      background.at<std::uint8_t>(y, x) = values[values.size() / 2];
    }
  }
  // The share of a box's pixels that differ from the background by more than 25 grey levels.
  auto moving = [&](const TruthBox& b, int frame_index) {
    const cv::Rect r(static_cast<int>(b.x), static_cast<int>(b.y), static_cast<int>(b.w),
                     static_cast<int>(b.h));
    cv::Mat difference;
    cv::absdiff(frames[frame_index](r), background(r), difference);
    return cv::countNonZero(difference > 25) / static_cast<double>(r.area());
  };
  const std::vector<TruthBox> boxes = read_truth(truth_file());
  double sum = 0, sum_shifted = 0;
  for (const TruthBox& b : boxes) {
    const double share = moving(b, b.frame - 1);
    EXPECT_GE(share, 0.2) << "frame " << b.frame << " id " << b.id << " covers mostly background";
    sum += share;
    // The same box ten frames later: persons walked on (a check that the test discriminates).
    sum_shifted += moving(b, std::min(b.frame - 1 + 10, kFrames - 1));
  }
  const double mean = sum / boxes.size();
  const double mean_shifted = sum_shifted / boxes.size();
  EXPECT_GE(mean, 0.45);
  EXPECT_LT(mean_shifted, 0.6 * mean) << "the check does not tell the annotated frame from one 1 s later";
}

}  // namespace
