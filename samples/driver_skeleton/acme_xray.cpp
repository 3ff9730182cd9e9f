// acme.xray: the driver for ACME line-scan X-ray scanners, written against acme::Link (the
// vendor SDK, simulated in acme_link.cpp). One class and one registration line; the HAL
// base class owns the lifecycle, checks every block and turns errors into faults, and the
// adapter around it (DeviceStage) runs the supervisor. docs/writing-a-driver.md walks
// through it.
#include <cstdint>
#include <cstring>
#include <mutex>
#include <oi/hal/driver.hpp>
#include <oi/hal/xray_scanner.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "acme_link.hpp"

namespace {

using oi::ParamType;
using oi::Status;
using namespace oi::hal;

constexpr const char* kDriverVersion = "1.0.0";  // also the plugin version, see OI_PLUGIN below
constexpr std::string_view kScheme = "acme://";

/// An ACME AX-640 scanner at `acme://SERIAL`. Geometry and identity come from the unit;
/// parameters set how it acquires.
class AcmeXray final : public XrayScanner {
 public:
  /// Registers the interlock callback once; the link calls it on its own thread.
  AcmeXray() {
    link_.on_interlock([this](acme::Interlock which, bool engaged, std::int64_t time_ns) {
      // The unit's own safety circuit has already switched the X-rays off: a driver
      // reports interlocks, it never decides safety.
      post_interlock_event({to_hal(which), engaged, time_ns});
      std::lock_guard lock(status_mutex_);
      interlock_engaged_ = engaged;
    });
  }

  /// Geometry of the unit opened last (pixels 0 before configure()).
  ScanGeometry geometry() const override {
    std::lock_guard lock(status_mutex_);
    return geometry_;
  }

  /// Setpoints, and "on" only while acquiring with no interlock engaged.
  XraySource source() const override {
    std::lock_guard lock(status_mutex_);
    XraySource s = source_;
    s.state = acquiring_ && !interlock_engaged_ ? SourceState::kOn : SourceState::kOff;
    return s;
  }

 protected:
  /// Parameters, capabilities and description; read once, before any value is known.
  void declare(DeviceSpec& spec) const override {
    spec.describe(
        "ACME AX-640 line-scan X-ray scanner (simulated units SIM-0001 dual energy, SIM-0002 single "
        "energy). URI `acme://SERIAL`; `oi devices` lists the units that answer. Geometry and "
        "identity are read from the unit.");
    // Scan blocks of u16 planes `high` and `low`; can_recover: a pulled cable is reconnected by
    // on_recover().
    spec.set_capabilities(scanner_capabilities());

    spec.param("lines_per_block", ParamType::kInt)
        .default_value(32)
        .range(1, 1024)
        .describe(
            "Lines K per scan block: smaller blocks reach the pipeline sooner, larger ones cost "
            "less per line.");
    spec.param("line_rate_hz", ParamType::kFloat)
        .default_value(640.0)
        .range(50.0, 4000.0)
        .unit("Hz")
        .describe("Lines per second; with square pixels the belt moves pixel_pitch x line_rate.");
    spec.param("buffers", ParamType::kInt)
        .default_value(64)
        .range(2, 1024)
        .describe(
            "Host-side buffer queue: more buffers ride out longer pipeline stalls before blocks "
            "are lost.");
    spec.live_param("source_kv", ParamType::kFloat)
        .default_value(140.0)
        .range(40.0, 160.0)
        .unit("kV")
        .describe("Tube voltage setpoint; may change while scanning.");
    spec.live_param("source_ma", ParamType::kFloat)
        .default_value(0.8)
        .range(0.1, 2.0)
        .unit("mA")
        .describe("Tube current setpoint; may change while scanning.");
    // Simulation only: these go away with the simulated link.
    spec.param("sim_unplug_after_blocks", ParamType::kInt)
        .default_value(-1)
        .min(-1)
        .describe("Simulation: pull the cable once after this many blocks; -1 = never.");
    spec.param("sim_unplugged_ms", ParamType::kInt)
        .default_value(300)
        .range(0, 600000)
        .unit("ms")
        .describe("Simulation: how long the pulled cable stays out; reconnects fail meanwhile.");
    spec.param("sim_interlock_every_scans", ParamType::kInt)
        .default_value(0)
        .min(0)
        .describe("Simulation: the light curtain trips in the gap after every N-th object; 0 = never.");
  }

  /// Opens the unit named by the URI and reads its identity and geometry.
  Status on_configure(const std::string& uri, const oi::ParamSet& params) override {
    for (const auto& [name, value] : params.values()) apply(name, value);
    if (!uri.starts_with(kScheme) || uri.size() == kScheme.size()) {
      return Status::error("unsupported URI '" + uri +
                           "': acme.xray opens 'acme://SERIAL', e.g. "
                           "'acme://SIM-0001'; `oi devices` lists the units that answer");
    }
    serial_ = uri.substr(kScheme.size());
    link_.simulate(simulation_);
    return connect();
  }

