// scan.assemble: turns a stream of X-ray scan blocks into whole scans.
#include "oi/plugin.hpp"
#include "oi/xray/scan_assembler.hpp"

namespace {

class ScanAssemble final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.describe(
        "Stacks the scan blocks of each object into one whole-scan frame, emitted when the "
        "block flagged end-of-scan arrives. A scan cut short, or missing blocks or lines on the way "
        "(block indices, `first_line` and `scan_lines` tell), is emitted marked incomplete with "
        "`incomplete_reason`, `missing_blocks` and `missing_lines`; never stitched as if whole.");
    spec.input("in", oi::PortType::of(oi::xray::frame_kind::kScanBlock), "scan blocks");
    spec.output("out", oi::PortType::of(oi::xray::frame_kind::kScan), "whole scans");
    spec.param("max_lines", max_lines_)
        .range(1, 1 << 24)
        .describe("Longest scan held in memory; a longer one is emitted incomplete.");
  }
  void start(const oi::StageConfig&) override { assembler_ = oi::xray::ScanAssembler(max_lines_); }
  oi::Status process(oi::StageContext& ctx) override {
    for (oi::FramePtr& scan : assembler_.add(ctx.take(0))) ctx.emit(0, std::move(scan));
    return oi::Status::ok();
  }
  oi::Status finish(oi::StageContext& ctx) override {
    if (auto scan = assembler_.flush()) ctx.emit(0, std::move(*scan));
    return oi::Status::ok();
  }
  nlohmann::json summary() const override {
    const oi::xray::ScanAssembler::Counts& c = assembler_.counts();
    return {{"scans", c.scans}, {"incomplete", c.incomplete}, {"missing_blocks", c.missing_blocks}};
  }

 private:
  std::size_t max_lines_ = 65536;  // parameter `max_lines`
  oi::xray::ScanAssembler assembler_;
};

}  // namespace

OI_REGISTER_STAGE(ScanAssemble, "scan.assemble", "Stacks scan blocks into whole scans.");
