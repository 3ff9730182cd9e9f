// test.pattern: a built-in dual-energy scanner that needs no hardware. It streams scan blocks
// shaped like a line-scan X-ray scanner's (K lines x pixels, u16 `high` and `low` channels)
// showing a recognisable pattern, so pipelines, sinks and benchmarks run anywhere. It is a
// HAL device like any vendor's scanner: it runs under the supervisor and passes
// oi-conformance; faults can be injected like on mock.xray (oi::hal::FaultInjector).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "oi/hal/driver.hpp"
#include "oi/hal/fault_injection.hpp"
#include "oi/hal/scan_timing.hpp"
#include "oi/hal/uri.hpp"
#include "oi/hal/xray_scanner.hpp"

namespace {

using oi::Status;

class TestPattern final : public oi::hal::XrayScanner {
 public:
  oi::hal::ScanGeometry geometry() const override { return geometry_; }
  oi::hal::XraySource source() const override { return source_; }

 protected:
  void on_setup(oi::hal::DeviceSpec& spec) override {
    spec.describe(
        "Synthetic dual-energy scanner. Emits scan blocks of `lines_per_block` x `pixels_per_line` u16 "
        "pixels in two channels, `high` and `low`; each scan is `blocks_per_scan` blocks of one object. "
        "The `low` channel is attenuated more than `high`, as behind real objects. URI: none "
        "needed (`pattern://NAME` names the instance).");
    spec.set_capabilities(scanner_capabilities(/*finite=*/true));  // finite with `scans` > 0
    oi::hal::ScannerParams standard(spec);
    spec.param("pattern", pattern_).one_of({"gradient", "bars", "objects"}).describe("What the scans show.");
    standard.pixels_per_line(geometry_.pixels_per_line).range(8, 8192);
    standard.lines_per_block(geometry_.lines_per_block).range(1, 4096);
    spec.param("blocks_per_scan", blocks_per_scan_)
        .range(1, 10000)
        .describe("Scan blocks that make up one object's scan.");
    spec.param("scans", scans_).min(0).describe("Scans to emit before end of stream; 0 = endless.");
    standard.line_rate_hz(geometry_.line_rate_hz)
        .range(0.0, 100000.0)
        .describe("Lines per second, paced like a moving belt; 0 = as fast as possible.");
    standard.pixel_pitch_mm(geometry_.pixel_pitch_mm)
        .range(0.01, 100.0)
        .describe("Detector pixel size written into frame metadata.");
    faults_.declare(spec);
  }

  Status on_configure(const std::string& uri, const oi::ParamSet&) override {
    oi::Result<std::string> name =
        oi::hal::Uri::target_of(uri, "pattern", "no URI at all, or 'pattern://NAME'", "pattern", true);
    if (!name.ok()) return name.status();
    counter_.set_blocks_per_scan(blocks_per_scan_);
    const std::string serial = name.value();
    set_identity(
        {"OpenInspect", "Test pattern scanner", serial.empty() ? "pattern" : serial, "n/a", "0.2.0"});
    return Status::ok();
  }

  Status on_start() override {
    counter_.set_blocks_per_scan(blocks_per_scan_);
    counter_.abandon_scan();  // an object cut by a stop cannot be resumed
    pacer_.reset(geometry_.line_rate_hz);
    faults_.started();
    source_ = {oi::hal::SourceState::kOn, 160.0, 1.0};
    return Status::ok();
  }

  // An injected fault may refuse the recovery (recover_failures); otherwise the device is
  // closed and configured again with its URI and values, like any device after a fault.
  Status on_recover() override {
    if (Status s = faults_.recover(); !s.is_ok()) return s;
    return XrayScanner::on_recover();
  }

  Status on_stop() override {
    source_.state = oi::hal::SourceState::kOff;
    return Status::ok();
  }

