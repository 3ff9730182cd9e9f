// request_stop(): sources end, queued frames drain, the run reports `interrupted`; progress
// reports arrive from a monitoring thread while running.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "scheduler_test_stages.hpp"
#include "test_stages.hpp"

namespace oi::test {
namespace {

class SchedulerStop : public SchedulerTest, public ::testing::WithParamInterface<std::size_t> {};

/// Calls request_stop() once `sink` has received `frames`.
class StopWhenReceived {
 public:
  StopWhenReceived(Pipeline& pipeline, std::string sink, std::size_t frames)
      : thread_([&pipeline, sink = std::move(sink), frames, this] {
          while (!done_.load() && TestSinkLog::instance().sequences(sink).size() < frames) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
          pipeline.request_stop();
        }) {}
  ~StopWhenReceived() {
    done_.store(true);
    thread_.join();
  }

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

TEST_P(SchedulerStop, RequestStopDrainsAnEndlessSource) {
  node("src", "test.source", {{"count", 0}});
  node("work", "test.pass", {{"sleep_us", 50}});
  node("sink", "test.sink");
  node("preview", "test.sink", {{"sleep_us", 100}});
  connect("src.out", "work.in", 4);
  connect("work.out", "sink.in", 4);
  connect("src.out", "preview.in", 2, QueuePolicy::kDropOldest);

  Pipeline pipeline(spec_, registry_);
  RunResult result;
  {
    StopWhenReceived stopper(pipeline, "sink", 40);
    RunOptions options;
    options.threads = GetParam();
    result = pipeline.run(options);
  }

  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_TRUE(result.interrupted);
  const RunMetrics& m = result.metrics;
  const std::uint64_t emitted = stage(m, "src").frames_out;
  const std::vector<std::uint64_t> received = TestSinkLog::instance().sequences("sink");
  EXPECT_GE(received.size(), 40u);
  // Lossless branch: every frame emitted arrived, in order.
  ASSERT_EQ(received.size(), emitted);
  for (std::size_t i = 0; i < received.size(); ++i) ASSERT_EQ(received[i], i);
  // Lossy branch: every frame emitted arrived or was counted.
  EXPECT_EQ(TestSinkLog::instance().sequences("preview").size() + connection(m, "preview.in").dropped,
            emitted);
  EXPECT_TRUE(TestSinkLog::instance().finished("sink"));
  EXPECT_TRUE(TestSinkLog::instance().finished("preview"));
}

TEST_P(SchedulerStop, RequestStopBeforeRunEndsAtOnce) {
  node("src", "test.source", {{"count", 0}});
  node("sink", "test.sink");
  connect("src.out", "sink.in");

  Pipeline pipeline(spec_, registry_);
  pipeline.request_stop();
  RunOptions options;
  options.threads = GetParam();
  const RunResult result = pipeline.run(options);

  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_TRUE(result.interrupted);
  EXPECT_EQ(stage(result.metrics, "src").frames_out, 0u);
  EXPECT_TRUE(TestSinkLog::instance().finished("sink"));
}

TEST_P(SchedulerStop, ProgressIsReportedWhileRunningAndMetricsCanBeReadMeanwhile) {
  node("src", "test.source", {{"count", 40}, {"delay_us", 1000}});
  node("sink", "test.sink");
  connect("src.out", "sink.in");

  Pipeline pipeline(spec_, registry_);
  std::atomic<int> reports{0};
  RunOptions options;
  options.threads = GetParam();
  options.progress_interval_ms = 5;
  options.progress = [&](const RunMetrics& m) {
    ++reports;
    EXPECT_EQ(m.stages.size(), 2u);
    EXPECT_GT(m.wall_s, 0.0);
  };
  std::atomic<bool> stop_reading{false};
  std::thread reader([&] {
    while (!stop_reading.load()) {
      const RunMetrics m = pipeline.metrics();
      EXPECT_LE(stage(m, "sink").frames_in, 40u);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  const RunResult result = pipeline.run(options);
  stop_reading = true;
  reader.join();

  ASSERT_TRUE(result.ok) << result.error;
  // The run takes at least 40 ms (the source's delay), the interval is 5 ms.
  EXPECT_GE(reports.load(), 1);
  EXPECT_EQ(stage(result.metrics, "sink").frames_in, 40u);
}

INSTANTIATE_TEST_SUITE_P(Threads, SchedulerStop, ::testing::Values(1, 2, 4),
                         [](const auto& info) { return "threads" + std::to_string(info.param); });

}  // namespace
}  // namespace oi::test
