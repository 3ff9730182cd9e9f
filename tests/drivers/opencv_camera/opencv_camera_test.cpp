// opencv.camera as a device: files and image sequences the test writes itself, clear errors
// for bad URIs and inapplicable controls, discovery, and a live RTSP stream from
// rtsp_test_server on 127.0.0.1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "oi/frame_cv.hpp"
#include "oi/hal/camera.hpp"
#include "oi/hal/device_registry.hpp"
#include "oi/plugin_registry.hpp"
#include "opencv_camera_test_util.hpp"
#include "rtsp_server.hpp"
#include "test_media.hpp"

namespace oi::test {
namespace {

using hal::DeviceState;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

class OpenCvCameraDevice : public ::testing::Test {
 protected:
  void SetUp() override {
    load_driver_plugins();
    device_ = hal::DeviceRegistry::instance().create("opencv.camera");
    ASSERT_NE(device_, nullptr) << "opencv.camera is not registered; is oi_driver_opencv_camera built?";
    dir_ = scratch_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override {
    if (device_) device_->close();
  }
  hal::Camera& camera() { return dynamic_cast<hal::Camera&>(*device_); }

  std::unique_ptr<hal::Device> device_;
  std::filesystem::path dir_;
};

TEST_F(OpenCvCameraDevice, AVideoFileIsReadBackWithItsSizeCountColoursAndThenEnds) {
  const auto video = dir_ / "clip.avi";
  write_test_video(video, 12, 64, 48);
  Status s = device_->configure(video.string(), {{"pace", "fast"}});
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(camera().format().width, 64);
  EXPECT_EQ(camera().format().height, 48);
  EXPECT_EQ(camera().format().format, PixelFormat::kRGB8);
  const hal::DeviceIdentity id = device_->identity();
  EXPECT_EQ(id.serial, std::filesystem::canonical(video).string());
  EXPECT_THAT(id.model, HasSubstr("video file"));
  ASSERT_TRUE(device_->start().is_ok());

  std::vector<FramePtr> frames;
  ASSERT_TRUE(read_until_end(*device_, frames, 10s).is_end_of_stream());
  ASSERT_EQ(frames.size(), 12u) << "every frame of the file, none twice";
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const Plane& plane = frames[i]->plane(hal::Camera::kImagePlane);
    ASSERT_EQ(plane.format, PixelFormat::kRGB8);
    ASSERT_EQ(plane.width, 64);
    ASSERT_EQ(plane.height, 48);
    EXPECT_EQ(frames[i]->kind(), frame_kind::kVideo);
    // Frame i was written red, green or blue: the dominant channel proves order and RGB.
    const cv::Vec3b px = as_mat(plane).at<cv::Vec3b>(24, 32);
    const int expected = static_cast<int>(i % 3);  // 0 = R, 1 = G, 2 = B in RGB order
    for (int c = 0; c < 3; ++c) {
      if (c == expected) {
        EXPECT_GT(px[c], 200) << "frame " << i << " channel " << c;
      } else {
        EXPECT_LT(px[c], 60) << "frame " << i << " channel " << c;
      }
    }
    if (i > 0) {
      EXPECT_GT(frames[i]->metadata().sequence, frames[i - 1]->metadata().sequence);
    }
    EXPECT_TRUE(frames[i]->metadata().attributes.contains("stream_time_ms"));
  }
  FramePtr after;
  EXPECT_TRUE(device_->read(after, 100ms).is_end_of_stream())
      << "the end is repeated, not turned into a fault";
  EXPECT_EQ(device_->state(), DeviceState::kStreaming);
  EXPECT_EQ(device_->lost_frames(), 0u);
}

TEST_F(OpenCvCameraDevice, GreyOutputLoopingAndRealtimePacing) {
  const auto video = dir_ / "loop.avi";
  write_test_video(video, 5, 32, 24);
  Status s =
      device_->configure(video.string(), {{"pixel_format", "u8"}, {"loop", true}, {"frame_rate_hz", 50.0}});
  ASSERT_TRUE(s.is_ok()) << s.message();
  ASSERT_TRUE(device_->start().is_ok());
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<FramePtr> frames;
  for (int i = 0; i < 12; ++i) {
    FramePtr f = read_one(*device_, 10s);
    ASSERT_NE(f, nullptr) << "frame " << i;
    frames.push_back(f);
  }
  // 12 frames paced at 50 Hz cannot come faster than 11 intervals of 20 ms.
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 200ms);
  EXPECT_EQ(frames[0]->plane(hal::Camera::kImagePlane).format, PixelFormat::kU8);
  EXPECT_EQ(frames[4]->metadata().attributes["loop"], 0);
  EXPECT_EQ(frames[5]->metadata().attributes["loop"], 1) << "the sixth frame is the first of the second pass";
  EXPECT_EQ(frames[11]->metadata().attributes["loop"], 2);
}

TEST_F(OpenCvCameraDevice, StopAndStartContinueAFileWhereItWas) {
  const auto video = dir_ / "resume.avi";
  write_test_video(video, 6);
  ASSERT_TRUE(device_->configure(video.string(), {{"pace", "fast"}, {"buffer_frames", 2}}).is_ok());
  ASSERT_TRUE(device_->start().is_ok());
  ASSERT_NE(read_one(*device_, 10s), nullptr);
  ASSERT_NE(read_one(*device_, 10s), nullptr);
  ASSERT_TRUE(device_->stop().is_ok());
  ASSERT_TRUE(device_->start().is_ok());
  std::vector<FramePtr> rest;
  ASSERT_TRUE(read_until_end(*device_, rest, 10s).is_end_of_stream());
  EXPECT_EQ(rest.size(), 4u) << "frames queued at stop are delivered after the next start";
}

TEST_F(OpenCvCameraDevice, AnImageSequenceIsReadInOrderAndEnds) {
  const std::string pattern = write_image_sequence(dir_ / "seq", "img", 5, 40, 30);
  Status s = device_->configure(pattern, {{"pace", "fast"}});
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_THAT(device_->identity().model, HasSubstr("image sequence"));
  ASSERT_TRUE(device_->start().is_ok());
  std::vector<FramePtr> frames;
  ASSERT_TRUE(read_until_end(*device_, frames, 10s).is_end_of_stream());
  ASSERT_EQ(frames.size(), 5u);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const Plane& plane = frames[i]->plane(hal::Camera::kImagePlane);
    EXPECT_EQ(plane.width, 40);
    EXPECT_EQ(plane.height, 30);
    EXPECT_GT(as_mat(plane).at<cv::Vec3b>(10, 10)[i % 3], 200)
        << "PNG is lossless: frame " << i << " exact colour";
  }
}

