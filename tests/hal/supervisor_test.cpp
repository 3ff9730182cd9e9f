// The supervisor inside the driver adapter, driven with mock.xray's fault injection:
// restart with backoff, stop, ignore, giving up, timeouts; incomplete scans and counters.
#include "oi/hal/supervisor.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "hal_test_util.hpp"
#include "oi/plugin_registry.hpp"

namespace oi::hal::test {
namespace {

using ::testing::HasSubstr;

class Supervisor : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new PluginRegistry();
    registry_->load_default_locations();  // the build tree's plugin folder, with mock.xray
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
  }

  // Starts a mock.xray node with `params` over its defaults; returns what process() ended with.
  Status run(const std::map<std::string, ParamValue>& params, int max_calls = 200) {
    stage_ = registry_->create("mock.xray");
    StageSpec spec;
    stage_->setup(spec);
    ParamSet values;
    for (const auto& p : spec.params())
      if (p.default_value()) values.set(p.name(), *p.default_value());
    values.set("retry_backoff_ms", 1);  // keeps the suite fast; backoff() is tested on its own
    for (const auto& [k, v] : params) values.set(k, v);
    stage_->start(StageConfig{"scanner", "mock.xray", "mock://lane1", values, {}, {}});
    ctx_ = std::make_unique<RecordingContext>(spec);
    Status s;
    for (int i = 0; i < max_calls; ++i) {
      s = stage_->process(*ctx_);
      if (!s.is_ok()) break;
    }
    if (!s.is_error()) stage_->finish(*ctx_);
    stage_->stop();
    return s;
  }
  nlohmann::json summary() const { return stage_->summary(); }
  std::vector<FramePtr>& frames() { return ctx_->frames; }

  static PluginRegistry* registry_;
  std::unique_ptr<Stage> stage_;
  std::unique_ptr<RecordingContext> ctx_;
};

PluginRegistry* Supervisor::registry_ = nullptr;

TEST_F(Supervisor, RestartRecoversAndMarksTheInterruptedScanIncomplete) {
  // 4 blocks a scan; the device fails after 2 blocks, twice; 3 scans in all.
  Status s = run({{"blocks_per_scan", 4}, {"scans", 3}, {"fail_after_blocks", 2}, {"faults", 2}});
  EXPECT_TRUE(s.is_end_of_stream()) << s.message();
  const auto j = summary();
  EXPECT_EQ(j["faults"], 2);
  EXPECT_EQ(j["restarts"], 2);
  EXPECT_EQ(j["incomplete"], 2);
  EXPECT_EQ(j["gave_up"], false);
  EXPECT_EQ(j["device"]["serial"], "lane1");
  // The application hears of each fault and each recovery, in order.
  EXPECT_EQ(ctx_->event_kinds(),
            (std::vector<std::string>{event_kind::kDeviceFault, event_kind::kDeviceRecovered,
                                      event_kind::kDeviceFault, event_kind::kDeviceRecovered}));
  // Nothing silently dropped: every scan ends with exactly one end_of_scan block, and the
  // cut ones say so.
  int ends = 0, incomplete = 0;
  std::uint64_t last_sequence = 0;
  for (std::size_t i = 0; i < frames().size(); ++i) {
    const auto& m = frames()[i]->metadata();
    if (i > 0) {
      EXPECT_GT(m.sequence, last_sequence);
    }
    last_sequence = m.sequence;
    EXPECT_EQ(m.source_device, "scanner");
    ends += m.end_of_scan ? 1 : 0;
    if (m.incomplete) {
      ++incomplete;
      EXPECT_TRUE(m.end_of_scan);
      EXPECT_THAT(m.attributes.value("incomplete_reason", ""), HasSubstr("fault injected after"));
    }
  }
  EXPECT_EQ(incomplete, 2);
  // A scan cut short is not resumed (the belt moved on), so of the 3 scan ids 2 were cut.
  EXPECT_EQ(ends, 3) << "every scan id ends exactly once";
  EXPECT_EQ(frames().back()->metadata().scan_id, 3u);
  EXPECT_FALSE(frames().back()->metadata().incomplete);
}

TEST_F(Supervisor, StopFailsTheRunNamingTheDeviceAndStillDeliversWhatArrived) {
  Status s = run({{"fail_after_blocks", 2}, {"on_fault", "stop"}});
  ASSERT_TRUE(s.is_error());
  EXPECT_THAT(s.message(), HasSubstr("stage 'scanner' (type 'mock.xray'"));
  EXPECT_THAT(s.message(), HasSubstr("): device at 'mock://lane1': fault injected after"));
  EXPECT_THAT(s.message(), HasSubstr("on_fault: stop"));
  ASSERT_EQ(frames().size(), 2u);
  EXPECT_TRUE(frames().back()->metadata().incomplete);
  EXPECT_EQ(summary()["faults"], 1);
  EXPECT_EQ(summary()["restarts"], 0);
}

TEST_F(Supervisor, IgnoreEndsTheDeviceWithoutFailingTheRun) {
  Status s = run({{"fail_after_blocks", 1}, {"on_fault", "ignore"}});
  EXPECT_TRUE(s.is_end_of_stream());
  EXPECT_EQ(summary()["faults"], 1);
  EXPECT_EQ(summary()["incomplete"], 1);
  EXPECT_EQ(summary()["gave_up"], true);
}

