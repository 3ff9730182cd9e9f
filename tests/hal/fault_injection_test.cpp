// Every fault oi::hal::FaultInjector can inject, on every driver that carries it (mock.xray,
// test.pattern, sim.xray, sim.cctv), in a real pipeline under the supervisor: the device
// disappears, goes silent, delivers a short or a corrupt frame, or loses one on the link. Each
// case must end with the fault named and every frame accounted for — delivered, marked
// incomplete or counted lost — never a crash, a hang or a silent drop (docs/reliability.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "oi/pipeline.hpp"
#include "oi/pipeline_spec.hpp"
#include "oi/plugin_registry.hpp"
#include "test_stages.hpp"

namespace oi::hal::test {
namespace {

using ::testing::HasSubstr;

struct DriverCase {
  std::string driver;
  std::string params;  // without the fault's own
  bool scanner;        // scan blocks (a cut scan is marked incomplete) or camera frames
  int frames;          // a camera's frames (its stream ends there); 0 for scanners
};

const std::vector<DriverCase>& drivers() {
  static const std::vector<DriverCase> cases = {
      {"mock.xray", "scans: 3, blocks_per_scan: 4, fail_after_blocks: 5", true, 0},
      {"test.pattern",
       "pixels_per_line: 32, lines_per_block: 4, blocks_per_scan: 4, scans: 3, fail_after_blocks: 5", true,
       0},
      {"sim.xray", "pixels_per_line: 64, scene: wedges, scans: 2, fail_after_blocks: 5", true, 0},
      {"sim.cctv", "camera: gate, width: 96, height: 72, frames: 8, fail_after_frames: 3", false, 8},
  };
  return cases;
}

using FaultCase = std::tuple<std::size_t, std::string>;  // driver index, fault_kind

class DriverFaultsBase {
 protected:
  void SetUpRegistry() {
    registry_.load_default_locations();
    oi::test::register_test_stages(registry_);
    oi::test::TestSinkLog::instance().clear();
  }

  // `driver` with `params` (and a short back-off and frame timeout) into test.mux.
  nlohmann::json run_with(const std::string& driver, const std::string& params) {
    const std::string yaml = "devices:\n  dev:\n    driver: " + driver + "\n    params: { " + params +
                             ", retry_backoff_ms: 1, frame_timeout_ms: 300 }\n"
                             "stages:\n  sink: { type: test.mux }\n"
                             "connections:\n  - { from: dev.out, to: sink.in }\n";
    Pipeline pipeline(load_pipeline_text(yaml, "faults.yaml", "/tmp", registry_), registry_);
    RunOptions options;
    options.threads = 2;
    const RunResult result = pipeline.run(options);
    EXPECT_TRUE(result.ok) << result.error;
    for (const auto& [name, summary] : pipeline.stage_summaries()) {
      if (name == "dev") return summary;
    }
    ADD_FAILURE() << "no summary for the device node";
    return {};
  }

  PluginRegistry registry_;
};

class DriverFaults : public ::testing::TestWithParam<FaultCase>, protected DriverFaultsBase {
 protected:
  void SetUp() override { SetUpRegistry(); }
  const DriverCase& driver() const { return drivers()[std::get<0>(GetParam())]; }
  const std::string& kind() const { return std::get<1>(GetParam()); }
  // Runs the driver with the fault into test.mux and returns the device node's summary.
  nlohmann::json run() { return run_with(driver().driver, driver().params + ", fault_kind: " + kind()); }
};

class DriverFaultsOne : public ::testing::Test, protected DriverFaultsBase {
 protected:
  void SetUp() override { SetUpRegistry(); }
};

TEST_P(DriverFaults, TheFaultIsNamedAndEveryFrameIsAccountedFor) {
  if (registry_.find(driver().driver) == nullptr) {
    // The simulators need xraylib and OpenCV; mock.xray and test.pattern are always built.
    ASSERT_TRUE(driver().driver.starts_with("sim.")) << driver().driver << " was not found";
    GTEST_SKIP() << driver().driver << " is not built here";
  }
  const nlohmann::json summary = run();
  ASSERT_TRUE(summary.is_object());
  const std::vector<FrameMetadata> got = oi::test::TestSinkLog::instance().frames("sink");
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.size(), summary["frames"].get<std::size_t>()) << "everything emitted reached the sink";
  for (std::size_t i = 1; i < got.size(); ++i) EXPECT_LT(got[i - 1].sequence, got[i].sequence);

