#pragma once
/// @file
/// `oi::hal::XrayScanner`: a line-scan X-ray detector with its source. Output is scan
/// blocks (oi::xray::frame_kind::kScanBlock): K lines x pixels, one u16 plane per energy
/// channel (oi::xray::plane::kHigh, plus kLow for dual energy; <oi/xray/contract.hpp>), tagged with scan id,
/// block index and end-of-scan, because an object's scan streams while the belt moves.

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "oi/hal/device.hpp"
#include "oi/xray/contract.hpp"

namespace oi::hal {

/// Detector and belt geometry.
struct ScanGeometry {
  int channels = 2;             ///< energy channels: 1 (single energy) or 2 (low/high)
  int views = 1;                ///< detector views; each block carries attribute "view"
  int pixels_per_line = 0;      ///< detector pixels per line
  int lines_per_block = 0;      ///< lines K in one scan block
  double pixel_pitch_mm = 0.0;  ///< detector pixel size in millimetres
  double line_rate_hz = 0.0;    ///< lines per second
  double belt_speed_m_s = 0.0;  ///< conveyor speed in metres per second

  /// Plane names in channel order (oi::xray::plane::scanner_planes()).
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

/// Standard parameter names of X-ray scanners: the fields of ScanGeometry and XraySource,
/// units in the name like the camera controls (`exposure_us`). A pipeline written for one
/// scanner sets the same names on another; oi-conformance fails a scanner driver that
/// declares one of the old names (kRenamed) instead.
namespace scanner_param {
inline constexpr const char* kChannels = "channels";              ///< int, 1 or 2 energy channels
inline constexpr const char* kViews = "views";                    ///< int, detector views
inline constexpr const char* kPixelsPerLine = "pixels_per_line";  ///< int, detector pixels per line
inline constexpr const char* kLinesPerBlock = "lines_per_block";  ///< int, lines in one scan block
inline constexpr const char* kPixelPitchMm = "pixel_pitch_mm";    ///< float, mm
inline constexpr const char* kLineRateHz = "line_rate_hz";        ///< float, lines per second
inline constexpr const char* kBeltSpeedMS = "belt_speed_m_s";     ///< float, m/s
inline constexpr const char* kSourceKv = "source_kv";             ///< float, tube voltage in kV
inline constexpr const char* kSourceMa = "source_ma";             ///< float, tube current in mA

/// Names drivers used before the standard ones, old -> standard. A pipeline that sets one
/// gets a load-time error naming the standard name.
inline const std::vector<std::pair<std::string, std::string>> kRenamed = {{"pixels", kPixelsPerLine},
                                                                          {"width", kPixelsPerLine},
                                                                          {"detector_pixels", kPixelsPerLine},
                                                                          {"lines", kLinesPerBlock},
                                                                          {"block_lines", kLinesPerBlock},
                                                                          {"kv", kSourceKv},
                                                                          {"tube_kv", kSourceKv},
                                                                          {"ma", kSourceMa},
                                                                          {"tube_ma", kSourceMa},
                                                                          {"pitch_mm", kPixelPitchMm},
                                                                          {"line_rate", kLineRateHz},
                                                                          {"belt_speed", kBeltSpeedMS}};
}  // namespace scanner_param

/// Declares the standard scanner parameters a driver lets users set, each bound to a member
/// (usually of the driver's ScanGeometry and XraySource), with the standard name, type, unit
/// and description; the driver chains its own range and default:
/// @code
/// void on_setup(DeviceSpec& spec) override {
///   ScannerParams standard(spec);
///   standard.pixels_per_line(geometry_.pixels_per_line).range(64, 4096);
///   standard.source_kv(source_.kv, [this] { return link_.set_kv(source_.kv); }).range(80, 160);
/// }
/// @endcode
/// It also declares the old names as renamed (scanner_param::kRenamed).
class ScannerParams {
 public:
  explicit ScannerParams(DeviceSpec& spec);

  ParamSpec& channels(int& member);
  ParamSpec& views(int& member);
  ParamSpec& pixels_per_line(int& member);
  ParamSpec& lines_per_block(int& member);
  ParamSpec& pixel_pitch_mm(double& member);
  /// `live`: the line rate may change while streaming (`apply` pushes it to the device).
  ParamSpec& line_rate_hz(double& member, bool live = false, DeviceSpec::Apply apply = {});
  ParamSpec& belt_speed_m_s(double& member);
  /// Live: kV may change while streaming; `apply` pushes it to the source.
  ParamSpec& source_kv(double& member, DeviceSpec::Apply apply = {});
  /// Live: mA may change while streaming; `apply` pushes it to the source.
  ParamSpec& source_ma(double& member, DeviceSpec::Apply apply = {});

 private:
  DeviceSpec& spec_;
};

/// Problems of a scanner's declarations against the standard names: one message per old name
/// it declares ("declares 'pixels'; X-ray scanners call it 'pixels_per_line' ...") and per
/// standard name declared with another type. Empty when it follows the standard. Used by
/// oi-conformance.
std::vector<std::string> check_standard_scanner_params(const DeviceSpec& spec);

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
