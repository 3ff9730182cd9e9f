// A failing stage stops the run: ok=false naming the stage, no hang, every stage stopped.
// A graph that can no longer move is reported instead of hanging.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scheduler_test_stages.hpp"
#include "test_stages.hpp"

namespace oi::test {
namespace {

using ::testing::HasSubstr;

class SchedulerErrors : public SchedulerTest, public ::testing::WithParamInterface<std::size_t> {
 protected:
  RunOptions options() {
    RunOptions o;
    o.threads = GetParam();
    return o;
  }
  /// src (endless unless `count`) -> p (test.pass with `pass_params`) -> probe -> sink.
  void chain(const std::map<std::string, ParamValue>& pass_params, std::int64_t count = 0) {
    node("src", "test.source", {{"count", count}});
    node("p", "test.pass", pass_params);
    node("probe", "probe.pass");
    node("sink", "test.sink");
    connect("src.out", "p.in", 2);
    connect("p.out", "probe.in", 2);
    connect("probe.out", "sink.in", 2);
  }
};

TEST_P(SchedulerErrors, ProcessReturningAnErrorFailsTheRunNamingTheStage) {
  chain({{"fail_at", 5}});

  const RunResult result = run(options());

  EXPECT_FALSE(result.ok);
  EXPECT_FALSE(result.interrupted);
  // The host names the node, its type and plugin once; the stage's message follows.
  EXPECT_THAT(result.error, HasSubstr("stage 'p' (type 'test.pass', plugin 'builtin'): "));
  EXPECT_EQ(result.error.find("stage 'p'"), result.error.rfind("stage 'p'"))
      << "named once: " << result.error;
  EXPECT_THAT(result.error, HasSubstr("test.pass failed at frame 5"));
  EXPECT_EQ(stage(result.metrics, "p").frames_in, 6u);
  // Everything the failing stage passed on before it failed is all the sink can have seen.
  EXPECT_LE(TestSinkLog::instance().sequences("sink").size(), 5u);
  EXPECT_EQ(ProbeLog::get("probe").stops, 1);
}

TEST_P(SchedulerErrors, FramesLeftQueuedByAFailedRunAreCountedAsDropped) {
  chain({{"fail_at", 5}});

  const RunResult result = run(options());

  ASSERT_FALSE(result.ok);
  // Nothing is lost without being counted: per connection, what the producer emitted was
  // either taken by the consumer or counted as dropped.
  const std::vector<std::pair<std::string, std::string>> links = {
      {"src", "p"}, {"p", "probe"}, {"probe", "sink"}};
  for (std::size_t i = 0; i < links.size(); ++i) {
    const auto& [from, to] = links[i];
    EXPECT_EQ(stage(result.metrics, from).frames_out,
              stage(result.metrics, to).frames_in + result.metrics.connections[i].dropped)
        << from << " -> " << to;
  }
}

TEST_P(SchedulerErrors, ExceptionFromProcessFailsTheRunNamingTheStageOnce) {
  chain({{"throw_at", 3}});

  const RunResult result = run(options());

  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("stage 'p'"));
  EXPECT_THAT(result.error, HasSubstr("test.pass threw at frame 3"));
  EXPECT_EQ(result.error.find("stage 'p'"), result.error.rfind("stage 'p'")) << result.error;
  EXPECT_EQ(ProbeLog::get("probe").stops, 1);
}

TEST_P(SchedulerErrors, FailingSourceFailsTheRun) {
  node("src", "test.source", {{"count", 0}, {"fail_at", 10}});
  node("sink", "test.sink");
  connect("src.out", "sink.in");

  const RunResult result = run(options());

  EXPECT_FALSE(result.ok);
  EXPECT_THAT(
      result.error,
      HasSubstr("stage 'src' (type 'test.source', plugin 'builtin'): test source failed at frame 10"));
}

TEST_P(SchedulerErrors, FailingFinishFailsTheRun) {
  node("src", "test.source", {{"count", 4}});
  node("probe", "probe.pass", {{"fail_in_finish", true}});
  node("sink", "test.sink");
  connect("src.out", "probe.in");
  connect("probe.out", "sink.in");

  const RunResult result = run(options());

  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error,
              HasSubstr("stage 'probe' (type 'probe.pass', plugin 'builtin'): probe failed in finish"));
  EXPECT_EQ(ProbeLog::get("probe").finishes, 1);
  EXPECT_EQ(ProbeLog::get("probe").stops, 1);
}

TEST_P(SchedulerErrors, ErrorInOneLaneStopsTheEndlessOthers) {
  chain({{"fail_at", 50}});
  node("other", "test.source", {{"count", 0}});
  node("other_sink", "test.sink", {{"sleep_us", 10}});
  connect("other.out", "other_sink.in");

  const RunResult result = run(options());

  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("stage 'p'"));
}

TEST_P(SchedulerErrors, StalledGraphIsReportedNotHung) {
  // `twice` doubles what reaches join.a while join.b gets one frame per source frame, so
  // join.a fills, `twice` blocks, the source blocks on `twice`, and join.b runs dry.
  node("src", "test.source", {{"count", 1000}});
  node("twice", "dup.pass");
  node("join", "test.join");
  node("sink", "test.sink");
  connect("src.out", "twice.in", 2);
  connect("src.out", "join.b", 2);
  connect("twice.out", "join.a", 2);
  connect("join.out", "sink.in", 2);

  const RunResult result = run(options());

  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("stalled"));
  EXPECT_THAT(result.error, HasSubstr("'join' waits for a frame on input 'b'"));
}

INSTANTIATE_TEST_SUITE_P(Threads, SchedulerErrors, ::testing::Values(1, 2, 4),
                         [](const auto& info) { return "threads" + std::to_string(info.param); });

}  // namespace
}  // namespace oi::test
