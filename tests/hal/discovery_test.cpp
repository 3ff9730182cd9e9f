// Discovery: Device::enumerate() and DeviceRegistry::enumerate() across driver types, as
// `oi devices` uses them; plus the line-scan timing helpers drivers share.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "hal_test_util.hpp"
#include "oi/hal/device_registry.hpp"
#include "oi/hal/scan_timing.hpp"
#include "oi/plugin_registry.hpp"

namespace oi::hal::test {
namespace {

using ::testing::HasSubstr;

TEST(Discovery, EnumerateListsDevicesAndOpensNothing) {
  FakeDevice device;
  Result<std::vector<DeviceInfo>> found = device.enumerate();
  ASSERT_TRUE(found.ok()) << found.status().message();
  ASSERT_EQ(found.value().size(), 1u);
  EXPECT_EQ(found.value()[0].uri, "fake://0001");
  EXPECT_EQ(device.state(), DeviceState::kUnconfigured);
}

TEST(Discovery, AThrowingDiscoveryIsAnErrorNamingTheDevice) {
  FakeDevice device;
  device.set_label("fake.camera");
  device.throw_in_enumerate = true;
  Result<std::vector<DeviceInfo>> found = device.enumerate();
  ASSERT_FALSE(found.ok());
  EXPECT_THAT(found.status().message(), HasSubstr("fake.camera"));
  EXPECT_THAT(found.status().message(), HasSubstr("network interface vanished"));
}

TEST(Discovery, AClosedDeviceDoesNotEnumerate) {
  FakeDevice device;
  ASSERT_TRUE(device.close().is_ok());
  EXPECT_FALSE(device.enumerate().ok());
}

TEST(Discovery, TheRegistryAsksEveryDriverAndReportsTheOnesThatFail) {
  PluginRegistry registry;
  registry.load_default_locations();  // mock.xray and test.pattern from the build tree
  bool throw_now = true;
  DeviceFactoryRegistrar failing("zz.failing", [&throw_now] {
    auto d = std::make_unique<FakeDevice>();
    d->throw_in_enumerate = throw_now;
    return std::unique_ptr<Device>(std::move(d));
  });
  const DeviceRegistry::Discovery d = DeviceRegistry::instance().enumerate();
  auto mock = std::find_if(d.devices.begin(), d.devices.end(),
                           [](const DeviceInfo& i) { return i.driver == "mock.xray"; });
  ASSERT_NE(mock, d.devices.end()) << "the other drivers are still listed";
  EXPECT_EQ(mock->uri, "mock://xray");
  EXPECT_EQ(mock->to_json()["vendor"], "OpenInspect");
  ASSERT_EQ(d.problems.size(), 1u);
  EXPECT_THAT(d.problems[0], HasSubstr("zz.failing"));
  EXPECT_THAT(d.problems[0], HasSubstr("network interface vanished"));
  EXPECT_TRUE(std::is_sorted(d.devices.begin(), d.devices.end(),
                             [](const DeviceInfo& a, const DeviceInfo& b) { return a.driver < b.driver; }));
}

TEST(ScanCounter, NumbersBlocksIntoScansAndStartsANewScanAfterAnAbandonedOne) {
  ScanCounter counter(3);
  FrameMetadata m;
  std::vector<std::tuple<std::uint64_t, std::uint32_t, bool>> seen;
  for (int i = 0; i < 4; ++i) {
    counter.tag(m);
    seen.emplace_back(m.scan_id, m.block_index, m.end_of_scan);
  }
  counter.abandon_scan();  // stopped after block 0 of scan 2
  counter.tag(m);
  seen.emplace_back(m.scan_id, m.block_index, m.end_of_scan);
  using T = std::tuple<std::uint64_t, std::uint32_t, bool>;
  EXPECT_EQ(seen,
            (std::vector<T>{T{1, 0, false}, T{1, 1, false}, T{1, 2, true}, T{2, 0, false}, T{3, 0, false}}));
  EXPECT_EQ(counter.scans_done(), 2u);
}

TEST(ScanCounter, ANewScanLengthAppliesFromTheNextScan) {
  ScanCounter counter(2);
  FrameMetadata m;
  counter.tag(m);
  counter.set_blocks_per_scan(1);
  counter.tag(m);
  EXPECT_TRUE(m.end_of_scan) << "the scan in progress keeps its length";
  EXPECT_EQ(m.block_index, 1u);
  counter.tag(m);
  EXPECT_TRUE(m.end_of_scan);
  EXPECT_EQ(m.scan_id, 2u);
}

TEST(LinePacer, UnpacedReleasesAtOnceAndPacedHonoursTheDeadline) {
  LinePacer pacer;
  pacer.reset(0.0);
  EXPECT_TRUE(pacer.wait_for_block(100, LinePacer::Clock::now()));
  pacer.reset(10.0);  // 10 lines/s: a 100-line block every 10 s
  EXPECT_TRUE(
      pacer.wait_for_block(100, LinePacer::Clock::now() + std::chrono::seconds(1)));  // the first is due now
  const auto t0 = LinePacer::Clock::now();
  EXPECT_FALSE(pacer.wait_for_block(100, t0 + std::chrono::milliseconds(20))) << "the next is 10 s away";
  EXPECT_LT(LinePacer::Clock::now() - t0, std::chrono::seconds(5))
      << "it returned at the deadline, not the due time";
}

}  // namespace
}  // namespace oi::hal::test
