// End of stream and the stage lifecycle: finish() once per node, stop() once per node, also
// when construction fails half-way.

#include <gtest/gtest.h>

#include "scheduler_test_stages.hpp"
#include "test_stages.hpp"

namespace oi::test {
namespace {

class SchedulerLifecycle : public SchedulerTest, public ::testing::WithParamInterface<std::size_t> {};

TEST_P(SchedulerLifecycle, EndOfStreamReachesEveryNodeAndFinishRunsOnce) {
  node("src", "test.source", {{"count", 20}});
  node("a", "probe.pass");
  node("b", "probe.pass");
  node("c", "probe.pass");
  node("sink", "test.sink");
  connect("src.out", "a.in", 1);
  connect("a.out", "b.in", 1);
  connect("a.out", "c.in", 5);  // fan-out: b and c both end
  connect("b.out", "sink.in");

  RunOptions options;
  options.threads = GetParam();
  const RunResult result = run(options);

  ASSERT_TRUE(result.ok) << result.error;
  for (const char* name : {"a", "b", "c"}) {
    const ProbeCounts counts = ProbeLog::get(name);
    EXPECT_EQ(counts.starts, 1) << name;
    EXPECT_EQ(counts.processes, 20) << name;
    EXPECT_EQ(counts.finishes, 1) << name;
    EXPECT_EQ(counts.stops, 1) << name;
  }
  EXPECT_TRUE(TestSinkLog::instance().finished("sink"));
  EXPECT_EQ(TestSinkLog::instance().sequences("sink").size(), 20u);
}

TEST_P(SchedulerLifecycle, SourceThatEndsAtOnceStillFinishesTheGraph) {
  node("src", "test.source", {{"count", 0}});
  node("empty", "burst.source", {{"count", 1}, {"burst", 0}});
  node("join", "test.join");
  node("probe", "probe.pass");
  connect("src.out", "join.a");
  connect("empty.out", "join.b");
  connect("join.out", "probe.in");

  RunOptions options;
  options.threads = GetParam();
  const RunResult result = run(options);

  // `empty` ends without a frame, so the join can never fire: it finishes, which closes its
  // other input, which ends the endless source that fed it.
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(ProbeLog::get("probe").processes, 0);
  EXPECT_EQ(ProbeLog::get("probe").finishes, 1);
  const RunMetrics& m = result.metrics;
  EXPECT_EQ(stage(m, "join").frames_in, 0u);
  EXPECT_EQ(stage(m, "src").frames_out, connection(m, "join.a").dropped);
}

TEST_P(SchedulerLifecycle, EmptyPipelineAndLoneSourceRun) {
  {
    RunOptions options;
    options.threads = GetParam();
    const RunResult result = run(options);
    EXPECT_TRUE(result.ok) << result.error;
  }
  node("alone", "test.source", {{"count", 7}});
  RunOptions options;
  options.threads = GetParam();
  const RunResult result = run(options);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(stage(result.metrics, "alone").frames_out, 7u);
  EXPECT_EQ(stage(result.metrics, "alone").dropped, 7u);  // emitted to no one
}

INSTANTIATE_TEST_SUITE_P(Threads, SchedulerLifecycle, ::testing::Values(1, 2, 4),
                         [](const auto& info) { return "threads" + std::to_string(info.param); });

class SchedulerConstruction : public SchedulerTest {};

TEST_F(SchedulerConstruction, StartThatThrowsStopsItselfAndTheNodesStartedBefore) {
  node("src", "test.source");
  node("first", "probe.pass");
  node("second", "probe.pass", {{"throw_in_start", true}});
  node("third", "probe.pass");
  connect("src.out", "first.in");
  connect("first.out", "second.in");
  connect("second.out", "third.in");

  try {
    Pipeline pipeline(spec_, registry_);
    FAIL() << "expected a PluginError";
  } catch (const PluginError& e) {
    EXPECT_NE(std::string(e.what()).find("second"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("probe refused to start"), std::string::npos) << e.what();
  }
  EXPECT_EQ(ProbeLog::get("first").stops, 1);
  EXPECT_EQ(ProbeLog::get("second").stops, 1);  // it may have opened a device before throwing
  EXPECT_EQ(ProbeLog::get("third").starts, 0);
}

TEST_F(SchedulerConstruction, ConfigErrorFromStartStaysAConfigError) {
  node("src", "test.source");
  node("first", "probe.pass", {{"config_error_in_start", true}});
  connect("src.out", "first.in");

  try {
    Pipeline pipeline(spec_, registry_);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("first"), std::string::npos) << e.what();
  }
}

TEST_F(SchedulerConstruction, ConnectionsAreCheckedForSpecsBuiltInCode) {
  node("src", "test.source");
  node("sink", "test.sink");
  connect("src.out", "sink.nope");
  EXPECT_THROW({ Pipeline pipeline(spec_, registry_); }, ConfigError);

  spec_.connections.clear();
  node("other", "test.source");
  connect("src.out", "sink.in");
  connect("other.out", "sink.in");
  EXPECT_THROW({ Pipeline pipeline(spec_, registry_); }, ConfigError);
}

TEST_F(SchedulerConstruction, StopRunsOnceWhenThePipelineIsNeverRun) {
  node("src", "test.source");
  node("probe", "probe.pass");
  connect("src.out", "probe.in");
  { Pipeline pipeline(spec_, registry_); }
  EXPECT_EQ(ProbeLog::get("probe").starts, 1);
  EXPECT_EQ(ProbeLog::get("probe").stops, 1);
  EXPECT_EQ(ProbeLog::get("probe").finishes, 0);
}

TEST_F(SchedulerConstruction, RunTwiceIsRefused) {
  node("src", "test.source", {{"count", 1}});
  Pipeline pipeline(spec_, registry_);
  EXPECT_TRUE(pipeline.run().ok);
  EXPECT_THROW(pipeline.run(), Error);
}

}  // namespace
}  // namespace oi::test
