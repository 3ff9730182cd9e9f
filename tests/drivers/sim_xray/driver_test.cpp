// The sim.xray driver as a HAL device: scans with ground truth and tube settings in their
// metadata (surviving oi::xray::ScanAssembler), object length, determinism by seed, dark/air
// references and live tube changes. The generic checks are the conformance suite's
// (ctest -R conformance.sim_xray).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "oi/hal/device_registry.hpp"
#include "oi/hal/xray_scanner.hpp"
#include "oi/plugin_registry.hpp"
#include "oi/xray/scan_assembler.hpp"

namespace {

using namespace std::chrono_literals;
using oi::FramePtr;
using oi::ParamValue;
using oi::hal::XrayScanner;

class SimXrayDriver : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    static oi::PluginRegistry registry;
    const oi::PluginRecord& record = registry.load_file(OI_SIM_XRAY_PLUGIN);
    ASSERT_FALSE(record.error.has_value()) << *record.error;
  }

  std::unique_ptr<XrayScanner> open(std::map<std::string, ParamValue> params,
                                    const std::string& uri = "sim://test") {
    std::unique_ptr<oi::hal::Device> device = oi::hal::DeviceRegistry::instance().create("sim.xray");
    EXPECT_NE(device, nullptr);
    if (!device) return nullptr;
    auto* scanner = dynamic_cast<XrayScanner*>(device.get());
    EXPECT_NE(scanner, nullptr);
    device.release();
    std::unique_ptr<XrayScanner> out(scanner);
    const oi::Status s = out->configure(uri, params);
    EXPECT_TRUE(s.is_ok()) << s.message();
    return out;
  }

  // Every block until end of stream (bounded).
  static std::vector<FramePtr> read_all(XrayScanner& scanner) {
    std::vector<FramePtr> blocks;
    EXPECT_TRUE(scanner.start().is_ok());
    for (int i = 0; i < 10000; ++i) {
      FramePtr block;
      const oi::Status s = scanner.read(block, 10s);
      if (s.is_end_of_stream()) break;
      EXPECT_TRUE(s.is_ok()) << s.message();
      if (!s.is_ok()) break;
      if (block) blocks.push_back(block);
    }
    scanner.stop();
    return blocks;
  }
};

TEST_F(SimXrayDriver, ScansCarryGroundTruthAndTubeSettingsThroughAssembly) {
  auto scanner = open({{"scans", 2},
                       {"pixels_per_line", 128},
                       {"threat_rate", 1.0},
                       {"lines_per_block", 50},
                       {"source_kv", 140.0}});
  ASSERT_NE(scanner, nullptr);
  const std::vector<FramePtr> blocks = read_all(*scanner);
  ASSERT_FALSE(blocks.empty());
  oi::xray::ScanAssembler assembler;
  std::vector<FramePtr> scans;
  for (const FramePtr& b : blocks) {
    const auto& a = b->metadata().attributes;
    ASSERT_TRUE(a.contains("ground_truth") && a["ground_truth"].is_array());
    EXPECT_EQ(a["tube"]["kv"], 140.0);
    EXPECT_TRUE(a.contains("scene"));
    for (FramePtr s : assembler.add(b)) scans.push_back(s);
  }
  ASSERT_EQ(scans.size(), 2u);
  const double line_rate = scanner->geometry().line_rate_hz;
  for (std::size_t i = 0; i < scans.size(); ++i) {
    SCOPED_TRACE("scan " + std::to_string(i + 1));
    const oi::FrameMetadata& m = scans[i]->metadata();
    EXPECT_EQ(m.scan_id, i + 1);
    EXPECT_FALSE(m.incomplete);
    const int lines = scans[i]->plane("high").height;
    EXPECT_EQ(m.attributes["scan_lines"], lines);
    // Each object is 1-3 s of belt travel.
    EXPECT_GE(lines / line_rate, 1.0 - 1e-9);
    EXPECT_LE(lines / line_rate, 3.0 + 1e-9);
    // threat_rate 1: every object carries at least one threat, boxed inside the scan.
    const auto& truth = m.attributes["ground_truth"];
    ASSERT_FALSE(truth.empty());
    for (const auto& t : truth) {
      const auto& box = t["box"];
      EXPECT_GE(box[0].get<int>(), 0);
      EXPECT_GE(box[1].get<int>(), 0);
      EXPECT_LE(box[0].get<int>() + box[2].get<int>(), 128);
      EXPECT_LE(box[1].get<int>() + box[3].get<int>(), lines);
    }
  }
}