TEST_F(OpenCvCameraDevice, BadUrisAreClearErrorsAndLeaveTheDeviceUnconfigured) {
  struct Case {
    std::string uri;
    std::string says;
  };
  std::ofstream(dir_ / "not_a_video.avi") << "this is text, not a video";
  const std::vector<Case> cases = {
      {(dir_ / "missing.avi").string(), "no such file"},
      {"file://" + (dir_ / "missing.mp4").string(), "no such file"},
      {(dir_ / "no_folder" / "img_%04d.png").string(), "no folder"},
      {(dir_ / "not_a_video.avi").string(), "cannot decode"},
      {(dir_ / "img_%04d.png").string(), "no readable image matches"},
      {"ftp://example.org/clip.mp4", "unsupported URI"},
      {"rtsp:///nohost", "names no host"},
      {"/dev/video_oi_none", "no device node"},
      {"", "no URI given"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.uri);
    Status s = device_->configure(c.uri, {{"open_timeout_ms", 2000}});
    ASSERT_TRUE(s.is_error());
    EXPECT_THAT(s.message(), HasSubstr(c.says));
    EXPECT_EQ(device_->state(), DeviceState::kUnconfigured);
  }
  // And a good URI still opens afterwards.
  const auto video = dir_ / "ok.avi";
  write_test_video(video, 2);
  EXPECT_TRUE(device_->configure(video.string()).is_ok());
}

