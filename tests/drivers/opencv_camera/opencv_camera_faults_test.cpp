// opencv.camera when a video file goes wrong part way: damaged or cut short, the frames that
// cannot be decoded are counted lost, with a warning naming the file, and the file still ends.
// A silent RTSP stream is in opencv_camera_reconnect_test.cpp, with the other outages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "oi/hal/device_registry.hpp"
#include "opencv_camera_test_util.hpp"
#include "test_media.hpp"

namespace oi::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr int kFrames = 40;

// Captures what the process logs while it lives.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(text_)) {
    spdlog::default_logger()->sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  std::string text() {
    sink_->flush();
    return text_.str();
  }

 private:
  std::ostringstream text_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

// Writes the 40-frame test video and damages it: "garbage" overwrites an eighth of the file
// from its middle with bytes that are no video, "cut" keeps only its first half (a copy that
// stopped part way).
std::filesystem::path damaged_video(const std::string& how) {
  const std::filesystem::path path = scratch_dir("damaged") / (how + ".avi");
  write_test_video(path, kFrames);
  const auto size = static_cast<std::streamoff>(std::filesystem::file_size(path));
  if (how == "garbage") {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(size / 2);
    const std::string junk(static_cast<std::size_t>(size / 8), '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  } else {
    std::filesystem::resize_file(path, static_cast<std::uintmax_t>(size / 2));
  }
  return path;
}

TEST(OpenCvCameraFaults, AVideoDamagedPartWayCountsEveryFrameItCannotDecodeAndEnds) {
  load_driver_plugins();
  for (const std::string how : {"garbage", "cut"}) {
    SCOPED_TRACE(how);
    const std::filesystem::path video = damaged_video(how);
    std::unique_ptr<hal::Device> device = hal::DeviceRegistry::instance().create("opencv.camera");
    ASSERT_NE(device, nullptr);
    LogCapture log;
    Status s = device->configure(video.string(), {{"pace", "fast"}});
    ASSERT_TRUE(s.is_ok()) << s.message();
    ASSERT_TRUE(device->start().is_ok());
    std::vector<FramePtr> frames;
    s = read_until_end(*device, frames, 20s);
    EXPECT_TRUE(s.is_end_of_stream()) << s.message();
    const std::uint64_t lost = device->lost_frames();
    // Every frame the file was written with is either delivered or counted lost.
    EXPECT_GT(frames.size(), 0u);
    EXPECT_GT(lost, 0u) << "frames that could not be decoded were dropped silently";
    EXPECT_EQ(frames.size() + lost, static_cast<std::size_t>(kFrames));
    const std::string text = log.text();
    EXPECT_THAT(text, HasSubstr(video.string()));
    EXPECT_THAT(text, HasSubstr("of the 40 frames its container declares"));
    EXPECT_THAT(text, HasSubstr("counted lost"));
    if (how == "garbage") {
      // Past the damage the file plays on; the first frame after it says how many went by.
      const auto after = std::find_if(frames.begin(), frames.end(), [](const FramePtr& f) {
        return f->metadata().attributes.contains("undecodable_before");
      });
      ASSERT_NE(after, frames.end()) << "no frame after the damage";
      EXPECT_GE((*after)->metadata().attributes["undecodable_before"].get<int>(), 1);
      EXPECT_THAT(text, HasSubstr("could not decode"));
    }
    EXPECT_TRUE(device->close().is_ok());
  }
}

}  // namespace
}  // namespace oi::test