TEST_F(SimXrayDriver, TheSameSeedGivesTheSameScans) {
  const std::map<std::string, ParamValue> params = {
      {"scans", 1}, {"pixels_per_line", 64}, {"seed", 42}, {"scene", "bags"}};
  auto a = open(params, "sim://one");
  auto b = open(params, "sim://one");
  auto params_c = params;
  params_c["seed"] = 43;
  auto c = open(params_c, "sim://one");
  const auto x = read_all(*a), y = read_all(*b), z = read_all(*c);
  ASSERT_EQ(x.size(), y.size());
  ASSERT_FALSE(x.empty());
  for (std::size_t i = 0; i < x.size(); ++i) {
    for (const char* plane : {"high", "low"}) {
      const oi::Plane& p = x[i]->plane(plane);
      const oi::Plane& q = y[i]->plane(plane);
      ASSERT_EQ(p.height, q.height);
      for (int r = 0; r < p.height; ++r) {
        ASSERT_EQ(0, std::memcmp(p.row<std::uint16_t>(r), q.row<std::uint16_t>(r), p.row_bytes()))
            << plane << " row " << r;
      }
    }
    EXPECT_EQ(x[i]->metadata().attributes["ground_truth"], y[i]->metadata().attributes["ground_truth"]);
  }
  bool differs = x.size() != z.size();
  for (std::size_t i = 0; !differs && i < x.size(); ++i) {
    const oi::Plane& p = x[i]->plane("high");
    const oi::Plane& q = z[i]->plane("high");
    differs = p.height != q.height ||
              std::memcmp(p.row<std::uint16_t>(0), q.row<std::uint16_t>(0), p.row_bytes()) != 0;
  }
  EXPECT_TRUE(differs) << "another seed must give other scans";
}

double mean(const oi::Plane& p) {
  double sum = 0.0;
  for (int y = 0; y < p.height; ++y) {
    for (int x = 0; x < p.width; ++x) sum += p.row<std::uint16_t>(y)[x];
  }
  return sum / (static_cast<double>(p.width) * p.height);
}

TEST_F(SimXrayDriver, DarkAndAirReferencesLookLikeTheRealThing) {
  auto scanner = open({{"pixels_per_line", 256}});
  auto dark = scanner->acquire_reference(oi::hal::CalibrationKind::kDark, 16);
  auto air = scanner->acquire_reference(oi::hal::CalibrationKind::kAir, 16);
  ASSERT_TRUE(dark.ok() && air.ok());
  for (const char* plane : {"high", "low"}) {
    SCOPED_TRACE(plane);
    const double d = mean(dark.value()->plane(plane)), a = mean(air.value()->plane(plane));
    EXPECT_GT(d, 200.0);  // the ADC offset, not zero
    EXPECT_LT(d, 800.0);
    EXPECT_GT(a, 0.45 * 65535);  // 55 % of full scale at 160 kV, 1 mA, less dead pixels
    EXPECT_LT(a, 0.65 * 65535);
  }
  // Two dark references differ by their noise only.
  auto dark2 = scanner->acquire_reference(oi::hal::CalibrationKind::kDark, 16);
  ASSERT_TRUE(dark2.ok());
  EXPECT_NE(std::memcmp(dark.value()->plane("high").row<std::uint16_t>(0),
                        dark2.value()->plane("high").row<std::uint16_t>(0),
                        dark.value()->plane("high").row_bytes()),
            0);
  EXPECT_NEAR(mean(dark2.value()->plane("high")), mean(dark.value()->plane("high")), 2.0);
}

TEST_F(SimXrayDriver, TubeSettingsChangeWhileScanning) {
  auto scanner = open({{"pixels_per_line", 64}, {"scene", "wedges"}});
  ASSERT_TRUE(scanner->start().is_ok());
  FramePtr block;
  ASSERT_TRUE(scanner->read(block, 10s).is_ok());
  const oi::Status s = scanner->set("source_kv", 100.0);
  EXPECT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(scanner->source().kv, 100.0);
  ASSERT_TRUE(scanner->read(block, 10s).is_ok());
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(block->metadata().attributes["tube"]["kv"], 100.0);
  EXPECT_TRUE(scanner->set("pixels_per_line", 128).is_error()) << "the detector cannot change while scanning";
}

TEST_F(SimXrayDriver, ABadUriSaysWhatItOpens) {
  std::unique_ptr<oi::hal::Device> device = oi::hal::DeviceRegistry::instance().create("sim.xray");
  ASSERT_NE(device, nullptr);
  const oi::Status s = device->configure("mock://nope");
  ASSERT_TRUE(s.is_error());
  EXPECT_THAT(s.message(), ::testing::HasSubstr("sim://NAME"));
  EXPECT_THAT(s.message(), ::testing::HasSubstr("mock://nope"));
}

}  // namespace
