// The supervisor reconnecting opencv.camera: a YAML pipeline reads an RTSP stream with
// on_fault: restart; the test kills the server mid-stream (SIGKILL, like a camera losing
// power), restarts it on the same port after a gap, and checks that frames flow again, that
// the first one says it follows a gap, and that the run's summary counts the fault, the
// restart and the frames the outage cost.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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

TEST(OpenCvCameraReconnect, TheSupervisorReconnectsAfterTheServerDiesAndCountsTheOutage) {
  std::unique_ptr<RtspTestServer> server;
  try {
    server = std::make_unique<RtspTestServer>();
  } catch (const RtspServerUnavailable& e) {
    GTEST_SKIP() << e.what();
  }
  PluginRegistry& registry = driver_plugins();
  if (registry.find("test.video_sink") == nullptr) {
    registry.register_type("test.video_sink", FactoryKind::kStage, "records video frame attributes",
                           [] { return std::make_unique<VideoSink>(); });
  }
  // read_timeout_ms below frame_timeout_ms: a silent stream is seen as lost by the driver.
  // Backoff 200, 400, 800, ... ms with room for many attempts: the outage lasts ~1.5 s plus
  // the server's start, and a loaded machine may need longer.
  const std::string yaml =
      "devices:\n"
      "  cam:\n"
      "    driver: opencv.camera\n"
      "    uri: " +
      server->url() +
      "\n"
      "    params: { on_fault: restart, max_retries: 12, retry_backoff_ms: 200, frame_timeout_ms: 8000,\n"
      "              read_timeout_ms: 4000, open_timeout_ms: 8000 }\n"
      "stages:\n"
      "  sink: { type: test.video_sink }\n"
      "connections:\n"
      "  - { from: cam.out, to: sink.in }\n";
  PipelineSpec spec = load_pipeline_text(yaml, "reconnect.yaml", "/tmp", registry);
  auto pipeline = std::make_unique<Pipeline>(spec, registry);
  RunResult result;
  std::atomic<bool> finished{false};
  std::thread runner([&] {
    RunOptions options;
    options.threads = 2;
    result = pipeline->run(options);
    finished = true;
  });
  // Whatever fails below, the run is stopped and joined so the test ends. A run that does
  // not stop is a hang in the driver: end the process with a message rather than wait for
  // ctest's timeout.
  struct StopOnExit {
    Pipeline& p;
    std::thread& t;
    std::atomic<bool>& done;
    ~StopOnExit() {
      p.request_stop();
      if (!wait_for([this] { return done.load(); }, 60s)) {
        std::fprintf(
            stderr, "FAILED: the pipeline did not stop within 60 s of request_stop(); a device call hangs\n");
        std::_Exit(1);
      }
      if (t.joinable()) t.join();
    }
  } stop_on_exit{*pipeline, runner, finished};

  ASSERT_TRUE(wait_for([] { return sink_log().size() >= 15; }, 30s)) << "no stream before the outage";
  server->kill_hard();
  const std::size_t before_outage = sink_log().size();
  std::this_thread::sleep_for(1500ms);  // the outage itself: the point of the test, not a wait
  const int port = server->port();
  server.reset();
  server = std::make_unique<RtspTestServer>(port);
  ASSERT_TRUE(wait_for([&] { return sink_log().size() >= before_outage + 15; }, 40s))
      << "no frames after the server came back";

  pipeline->request_stop();
  ASSERT_TRUE(wait_for([&] { return finished.load(); }, 60s)) << "the pipeline did not stop";
  runner.join();
  ASSERT_TRUE(result.ok) << result.error;

  std::size_t gap_frames = 0;
  std::uint64_t estimated = 0;
  {
    std::lock_guard lock(sink_log().mutex);
    for (std::size_t i = 0; i < sink_log().attributes.size(); ++i) {
      const auto& a = sink_log().attributes[i];
      if (!a.value("after_gap", false)) continue;
      ++gap_frames;
      EXPECT_GE(i, before_outage - 2) << "only a frame after the outage follows a gap";
      EXPECT_GE(a["gap_ms"].get<double>(), 1000.0) << "the server was away for 1.5 s at least";
      EXPECT_GE(a["outage_ms"].get<double>(), 1000.0);
      EXPECT_LE(a["outage_ms"].get<double>(), a["gap_ms"].get<double>());
      estimated += a["lost_estimate"].get<std::uint64_t>();
    }
  }
  EXPECT_EQ(gap_frames, 1u) << "exactly the first frame after reconnecting is marked";
  EXPECT_GE(estimated, 20u) << "1.5 s at 25 Hz is about 37 frames, fewer only if the server restarted fast";

  auto summaries = pipeline->stage_summaries();
  auto it = std::find_if(summaries.begin(), summaries.end(), [](const auto& s) { return s.first == "cam"; });
  ASSERT_NE(it, summaries.end());
  const nlohmann::json& summary = it->second;
  SCOPED_TRACE(summary.dump());
  EXPECT_GE(summary["faults"].get<int>(), 1);
  EXPECT_GE(summary["restarts"].get<int>(), 1);
  EXPECT_GT(summary["lost"].get<std::uint64_t>(), 0u);
  EXPECT_GE(summary["lost"].get<std::uint64_t>(), estimated)
      << "the estimate is part of the run's lost count";
  EXPECT_FALSE(summary["gave_up"].get<bool>());
  EXPECT_THAT(summary["last_fault"].get<std::string>(), ::testing::HasSubstr("stream lost"));
  EXPECT_EQ(summary["device"]["driver"], "opencv.camera");
}

}  // namespace
}  // namespace oi::test
