#include "oi/hal/xray_scanner.hpp"

#include <string>

namespace oi::hal {

std::vector<std::string> ScanGeometry::plane_names() const { return xray::plane::scanner_planes(channels); }

nlohmann::json ScanGeometry::to_json() const {
  // The standard parameter names, so a geometry reads like the parameters that set it.
  return {{scanner_param::kChannels, channels},
          {scanner_param::kViews, views},
          {scanner_param::kPixelsPerLine, pixels_per_line},
          {scanner_param::kLinesPerBlock, lines_per_block},
          {scanner_param::kPixelPitchMm, pixel_pitch_mm},
          {scanner_param::kLineRateHz, line_rate_hz},
          {scanner_param::kBeltSpeedMS, belt_speed_m_s}};
}

std::string_view to_string(SourceState state) {
  switch (state) {
    case SourceState::kOff:
      return "off";
    case SourceState::kWarming:
      return "warming";
    case SourceState::kOn:
      return "on";
  }
  return "?";
}

std::string_view to_string(InterlockKind kind) {
  switch (kind) {
    case InterlockKind::kEmergencyStop:
      return "emergency_stop";
    case InterlockKind::kLightCurtain:
      return "light_curtain";
    case InterlockKind::kDoor:
      return "door";
  }
  return "?";
}

std::string_view to_string(CalibrationKind kind) {
  return kind == CalibrationKind::kDark ? xray::calibration::kDark : xray::calibration::kAir;
}

ScannerParams::ScannerParams(DeviceSpec& spec) : spec_(spec) {
  for (const auto& [old_name, new_name] : scanner_param::kRenamed) spec_.renamed(old_name, new_name);
}

ParamSpec& ScannerParams::channels(int& member) {
  return spec_.param(scanner_param::kChannels, member)
      .range(1, 2)
      .describe(
          "Energy channels: 1 (single energy, plane `high`) or 2 (dual energy, planes `high` and `low`).");
}

ParamSpec& ScannerParams::views(int& member) {
  return spec_.param(scanner_param::kViews, member)
      .min(1)
      .describe("Detector views; each block carries attribute `view`.");
}

ParamSpec& ScannerParams::pixels_per_line(int& member) {
  return spec_.param(scanner_param::kPixelsPerLine, member)
      .min(1)
      .unit("pixels")
      .describe("Detector pixels per line: the width of every scan block.");
}

ParamSpec& ScannerParams::lines_per_block(int& member) {
  return spec_.param(scanner_param::kLinesPerBlock, member)
      .min(1)
      .unit("lines")
      .describe("Lines in one scan block: the height of every block the scanner emits.");
}

ParamSpec& ScannerParams::pixel_pitch_mm(double& member) {
  return spec_.param(scanner_param::kPixelPitchMm, member)
      .min(0.0)
      .unit("mm")
      .describe("Detector pixel size; written into every block as its pitch.");
}

ParamSpec& ScannerParams::line_rate_hz(double& member, bool live, DeviceSpec::Apply apply) {
  ParamSpec& p = live ? spec_.live_param(scanner_param::kLineRateHz, member, std::move(apply))
                      : spec_.param(scanner_param::kLineRateHz, member);
  return p.min(0.0).unit("Hz").describe("Detector lines per second.");
}

ParamSpec& ScannerParams::belt_speed_m_s(double& member) {
  return spec_.param(scanner_param::kBeltSpeedMS, member)
      .min(0.0)
      .unit("m/s")
      .describe("Conveyor speed; with the line rate it sets the length of an object's scan.");
}

ParamSpec& ScannerParams::source_kv(double& member, DeviceSpec::Apply apply) {
  return spec_.live_param(scanner_param::kSourceKv, member, std::move(apply))
      .min(0.0)
      .unit("kV")
      .describe("X-ray tube voltage; may change while streaming.");
}

ParamSpec& ScannerParams::source_ma(double& member, DeviceSpec::Apply apply) {
  return spec_.live_param(scanner_param::kSourceMa, member, std::move(apply))
      .min(0.0)
      .unit("mA")
      .describe("X-ray tube current; may change while streaming.");
}

std::vector<std::string> check_standard_scanner_params(const DeviceSpec& spec) {
  std::vector<std::string> problems;
  for (const auto& [old_name, new_name] : scanner_param::kRenamed) {
    if (spec.find_param(old_name) != nullptr) {
      problems.push_back("declares '" + old_name + "'; X-ray scanners call it '" + new_name +
                         "' (declare it with oi::hal::ScannerParams, <oi/hal/xray_scanner.hpp>)");
    }
  }
  const std::pair<const char*, ParamType> standard[] = {
      {scanner_param::kChannels, ParamType::kInt},       {scanner_param::kViews, ParamType::kInt},
      {scanner_param::kPixelsPerLine, ParamType::kInt},  {scanner_param::kLinesPerBlock, ParamType::kInt},
      {scanner_param::kPixelPitchMm, ParamType::kFloat}, {scanner_param::kLineRateHz, ParamType::kFloat},
      {scanner_param::kBeltSpeedMS, ParamType::kFloat},  {scanner_param::kSourceKv, ParamType::kFloat},
      {scanner_param::kSourceMa, ParamType::kFloat}};
  for (const auto& [name, type] : standard) {
    const ParamSpec* p = spec.find_param(name);
    if (p != nullptr && p->type() != type) {
      problems.push_back("declares '" + std::string(name) + "' as " + std::string(to_string(p->type())) +
                         "; the standard scanner parameter is " + std::string(to_string(type)));
    }
  }
  return problems;
}

DeviceCapabilities XrayScanner::scanner_capabilities(bool finite) {
  DeviceCapabilities caps;
  caps.kind = DeviceKind::kXrayScanner;
  caps.frame_kind = std::string(xray::frame_kind::kScanBlock);
  caps.formats = {PixelFormat::kU16};
  caps.planes = {xray::plane::kHigh, xray::plane::kLow};
  caps.finite = finite;
  return caps;
}

Result<FramePtr> XrayScanner::acquire_reference(CalibrationKind kind, int lines) {
  const std::string what = "acquire the " + std::string(to_string(kind)) + " reference";
  if (lines < 1) {
    return Status::error(describe() + ": cannot " + what + ": lines must be >= 1, got " +
                         std::to_string(lines));
  }
  // Under the device lock, like every hook: a reference never overlaps a start() or a
  // parameter change from another thread.
  FramePtr frame;
  Status s =
      run_exclusive(DeviceState::kReady, what, "references are taken in Ready (stop() the scan first)", [&] {
        Result<FramePtr> result = on_acquire_reference(kind, lines);
        if (!result.ok()) return result.status();
        frame = result.value();
        if (!frame) return Status::error("the driver returned no frame");
        if (std::string problem = check_block(*frame); !problem.empty()) return Status::error(problem);
        return Status::ok();
      });
  if (s.is_error()) return s;
  frame->metadata().attributes[xray::attr::kCalibration] = std::string(to_string(kind));
  frame->metadata().scan_id = 0;
  return frame;
}

std::vector<InterlockEvent> XrayScanner::take_interlock_events() {
  std::lock_guard lock(events_mutex_);
  std::vector<InterlockEvent> out(events_.begin(), events_.end());
  events_.clear();
  return out;
}

void XrayScanner::post_interlock_event(InterlockEvent event) {
  std::lock_guard lock(events_mutex_);
  // Bounded: nobody reading events must not grow memory without limit.
  if (events_.size() >= 1024) events_.pop_front();
  events_.push_back(event);
}

FramePtr XrayScanner::make_block(int lines) const {
  const ScanGeometry g = geometry();
  auto frame = Frame::create(std::string(xray::frame_kind::kScanBlock));
  for (const auto& name : g.plane_names())
    frame->add_plane(name, PixelFormat::kU16, g.pixels_per_line, lines);
  frame->metadata().pixel_pitch_mm = g.pixel_pitch_mm;
  return frame;
}

std::string XrayScanner::check_block(const Frame& frame) const {
  const ScanGeometry g = geometry();
  if (frame.kind() != xray::frame_kind::kScanBlock) {
    return "the driver delivered a '" + frame.kind() + "' frame; scanners deliver '" +
           std::string(xray::frame_kind::kScanBlock) + "'";
  }
  for (const auto& name : g.plane_names()) {
    if (!frame.has_plane(name)) return "the block has no '" + name + "' plane (use make_block())";
    const Plane& p = frame.plane(name);
    if (p.format != PixelFormat::kU16 || p.width != g.pixels_per_line) {
      return "plane '" + name + "' is " + std::string(oi::to_string(p.format)) + " x " +
             std::to_string(p.width) + " pixels; the geometry says u16 x " +
             std::to_string(g.pixels_per_line);
    }
  }
  return {};
}

Status XrayScanner::on_read(FramePtr& frame, std::chrono::milliseconds timeout) {
  Status s = on_read_block(frame, timeout);
  if (!s.is_ok() || !frame) return s;
  if (std::string problem = check_block(*frame); !problem.empty())
    return Status::error("the driver delivered a malformed block: " + problem);
  return s;
}

}  // namespace oi::hal
