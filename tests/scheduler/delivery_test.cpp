// Lossless delivery: order through chains, fan-out, fan-in, max_frames, on 1, 2 and 4 workers.

#include <gtest/gtest.h>

#include <map>
#include <numeric>

#include "scheduler_test_stages.hpp"
#include "test_stages.hpp"

namespace oi::test {
namespace {

std::vector<std::uint64_t> iota(std::uint64_t n) {
  std::vector<std::uint64_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

class SchedulerDelivery : public SchedulerTest, public ::testing::WithParamInterface<std::size_t> {
 protected:
  RunOptions options(std::uint64_t max_frames = 0) {
    RunOptions o;
    o.threads = GetParam();
    o.max_frames = max_frames;
    return o;
  }
};

TEST_P(SchedulerDelivery, ChainUnderBlockDeliversEveryFrameInOrder) {
  node("src", "test.source", {{"count", 500}});
  std::string previous = "src.out";
  for (int i = 0; i < 6; ++i) {
    const std::string name = "p" + std::to_string(i);
    node(name, "test.pass");
    connect(previous, name + ".in", 2);
    previous = name + ".out";
  }
  node("sink", "test.sink");
  connect(previous, "sink.in", 2);

  const RunResult result = run(options());

  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_FALSE(result.interrupted);
  EXPECT_EQ(TestSinkLog::instance().sequences("sink"), iota(500));
  EXPECT_TRUE(TestSinkLog::instance().finished("sink"));
  for (const StageMetrics& s : result.metrics.stages) {
    EXPECT_EQ(s.dropped, 0u) << s.name;
    if (s.name != "src") {
      EXPECT_EQ(s.frames_in, 500u) << s.name;
    }
    if (s.name != "sink") {
      EXPECT_EQ(s.frames_out, 500u) << s.name;
    }
  }
  for (const ConnectionMetrics& c : result.metrics.connections) {
    EXPECT_LE(c.high_water, c.capacity) << c.to;
    EXPECT_EQ(c.dropped, 0u) << c.to;
  }
}

TEST_P(SchedulerDelivery, FanOutGivesEveryConsumerEveryFrame) {
  node("src", "test.source", {{"count", 200}});
  node("fast", "test.pass");
  node("slow", "test.pass", {{"sleep_us", 20}});
  node("sink_fast", "test.sink");
  node("sink_slow", "test.sink");
  node("sink_direct", "test.sink");
  connect("src.out", "fast.in", 3);
  connect("src.out", "slow.in", 3);
  connect("src.out", "sink_direct.in", 3);
  connect("fast.out", "sink_fast.in");
  connect("slow.out", "sink_slow.in");

  const RunResult result = run(options());

  ASSERT_TRUE(result.ok) << result.error;
  for (const char* sink : {"sink_fast", "sink_slow", "sink_direct"}) {
    EXPECT_EQ(TestSinkLog::instance().sequences(sink), iota(200)) << sink;
  }
  EXPECT_EQ(stage(result.metrics, "src").frames_out, 200u);  // counted once, not per consumer
}

TEST_P(SchedulerDelivery, FanInPairsFramesAndFinishesWithTheShorterInput) {
  node("left", "test.source", {{"count", 40}});
  node("right", "test.source", {{"count", 15}});
  node("join", "test.join");
  node("sink", "test.sink");
  connect("left.out", "join.a", 3);
  connect("right.out", "join.b", 3);
  connect("join.out", "sink.in");

  const RunResult result = run(options());

  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(TestSinkLog::instance().sequences("sink"), iota(15));
  // Whatever `left` made beyond the pairs was counted, never lost silently.
  const RunMetrics& m = result.metrics;
  EXPECT_EQ(stage(m, "left").frames_out, 15u + connection(m, "join.a").dropped);
  EXPECT_EQ(stage(m, "join").dropped, connection(m, "join.a").dropped);
}

TEST_P(SchedulerDelivery, MultiSourceInputTakesEverySourceInOrderUntilTheLastEnds) {
  // Three cameras of different lengths into one multi-source input (test.mux): every frame
  // of every source arrives, each source in its own order, and the input ends only when the
  // longest source has ended.
  const std::map<std::string, int> counts = {{"cam_a", 60}, {"cam_b", 25}, {"cam_c", 1}};
  node("mux", "test.mux");
  for (const auto& [name, count] : counts) {
    node(name, "test.source", {{"count", count}});
    connect(name + ".out", "mux.in", 2);
  }

  const RunResult result = run(options());

  ASSERT_TRUE(result.ok) << result.error;
  for (const auto& [name, count] : counts) {
    EXPECT_EQ(TestSinkLog::instance().sequences("mux/" + name), iota(static_cast<std::uint64_t>(count)))
        << name;
  }
  EXPECT_EQ(TestSinkLog::instance().sequences("mux").size(), 86u);
  EXPECT_TRUE(TestSinkLog::instance().finished("mux"));
  EXPECT_EQ(stage(result.metrics, "mux").frames_in, 86u);
  EXPECT_EQ(stage(result.metrics, "mux").dropped, 0u);
}

TEST_P(SchedulerDelivery, MultiSourceInputAlternatesBetweenSourcesThatHaveFrames) {
  // Two endless cameras under max_frames: neither starves the other.
  node("cam_a", "test.source", {{"count", 0}});
  node("cam_b", "test.source", {{"count", 0}});
  node("mux", "test.mux");
  connect("cam_a.out", "mux.in", 2);
  connect("cam_b.out", "mux.in", 2);

  const RunResult result = run(options(40));

  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(TestSinkLog::instance().sequences("mux/cam_a"), iota(40));
  EXPECT_EQ(TestSinkLog::instance().sequences("mux/cam_b"), iota(40));
}

TEST_P(SchedulerDelivery, OptionalInputLeftUnconnectedIsNotWaitedFor) {
  node("src", "test.source", {{"count", 30}});
  node("join", "test.join");
  node("sink", "test.sink");
  connect("src.out", "join.a");
  connect("join.out", "sink.in");

  const RunResult result = run(options());

  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(TestSinkLog::instance().sequences("sink"), iota(30));
}

TEST_P(SchedulerDelivery, MaxFramesEndsEachSourceOnceItEmittedThatManyFrames) {
  node("endless", "test.source", {{"count", 0}});
  node("bursts", "burst.source", {{"count", 0}, {"burst", 3}});
  node("sink_a", "test.sink");
  node("sink_b", "test.sink");
  connect("endless.out", "sink_a.in");
  connect("bursts.out", "sink_b.in", 4);

  const RunResult result = run(options(25));

  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_FALSE(result.interrupted);
  EXPECT_EQ(TestSinkLog::instance().sequences("sink_a"), iota(25));
  // Bursts of 3: the firing that reaches 25 completes its burst (27 frames).
  EXPECT_EQ(TestSinkLog::instance().sequences("sink_b"), iota(27));
}

TEST_P(SchedulerDelivery, ParallelSourcesAndChainsAllComplete) {
  for (int lane = 0; lane < 3; ++lane) {
    const std::string l = std::to_string(lane);
    node("src" + l, "test.source", {{"count", 150}});
    node("work" + l, "test.pass", {{"sleep_us", 10}});
    node("sink" + l, "test.sink");
    connect("src" + l + ".out", "work" + l + ".in", 2);
    connect("work" + l + ".out", "sink" + l + ".in", 2);
  }

  const RunResult result = run(options());

  ASSERT_TRUE(result.ok) << result.error;
  for (int lane = 0; lane < 3; ++lane) {
    EXPECT_EQ(TestSinkLog::instance().sequences("sink" + std::to_string(lane)), iota(150)) << lane;
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, SchedulerDelivery, ::testing::Values(1, 2, 4),
                         [](const auto& info) { return "threads" + std::to_string(info.param); });

}  // namespace
}  // namespace oi::test
