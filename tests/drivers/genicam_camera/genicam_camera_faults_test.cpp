// genicam.camera under the pipeline supervisor while Aravis' fake camera misbehaves: it loses
// stream packets (its -r option), and it hangs (SIGSTOP) longer than frame_timeout_ms under
// on_fault: restart and on_fault: stop. Each case must end with every frame accounted for,
// delivered whole or counted lost, and a hang named as the fault; never a frame passed on
// half-filled, a crash, a hang of the run or a silent drop (docs/reliability.md, Drivers).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "fault_harness.hpp"
#include "oi/hal/camera.hpp"
#include "oi/pipeline.hpp"
#include "oi/pipeline_spec.hpp"
#include "oi/stage.hpp"
#include "test_stages.hpp"

namespace oi::genicam::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using oi::test::TestSinkLog;
using ::testing::HasSubstr;

// 64 x 48 Mono8 at 50 frames/s: one frame every 20 ms, a few packets each.
const std::string kCamera = "width: 64, height: 48, frame_rate_hz: 50, packet_resend: false";

// The fake camera draws pixel (x, y) of the frame with block id `id` as (x + y + id) % 255.
// A frame with a packet missing holds another frame's pixels (or none) where the packet belonged.
bool whole_pattern(const Frame& frame, std::uint64_t id) {
  if (!frame.has_plane(hal::Camera::kImagePlane)) return false;
  const Plane& image = frame.plane(hal::Camera::kImagePlane);
  if (image.format != PixelFormat::kU8 || image.width <= 0 || image.height <= 0) return false;
  for (int y = 0; y < image.height; ++y) {
    const auto* row = image.row<std::uint8_t>(y);
    for (int x = 0; x < image.width; ++x) {
      if (row[x] != (x + y + id) % 255) return false;
    }
  }
  return true;
}

// Records each frame's metadata under its node name in TestSinkLog, with the attribute
// "whole" saying whether its picture is the fake camera's pattern for its block id throughout.
class PatternSink final : public Stage {
 public:
  void setup(StageSpec& spec) override { spec.input("in"); }
  void start(const StageConfig& config) override { name_ = config.name; }
  Status process(StageContext& ctx) override {
    FramePtr frame = ctx.take(0);
    FrameMetadata meta = frame->metadata();
    meta.attributes["whole"] = whole_pattern(*frame, meta.attributes.value("frame_id", std::uint64_t{0}));
    TestSinkLog::instance().record(name_, meta);
    return Status::ok();
  }

 private:
  std::string name_;
};

std::vector<FrameMetadata> frames() { return TestSinkLog::instance().frames("sink"); }

class GenicamCameraFaults : public FaultHarness {
 protected:
  void SetUp() override {
    if (fake_camera_tool().empty()) GTEST_SKIP() << "arv-fake-gv-camera-0.8 not installed (aravis-tools)";
    if (plugin_registry().find("genicam.camera") == nullptr)
      GTEST_SKIP() << "the genicam plugin was not built";
    if (plugin_registry().find("genicam_faults_test.sink") == nullptr) {
      plugin_registry().register_type("genicam_faults_test.sink", FactoryKind::kStage,
                                      "records frames and whether each is whole",
                                      [] { return std::make_unique<PatternSink>(); });
    }
    TestSinkLog::instance().clear();
  }
  // Runs genicam.camera on the fake camera with `params` into the pattern sink, on its own thread.
  void run(const std::string& params) {
    FaultHarness::run("genicam.camera", kCamera + ", " + params, "genicam_faults_test.sink");
  }
  bool wait_for_frames_after(std::size_t from, std::size_t n, std::chrono::seconds bound = 20s) {
    return wait_for([&] { return frames().size() >= from + n; }, bound);
  }

  // What every case shares: each frame delivered is whole, and sequences, capture times and
  // block ids go up from one frame to the next.
  static void expect_whole_and_in_order(const std::vector<FrameMetadata>& got) {
    for (std::size_t i = 0; i < got.size(); ++i) {
      SCOPED_TRACE(i);
      EXPECT_TRUE(got[i].attributes.value("whole", false))
          << "frame " << got[i].attributes.value("frame_id", 0u) << " was delivered incomplete";
      if (i == 0) continue;
      EXPECT_LT(got[i - 1].sequence, got[i].sequence);
      EXPECT_LT(got[i - 1].capture_time_ns, got[i].capture_time_ns);
      EXPECT_GT(
          id_distance(got[i - 1].attributes.value("frame_id", 0u), got[i].attributes.value("frame_id", 0u)),
          0);
    }
  }
  // Block ids that lie between two frames delivered one after the other: frames not delivered.
  static std::int64_t missing_between(const std::vector<FrameMetadata>& got) {
    std::int64_t missing = 0;
    for (std::size_t i = 1; i < got.size(); ++i) {
      missing +=
          id_distance(got[i - 1].attributes.value("frame_id", 0u), got[i].attributes.value("frame_id", 0u)) -
          1;
    }
    return missing;
  }
};

