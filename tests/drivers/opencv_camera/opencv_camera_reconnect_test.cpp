// The supervisor reconnecting opencv.camera after an RTSP outage: a YAML pipeline reads an RTSP
// stream with on_fault: restart; the test interrupts the server mid-stream and checks that
// frames flow again, that the first one says it follows a gap, and that the run's summary counts
// the fault, the restart and the frames the outage cost. Two outages:
//   - the server killed (SIGKILL, like a camera losing power) and started again on its port;
//   - the server silent without closing the connection (SIGSTOP, a hung camera or a stalled
//     network): the driver's read timeout must notice it, within read_timeout_ms.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>

#include "oi/pipeline.hpp"
#include "oi/pipeline_spec.hpp"
#include "oi/stage.hpp"
#include "opencv_camera_test_util.hpp"
#include "rtsp_server.hpp"

namespace oi::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

/// What the sink saw, for the test thread to wait on.
struct SinkLog {
  std::mutex mutex;
  std::vector<nlohmann::json> attributes;  // per frame, in arrival order
  std::size_t size() {
    std::lock_guard lock(mutex);
    return attributes.size();
  }
};

SinkLog& sink_log() {
  static SinkLog log;
  return log;
}

// Accepts video frames and records their attributes.
class VideoSink final : public Stage {
 public:
  void setup(StageSpec& spec) override { spec.input("in", PortType::of(frame_kind::kVideo)); }
  Status process(StageContext& ctx) override {
    FramePtr frame = ctx.take(0);
    std::lock_guard lock(sink_log().mutex);
    sink_log().attributes.push_back(frame->metadata().attributes);
    return Status::ok();
  }
};