  /// Reconnects after a fault (a pulled cable, a unit power-cycled). The supervisor calls
  /// this with backoff; an error here means "not yet", and it tries again.
  Status on_recover() override {
    link_.close();
    return connect();
  }

  /// Starts acquisition with the current parameters.
  Status on_start() override {
    const acme::Acquisition acquisition{lines_per_block_, line_rate_hz_, buffers_};
    if (!link_.start(acquisition)) return Status::error("cannot start acquisition: " + link_.last_error());
    // The unit's object counter restarts at power-up and wraps at 16 bits, so scan ids are
    // numbered here: the first buffer after every start begins a new scan.
    last_object_.reset();
    set_acquiring(true);
    return Status::ok();
  }

  /// Stops acquisition; bounded because the link's stop() is.
  Status on_stop() override {
    // Buffers still queued were acquired and will never be delivered: counted, not hidden.
    count_lost(link_.stop());
    set_acquiring(false);
    return Status::ok();  // stopping our own thread cannot fail; a dead link has stopped anyway
  }

  /// Disconnects; also called from Fault and after a failed configure().
  void on_close() override {
    link_.close();
    set_acquiring(false);
  }

  /// Waits up to `timeout` for the next buffer and turns it into a scan block.
  Status on_read_block(oi::FramePtr& block, std::chrono::milliseconds timeout) override {
    count_lost(link_.take_dropped());  // overruns: the gap also marks the scan incomplete below
    acme::LineBuffer buffer;
    switch (link_.wait_buffer(buffer, timeout)) {
      case acme::Wait::kTimeout:
        return Status::ok();  // nothing yet; the supervisor decides when silence is a fault
      case acme::Wait::kDisconnected:
        return Status::error("lost the link to ACME unit " + serial_ + ": " + link_.last_error() +
                             "; check the cable (the supervisor reconnects when on_fault is restart)");
      case acme::Wait::kBuffer:
        break;
    }
    if (Status s = to_block(buffer, block); !s.is_ok()) return s;
    oi::FrameMetadata& meta = block->metadata();
    const bool new_scan = !last_object_ || *last_object_ != buffer.object;
    if (new_scan) {
      ++scan_id_;
      last_object_ = buffer.object;
      next_index_ = 0;
    }
    meta.scan_id = scan_id_;
    meta.block_index = buffer.index;  // the unit's numbering, so a gap stays visible
    meta.end_of_scan = buffer.last;
    meta.capture_time_ns = buffer.time_ns;  // the unit's read-out time beats our arrival time
    meta.attributes["view"] = 0;
    if (buffer.index > next_index_) {
      meta.incomplete = true;
      meta.attributes["incomplete_reason"] = std::to_string(buffer.index - next_index_) +
                                             " block(s) of this scan were lost to a buffer overrun; "
                                             "raise `buffers` or make the pipeline keep up";
    }
    next_index_ = buffer.index + 1;
    return Status::ok();
  }

  /// Dark (source off) or air (source on, empty tunnel) reference; the base class only
  /// calls this in Ready and checks the frame.
  oi::hal::Result<oi::FramePtr> on_acquire_reference(CalibrationKind kind, int lines) override {
    acme::LineBuffer buffer;
    if (!link_.acquire_reference(kind == CalibrationKind::kAir, lines, buffer)) {
      return Status::error("the unit refused the reference: " + link_.last_error());
    }
    oi::FramePtr frame;
    if (Status s = to_block(buffer, frame); !s.is_ok()) return s;
    return frame;
  }

  /// Applies a validated value. Source setpoints go to the unit at once (also while
  /// streaming); the others are kept for the next on_start().
  Status on_set_param(const std::string& name, const oi::ParamValue& value) override {
    if (name == "source_kv" || name == "source_ma") {
      const double kv = name == "source_kv" ? value.get<double>() : source().kv;
      const double ma = name == "source_ma" ? value.get<double>() : source().ma;
      if (!link_.set_source(kv, ma)) {
        return Status::error("the unit refused the setpoint: " + link_.last_error());
      }
    }
    apply(name, value);
    return Status::ok();
  }

  /// The units that answer a broadcast, for `oi devices`; opens nothing.
  Result<std::vector<DeviceInfo>> on_enumerate() override {
    std::vector<DeviceInfo> found;
    for (const acme::UnitInfo& unit : acme::Link::discover()) {
      found.push_back({"", std::string(kScheme) + unit.serial, "ACME", unit.model, unit.serial,
                       "simulated unit (samples/driver_skeleton/acme_link.cpp)"});
    }
    return found;
  }

