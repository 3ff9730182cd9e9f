// genicam.camera against Aravis's fake GigE Vision camera on 127.0.0.1, started by each test:
// frames, parameters read back from the device by an independent Aravis client, a bad URI,
// discovery on loopback, and a pipeline that survives the camera being killed and restarted.
#include <arv.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "fake_camera.hpp"
#include "oi/hal/camera.hpp"
#include "oi/hal/device_registry.hpp"
#include "oi/pipeline.hpp"
#include "oi/pipeline_spec.hpp"
#include "oi/plugin_registry.hpp"
#include "oi/stage.hpp"

namespace oi::genicam::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using ::testing::HasSubstr;

// Generous: the tests wait by condition, so a loaded 2-core machine only makes them slower.
constexpr auto kBound = 10s;

PluginRegistry& registry() { return plugin_registry(); }

// Reads frames until `count` arrived or the bound passed.
std::vector<FramePtr> read_frames(hal::Device& device, std::size_t count,
                                  std::chrono::seconds bound = kBound) {
  std::vector<FramePtr> frames;
  const auto until = Clock::now() + bound;
  while (frames.size() < count && Clock::now() < until) {
    FramePtr frame;
    Status s = device.read(frame, 200ms);
    if (!s.is_ok()) {
      ADD_FAILURE() << "read failed: " << s.message();
      break;
    }
    if (frame) frames.push_back(std::move(frame));
  }
  return frames;
}

class GenicamCamera : public ::testing::Test {
 protected:
  void SetUp() override {
    if (fake_camera_tool().empty()) GTEST_SKIP() << "arv-fake-gv-camera-0.8 not installed (aravis-tools)";
    if (registry().find("genicam.camera") == nullptr) GTEST_SKIP() << "the genicam plugin was not built";
    const std::string problem = camera_.start();
    ASSERT_EQ(problem, "");
    device_ = hal::DeviceRegistry::instance().create("genicam.camera");
    ASSERT_NE(device_, nullptr);
  }
  void TearDown() override {
    if (device_ && device_->state() != hal::DeviceState::kClosed) device_->close();
    camera_.stop();
  }
  // A small region at a bounded rate: loopback carries it without loss.
  std::map<std::string, ParamValue> small(std::map<std::string, ParamValue> extra = {}) {
    std::map<std::string, ParamValue> p = {{"width", 96}, {"height", 64}, {"frame_rate_hz", 40.0}};
    for (auto& [k, v] : extra) p[k] = v;
    return p;
  }
  FakeCamera camera_;
  std::unique_ptr<hal::Device> device_;
};

TEST_F(GenicamCamera, FramesArriveCompleteAtTheRegionWithIncreasingSequencesAndTimestamps) {
  Status s = device_->configure("genicam://127.0.0.1", small({{"offset_x", 16}, {"offset_y", 8}}));
  ASSERT_TRUE(s.is_ok()) << s.message();
  const hal::DeviceIdentity id = device_->identity();
  EXPECT_EQ(id.vendor, "Aravis");
  EXPECT_EQ(id.serial, "OITEST01");
  EXPECT_NE(id.firmware_version, "") << "DeviceVersion";
  ASSERT_TRUE(device_->start().is_ok());
  const std::vector<FramePtr> frames = read_frames(*device_, 20);
  const std::uint64_t lost = device_->lost_frames();
  ASSERT_EQ(frames.size(), 20u);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    SCOPED_TRACE(i);
    const Frame& f = *frames[i];
    EXPECT_EQ(f.kind(), frame_kind::kVideo);
    ASSERT_TRUE(f.has_plane(hal::Camera::kImagePlane));
    const Plane& image = f.plane(hal::Camera::kImagePlane);
    EXPECT_EQ(image.format, PixelFormat::kU8);
    EXPECT_EQ(image.width, 96);
    EXPECT_EQ(image.height, 64);
    EXPECT_EQ(f.metadata().attributes.value("offset_x", -1), 16);
    EXPECT_EQ(f.metadata().attributes.value("offset_y", -1), 8);
    if (i > 0) {
      const FrameMetadata& prev = frames[i - 1]->metadata();
      EXPECT_GT(f.metadata().sequence, prev.sequence);
      EXPECT_GT(f.metadata().capture_time_ns, prev.capture_time_ns);
      EXPECT_GT(f.metadata().attributes.value("frame_id", 0u), prev.attributes.value("frame_id", 0u));
    }
  }
  // The fake camera draws a pattern: a complete frame is not all one value.
  const Plane& image = frames.back()->plane(hal::Camera::kImagePlane);
  const auto* row = image.row<std::uint8_t>(image.height / 2);
  EXPECT_NE(*std::min_element(row, row + image.width), *std::max_element(row, row + image.width));
  // Every block id between the first and the last frame was either delivered or counted lost.
  const auto first_id = frames.front()->metadata().attributes.value("frame_id", 0u);
  const auto last_id = frames.back()->metadata().attributes.value("frame_id", 0u);
  EXPECT_GE(frames.size() + lost, last_id - first_id + 1);
  EXPECT_TRUE(device_->stop().is_ok());
}

