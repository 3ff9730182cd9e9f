// The sim.cctv driver as a HAL camera, loaded from its plugin: frames honour size, count and
// the site clock and carry the camera contract's attributes; the camera is chosen by name or
// index (an unknown one is an error that lists the cameras); a lost camera faults the device
// and comes back only as reconnect_after says; exposure is a live control. The generic checks
// are the conformance suite's (ctest -R conformance.sim_cctv).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "oi/cctv/contract.hpp"
#include "oi/hal/camera.hpp"
#include "oi/hal/device_registry.hpp"
#include "oi/plugin_registry.hpp"

namespace {

using namespace std::chrono_literals;
using oi::FramePtr;
using oi::ParamValue;
using oi::hal::Camera;
using oi::hal::DeviceState;
using ::testing::HasSubstr;

// 2024-06-01 08:00:00 UTC: frame 0 of every site.
constexpr std::int64_t kEpochNs = 1717228800LL * 1000000000LL;

// Loads the plugin once per process (its drivers register themselves).
void load_plugin() {
  static oi::PluginRegistry registry;
  static const oi::PluginRecord& record = registry.load_file(OI_SIM_CCTV_PLUGIN);
  ASSERT_FALSE(record.error.has_value()) << *record.error;
}

std::unique_ptr<Camera> make() {
  std::unique_ptr<oi::hal::Device> device = oi::hal::DeviceRegistry::instance().create("sim.cctv");
  EXPECT_NE(device, nullptr);
  auto* camera = dynamic_cast<Camera*>(device.get());
  EXPECT_NE(camera, nullptr) << "sim.cctv is an oi::hal::Camera";
  if (camera == nullptr) return nullptr;
  device.release();
  return std::unique_ptr<Camera>(camera);
}

std::unique_ptr<Camera> open(std::map<std::string, ParamValue> params, const std::string& uri = "") {
  std::unique_ptr<Camera> camera = make();
  if (!camera) return nullptr;
  const oi::Status s = camera->configure(uri, params);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return camera;
}

double mean_level(const FramePtr& frame) {
  const oi::Plane& p = frame->plane(oi::cctv::plane::kImage);
  double sum = 0;
  for (int y = 0; y < p.height; ++y) {
    const std::uint8_t* row = p.row<std::uint8_t>(y);
    for (std::size_t i = 0; i < p.row_bytes(); ++i) sum += row[i];
  }
  return sum / static_cast<double>(p.row_bytes() * p.height);
}

TEST(SimCctv, DriverFramesHonourSizeCountClockAndCarryTheCameraContract) {
  load_plugin();
  auto camera = open({{"camera", "corridor"}, {"width", 320}, {"height", 240}, {"frames", 5}, {"seed", 3}});
  ASSERT_NE(camera, nullptr);
  EXPECT_EQ(camera->format().width, 320);
  EXPECT_EQ(camera->format().height, 240);
  EXPECT_EQ(camera->format().format, oi::PixelFormat::kRGB8);
  EXPECT_EQ(camera->identity().serial, "arrival_hall/corridor") << "no URI: the serial names site and camera";
  ASSERT_TRUE(camera->start().is_ok());
  std::vector<FramePtr> frames;
  for (int i = 0; i < 10; ++i) {
    FramePtr frame;
    const oi::Status s = camera->read(frame, 5s);
    if (s.is_end_of_stream()) break;
    ASSERT_TRUE(s.is_ok()) << s.message();
    ASSERT_NE(frame, nullptr);
    frames.push_back(frame);
  }
  ASSERT_EQ(frames.size(), 5u) << "frames: 5, then end of stream";
  int persons = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const FramePtr& f = frames[i];
    EXPECT_EQ(f->kind(), oi::cctv::kFrameKind);
    const oi::Plane& image = f->plane(oi::cctv::plane::kImage);
    EXPECT_EQ(image.format, oi::PixelFormat::kRGB8);
    EXPECT_EQ(image.width, 320);
    EXPECT_EQ(image.height, 240);
    const auto& meta = f->metadata();
    EXPECT_EQ(meta.attributes.at(oi::cctv::attr::kCamera), "corridor");
    EXPECT_EQ(meta.attributes.at(oi::cctv::attr::kFrameIndex), static_cast<std::int64_t>(i));
    EXPECT_EQ(meta.capture_time_ns, kEpochNs + static_cast<std::int64_t>(i) * 100'000'000)
        << "10 Hz site clock";
    const std::vector<oi::cctv::GroundTruthPerson> truth = oi::cctv::ground_truth_of(meta);
    persons += static_cast<int>(truth.size());
    for (const auto& t : truth) {
      EXPECT_GT(t.identity, 0);
      EXPECT_GT(t.box.w, 0);
      EXPECT_LE(t.box.x + t.box.w, 320);
    }
  }
  EXPECT_GT(persons, 0);
  FramePtr after;
  EXPECT_TRUE(camera->read(after, 1s).is_end_of_stream()) << "every later read ends too";
}

