#pragma once
/// @file
/// `oi::hal::XrayScanner`: a line-scan X-ray detector with its source. Output is scan
/// blocks (frame kind `xray.scan_block`): K lines x pixels, one u16 plane per energy channel
/// (`high`, plus `low` for dual energy), tagged with scan id, block index and end-of-scan,
/// because an object's scan streams while the belt moves.

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "oi/hal/device.hpp"

namespace oi::hal {

/// Plane names of scan blocks, one per energy channel.
namespace scan_plane {
inline constexpr const char* kHigh = "high";  ///< high-energy channel (the only one for single energy)
inline constexpr const char* kLow = "low";    ///< low-energy channel (dual energy)
}  // namespace scan_plane

/// Detector and belt geometry.
struct ScanGeometry {
  int channels = 2;             ///< energy channels: 1 (single energy) or 2 (low/high)
  int views = 1;                ///< detector views; each block carries attribute "view"
  int pixels_per_line = 0;      ///< detector pixels per line
  int lines_per_block = 0;      ///< lines K in one scan block
  double pixel_pitch_mm = 0.0;  ///< detector pixel size in millimetres
  double line_rate_hz = 0.0;    ///< lines per second
  double belt_speed_m_s = 0.0;  ///< conveyor speed in metres per second

  /// Plane names in channel order: {"high"} or {"high", "low"}.
  std::vector<std::string> plane_names() const;
  /// Machine-readable form.
  nlohmann::json to_json() const;
};

/// State of the X-ray source.
enum class SourceState { kOff, kWarming, kOn };
/// "off", "warming", "on".
std::string_view to_string(SourceState state);

/// The X-ray source as last reported.
struct XraySource {
  SourceState state = SourceState::kOff;  ///< off, warming or on
  double kv = 0.0;                        ///< tube voltage in kV (or MV x 1000 for linacs)
  double ma = 0.0;                        ///< tube current in mA
};

/// A safety interlock.
enum class InterlockKind { kEmergencyStop, kLightCurtain, kDoor };
/// "emergency_stop", "light_curtain", "door".
std::string_view to_string(InterlockKind kind);

/// An interlock engaging or releasing, reported as an event.
struct InterlockEvent {
  InterlockKind kind = InterlockKind::kEmergencyStop;  ///< which interlock
  bool engaged = false;                                ///< true: tripped (X-rays must be off)
  std::int64_t time_ns = 0;                            ///< when, ns since the Unix epoch
};

/// Which calibration reference to acquire.
enum class CalibrationKind {
  kDark,  ///< source off: the detector's offset per pixel
  kAir,   ///< source on, empty tunnel: unattenuated intensity I0 per pixel
};
/// "dark", "air".
std::string_view to_string(CalibrationKind kind);

/// Base class of X-ray scanner drivers. Adds geometry, source, interlocks and calibration to
/// Device; checks every block the driver delivers (kind, planes, width) so a scanner cannot
/// emit blocks that downstream stages misread.
class XrayScanner : public Device {
 public:
  /// The capability descriptor every scanner declares: kind XrayScanner, frame kind
  /// `xray.scan_block`, u16 planes `high` and `low` (`low` only with two channels); `finite`
  /// when the device may end by itself (a simulator with a scan count).
  static DeviceCapabilities scanner_capabilities(bool finite = false);

  /// Geometry as currently configured.
  virtual ScanGeometry geometry() const = 0;
  /// The source as last reported.
  virtual XraySource source() const = 0;

  /// Ready only (dark needs the source off, air an empty tunnel, neither a moving scan):
  /// acquires `lines` lines of a calibration reference. The frame has the usual planes,
  /// attribute "calibration" = "dark" or "air", and scan id 0.
  Result<FramePtr> acquire_reference(CalibrationKind kind, int lines);

  /// Interlock events since the last call, oldest first.
  std::vector<InterlockEvent> take_interlock_events();

 protected:
  /// Acquires a calibration reference; the base class has checked the state and will check
  /// the frame.
  virtual Result<FramePtr> on_acquire_reference(CalibrationKind kind, int lines) = 0;
  /// Drivers report interlock changes here (any thread).
  void post_interlock_event(InterlockEvent event);
  /// A new block of `lines` lines with the planes of geometry() allocated, kind, pitch set.
  FramePtr make_block(int lines) const;

  /// Delivers the next scan block; see Device::on_read().
  virtual Status on_read_block(FramePtr& block, std::chrono::milliseconds timeout) = 0;

 private:
  Status on_read(FramePtr& frame, std::chrono::milliseconds timeout) final;
  // Empty when the frame matches geometry(); else what is wrong.
  std::string check_block(const Frame& frame) const;

  std::mutex events_mutex_;
  std::deque<InterlockEvent> events_;
};

}  // namespace oi::hal
