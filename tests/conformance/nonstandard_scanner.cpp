// test_nonstandard.xray: a scanner that works but names its detector width `pixels` and its
// tube voltage `kv`, as drivers did before the standard scanner names. oi-conformance must
// fail it and name the standard names.
#include <oi/hal/driver.hpp>
#include <oi/hal/xray_scanner.hpp>

namespace {

using namespace oi::hal;

class NonstandardScanner final : public XrayScanner {
 public:
  ScanGeometry geometry() const override { return geometry_; }
  XraySource source() const override { return source_; }

 protected:
  void on_setup(DeviceSpec& spec) override {
    spec.describe("A scanner declaring old parameter names.");
    spec.set_capabilities(scanner_capabilities());
    spec.param("pixels", geometry_.pixels_per_line).range(8, 256).describe("Detector width.");
    spec.live_param("kv", source_.kv).range(0, 200).unit("kV").describe("Tube voltage.");
  }
  oi::Status on_configure(const std::string&, const oi::ParamSet&) override {
    set_identity({"OpenInspect tests", "nonstandard", "0001", "n/a", "1.0.0"});
    return oi::Status::ok();
  }
  oi::Status on_start() override { return oi::Status::ok(); }
  oi::Status on_stop() override { return oi::Status::ok(); }
  oi::Status on_read_block(oi::FramePtr& block, std::chrono::milliseconds) override {
    block = make_block(geometry_.lines_per_block);
    block->metadata().scan_id = ++scan_;
    block->metadata().end_of_scan = true;
    return oi::Status::ok();
  }
  oi::Result<oi::FramePtr> on_acquire_reference(CalibrationKind, int lines) override {
    return make_block(lines);
  }

 private:
  ScanGeometry geometry_{2, 1, 64, 16, 0.8, 100.0, 0.2};
  XraySource source_{SourceState::kOn, 140.0, 1.0};
  std::uint64_t scan_ = 0;
};

}  // namespace

OI_REGISTER_DEVICE_DRIVER(NonstandardScanner, "test_nonstandard.xray", "A scanner with old parameter names.");
OI_PLUGIN("test-nonstandard", "1.0.0", "Apache-2.0");