TEST(SimCctv, DriverCameraByNameOrIndexAndUnknownCameraListsTheCameras) {
  load_plugin();
  auto by_index = open({{"camera", "2"}, {"width", 64}, {"height", 64}, {"frames", 1}});
  ASSERT_NE(by_index, nullptr);
  ASSERT_TRUE(by_index->start().is_ok());
  FramePtr frame;
  ASSERT_TRUE(by_index->read(frame, 5s).is_ok());
  ASSERT_NE(frame, nullptr);
  EXPECT_EQ(frame->metadata().attributes.at(oi::cctv::attr::kCamera), "baggage");

  auto camera = make();
  ASSERT_NE(camera, nullptr);
  const oi::Status s = camera->configure("", {{"camera", "lobby"}});
  ASSERT_TRUE(s.is_error());
  EXPECT_THAT(s.message(), HasSubstr("'lobby'"));
  for (const char* name : {"gate", "corridor", "baggage", "exit"}) EXPECT_THAT(s.message(), HasSubstr(name));
  EXPECT_EQ(camera->state(), DeviceState::kUnconfigured);

  const oi::Status bad_uri = camera->configure("rtsp://camera.local/stream", {});
  ASSERT_TRUE(bad_uri.is_error());
  EXPECT_THAT(bad_uri.message(), HasSubstr("sim://"));
  ASSERT_TRUE(camera->configure("sim://hall-cam-7", {{"width", 64}, {"height", 64}}).is_ok());
  EXPECT_EQ(camera->identity().serial, "hall-cam-7");
}

TEST(SimCctv, DriverStopAfterFaultsTheDeviceAndOnlyReconnectAfterBringsItBack) {
  load_plugin();
  for (const std::int64_t reconnect : {std::int64_t{0}, std::int64_t{5}}) {
    SCOPED_TRACE("reconnect_after " + std::to_string(reconnect));
    auto camera = open(
        {{"width", 64}, {"height", 64}, {"stop_after", 3}, {"reconnect_after", reconnect}, {"frames", 20}});
    ASSERT_NE(camera, nullptr);
    ASSERT_TRUE(camera->start().is_ok());
    for (int i = 0; i < 3; ++i) {
      FramePtr frame;
      ASSERT_TRUE(camera->read(frame, 5s).is_ok());
      ASSERT_NE(frame, nullptr);
    }
    FramePtr frame;
    const oi::Status lost = camera->read(frame, 5s);
    ASSERT_TRUE(lost.is_error()) << "the camera disappears after stop_after frames";
    EXPECT_THAT(lost.message(), HasSubstr("lost its video signal after 3 frames"));
    EXPECT_EQ(camera->state(), DeviceState::kFault) << "a read error faults the device, as the HAL expects";

    const oi::Status recovered = camera->recover();
    if (reconnect == 0) {
      ASSERT_TRUE(recovered.is_error());
      EXPECT_THAT(recovered.message(), HasSubstr("still unreachable"));
      EXPECT_THAT(recovered.message(), HasSubstr("reconnect_after"));
      EXPECT_EQ(camera->state(), DeviceState::kFault);
      continue;
    }
    ASSERT_TRUE(recovered.is_ok()) << recovered.message();
    ASSERT_TRUE(camera->start().is_ok());
    ASSERT_TRUE(camera->read(frame, 5s).is_ok());
    ASSERT_NE(frame, nullptr);
    EXPECT_EQ(frame->metadata().attributes.at(oi::cctv::attr::kFrameIndex), 8)
        << "the site clock ran on while the camera was away";
    EXPECT_EQ(frame->metadata().capture_time_ns, kEpochNs + 800'000'000);
    EXPECT_EQ(camera->lost_frames(), 5u);
  }
}

