// mock.xray: a minimal XrayScanner that needs no hardware. It emits synthetic dual- or
// single-energy scan blocks and can inject faults (oi::hal::FaultInjector: fail_after_blocks,
// faults, fault_kind, recover_failures) so the supervisor and the conformance suite run anywhere. It is also
// the model for a vendor's first driver: one class, one registration line.
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

using namespace std::chrono_literals;
using oi::Status;
using Clock = std::chrono::steady_clock;

class MockXray final : public oi::hal::XrayScanner {
 public:
  oi::hal::ScanGeometry geometry() const override { return geometry_; }
  oi::hal::XraySource source() const override { return source_; }

 protected:
  void on_setup(oi::hal::DeviceSpec& spec) override {
    spec.describe(
        "Mock line-scan X-ray scanner (no hardware). URI `mock://NAME` (NAME becomes the serial). "
        "Emits scan blocks of `lines_per_block` x `pixels_per_line` u16 pixels in planes `high` (and "
        "`low` with 2 channels); each scan is `blocks_per_scan` blocks. Faults can be injected for tests.");
    spec.set_capabilities(scanner_capabilities(/*finite=*/true));  // finite with `scans` > 0
    oi::hal::ScannerParams standard(spec);
    standard.pixels_per_line(geometry_.pixels_per_line).range(8, 8192);
    standard.lines_per_block(geometry_.lines_per_block).range(1, 4096);
    spec.param("blocks_per_scan", blocks_per_scan_)
        .range(1, 100000)
        .describe("Blocks that make up one object's scan.");
    spec.param("scans", scans_)
        .min(0)
        .describe("Scans before end of stream; 0 = endless, like a real scanner.");
    standard.channels(geometry_.channels);
    standard.line_rate_hz(geometry_.line_rate_hz)
        .range(0.0, 100000.0)
        .describe("Lines per second, paced like a moving belt; 0 = as fast as possible.");
    standard.pixel_pitch_mm(geometry_.pixel_pitch_mm).range(0.01, 100.0);
    standard.belt_speed_m_s(geometry_.belt_speed_m_s).range(0.0, 10.0);
    standard.source_kv(source_.kv).range(40.0, 450.0);
    standard.source_ma(source_.ma).range(0.0, 20.0);
    faults_.declare(spec);
  }

  Status on_configure(const std::string& uri, const oi::ParamSet&) override {
    oi::Result<std::string> name =
        oi::hal::Uri::target_of(uri, "mock", "'mock://NAME', e.g. 'mock://xray'", "xray");
    if (!name.ok()) return name.status();
    counter_.set_blocks_per_scan(blocks_per_scan_);
    set_identity({"OpenInspect", "Mock X-ray line scanner", name.value(), "n/a", "0.1.0"});
    source_.state = oi::hal::SourceState::kOff;
    return Status::ok();
  }

  // One virtual device is always there, so `oi devices` shows how a URI looks.
  oi::hal::Result<std::vector<oi::hal::DeviceInfo>> on_enumerate() override {
    return std::vector<oi::hal::DeviceInfo>{{"", "mock://xray", "OpenInspect", "Mock X-ray line scanner",
                                             "xray", "no hardware; any mock://NAME opens another"}};
  }

  Status on_start() override {
    // A scanner that stops mid-object cannot resume that object: the next scan is a new one.
    counter_.set_blocks_per_scan(blocks_per_scan_);
    counter_.abandon_scan();
    faults_.started();
    source_.state = oi::hal::SourceState::kOn;
    pacer_.reset(geometry_.line_rate_hz);
    return Status::ok();
  }

  Status on_stop() override {
    source_.state = oi::hal::SourceState::kOff;
    return Status::ok();
  }

  Status on_recover() override { return faults_.recover(); }

  Status on_read_block(oi::FramePtr& block, std::chrono::milliseconds timeout) override {
    if (scans_ > 0 && counter_.scans_done() >= static_cast<std::uint64_t>(scans_))
      return Status::end_of_stream();
    bool silent = false;
    if (Status s = faults_.before_read(timeout, silent); !s.is_ok() || silent) return s;
    if (!pacer_.wait_for_block(geometry_.lines_per_block, Clock::now() + timeout)) return Status::ok();
    block = make_block(geometry_.lines_per_block);
    fill(*block, 1.0, false);
    auto& meta = block->metadata();
    counter_.tag(meta);
    meta.attributes[oi::xray::attr::kView] = 0;
    faults_.deliver(block, [this](std::uint64_t n) { count_lost(n); });
    return Status::ok();
  }

  oi::hal::Result<oi::FramePtr> on_acquire_reference(oi::hal::CalibrationKind kind, int lines) override {
    oi::FramePtr frame = make_block(lines);
    // Dark: the detector offset alone; air: no material in the beam (thickness 0).
    fill(*frame, 0.0, kind == oi::hal::CalibrationKind::kDark);
    return frame;
  }

 private:
  // Counts behind `scale` x material thickness; `dark` gives the detector offset only.
  void fill(oi::Frame& frame, double scale, bool dark) const {
    constexpr double kAir = 60000.0;  // unattenuated counts, below 16-bit saturation
    constexpr double kOffset = 100.0;
    const int pixels = geometry_.pixels_per_line;
    const auto names = geometry_.plane_names();
    for (std::size_t c = 0; c < names.size(); ++c) {
      oi::Plane& plane = frame.plane(names[c]);
      const double mu = c == 0 ? 1.0 : 1.2;  // low energy is attenuated more, as for organics
      for (int y = 0; y < plane.height; ++y) {
        auto* row = plane.row<std::uint16_t>(y);
        for (int x = 0; x < pixels; ++x) {
          const double u = static_cast<double>(x) / pixels;
          const double t =
              scale *
              ((u > 0.3 && u < 0.6) ? 1.0 + 0.2 * static_cast<double>(counter_.scans_done() % 3) : 0.1);
          row[x] = static_cast<std::uint16_t>(dark ? kOffset + (x % 7) : kOffset + kAir * std::exp(-mu * t));
        }
      }
    }
  }

  // Initial values are the parameters' defaults.
  oi::hal::ScanGeometry geometry_{.channels = 2,
                                  .views = 1,
                                  .pixels_per_line = 64,
                                  .lines_per_block = 16,
                                  .pixel_pitch_mm = 0.8,
                                  .line_rate_hz = 0.0,
                                  .belt_speed_m_s = 0.2};
  oi::hal::XraySource source_{.state = oi::hal::SourceState::kOff, .kv = 160.0, .ma = 1.0};
  std::uint32_t blocks_per_scan_ = 4;
  std::int64_t scans_ = 0;
  oi::hal::FaultInjector faults_{"block"};
  oi::hal::ScanCounter counter_{4};
  oi::hal::LinePacer pacer_;
};

}  // namespace

OI_REGISTER_DEVICE_DRIVER(MockXray, "mock.xray",
                          "Mock X-ray line scanner with fault injection; needs no hardware.");
OI_PLUGIN("oi-driver-mock-xray", "0.1.0", "Apache-2.0")