TEST_F(GenicamCamera, ParametersRoundTripToTheDevice) {
  Status s = device_->configure(
      "genicam://127.0.0.1",
      small(
          {{"exposure_us", 5000.0}, {"frame_rate_hz", 20.0}, {"offset_x", 32}, {"pixel_format", "mono16"}}));
  ASSERT_TRUE(s.is_ok()) << s.message();
  auto* camera = dynamic_cast<hal::Camera*>(device_.get());
  ASSERT_NE(camera, nullptr);
  EXPECT_EQ(camera->format().format, PixelFormat::kU16);
  EXPECT_EQ(camera->format().width, 96);

  // A value inside the declaration but outside the device's range is refused, naming both.
  Status refused = device_->set("exposure_us", 5e7);
  ASSERT_TRUE(refused.is_error());
  EXPECT_THAT(refused.message(), HasSubstr("exposure_us"));
  EXPECT_THAT(refused.message(), HasSubstr("range"));
  EXPECT_EQ(device_->get("exposure_us").value(), 5000.0);

  ASSERT_TRUE(device_->start().is_ok());
  const std::vector<FramePtr> frames = read_frames(*device_, 6);
  ASSERT_EQ(frames.size(), 6u);
  EXPECT_EQ(frames.back()->plane(hal::Camera::kImagePlane).format, PixelFormat::kU16);
  // The camera's own timestamps are 1/20 s apart (the fake camera paces itself by them).
  std::vector<std::int64_t> gaps;
  for (std::size_t i = 1; i < frames.size(); ++i) {
    gaps.push_back(frames[i]->metadata().capture_time_ns - frames[i - 1]->metadata().capture_time_ns);
  }
  std::sort(gaps.begin(), gaps.end());
  EXPECT_NEAR(static_cast<double>(gaps[gaps.size() / 2]) / 1e6, 50.0, 15.0) << "median frame interval, ms";
  // A live control changes on the device while streaming.
  s = device_->set("exposure_us", 7000.0);
  ASSERT_TRUE(s.is_ok()) << s.message();
  ASSERT_TRUE(device_->close().is_ok());

  // Read back through an independent Aravis client: the values are on the device.
  GError* error = nullptr;
  ArvCamera* probe = arv_camera_new("127.0.0.1", &error);
  ASSERT_NE(probe, nullptr) << (error ? error->message : "");
  EXPECT_DOUBLE_EQ(arv_camera_get_exposure_time(probe, nullptr), 7000.0);
  EXPECT_NEAR(arv_camera_get_frame_rate(probe, nullptr), 20.0, 1e-6);
  gint x = 0, y = 0, w = 0, h = 0;
  arv_camera_get_region(probe, &x, &y, &w, &h, nullptr);
  EXPECT_EQ(x, 32);
  EXPECT_EQ(y, 0);
  EXPECT_EQ(w, 96);
  EXPECT_EQ(h, 64);
  EXPECT_EQ(arv_camera_get_pixel_format(probe, nullptr), ARV_PIXEL_FORMAT_MONO_16);
  g_object_unref(probe);
}

