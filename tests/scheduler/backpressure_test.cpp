// Bounded queues: `block` holds a fast producer back (memory stays bounded), `drop_oldest`
// and `latest` drop and count, and nothing is ever lost without being counted.

#include <gtest/gtest.h>

#include "scheduler_test_stages.hpp"
#include "test_stages.hpp"

namespace oi::test {
namespace {

class SchedulerBackpressure : public SchedulerTest, public ::testing::WithParamInterface<std::size_t> {
 protected:
  RunOptions options(std::uint64_t max_frames = 0) {
    RunOptions o;
    o.threads = GetParam();
    o.max_frames = max_frames;
    return o;
  }
};

bool strictly_increasing(const std::vector<std::uint64_t>& v) {
  for (std::size_t i = 1; i < v.size(); ++i) {
    if (v[i] <= v[i - 1]) return false;
  }
  return true;
}

TEST_P(SchedulerBackpressure, BlockKeepsAFastEndlessSourceToTheQueueCapacity) {
  node("src", "burst.source", {{"count", 0}});
  node("work", "test.pass");
  node("sink", "test.sink", {{"sleep_us", 100}});
  connect("src.out", "work.in", 3);
  connect("work.out", "sink.in", 2);

  const RunResult result = run(options(300));

  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(TestSinkLog::instance().sequences("sink").size(), 300u);
  for (const ConnectionMetrics& c : result.metrics.connections) {
    EXPECT_LE(c.high_water, c.capacity) << c.to;
    EXPECT_EQ(c.dropped, 0u) << c.to;
  }
  // Queued (3 + 2) plus one frame in the hands of each of the three nodes.
  EXPECT_LE(LiveFrames::peak(), 3 + 2 + 3);
  EXPECT_EQ(LiveFrames::now(), 0);
}

TEST_P(SchedulerBackpressure, BlockOvershootIsAtMostOneFiringsEmits) {
  node("src", "burst.source", {{"count", 0}, {"burst", 5}});
  node("sink", "test.sink", {{"sleep_us", 50}});
  connect("src.out", "sink.in", 2);

  const RunResult result = run(options(200));

  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(TestSinkLog::instance().sequences("sink").size(), 200u);
  const ConnectionMetrics& c = connection(result.metrics, "sink.in");
  // The source fires only while the queue holds fewer than 2: at most 1 + 5.
  EXPECT_LE(c.high_water, 1u + 5u);
  EXPECT_EQ(c.dropped, 0u);
  EXPECT_LE(LiveFrames::peak(), 6 + 1);
}

TEST_P(SchedulerBackpressure, DropOldestDropsAndCountsAndKeepsOrder) {
  node("src", "burst.source", {{"count", 50}, {"burst", 6}});
  node("sink", "test.sink", {{"sleep_us", 20}});
  connect("src.out", "sink.in", 2, QueuePolicy::kDropOldest);

  const RunResult result = run(options());

  ASSERT_TRUE(result.ok) << result.error;
  const std::vector<std::uint64_t> received = TestSinkLog::instance().sequences("sink");
  const ConnectionMetrics& c = connection(result.metrics, "sink.in");
  EXPECT_EQ(received.size() + c.dropped, 300u);
  // On one worker nothing drains the queue during a burst: each burst of 6 into a queue of
  // 2 drops at least 4. With more workers how many drop depends on timing.
  if (GetParam() == 1) {
    EXPECT_GE(c.dropped, 4u * 50u);
  }
  EXPECT_LE(c.high_water, 2u);
  EXPECT_EQ(stage(result.metrics, "sink").dropped, c.dropped);
  EXPECT_TRUE(strictly_increasing(received));
  // The newest frame is never the one dropped.
  ASSERT_FALSE(received.empty());
  EXPECT_EQ(received.back(), 299u);
}

TEST_P(SchedulerBackpressure, LatestKeepsOnlyTheNewestFrameWhateverTheCapacity) {
  node("src", "burst.source", {{"count", 40}, {"burst", 5}});
  node("sink", "test.sink", {{"sleep_us", 20}});
  connect("src.out", "sink.in", 8, QueuePolicy::kLatest);

  const RunResult result = run(options());

  ASSERT_TRUE(result.ok) << result.error;
  const std::vector<std::uint64_t> received = TestSinkLog::instance().sequences("sink");
  const ConnectionMetrics& c = connection(result.metrics, "sink.in");
  EXPECT_EQ(c.high_water, 1u);
  EXPECT_EQ(received.size() + c.dropped, 200u);
  if (GetParam() == 1) {
    EXPECT_GE(c.dropped, 4u * 40u);
  }
  EXPECT_TRUE(strictly_increasing(received));
  ASSERT_FALSE(received.empty());
  EXPECT_EQ(received.back(), 199u);
}

TEST_P(SchedulerBackpressure, LossyBranchDoesNotSlowTheLosslessOne) {
  // One source feeds a lossless sink and a lossy slow one: the lossy queue never blocks.
  node("src", "test.source", {{"count", 300}});
  node("keep", "test.sink");
  node("preview", "test.sink", {{"sleep_us", 200}});
  connect("src.out", "keep.in", 4);
  connect("src.out", "preview.in", 1, QueuePolicy::kLatest);

  const RunResult result = run(options());

  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(TestSinkLog::instance().sequences("keep").size(), 300u);
  const ConnectionMetrics& c = connection(result.metrics, "preview.in");
  EXPECT_EQ(TestSinkLog::instance().sequences("preview").size() + c.dropped, 300u);
}

TEST_P(SchedulerBackpressure, EmitsToAnUnconnectedOutputAreCountedAsDropped) {
  node("src", "test.source", {{"count", 12}});
  node("work", "test.pass");
  connect("src.out", "work.in");

  const RunResult result = run(options());

  ASSERT_TRUE(result.ok) << result.error;
  const StageMetrics& work = stage(result.metrics, "work");
  EXPECT_EQ(work.frames_in, 12u);
  EXPECT_EQ(work.frames_out, 12u);
  EXPECT_EQ(work.dropped, 12u);
}

INSTANTIATE_TEST_SUITE_P(Threads, SchedulerBackpressure, ::testing::Values(1, 2, 4),
                         [](const auto& info) { return "threads" + std::to_string(info.param); });

}  // namespace
}  // namespace oi::test