TEST_F(Supervisor, GivesUpAfterMaxRetriesWithAnErrorNamingTheDevice) {
  Status s = run({{"fail_after_blocks", 0}, {"recover_failures", 100}, {"max_retries", 3}});
  ASSERT_TRUE(s.is_error());
  EXPECT_THAT(s.message(), HasSubstr("stage 'scanner' (type 'mock.xray'"));
  EXPECT_THAT(s.message(), HasSubstr("): device at 'mock://lane1': gave up after"));
  EXPECT_THAT(s.message(), HasSubstr("gave up after 3 recovery attempt(s)"));
  EXPECT_THAT(s.message(), HasSubstr("still unreachable"));
  EXPECT_EQ(summary()["restarts"], 0);
  EXPECT_EQ(summary()["gave_up"], true);
  ASSERT_FALSE(ctx_->events.empty());
  EXPECT_EQ(ctx_->events.back().kind, event_kind::kDeviceGaveUp);
  EXPECT_EQ(ctx_->events.back().severity, EventSeverity::kError);
  EXPECT_EQ(ctx_->events.back().details["attempts"], 3);
}

TEST_F(Supervisor, RecoversAfterFailedAttemptsWithinTheRetryBudget) {
  Status s = run({{"scans", 2}, {"fail_after_blocks", 1}, {"recover_failures", 2}, {"max_retries", 3}});
  EXPECT_TRUE(s.is_end_of_stream()) << s.message();
  EXPECT_EQ(summary()["faults"], 1);
  EXPECT_EQ(summary()["restarts"], 1);
}

TEST_F(Supervisor, ASilentDeviceTimesOutAndIsRestarted) {
  Status s =
      run({{"scans", 2}, {"fail_after_blocks", 2}, {"fault_kind", "timeout"}, {"frame_timeout_ms", 50}});
  EXPECT_TRUE(s.is_end_of_stream()) << s.message();
  EXPECT_EQ(summary()["faults"], 1);
  EXPECT_EQ(summary()["restarts"], 1);
  EXPECT_EQ(summary()["incomplete"], 1);
  EXPECT_THAT(summary()["last_fault"].get<std::string>(),
              HasSubstr("no frame within 50 ms (frame_timeout_ms)"));
}

TEST_F(Supervisor, AStopRequestEndsAPendingRecoveryPromptly) {
  stage_ = registry_->create("mock.xray");
  StageSpec spec;
  stage_->setup(spec);
  ParamSet values;
  for (const auto& p : spec.params())
    if (p.default_value()) values.set(p.name(), *p.default_value());
  values.set("fail_after_blocks", 0);
  values.set("retry_backoff_ms", 3600000);  // an hour: only the stop request can end the wait
  stage_->start(StageConfig{"scanner", "mock.xray", "mock://x", values, {}, {}});
  RecordingContext ctx(spec);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ctx.stop = true;
  });
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(stage_->process(ctx).is_end_of_stream());  // the first read faults; backoff begins
  stopper.join();
  // A hang guard, not a speed check: the wait would otherwise last an hour.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(60));
  EXPECT_EQ(stage_->summary()["faults"], 1);
  stage_->stop();
}

TEST(SupervisorPolicy, BackoffDoublesAndIsCapped) {
  SupervisorPolicy p;
  p.retry_backoff = std::chrono::milliseconds(100);
  EXPECT_EQ(p.backoff(1).count(), 100);
  EXPECT_EQ(p.backoff(2).count(), 200);
  EXPECT_EQ(p.backoff(4).count(), 800);
  EXPECT_EQ(p.backoff(40), SupervisorPolicy::kMaxBackoff);
}

TEST(SupervisorPolicy, ReadsItsParameters) {
  ParamSet params;
  params.set("on_fault", "ignore");
  params.set("max_retries", 7);
  const SupervisorPolicy p = SupervisorPolicy::from_params(params);
  EXPECT_EQ(p.on_fault, FaultAction::kIgnore);
  EXPECT_EQ(p.max_retries, 7);
  EXPECT_EQ(p.frame_timeout.count(), 2000);
}

TEST_F(Supervisor, ReferencesAtStartComeFirstAsWholeCalibrationFrames) {
  Status s = run({{"scans", 1}, {"blocks_per_scan", 2}, {"references", "start"}, {"reference_lines", 8}});
  EXPECT_TRUE(s.is_end_of_stream()) << s.message();
  ASSERT_EQ(frames().size(), 4u);
  const char* kinds[] = {"dark", "air"};
  for (int i = 0; i < 2; ++i) {
    const auto& m = frames()[i]->metadata();
    EXPECT_EQ(m.attributes.value("calibration", ""), kinds[i]);
    EXPECT_EQ(m.scan_id, 0u);
    EXPECT_TRUE(m.end_of_scan) << "a reference is a whole scan of its own";
    EXPECT_EQ(frames()[i]->plane("high").height, 8);
  }
  EXPECT_GT(frames()[1]->plane("high").row<std::uint16_t>(0)[0],
            frames()[0]->plane("high").row<std::uint16_t>(0)[0])
      << "air is brighter than dark";
  EXPECT_EQ(frames()[2]->metadata().scan_id, 1u);
}

TEST(SupervisorParams, OnlyScannersTakeReferenceParameters) {
  PluginRegistry registry;
  registry.load_default_locations();
  const TypeInfo* scanner = registry.find("mock.xray");
  ASSERT_NE(scanner, nullptr);
  EXPECT_NE(scanner->spec.find_param("references"), nullptr);
  EXPECT_NE(scanner->spec.find_param("reference_lines"), nullptr);
}

}  // namespace
}  // namespace oi::hal::test