TEST_F(GenicamCamera, ANonexistentCameraIsAClearErrorWithinABoundedTime) {
  const auto t0 = Clock::now();
  Status s = device_->configure("genicam://no-such-camera-oitest", small());
  EXPECT_LT(Clock::now() - t0, kBound);
  ASSERT_TRUE(s.is_error());
  EXPECT_THAT(s.message(), HasSubstr("genicam://no-such-camera-oitest"));
  EXPECT_THAT(s.message(), HasSubstr("oi devices"));
  EXPECT_EQ(device_->state(), hal::DeviceState::kUnconfigured);

  s = device_->configure("gige://127.0.0.1", small());
  ASSERT_TRUE(s.is_error());
  EXPECT_THAT(s.message(), HasSubstr("genicam://DEVICE_ID"));
  // The device is still usable with a good URI.
  s = device_->configure("genicam://127.0.0.1", small());
  EXPECT_TRUE(s.is_ok()) << s.message();
}

TEST_F(GenicamCamera, DiscoveryFindsTheLoopbackCameraAndItsUriOpensIt) {
  auto found = device_->enumerate();
  ASSERT_TRUE(found.ok()) << found.status().message();
  const std::string uri = "genicam://" + camera_.device_id();
  auto it = std::find_if(found.value().begin(), found.value().end(),
                         [&](const hal::DeviceInfo& d) { return d.uri == uri; });
  ASSERT_NE(it, found.value().end()) << "arv_update_device_list() did not list " << uri;
  EXPECT_EQ(it->serial, "OITEST01");
  EXPECT_EQ(device_->state(), hal::DeviceState::kUnconfigured);
  Status s = device_->configure(uri, small());
  ASSERT_TRUE(s.is_ok()) << s.message();
  ASSERT_TRUE(device_->start().is_ok());
  EXPECT_EQ(read_frames(*device_, 2).size(), 2u);
}

// genicam.xray on the same fake camera in Mono16, Height = lines per block. The fake camera
// draws p(x, y) = f((x + y + frame) % 255), which lets each dual-energy layout be checked
// exactly: the pixel the layout calls `high` must be the one the pattern puts there.
TEST_F(GenicamCamera, XrayDualEnergyLayoutsSplitTheDetectorLine) {
  struct Case {
    const char* layout;
    // (x, y) of the `low` pixel equal to high(x, y), for the pixels where it exists.
    int dx, dy;
  };
  constexpr int kPixels = 16, kLines = 32;
  const Case cases[] = {{"halves", 0, kPixels}, {"alternate_lines", 1, 0}, {"alternate_pixels", 0, 1}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.layout);
    std::unique_ptr<hal::Device> xray = hal::DeviceRegistry::instance().create("genicam.xray");
    ASSERT_NE(xray, nullptr);
    Status s = xray->configure("genicam://127.0.0.1", {{"channels", 2},
                                                       {"channel_layout", c.layout},
                                                       {"pixels_per_line", kPixels},
                                                       {"lines_per_block", kLines},
                                                       {"line_rate_hz", 1600.0},
                                                       {"blocks_per_scan", 3}});
    ASSERT_TRUE(s.is_ok()) << s.message();
    ASSERT_TRUE(xray->start().is_ok());
    const std::vector<FramePtr> blocks = read_frames(*xray, 4);
    ASSERT_EQ(blocks.size(), 4u);
    for (const FramePtr& b : blocks) {
      ASSERT_TRUE(b->has_plane("high") && b->has_plane("low"));
      const Plane& high = b->plane("high");
      const Plane& low = b->plane("low");
      EXPECT_EQ(high.format, PixelFormat::kU16);
      EXPECT_EQ(high.width, kPixels);
      EXPECT_EQ(high.height, kLines);
      int checked = 0;
      for (int y = 0; y + c.dy < kLines; ++y) {
        for (int x = 0; x + c.dx < kPixels; ++x, ++checked) {
          ASSERT_EQ(high.row<std::uint16_t>(y)[x], low.row<std::uint16_t>(y + c.dy)[x + c.dx])
              << x << ", " << y;
        }
      }
      EXPECT_GT(checked, 0);
      // Equal pixels prove nothing in a flat image: the pattern must vary along the line.
      const auto* row = high.row<std::uint16_t>(0);
      EXPECT_NE(*std::min_element(row, row + kPixels), *std::max_element(row, row + kPixels));
    }
    // Scans are cut every blocks_per_scan blocks: 3 blocks, the last one ends the scan.
    for (const FramePtr& b : blocks) {
      EXPECT_EQ(b->metadata().end_of_scan, b->metadata().block_index == 2u);
    }
    EXPECT_TRUE(xray->close().is_ok());
  }
}