TEST(SimCctv, DriverExposureAndGainAreLiveControls) {
  load_plugin();
  auto camera =
      open({{"width", 160}, {"height", 120}, {"noise", 0.0}, {"jpeg_quality", 100}, {"density", 0.0}});
  ASSERT_NE(camera, nullptr);
  EXPECT_TRUE(camera->has_control(oi::hal::camera_control::kExposureUs));
  ASSERT_TRUE(camera->start().is_ok());
  FramePtr before, after, gained;
  ASSERT_TRUE(camera->read(before, 5s).is_ok());
  ASSERT_TRUE(camera->set(oi::hal::camera_control::kExposureUs, 4000.0).is_ok())
      << "settable while streaming";
  ASSERT_TRUE(camera->read(after, 5s).is_ok());
  // Half the light (more than half where lamps and signs saturated before).
  EXPECT_GT(mean_level(after), 0.45 * mean_level(before));
  EXPECT_LT(mean_level(after), 0.6 * mean_level(before));
  ASSERT_TRUE(camera->set(oi::hal::camera_control::kGainDb, 6.0206).is_ok());
  ASSERT_TRUE(camera->read(gained, 5s).is_ok());
  EXPECT_NEAR(mean_level(gained), mean_level(before), 0.02 * mean_level(before)) << "+6 dB doubles it again";
  const oi::Status refused = camera->set("width", 320);
  EXPECT_TRUE(refused.is_error()) << "the image size is not live";
}

TEST(SimCctv, DriverSameSeedSameStreamAndAChangedCameraTakesEffectAtTheNextStart) {
  load_plugin();
  auto a = open({{"width", 96}, {"height", 72}, {"seed", 4}});
  auto b = open({{"width", 96}, {"height", 72}, {"seed", 4}});
  ASSERT_TRUE(a->start().is_ok());
  ASSERT_TRUE(b->start().is_ok());
  for (int i = 0; i < 3; ++i) {
    FramePtr fa, fb;
    ASSERT_TRUE(a->read(fa, 5s).is_ok());
    ASSERT_TRUE(b->read(fb, 5s).is_ok());
    const oi::Plane& pa = fa->plane(oi::cctv::plane::kImage);
    const oi::Plane& pb = fb->plane(oi::cctv::plane::kImage);
    EXPECT_EQ(std::memcmp(pa.row<std::uint8_t>(0), pb.row<std::uint8_t>(0), pa.row_bytes() * pa.height), 0);
    EXPECT_EQ(fa->metadata().attributes.at(oi::cctv::attr::kGroundTruth),
              fb->metadata().attributes.at(oi::cctv::attr::kGroundTruth));
  }
  ASSERT_TRUE(a->stop().is_ok());
  ASSERT_TRUE(a->set("camera", "exit").is_ok());
  ASSERT_TRUE(a->start().is_ok());
  FramePtr frame;
  ASSERT_TRUE(a->read(frame, 5s).is_ok());
  EXPECT_EQ(frame->metadata().attributes.at(oi::cctv::attr::kCamera), "exit");
  EXPECT_EQ(frame->metadata().attributes.at(oi::cctv::attr::kFrameIndex), 3) << "the site clock carries on";
}

}  // namespace