// Waits until `done()` or `bound` passes; returns done().
template <class Fn>
bool wait_for(Fn done, std::chrono::milliseconds bound) {
  const auto until = std::chrono::steady_clock::now() + bound;
  while (!done() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(20ms);
  return done();
}

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What a run through an outage left.
struct Outage {
  std::size_t before = 0;       // frames the sink had when the outage began
  std::int64_t began_ns = 0;    // wall time the outage began
  std::int64_t fault_ns = 0;    // wall time of the first device.fault event; 0: none
  std::size_t gap_frames = 0;   // frames marked after_gap
  std::uint64_t estimated = 0;  // their lost_estimate, summed
  double outage_ms = -1.0;      // the marked frame's outage_ms; -1: none
  nlohmann::json summary;       // the camera's summary
};

// Runs `cam → test.video_sink` on the server's stream with the camera parameters `params`,
// waits for 15 frames, calls `outage(server)`, waits for 15 more, stops the run and checks
// what every outage must leave: the run ends well, exactly one frame (after the outage) is
// marked after_gap with at least `min_gap_ms`, the fault and the restart are counted and the
// estimate is part of the lost count. Returns the rest for the test to check.
Outage run_through_an_outage(std::unique_ptr<RtspTestServer>& server, const std::string& params,
                             double min_gap_ms, const std::function<void()>& outage) {
  PluginRegistry& registry = driver_plugins();
  if (registry.find("test.video_sink") == nullptr) {
    registry.register_type("test.video_sink", FactoryKind::kStage, "records video frame attributes",
                           [] { return std::make_unique<VideoSink>(); });
  }
  {
    std::lock_guard lock(sink_log().mutex);
    sink_log().attributes.clear();
  }
  const std::string yaml = "devices:\n  cam:\n    driver: opencv.camera\n    uri: " + server->url() +
                           "\n    params: " + params +
                           "\nstages:\n  sink: { type: test.video_sink }\n"
                           "connections:\n  - { from: cam.out, to: sink.in }\n";
  auto pipeline =
      std::make_unique<Pipeline>(load_pipeline_text(yaml, "outage.yaml", "/tmp", registry), registry);
  RunResult result;
  std::atomic<bool> finished{false};
  std::thread runner([&] {
    RunOptions options;
    options.threads = 2;
    result = pipeline->run(options);
    finished = true;
  });
  // Whatever fails below, the server is let go on and the run is stopped and joined so the
  // test ends. A run that does not stop is a hang in the driver: end the process with a
  // message rather than wait for ctest's timeout.
  struct StopOnExit {
    Pipeline& p;
    std::thread& t;
    std::atomic<bool>& done;
    std::unique_ptr<RtspTestServer>& server;
    ~StopOnExit() {
      if (server) server->resume();
      p.request_stop();
      if (!wait_for([this] { return done.load(); }, 60s)) {
        std::fprintf(
            stderr, "FAILED: the pipeline did not stop within 60 s of request_stop(); a device call hangs\n");
        std::_Exit(1);
      }
      if (t.joinable()) t.join();
    }
  } stop_on_exit{*pipeline, runner, finished, server};

  Outage seen;
  EXPECT_TRUE(wait_for([] { return sink_log().size() >= 15; }, 30s)) << "no stream before the outage";
  seen.began_ns = wall_ns();
  seen.before = sink_log().size();
  outage();
  EXPECT_TRUE(wait_for([&] { return sink_log().size() >= seen.before + 15; }, 40s))
      << "no frames after the outage";
  pipeline->request_stop();
  EXPECT_TRUE(wait_for([&] { return finished.load(); }, 60s)) << "the pipeline did not stop";
  runner.join();
  EXPECT_TRUE(result.ok) << result.error;

  for (const PipelineEvent& e : pipeline->events()) {
    if (e.kind == event_kind::kDeviceFault && seen.fault_ns == 0) seen.fault_ns = e.time_ns;
  }
  {
    std::lock_guard lock(sink_log().mutex);
    for (std::size_t i = 0; i < sink_log().attributes.size(); ++i) {
      const auto& a = sink_log().attributes[i];
      if (!a.value("after_gap", false)) continue;
      ++seen.gap_frames;
      EXPECT_GE(i + 2, seen.before) << "only a frame after the outage follows a gap";
      EXPECT_GE(a["gap_ms"].get<double>(), min_gap_ms);
      if (a.contains("outage_ms")) {
        seen.outage_ms = a["outage_ms"].get<double>();
        EXPECT_LE(seen.outage_ms, a["gap_ms"].get<double>());
      }
      seen.estimated += a["lost_estimate"].get<std::uint64_t>();
    }
  }
  EXPECT_EQ(seen.gap_frames, 1u) << "exactly the first frame after reconnecting is marked";

  auto summaries = pipeline->stage_summaries();
  auto it = std::find_if(summaries.begin(), summaries.end(), [](const auto& s) { return s.first == "cam"; });
  if (it == summaries.end()) {
    ADD_FAILURE() << "no summary of the camera";
    return seen;
  }
  seen.summary = it->second;
  SCOPED_TRACE(seen.summary.dump());
  EXPECT_GE(seen.summary["faults"].get<int>(), 1);
  EXPECT_GE(seen.summary["restarts"].get<int>(), 1);
  EXPECT_GT(seen.summary["lost"].get<std::uint64_t>(), 0u);
  EXPECT_GE(seen.summary["lost"].get<std::uint64_t>(), seen.estimated)
      << "the estimate is part of the run's lost count";
  EXPECT_FALSE(seen.summary["gave_up"].get<bool>());
  EXPECT_EQ(seen.summary["device"]["driver"], "opencv.camera");
  return seen;
}

std::unique_ptr<RtspTestServer> start_server() {
  try {
    return std::make_unique<RtspTestServer>();
  } catch (const RtspServerUnavailable& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return nullptr;
  }
}

TEST(OpenCvCameraReconnect, TheSupervisorReconnectsAfterTheServerDiesAndCountsTheOutage) {
  std::unique_ptr<RtspTestServer> server = start_server();
  if (!server) GTEST_SKIP() << "the RTSP test server cannot start (see above)";
  // read_timeout_ms below frame_timeout_ms: a silent stream is seen as lost by the driver.
  // Backoff 200, 400, 800, ... ms with room for many attempts: the outage lasts ~1.5 s plus
  // the server's start, and a loaded machine may need longer.
  const Outage seen = run_through_an_outage(
      server,
      "{ on_fault: restart, max_retries: 12, retry_backoff_ms: 200, frame_timeout_ms: 8000,\n"
      "              read_timeout_ms: 4000, open_timeout_ms: 8000 }",
      1000.0, [&] {
        server->kill_hard();
        std::this_thread::sleep_for(1500ms);  // the outage itself: the point of the test, not a wait
        const int port = server->port();
        server.reset();
        server = std::make_unique<RtspTestServer>(port);
      });
  EXPECT_GE(seen.outage_ms, 1000.0) << "the server was away for 1.5 s at least";
  EXPECT_GE(seen.estimated, 20u)
      << "1.5 s at 25 Hz is about 37 frames, fewer only if the server restarted fast";
  EXPECT_THAT(seen.summary.value("last_fault", ""), HasSubstr("stream lost"));
}

TEST(OpenCvCameraFaults, ASilentRtspStreamTimesOutAndIsReconnectedWhenItResumes) {
  std::unique_ptr<RtspTestServer> server = start_server();
  if (!server) GTEST_SKIP() << "the RTSP test server cannot start (see above)";
  // read_timeout_ms below frame_timeout_ms: the driver sees the silence first and names it.
  const Outage seen = run_through_an_outage(
      server,
      "{ on_fault: restart, max_retries: 30, retry_backoff_ms: 100, frame_timeout_ms: 3000,\n"
      "              read_timeout_ms: 1000, open_timeout_ms: 2000 }",
      1500.0, [&] {
        server->pause();
        std::this_thread::sleep_for(2500ms);  // the silence itself: the point of the test, not a wait
        server->resume();
      });
  // The silence was noticed as a fault within read_timeout_ms (plus a frame or two queued).
  ASSERT_NE(seen.fault_ns, 0) << "no device.fault event";
  EXPECT_LT(seen.fault_ns - seen.began_ns, 2'500'000'000)
      << "the silence was not noticed within read_timeout_ms";
  EXPECT_GE(seen.estimated, 10u) << "2.5 s at 25 Hz is about 60 frames";
  EXPECT_THAT(seen.summary.value("last_fault", ""), HasSubstr("stayed silent past read_timeout_ms"));
}

}  // namespace
}  // namespace oi::test
