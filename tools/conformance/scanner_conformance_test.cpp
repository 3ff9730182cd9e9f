// Checks for X-ray scanners: geometry, calibration references, scan blocks with scan ids,
// block indices and end-of-scan. Skipped (with the reason) for other device kinds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conformance.hpp"
#include "oi/hal/xray_scanner.hpp"

namespace oi::conformance {
namespace {

using hal::CalibrationKind;
using hal::DeviceState;
using hal::XrayScanner;

class ScannerConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    device_ = make_device();
    ASSERT_NE(device_, nullptr);
    scanner_ = dynamic_cast<XrayScanner*>(device_.get());
    if (scanner_ == nullptr) GTEST_SKIP() << target().driver << " is not an XrayScanner";
    Status s = configure(*device_);
    ASSERT_TRUE(s.is_ok()) << s.message();
  }
  void TearDown() override {
    if (device_ && device_->state() != DeviceState::kClosed) device_->close();
  }
  static double mean(const Plane& p) {
    double sum = 0.0;
    for (int y = 0; y < p.height; ++y) {
      const auto* row = p.row<std::uint16_t>(y);
      for (int x = 0; x < p.width; ++x) sum += row[x];
    }
    return sum / (static_cast<double>(p.width) * p.height);
  }
  std::unique_ptr<hal::Device> device_;
  XrayScanner* scanner_ = nullptr;
};

TEST_F(ScannerConformance, GeometryIsPlausible) {
  const hal::ScanGeometry g = scanner_->geometry();
  EXPECT_TRUE(g.channels == 1 || g.channels == 2) << "channels: " << g.channels;
  EXPECT_GE(g.views, 1);
  EXPECT_GT(g.pixels_per_line, 0);
  EXPECT_GT(g.lines_per_block, 0);
  EXPECT_GT(g.pixel_pitch_mm, 0.0);
  EXPECT_GE(g.line_rate_hz, 0.0);
  EXPECT_GE(g.belt_speed_m_s, 0.0);
}

// A pipeline written for one scanner must run on another: geometry and source parameters
// use the standard names of oi::hal::scanner_param (declared with oi::hal::ScannerParams).
TEST_F(ScannerConformance, ParametersUseTheStandardScannerNames) {
  for (const std::string& problem : hal::check_standard_scanner_params(device_->spec())) {
    ADD_FAILURE() << target().driver << " " << problem;
  }
}

TEST_F(ScannerConformance, CalibrationReferencesAreAcquiredInReady) {
  const hal::ScanGeometry g = scanner_->geometry();
  auto dark = scanner_->acquire_reference(CalibrationKind::kDark, 8);
  auto air = scanner_->acquire_reference(CalibrationKind::kAir, 8);
  ASSERT_TRUE(dark.ok()) << dark.status().message();
  ASSERT_TRUE(air.ok()) << air.status().message();
  EXPECT_EQ(dark.value()->metadata().attributes.value(xray::attr::kCalibration, ""),
            xray::calibration::kDark);
  EXPECT_EQ(air.value()->metadata().attributes.value(xray::attr::kCalibration, ""), xray::calibration::kAir);
  for (const auto& name : g.plane_names()) {
    SCOPED_TRACE(name);
    const Plane& d = dark.value()->plane(name);
    const Plane& a = air.value()->plane(name);
    EXPECT_EQ(d.height, 8);
    EXPECT_EQ(d.width, g.pixels_per_line);
    EXPECT_LT(mean(d), mean(a)) << "the dark reference must be darker than the air reference";
  }
}

TEST_F(ScannerConformance, CalibrationIsRefusedWhileStreaming) {
  ASSERT_TRUE(device_->start().is_ok());
  auto dark = scanner_->acquire_reference(CalibrationKind::kDark, 8);
  ASSERT_FALSE(dark.ok());
  EXPECT_THAT(dark.status().message(), ::testing::HasSubstr("Streaming"));
}

TEST_F(ScannerConformance, BlocksCarryScanIdsBlockIndicesAndEndOfScan) {
  const hal::ScanGeometry g = scanner_->geometry();
  ASSERT_TRUE(device_->start().is_ok());
  int scans_ended = 0;
  std::uint64_t scan_id = 0;
  std::uint32_t expected_index = 0;
  bool first = true;
  const auto until = std::chrono::steady_clock::now() + 3 * kBound;
  while (scans_ended < 2 && std::chrono::steady_clock::now() < until) {
    Status s;
    FramePtr block = read_frame(*device_, &s);
    ASSERT_NE(block, nullptr) << "no block: " << s.message();
    const FrameMetadata& m = block->metadata();
    ASSERT_EQ(block->kind(), xray::frame_kind::kScanBlock);
    for (const auto& name : g.plane_names()) {
      ASSERT_TRUE(block->has_plane(name)) << name;
      EXPECT_EQ(block->plane(name).format, PixelFormat::kU16);
      EXPECT_EQ(block->plane(name).width, g.pixels_per_line);
    }
    if (g.channels == 1) {
      EXPECT_FALSE(block->has_plane(xray::plane::kLow)) << "single energy has only `high`";
    }
    // The first block read may be in the middle of a scan; from the first new scan on,
    // indices must count up from 0 and scan ids must increase.
    if (first || m.scan_id != scan_id) {
      if (!first) {
        EXPECT_GT(m.scan_id, scan_id);
        EXPECT_EQ(m.block_index, 0u);
      }
      scan_id = m.scan_id;
      first = false;
    } else {
      EXPECT_EQ(m.block_index, expected_index);
    }
    expected_index = m.block_index + 1;
    EXPECT_FALSE(m.incomplete);
    if (m.end_of_scan) ++scans_ended;
  }
  EXPECT_EQ(scans_ended, 2) << "two scans must end (end_of_scan) within " << 3 * kBound.count() << " ms";
}

}  // namespace
}  // namespace oi::conformance