TEST_F(OpenCvCameraDevice, ControlsTheSourceCannotHaveAreRefusedNotIgnored) {
  const auto video = dir_ / "controls.avi";
  write_test_video(video, 2);
  Status s = device_->configure(video.string(), {{"exposure_us", 500.0}});
  ASSERT_TRUE(s.is_error());
  EXPECT_THAT(s.message(), HasSubstr("exposure_us applies to V4L2 cameras only"));

  // The refused value was stored by the failed configure() (the HAL keeps values given to
  // it), so the retry sets it back explicitly.
  ASSERT_TRUE(device_->configure(video.string(), {{"exposure_us", 0.0}}).is_ok());
  s = device_->set("exposure_us", 500.0);
  EXPECT_TRUE(s.is_error());
  EXPECT_EQ(device_->get("exposure_us").value(), 0.0) << "the old value stays";
  EXPECT_TRUE(device_->set("frame_rate_hz", 10.0).is_ok()) << "a file's playback rate is settable";

  auto stream = hal::DeviceRegistry::instance().create("opencv.camera");
  s = stream->configure("rtsp://127.0.0.1:9/cam", {{"frame_rate_hz", 5.0}});
  ASSERT_TRUE(s.is_error());
  EXPECT_THAT(s.message(), HasSubstr("cannot be set on a network stream"));
}

TEST_F(OpenCvCameraDevice, DiscoveryListsOnlyV4l2CaptureNodes) {
  auto found = device_->enumerate();
  ASSERT_TRUE(found.ok()) << found.status().message();
  for (const auto& info : found.value()) {
    EXPECT_THAT(info.uri, ::testing::StartsWith("v4l2:///dev/video"));
    EXPECT_FALSE(info.model.empty());
  }
  if (!std::filesystem::exists("/dev/video0")) {
    EXPECT_TRUE(found.value().empty());
  }
}

TEST_F(OpenCvCameraDevice, ALiveRtspStreamIsReceivedAndNamedWithoutCredentials) {
  std::unique_ptr<RtspTestServer> server;
  try {
    server = std::make_unique<RtspTestServer>();
  } catch (const RtspServerUnavailable& e) {
    GTEST_SKIP() << e.what();
  }
  const std::string url = server->url();
  const std::string with_credentials = "rtsp://viewer:s3cret@" + url.substr(7);
  Status s = device_->configure(with_credentials, {{"open_timeout_ms", 15000}, {"read_timeout_ms", 5000}});
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(device_->identity().serial, url) << "the serial never carries a password";
  EXPECT_THAT(device_->identity().model, HasSubstr("network stream"));
  EXPECT_EQ(camera().format().width, 320);
  ASSERT_TRUE(device_->start().is_ok());
  std::int64_t last_time = 0;
  for (int i = 0; i < 30; ++i) {
    FramePtr f = read_one(*device_, 15s);
    ASSERT_NE(f, nullptr) << "frame " << i;
    const Plane& plane = f->plane(hal::Camera::kImagePlane);
    EXPECT_EQ(plane.width, 320);
    EXPECT_EQ(plane.height, 240);
    EXPECT_GE(f->metadata().capture_time_ns, last_time);
    EXPECT_FALSE(f->metadata().attributes.contains("after_gap"));
    last_time = f->metadata().capture_time_ns;
  }
  EXPECT_TRUE(device_->stop().is_ok());
  EXPECT_EQ(server->stop(), 0) << "the test server shuts down cleanly on SIGTERM";
}

}  // namespace
}  // namespace oi::test
