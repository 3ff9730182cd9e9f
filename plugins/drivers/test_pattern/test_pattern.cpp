// test.pattern: a built-in dual-energy scan source that needs no hardware. It streams scan
// blocks shaped like a line-scan X-ray scanner's (K lines x pixels, u16 `high` and `low`
// channels) so pipelines, sinks and benchmarks can run anywhere.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <thread>

#include "oi/plugin.hpp"

namespace {

class TestPattern final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.describe(
        "Synthetic dual-energy scanner. Emits scan blocks of `lines` x `pixels` u16 pixels in "
        "two channels, `high` and `low`; each scan is `blocks_per_scan` blocks of one object. "
        "The `low` channel is attenuated more than `high`, as behind real objects.");
    spec.output("out", oi::PortType::of(oi::frame_kind::kScanBlock, {oi::PixelFormat::kU16}),
                "scan blocks with planes `high` and `low`");
    spec.param("pattern", oi::ParamType::kEnum).allowed({"gradient", "bars", "objects"})
        .default_value("objects").describe("What the scans show.");
    spec.param("pixels", oi::ParamType::kInt).default_value(512).range(8, 8192)
        .describe("Detector pixels per line.");
    spec.param("lines", oi::ParamType::kInt).default_value(64).range(1, 4096)
        .describe("Lines per scan block.");
    spec.param("blocks_per_scan", oi::ParamType::kInt).default_value(8).range(1, 10000)
        .describe("Scan blocks that make up one object's scan.");
    spec.param("scans", oi::ParamType::kInt).default_value(4).min(0)
        .describe("Scans to emit before end of stream; 0 = endless.");
    spec.param("line_rate_hz", oi::ParamType::kFloat).default_value(0.0).range(0.0, 100000.0).unit("Hz")
        .describe("Lines per second, paced like a moving belt; 0 = as fast as possible.");
    spec.param("pixel_pitch_mm", oi::ParamType::kFloat).default_value(0.8).range(0.01, 100.0).unit("mm")
        .describe("Detector pixel size written into frame metadata.");
  }

  void start(const oi::StageConfig& config) override {
    name_ = config.name;
    pattern_ = config.params.get<std::string>("pattern");
    pixels_ = static_cast<int>(config.params.get<std::int64_t>("pixels"));
    lines_ = static_cast<int>(config.params.get<std::int64_t>("lines"));
    blocks_per_scan_ = static_cast<std::uint32_t>(config.params.get<std::int64_t>("blocks_per_scan"));
    scans_ = config.params.get<std::int64_t>("scans");
    line_rate_hz_ = config.params.get<double>("line_rate_hz");
    pitch_mm_ = config.params.get<double>("pixel_pitch_mm");
    next_due_ = std::chrono::steady_clock::now();
  }

  oi::Status process(oi::StageContext& ctx) override {
    if (scans_ > 0 && scan_ >= static_cast<std::uint64_t>(scans_)) return oi::Status::end_of_stream();
    if (line_rate_hz_ > 0.0) {
      // Sleep in short slices so a stop request (Ctrl-C) is honoured even at slow line rates.
      while (std::chrono::steady_clock::now() < next_due_) {
        if (ctx.stop_requested()) return oi::Status::end_of_stream();
        std::this_thread::sleep_until(std::min(next_due_, std::chrono::steady_clock::now() + std::chrono::milliseconds(20)));
      }
      next_due_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(lines_ / line_rate_hz_));
    }
    auto frame = oi::Frame::create(std::string(oi::frame_kind::kScanBlock));
    oi::Plane& high = frame->add_plane("high", oi::PixelFormat::kU16, pixels_, lines_);
    oi::Plane& low = frame->add_plane("low", oi::PixelFormat::kU16, pixels_, lines_);
    fill(high, low);
    auto& meta = frame->metadata();
    meta.source_device = name_;
    meta.sequence = sequence_++;
    meta.capture_time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
    meta.scan_id = scan_ + 1;
    meta.block_index = block_;
    meta.end_of_scan = block_ + 1 == blocks_per_scan_;
    meta.pixel_pitch_mm = pitch_mm_;
    if (++block_ == blocks_per_scan_) {
      block_ = 0;
      ++scan_;
    }
    ctx.emit(0, std::move(frame));
    return oi::Status::ok();
  }

 private:
  // Thickness of material (arbitrary units) at pixel x of scan line y of the whole scan.
  double thickness(int x, int y) const {
    const int scan_lines = lines_ * static_cast<int>(blocks_per_scan_);
    const double u = static_cast<double>(x) / pixels_;
    const double v = static_cast<double>(y) / scan_lines;
    if (pattern_ == "gradient") return 3.0 * u;
    if (pattern_ == "bars") return (x / std::max(1, pixels_ / 8)) % 2 == 0 ? 0.5 : 2.0;
    // "objects": a box outline with a few blocks inside, different per scan.
    const double s = 0.1 * static_cast<double>(scan_ % 5);
    double t = 0.0;
    if (u > 0.1 && u < 0.9 && v > 0.05 && v < 0.95) t += 0.2;
    if (std::hypot(u - 0.3 - s, v - 0.4) < 0.12) t += 1.5;
    if (u > 0.55 && u < 0.75 && v > 0.2 + s && v < 0.5 + s) t += 2.5;
    return t;
  }

  void fill(oi::Plane& high, oi::Plane& low) const {
    constexpr double kAir = 60000.0;  // unattenuated counts, below 16-bit saturation
    const int first_line = static_cast<int>(block_) * lines_;
    for (int y = 0; y < lines_; ++y) {
      auto* h = high.row<std::uint16_t>(y);
      auto* l = low.row<std::uint16_t>(y);
      for (int x = 0; x < pixels_; ++x) {
        const double t = thickness(x, first_line + y);
        // The low-energy channel is attenuated about 1.2x more, as for organic material.
        h[x] = static_cast<std::uint16_t>(kAir * std::exp(-t));
        l[x] = static_cast<std::uint16_t>(kAir * std::exp(-1.2 * t));
      }
    }
  }

  std::string name_;
  std::string pattern_;
  int pixels_ = 0;
  int lines_ = 0;
  std::uint32_t blocks_per_scan_ = 1;
  std::int64_t scans_ = 0;
  double line_rate_hz_ = 0.0;
  double pitch_mm_ = 0.0;
  std::uint64_t sequence_ = 0;
  std::uint64_t scan_ = 0;
  std::uint32_t block_ = 0;
  std::chrono::steady_clock::time_point next_due_;
};

}  // namespace

OI_REGISTER_DRIVER(TestPattern, "test.pattern", "Synthetic dual-energy scan blocks; needs no hardware.");
OI_PLUGIN("oi-driver-test-pattern", "0.1.0", "Apache-2.0")