// The link loses 3 % of the stream packets: a frame with a packet missing is never passed on,
// and every frame not delivered is counted lost, once.
TEST_F(GenicamCameraFaults, FramesIncompleteOnTheLinkAreCountedLostAndNeverDelivered) {
  ASSERT_EQ(camera_.start(/*lost_packets_per_thousand=*/30), "");
  run("on_fault: restart, frame_timeout_ms: 3000");
  EXPECT_TRUE(wait_for_frames_after(0, 100)) << frames().size() << " frames";
  const nlohmann::json s = stop();
  ASSERT_TRUE(result_.ok) << result_.error;
  SCOPED_TRACE(s.dump());
  EXPECT_EQ(s["faults"], 0);
  const std::vector<FrameMetadata> got = frames();
  ASSERT_GE(got.size(), 2u);
  EXPECT_EQ(got.size(), s["frames"].get<std::size_t>()) << "everything emitted reached the sink";
  expect_whole_and_in_order(got);
  const std::int64_t missing = missing_between(got);
  ASSERT_GT(missing, 0) << "no frame was lost: the fake camera's -r option did not drop packets";
  const std::int64_t lost = s["lost"].get<std::int64_t>();
  EXPECT_GE(lost, missing) << "every frame missing between two delivered is lost";
  // Frames lost before the first or after the last delivered one are counted too: a few.
  EXPECT_LE(lost, missing + 3) << "a frame counted lost twice";
}

// The camera hangs (SIGSTOP) longer than frame_timeout_ms, then goes on: the supervisor's
// timeout faults the device naming it, the device is restarted once the camera answers, frames
// flow again, and the outage is counted lost.
TEST_F(GenicamCameraFaults, ACameraThatHangsPastFrameTimeoutIsRestartedAndTheOutageCounted) {
  ASSERT_EQ(camera_.start(), "");
  run("on_fault: restart, max_retries: 60, retry_backoff_ms: 100, frame_timeout_ms: 500, "
      "silence_check_ms: 10000");
  ASSERT_TRUE(wait_for_frames_after(0, 10)) << "no frames before the hang";
  camera_.pause();
  const std::size_t at_pause = frames().size();
  std::this_thread::sleep_for(1500ms);  // the hang itself: the point of the test, not a wait
  camera_.resume();
  const std::size_t at_resume = frames().size();
  EXPECT_LE(at_resume, at_pause + 8) << "frames during the hang";
  EXPECT_TRUE(wait_for_frames_after(at_resume, 20)) << "no frames after the camera went on";
  const nlohmann::json s = stop();
  ASSERT_TRUE(result_.ok) << result_.error;
  SCOPED_TRACE(s.dump());
  EXPECT_EQ(s["faults"], 1);
  EXPECT_EQ(s["restarts"], 1);
  EXPECT_FALSE(s["gave_up"].get<bool>());
  EXPECT_THAT(s["last_fault"].get<std::string>(), HasSubstr("no frame within 500 ms (frame_timeout_ms)"));
  EXPECT_THAT(s["last_fault"].get<std::string>(), HasSubstr("genicam://127.0.0.1"));
  const std::vector<FrameMetadata> got = frames();
  EXPECT_EQ(got.size(), s["frames"].get<std::size_t>()) << "everything emitted reached the sink";
  expect_whole_and_in_order(got);
  // The hang shows in the capture times: one step spans it.
  std::int64_t longest_step_ns = 0;
  for (std::size_t i = 1; i < got.size(); ++i)
    longest_step_ns = std::max(longest_step_ns, got[i].capture_time_ns - got[i - 1].capture_time_ns);
  EXPECT_GE(longest_step_ns, 1'000'000'000) << "no step in the capture times spans the 1.5 s hang";
  EXPECT_GE(s["lost"].get<std::int64_t>(), std::max<std::int64_t>(1, missing_between(got)))
      << "the outage, and every frame missing between two delivered, is lost";
}

// A camera that hangs under on_fault: stop: the run fails naming the device, its URI and the
// reason, and says the supervisor stopped it.
TEST_F(GenicamCameraFaults, ACameraThatHangsUnderOnFaultStopFailsTheRunNamingTheDevice) {
  ASSERT_EQ(camera_.start(), "");
  run("on_fault: stop, frame_timeout_ms: 500, silence_check_ms: 10000");
  ASSERT_TRUE(wait_for_frames_after(0, 10)) << "no frames before the hang";
  const nlohmann::json s = hang_under_on_fault_stop(1000ms);
  SCOPED_TRACE(s.dump());
  EXPECT_GE(s["lost"].get<std::int64_t>(), 1) << "the outage the run ended in";
  const std::vector<FrameMetadata> got = frames();
  ASSERT_FALSE(got.empty());
  expect_whole_and_in_order(got);
}

}  // namespace
}  // namespace oi::genicam::test
