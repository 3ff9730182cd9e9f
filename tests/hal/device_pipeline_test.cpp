// The adapter in a real Pipeline loaded from YAML: mock.xray -> test.sink, with a fault in
// the middle; `--stats`-style summaries report the supervisor's counters.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include "oi/pipeline.hpp"
#include "oi/pipeline_spec.hpp"
#include "oi/plugin_registry.hpp"
#include "test_stages.hpp"

namespace oi::hal::test {
namespace {

using ::testing::HasSubstr;

class DevicePipeline : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.load_default_locations();
    oi::test::register_test_stages(registry_);
    oi::test::TestSinkLog::instance().clear();
  }
  PipelineSpec load(const std::string& device_params) {
    const std::string yaml =
        "devices:\n"
        "  scanner:\n"
        "    driver: mock.xray\n"
        "    uri: mock://lane1\n"
        "    params: {" +
        device_params +
        "}\n"
        "stages:\n"
        "  sink: { type: test.sink }\n"
        "connections:\n"
        "  - { from: scanner.out, to: sink.in }\n";
    return load_pipeline_text(yaml, "hal.yaml", "/tmp", registry_);
  }
  PluginRegistry registry_;
};

TEST_F(DevicePipeline, DeviceParametersAndSupervisorKeysAreDeclaredOnTheNode) {
  const TypeInfo* info = registry_.find("mock.xray");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->kind, FactoryKind::kDriver);
  EXPECT_NE(info->spec.find_param("pixels_per_line"), nullptr);
  EXPECT_EQ(info->spec.find_param("source_kv")->unit(), "kV");
  EXPECT_NE(info->spec.find_param("on_fault"), nullptr);
  EXPECT_EQ(info->spec.outputs().at(0).type.str(), "xray.scan_block<u16>");
}

TEST_F(DevicePipeline, AFaultMidRunIsRecoveredAndCountedInTheSummary) {
  Pipeline pipeline(load("scans: 3, blocks_per_scan: 4, fail_after_blocks: 5, retry_backoff_ms: 1"),
                    registry_);
  RunOptions options;
  options.threads = 2;
  const RunResult result = pipeline.run(options);
  ASSERT_TRUE(result.ok) << result.error;
  auto summaries = pipeline.stage_summaries();
  auto it =
      std::find_if(summaries.begin(), summaries.end(), [](const auto& s) { return s.first == "scanner"; });
  ASSERT_NE(it, summaries.end());
  EXPECT_EQ(it->second["faults"], 1);
  EXPECT_EQ(it->second["restarts"], 1);
  EXPECT_EQ(it->second["incomplete"], 1);
  EXPECT_EQ(it->second["device"]["vendor"], "OpenInspect");
  const auto received = oi::test::TestSinkLog::instance().sequences("sink");
  EXPECT_EQ(received.size(), it->second["frames"].get<std::size_t>())
      << "everything emitted reached the sink";
}

TEST_F(DevicePipeline, TheApplicationReceivesFaultAndRecoveryEvents) {
  Pipeline pipeline(load("scans: 3, blocks_per_scan: 4, fail_after_blocks: 5, retry_backoff_ms: 1"),
                    registry_);
  std::mutex mutex;
  std::vector<std::string> heard;
  RunOptions options;
  options.on_event = [&](const PipelineEvent& e) {
    std::lock_guard lock(mutex);
    heard.push_back(e.kind);
  };
  ASSERT_TRUE(pipeline.run(options).ok);
  const std::vector<PipelineEvent> events = pipeline.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, event_kind::kDeviceFault);
  EXPECT_EQ(events[0].source, "scanner");
  EXPECT_EQ(events[0].severity, EventSeverity::kWarning);
  EXPECT_THAT(events[0].message, HasSubstr("fault injected after"));
  EXPECT_EQ(events[0].details["on_fault"], "restart");
  EXPECT_GT(events[0].time_ns, 0);
  EXPECT_EQ(events[1].kind, event_kind::kDeviceRecovered);
  EXPECT_LE(events[0].time_ns, events[1].time_ns);
  EXPECT_EQ(heard, (std::vector<std::string>{event_kind::kDeviceFault, event_kind::kDeviceRecovered}));
}

TEST_F(DevicePipeline, TestPatternIsAHalScannerUnderTheSupervisor) {
  const TypeInfo* info = registry_.find("test.pattern");
  ASSERT_NE(info, nullptr);
  EXPECT_NE(info->spec.find_param("on_fault"), nullptr);
  const std::string yaml =
      "devices:\n  scanner: { driver: test.pattern, params: { pixels_per_line: 32, lines_per_block: 4, "
      "blocks_per_scan: 3, scans: 2 } }\n"
      "stages:\n  sink: { type: test.sink }\n"
      "connections:\n  - { from: scanner.out, to: sink.in }\n";
  Pipeline pipeline(load_pipeline_text(yaml, "hal.yaml", "/tmp", registry_), registry_);
  ASSERT_TRUE(pipeline.run().ok);
  EXPECT_EQ(oi::test::TestSinkLog::instance().sequences("sink").size(), 6u);
  EXPECT_TRUE(pipeline.events().empty());
}

TEST_F(DevicePipeline, OnFaultStopFailsTheRunNamingTheDevice) {
  Pipeline pipeline(load("fail_after_blocks: 2, on_fault: stop"), registry_);
  const RunResult result = pipeline.run();
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("stage 'scanner' (type 'mock.xray'"));
  EXPECT_THAT(result.error, HasSubstr("device at 'mock://lane1'"));
}

TEST_F(DevicePipeline, ABadUriIsAConfigErrorNamingTheNodeAndUri) {
  const std::string yaml =
      "devices:\n  scanner: { driver: mock.xray, uri: 'http://wrong' }\n"
      "stages:\n  sink: { type: test.sink }\n"
      "connections:\n  - { from: scanner.out, to: sink.in }\n";
  PipelineSpec spec = load_pipeline_text(yaml, "hal.yaml", "/tmp", registry_);
  try {
    Pipeline pipeline(spec, registry_);
    FAIL() << "a bad URI must fail at start";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unsupported URI 'http://wrong'"));
    EXPECT_THAT(e.what(), HasSubstr("scanner"));
  }
}

TEST_F(DevicePipeline, AnInvalidDeviceParameterIsReportedAtLoadTime) {
  EXPECT_THROW(load("source_kv: 9000"), ConfigError);
}

}  // namespace
}  // namespace oi::hal::test