  Status on_read_block(oi::FramePtr& block, std::chrono::milliseconds timeout) override {
    if (scans_ > 0 && counter_.scans_done() >= static_cast<std::uint64_t>(scans_))
      return Status::end_of_stream();
    bool silent = false;
    if (Status s = faults_.before_read(timeout, silent); !s.is_ok() || silent) return s;
    if (!pacer_.wait_for_block(geometry_.lines_per_block, oi::hal::LinePacer::Clock::now() + timeout)) {
      return Status::ok();
    }
    block = make_block(geometry_.lines_per_block);
    fill(*block, false, false);
    counter_.tag(block->metadata());
    block->metadata().attributes[oi::xray::attr::kView] = 0;
    faults_.deliver(block, [this](std::uint64_t n) { count_lost(n); });
    return Status::ok();
  }

  oi::hal::Result<oi::FramePtr> on_acquire_reference(oi::hal::CalibrationKind kind, int lines) override {
    oi::FramePtr frame = make_block(lines);
    fill(*frame, true, kind == oi::hal::CalibrationKind::kDark);
    return frame;
  }

 private:
  // Thickness of material (arbitrary units) at pixel x of scan line y of the whole scan.
  double thickness(int x, int y) const {
    const int pixels = geometry_.pixels_per_line;
    const int scan_lines = geometry_.lines_per_block * static_cast<int>(blocks_per_scan());
    const double u = static_cast<double>(x) / pixels;
    const double v = static_cast<double>(y) / scan_lines;
    if (pattern_ == "gradient") return 3.0 * u;
    if (pattern_ == "bars") return (x / std::max(1, pixels / 8)) % 2 == 0 ? 0.5 : 2.0;
    // "objects": a box outline with a few blocks inside, different per scan.
    const double s = 0.1 * static_cast<double>(counter_.scans_done() % 5);
    double t = 0.0;
    if (u > 0.1 && u < 0.9 && v > 0.05 && v < 0.95) t += 0.2;
    if (std::hypot(u - 0.3 - s, v - 0.4) < 0.12) t += 1.5;
    if (u > 0.55 && u < 0.75 && v > 0.2 + s && v < 0.5 + s) t += 2.5;
    return t;
  }

  std::uint32_t blocks_per_scan() const { return std::max<std::uint32_t>(1, blocks_per_scan_); }

  // `reference`: an empty tunnel (air) or, with `dark`, the source off.
  void fill(oi::Frame& frame, bool reference, bool dark) const {
    constexpr double kAir = 60000.0;  // unattenuated counts, below 16-bit saturation
    oi::Plane& high = frame.plane(oi::xray::plane::kHigh);
    oi::Plane& low = frame.plane(oi::xray::plane::kLow);
    const int first_line = static_cast<int>(counter_.block_in_scan()) * geometry_.lines_per_block;
    for (int y = 0; y < high.height; ++y) {
      auto* h = high.row<std::uint16_t>(y);
      auto* l = low.row<std::uint16_t>(y);
      for (int x = 0; x < geometry_.pixels_per_line; ++x) {
        const double t = reference ? 0.0 : thickness(x, first_line + y);
        // The low-energy channel is attenuated about 1.2x more, as for organic material.
        h[x] = dark ? 0 : static_cast<std::uint16_t>(kAir * std::exp(-t));
        l[x] = dark ? 0 : static_cast<std::uint16_t>(kAir * std::exp(-1.2 * t));
      }
    }
  }

  // Initial values are the parameters' defaults.
  oi::hal::ScanGeometry geometry_{.channels = 2,
                                  .views = 1,
                                  .pixels_per_line = 512,
                                  .lines_per_block = 64,
                                  .pixel_pitch_mm = 0.8,
                                  .line_rate_hz = 0.0,
                                  .belt_speed_m_s = 0.0};
  oi::hal::XraySource source_;
  std::string pattern_ = "objects";
  std::int64_t scans_ = 4;
  std::uint32_t blocks_per_scan_ = 8;
  oi::hal::ScanCounter counter_{8};
  oi::hal::LinePacer pacer_;
  oi::hal::FaultInjector faults_{"block"};
};

}  // namespace

OI_REGISTER_DEVICE_DRIVER(TestPattern, "test.pattern",
                          "Synthetic dual-energy scan blocks; needs no hardware.");
OI_PLUGIN("oi-driver-test-pattern", "0.2.0", "Apache-2.0")
