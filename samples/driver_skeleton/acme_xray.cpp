// acme.xray: the driver for ACME line-scan X-ray scanners, written against acme::Link (the
// vendor SDK, simulated in acme_link.cpp). One class and one registration line; the HAL
// base class owns the lifecycle, checks every block and turns errors into faults, and the
// adapter around it (DeviceStage) runs the supervisor. docs/writing-a-driver.md walks
// through it.
#include <cstdint>
#include <cstring>
#include <mutex>
#include <oi/hal/driver.hpp>
#include <oi/hal/uri.hpp>
#include <oi/hal/xray_scanner.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "acme_link.hpp"

namespace {

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
  /// Parameters, capabilities and description; called once, before any value is known.
  /// Each parameter is bound to a member: the base class checks a value against the
  /// declaration and writes it there before on_configure() and on every set().
  void on_setup(DeviceSpec& spec) override {
    spec.describe(
        "ACME AX-640 line-scan X-ray scanner (simulated units SIM-0001 dual energy, SIM-0002 single "
        "energy). URI `acme://SERIAL`; `oi devices` lists the units that answer. Geometry and "
        "identity are read from the unit.");
    // Scan blocks of u16 planes `high` and `low`; can_recover: a pulled cable is reconnected by
    // on_recover().
    spec.set_capabilities(scanner_capabilities());

    // The standard scanner parameters (names, units, descriptions every scanner shares).
    ScannerParams standard(spec);
    standard.lines_per_block(acquisition_.lines_per_buffer)
        .range(1, 1024)
        .describe(
            "Lines K per scan block: smaller blocks reach the pipeline sooner, larger ones cost "
            "less per line.");
    standard.line_rate_hz(acquisition_.line_rate_hz)
        .range(50.0, 4000.0)
        .describe("Lines per second; with square pixels the belt moves pixel_pitch x line_rate.");
    spec.param("buffers", acquisition_.buffers)
        .range(2, 1024)
        .describe(
            "Host-side buffer queue: more buffers ride out longer pipeline stalls before blocks "
            "are lost.");
    // Live: a new setpoint goes to the unit at once, also while scanning.
    standard.source_kv(setpoints_.kv, [this] { return send_setpoints(); })
        .range(40.0, 160.0)
        .describe("Tube voltage setpoint; may change while scanning.");
    standard.source_ma(setpoints_.ma, [this] { return send_setpoints(); })
        .range(0.1, 2.0)
        .describe("Tube current setpoint; may change while scanning.");
    // Simulation only: these go away with the simulated link.
    spec.param("sim_unplug_after_blocks", simulation_.unplug_after_buffers)
        .min(-1)
        .describe("Simulation: pull the cable once after this many blocks; -1 = never.");
    spec.param("sim_unplugged_ms", sim_unplugged_ms_)
        .range(0, 600000)
        .unit("ms")
        .describe("Simulation: how long the pulled cable stays out; reconnects fail meanwhile.");
    spec.param("sim_interlock_every_scans", simulation_.interlock_every_objects)
        .min(0)
        .describe("Simulation: the light curtain trips in the gap after every N-th object; 0 = never.");
  }

  /// Opens the unit named by the URI and reads its identity and geometry.
  Status on_configure(const std::string& uri, const oi::ParamSet&) override {
    oi::Result<std::string> serial = Uri::target_of(
        uri, "acme", "'acme://SERIAL', e.g. 'acme://SIM-0001'; `oi devices` lists the units that answer");
    if (!serial.ok()) return serial.status();
    serial_ = serial.value();
    simulation_.unplugged_for = std::chrono::milliseconds(sim_unplugged_ms_);
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
    publish_acquisition();
    if (!link_.start(acquisition_)) return Status::error("cannot start acquisition: " + link_.last_error());
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
        return Status::error("lost the link to the unit: " + link_.last_error() +
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
    meta.attributes[oi::xray::attr::kView] = 0;
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
      return Status::error("cannot reach the unit: " + link_.last_error());
    }
    const acme::UnitInfo& unit = link_.unit();
    set_identity({"ACME", unit.model, unit.serial, unit.firmware, kDriverVersion});
    {
      std::lock_guard lock(status_mutex_);
      geometry_.channels = unit.channels;
      geometry_.pixels_per_line = unit.pixels;
      geometry_.pixel_pitch_mm = unit.pixel_pitch_mm;
    }
    publish_acquisition();
    if (Status s = send_setpoints(); !s.is_ok()) {
      return Status::error("the unit refused the source setpoints: " + link_.last_error());
    }
    return Status::ok();
  }

  // Sends source_kv and source_ma to the unit; what it accepted is what source() reports.
  Status send_setpoints() {
    if (!link_.set_source(setpoints_.kv, setpoints_.ma)) {
      return Status::error("the unit refused the setpoint: " + link_.last_error());
    }
    std::lock_guard lock(status_mutex_);
    source_.kv = setpoints_.kv;
    source_.ma = setpoints_.ma;
    return Status::ok();
  }

  // The acquisition parameters as geometry() reports them.
  void publish_acquisition() {
    std::lock_guard lock(status_mutex_);
    geometry_.lines_per_block = acquisition_.lines_per_buffer;
    geometry_.line_rate_hz = acquisition_.line_rate_hz;
    geometry_.belt_speed_m_s = geometry_.pixel_pitch_mm * 1e-3 * acquisition_.line_rate_hz;
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

  // Only touched by hooks, which the base class serialises; parameters are bound to these
  // and their initial values are the defaults.
  acme::Acquisition acquisition_{.lines_per_buffer = 32, .line_rate_hz = 640.0, .buffers = 64};
  XraySource setpoints_{.state = SourceState::kOff, .kv = 140.0, .ma = 0.8};
  acme::Simulation simulation_;  // never unplugged, no interlocks
  int sim_unplugged_ms_ = 300;
  std::string serial_;
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