  if (kind() == "drop") {
    // Lost on the link, mid-scan: no fault, one frame counted lost, a visible gap where it was
    // (the scan assembler marks such a scan incomplete; the device cut none).
    EXPECT_EQ(summary["faults"], 0);
    EXPECT_EQ(summary["lost"], 1);
    EXPECT_EQ(summary["incomplete"], 0);
    if (driver().scanner) {
      bool gap = false;
      for (std::size_t i = 1; i < got.size(); ++i) {
        if (got[i].scan_id == got[i - 1].scan_id && got[i].block_index != got[i - 1].block_index + 1)
          gap = true;
      }
      EXPECT_TRUE(gap) << "a block of one scan is missing";
    } else {
      EXPECT_EQ(got.size(), static_cast<std::size_t>(driver().frames - 1));
    }
    return;
  }

  // The device faulted once, with the reason, and the supervisor restarted it once.
  EXPECT_EQ(summary["faults"], 1);
  EXPECT_EQ(summary["restarts"], 1);
  const std::string reason = summary["last_fault"].get<std::string>();
  const std::map<std::string, std::string> says = {{"error", "fault injected after"},
                                                   {"timeout", "no frame within 300 ms"},
                                                   {"short", "delivered a malformed"},
                                                   {"corrupt", "delivered a malformed"}};
  EXPECT_THAT(reason, HasSubstr(says.at(kind())));
  if (kind() == "short") {
    EXPECT_THAT(reason, HasSubstr(driver().scanner ? "pixels; the geometry says u16 x"
                                                   : "95 x 72; the camera's format is rgb8 96 x 72"));
  }
  if (kind() == "corrupt") EXPECT_THAT(reason, HasSubstr("u8"));

  if (driver().scanner) {
    // The scan the fault cut is delivered as far as it came, marked incomplete with the
    // reason; every other scan ends normally.
    EXPECT_EQ(summary["incomplete"], 1);
    const auto cut =
        std::count_if(got.begin(), got.end(), [](const FrameMetadata& m) { return m.incomplete; });
    EXPECT_EQ(cut, 1);
    for (const FrameMetadata& m : got) {
      if (m.incomplete) EXPECT_TRUE(m.end_of_scan);
    }
    EXPECT_TRUE(got.back().end_of_scan);
  } else {
    // A camera's stream goes on; what the outage cost is counted, never hidden.
    EXPECT_GE(summary["lost"].get<int>(), 1);
    EXPECT_GE(got.size() + summary["lost"].get<std::size_t>(), static_cast<std::size_t>(driver().frames));
  }
}

// A block lost at the end of its scan leaves no gap to see: the scan is closed as incomplete when
// the next one begins, and the loss is counted. With `faults: 2` the second loss comes
// fail_after_blocks blocks after the first, not at once.
TEST_F(DriverFaultsOne, ALostLastBlockClosesItsScanAsIncompleteAndFaultsComeSpacedOut) {
  nlohmann::json summary =
      run_with("mock.xray", "scans: 3, blocks_per_scan: 4, fail_after_blocks: 3, fault_kind: drop");
  EXPECT_EQ(summary["lost"], 1);
  EXPECT_EQ(summary["incomplete"], 1);
  std::vector<FrameMetadata> got = oi::test::TestSinkLog::instance().frames("sink");
  ASSERT_EQ(got.size(), 11u);
  EXPECT_TRUE(got[2].incomplete && got[2].end_of_scan) << "scan 1 ends at its third block, incomplete";
  EXPECT_EQ(got[2].attributes.value("incomplete_reason", ""), "the next scan began before this one ended");
  EXPECT_TRUE(got.back().end_of_scan);

  oi::test::TestSinkLog::instance().clear();
  summary = run_with("mock.xray",
                     "scans: 2, blocks_per_scan: 4, fail_after_blocks: 2, faults: 2, fault_kind: drop");
  EXPECT_EQ(summary["lost"], 2);
  got = oi::test::TestSinkLog::instance().frames("sink");
  std::vector<std::pair<std::uint64_t, std::uint32_t>> blocks;
  for (const FrameMetadata& m : got) blocks.emplace_back(m.scan_id, m.block_index);
  EXPECT_EQ(blocks, (std::vector<std::pair<std::uint64_t, std::uint32_t>>{
                        {1, 0}, {1, 1}, {1, 3}, {2, 0}, {2, 2}, {2, 3}}));
}

std::string case_name(const ::testing::TestParamInfo<FaultCase>& info) {
  std::string driver = drivers()[std::get<0>(info.param)].driver;
  std::replace(driver.begin(), driver.end(), '.', '_');
  return driver + "_" + std::get<1>(info.param);
}

INSTANTIATE_TEST_SUITE_P(EveryDriver, DriverFaults,
                         ::testing::Combine(::testing::Range<std::size_t>(0, 4),
                                            ::testing::Values("error", "timeout", "short", "corrupt",
                                                              "drop")),
                         case_name);

}  // namespace
}  // namespace oi::hal::test