 private:
  static InterlockKind to_hal(acme::Interlock which) {
    switch (which) {
      case acme::Interlock::kEmergencyStop:
        return InterlockKind::kEmergencyStop;
      case acme::Interlock::kLightCurtain:
        return InterlockKind::kLightCurtain;
      case acme::Interlock::kDoor:
        return InterlockKind::kDoor;
    }
    return InterlockKind::kEmergencyStop;  // unknown: assume the worst
  }

  // Opens serial_, reads identity and geometry, sends the source setpoints. Used by
  // on_configure() and on_recover(); the identity is read again on every reconnect because
  // the unit may have been swapped or updated while it was away.
  Status connect() {
    if (!link_.open(serial_)) {
      return Status::error("cannot reach ACME unit '" + serial_ + "': " + link_.last_error());
    }
    const acme::UnitInfo& unit = link_.unit();
    set_identity({"ACME", unit.model, unit.serial, unit.firmware, kDriverVersion});
    XraySource setpoints;
    {
      std::lock_guard lock(status_mutex_);
      geometry_.channels = unit.channels;
      geometry_.pixels_per_line = unit.pixels;
      geometry_.pixel_pitch_mm = unit.pixel_pitch_mm;
      geometry_.belt_speed_m_s = unit.pixel_pitch_mm * 1e-3 * geometry_.line_rate_hz;
      setpoints = source_;
    }
    if (!link_.set_source(setpoints.kv, setpoints.ma)) {
      return Status::error("ACME unit '" + serial_ + "' refused the source setpoints: " + link_.last_error());
    }
    return Status::ok();
  }

  // Copies the unit's channel-major buffer into the block's planes.
  Status to_block(const acme::LineBuffer& buffer, oi::FramePtr& block) const {
    const ScanGeometry g = geometry();
    if (buffer.pixels != g.pixels_per_line || buffer.channels != g.channels) {
      return Status::error("the unit sent " + std::to_string(buffer.channels) + " x " +
                           std::to_string(buffer.pixels) + " pixels, its geometry says " +
                           std::to_string(g.channels) + " x " + std::to_string(g.pixels_per_line) +
                           "; firmware " + identity().firmware_version + " may not be supported by driver " +
                           kDriverVersion);
    }
    block = make_block(buffer.lines);
    const std::size_t line_bytes = static_cast<std::size_t>(buffer.pixels) * sizeof(std::uint16_t);
    const std::uint16_t* src = buffer.data.data();
    for (const std::string& name : g.plane_names()) {  // channel order: high, then low
      oi::Plane& plane = block->plane(name);
      for (int y = 0; y < buffer.lines; ++y, src += buffer.pixels) {
        std::memcpy(plane.row<std::uint16_t>(y), src, line_bytes);
      }
    }
    return Status::ok();
  }

  void apply(const std::string& name, const oi::ParamValue& v) {
    std::lock_guard lock(status_mutex_);
    if (name == "lines_per_block") lines_per_block_ = geometry_.lines_per_block = v.get<int>();
    if (name == "line_rate_hz") {
      line_rate_hz_ = geometry_.line_rate_hz = v.get<double>();
      geometry_.belt_speed_m_s = geometry_.pixel_pitch_mm * 1e-3 * line_rate_hz_;
    }
    if (name == "buffers") buffers_ = v.get<std::size_t>();
    if (name == "source_kv") source_.kv = v.get<double>();
    if (name == "source_ma") source_.ma = v.get<double>();
    if (name == "sim_unplug_after_blocks") simulation_.unplug_after_buffers = v.get<std::int64_t>();
    if (name == "sim_unplugged_ms") simulation_.unplugged_for = std::chrono::milliseconds(v.get<int>());
    if (name == "sim_interlock_every_scans") simulation_.interlock_every_objects = v.get<int>();
  }

  void set_acquiring(bool on) {
    std::lock_guard lock(status_mutex_);
    acquiring_ = on;
  }

  // Read by geometry()/source() on any thread, written by hooks and the interlock callback.
  mutable std::mutex status_mutex_;
  ScanGeometry geometry_;
  XraySource source_;
  bool acquiring_ = false;
  bool interlock_engaged_ = false;

  // Only touched by hooks, which the base class serialises.
  std::string serial_;
  int lines_per_block_ = 32;
  double line_rate_hz_ = 640.0;
  std::size_t buffers_ = 64;
  acme::Simulation simulation_;
  std::optional<std::uint16_t> last_object_;  // the unit's object counter of the scan in progress
  std::uint64_t scan_id_ = 0;
  std::uint32_t next_index_ = 0;

  // Last, so it is destroyed first: its thread is joined before the members the interlock
  // callback touches go away.
  acme::Link link_;
};

}  // namespace

OI_REGISTER_DEVICE_DRIVER(AcmeXray, "acme.xray", "ACME AX-640 line-scan X-ray scanners (simulated link).");
OI_PLUGIN("acme-drivers", "1.0.0", "Apache-2.0")