// Records what reaches it; accepts any frame kind (test.sink takes scan blocks only).
struct SinkLog {
  std::mutex mutex;
  std::vector<std::int64_t> arrival_ns;  // steady clock
  std::size_t count() {
    std::lock_guard lock(mutex);
    return arrival_ns.size();
  }
};
SinkLog& sink_log() {
  static SinkLog log;
  return log;
}

class VideoSink final : public Stage {
 public:
  void setup(StageSpec& spec) override { spec.input("in"); }
  Status process(StageContext& ctx) override {
    FramePtr frame = ctx.take(0);
    std::lock_guard lock(sink_log().mutex);
    sink_log().arrival_ns.push_back(Clock::now().time_since_epoch().count());
    return Status::ok();
  }
};

TEST_F(GenicamCamera, ThePipelineSupervisorRecoversWhenTheCameraIsKilledAndComesBack) {
  registry().register_type("genicam_test.sink", FactoryKind::kStage, "records arrivals",
                           [] { return std::make_unique<VideoSink>(); });
  const std::string yaml =
      "devices:\n"
      "  camera:\n"
      "    driver: genicam.camera\n"
      "    uri: genicam://127.0.0.1\n"
      "    params: { width: 64, height: 48, frame_rate_hz: 50, on_fault: restart, max_retries: 30,\n"
      "              retry_backoff_ms: 200, frame_timeout_ms: 2000 }\n"
      "stages:\n"
      "  sink: { type: genicam_test.sink }\n"
      "connections:\n"
      "  - { from: camera.out, to: sink.in }\n";
  Pipeline pipeline(load_pipeline_text(yaml, "genicam.yaml", "/tmp", registry()), registry());
  RunResult result;
  std::thread runner([&] {
    RunOptions options;
    options.threads = 2;
    result = pipeline.run(options);
  });
  auto wait_for = [](auto pred, std::chrono::seconds bound) {
    const auto until = Clock::now() + bound;
    while (!pred() && Clock::now() < until) std::this_thread::sleep_for(20ms);
    return pred();
  };
  const bool streaming = wait_for([] { return sink_log().count() >= 10; }, 20s);
  EXPECT_TRUE(streaming) << "no frames before the kill";
  std::size_t at_kill = 0;
  if (streaming) {
    camera_.kill();  // mid-stream, as a power cut looks to the host
    at_kill = sink_log().count();
    std::this_thread::sleep_for(1500ms);
    const std::string problem = camera_.start();
    EXPECT_EQ(problem, "");
    const auto restarted_at = Clock::now().time_since_epoch().count();
    const bool recovered = wait_for(
        [&] {
          std::lock_guard lock(sink_log().mutex);
          return std::count_if(sink_log().arrival_ns.begin(), sink_log().arrival_ns.end(),
                               [&](std::int64_t t) { return t > restarted_at; }) >= 10;
        },
        45s);
    EXPECT_TRUE(recovered) << "no frames after the camera came back (" << sink_log().count() << " in all, "
                           << at_kill << " before the kill)";
  }
  pipeline.request_stop();
  runner.join();
  EXPECT_TRUE(result.ok) << result.error;
  auto summaries = pipeline.stage_summaries();
  auto it =
      std::find_if(summaries.begin(), summaries.end(), [](const auto& s) { return s.first == "camera"; });
  ASSERT_NE(it, summaries.end());
  const nlohmann::json& summary = it->second;
  SCOPED_TRACE(summary.dump());
  EXPECT_GE(summary.value("faults", 0), 1);
  EXPECT_GE(summary.value("restarts", 0), 1);
  EXPECT_GE(summary.value("lost", 0), 1) << "the frame in flight when the camera died is counted";
  EXPECT_FALSE(summary.value("gave_up", true));
  EXPECT_FALSE(summary.value("last_fault", "").empty());
  EXPECT_EQ(summary["device"].value("serial", ""), "OITEST01");
}

}  // namespace
}  // namespace oi::genicam::test
