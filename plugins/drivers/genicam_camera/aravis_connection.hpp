#pragma once
/// @file
/// `AravisConnection`: one open GenICam device (GigE Vision, USB3 Vision or GenTL through
/// Aravis) with its stream. Shared by the genicam.camera and genicam.xray drivers, which only
/// map their parameters and frames onto it.
///
/// It owns the ArvCamera and ArvStream references, watches the control channel
/// ("control-lost"), probes a silent device, and does the lost-frame accounting: failed
/// buffers, gaps in the GigE Vision block ids and the stream's own statistics, never counting
/// one frame twice.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aravis_handles.hpp"
#include "oi/hal/device.hpp"

namespace oi::genicam {

using hal::Result;

/// How a stream is set up; applied when acquisition starts.
struct StreamSettings {
  int buffers = 8;              ///< buffers queued to the stream
  bool packet_resend = true;    ///< GigE Vision: ask the camera to resend missing packets
  std::string socket = "auto";  ///< GigE Vision receive path: "auto", "packet" or "standard"
  int packet_size = 0;          ///< GigE Vision packet size in bytes; 0 = negotiate
  int socket_buffer = 0;        ///< GigE Vision UDP receive buffer in bytes; 0 = two payloads, at least 1 MiB
  std::chrono::milliseconds silence_check{1000};  ///< probe the device after this long without data
};

/// Image region in sensor pixels; width/height 0 = the rest of the sensor from the offset.
struct Region {
  int x = 0;       ///< OffsetX
  int y = 0;       ///< OffsetY
  int width = 0;   ///< Width
  int height = 0;  ///< Height
};

/// A buffer taken from the stream; it is queued back to the stream when the lease ends, so a
/// slow consumer can never starve acquisition. The stream must outlive the lease.
class BufferLease {
 public:
  BufferLease() = default;
  BufferLease(ArvStream* stream, ArvBuffer* buffer) : stream_(stream), buffer_(buffer) {}
  BufferLease(const BufferLease&) = delete;
  BufferLease& operator=(const BufferLease&) = delete;
  BufferLease(BufferLease&& other) noexcept { *this = std::move(other); }
  BufferLease& operator=(BufferLease&& other) noexcept;
  ~BufferLease() { release(); }

  /// The buffer, or nullptr.
  ArvBuffer* get() const { return buffer_; }
  explicit operator bool() const { return buffer_ != nullptr; }
  /// Queues the buffer back now.
  void release();

 private:
  ArvStream* stream_ = nullptr;  // not owned: the connection's stream
  ArvBuffer* buffer_ = nullptr;  // owned until queued back
};

/// One open GenICam device and, while acquiring, its stream.
class AravisConnection {
 public:
  /// The Aravis device id in `uri`: "genicam://ID" -> "ID", "genicam://" -> "" (first device).
  /// Anything else is an error that shows the accepted forms.
  static Result<std::string> device_id_from_uri(const std::string& uri);
  /// Opens the device named by `uri` (see device_id_from_uri()).
  static Result<std::unique_ptr<AravisConnection>> open(const std::string& uri);
  /// The devices Aravis can see now (GigE Vision discovery, USB3 Vision, GenTL), as
  /// genicam:// URIs; `description` goes into every entry.
  static Result<std::vector<hal::DeviceInfo>> discover(const std::string& description);

  AravisConnection(const AravisConnection&) = delete;
  AravisConnection& operator=(const AravisConnection&) = delete;
  /// Stops the stream (if any) and releases the device.
  ~AravisConnection();

  /// The device's identity: DeviceVendorName, DeviceModelName, DeviceSerialNumber (else the
  /// device id), DeviceVersion (else DeviceFirmwareVersion, else "n/a").
  hal::DeviceIdentity identity(const std::string& driver_version) const;
  /// How messages name the device: "GenICam device 'ID'".
  const std::string& name() const { return name_; }
  /// True when the device has the feature and it is available now.
  bool has_feature(const char* feature) const;

  // --- standard controls; each refuses values the device does not accept and says why -----

  /// PixelFormat by Aravis value (ARV_PIXEL_FORMAT_MONO_8, ...); `label` is the SDK's name.
  Status set_pixel_format(ArvPixelFormat format, const std::string& label);
  /// OffsetX/OffsetY/Width/Height, set in an order every camera accepts.
  Status set_region(const Region& region);
  /// The region the device reports now.
  Region region() const;
  /// ExposureTime (or ExposureTimeAbs) in microseconds.
  Status set_exposure_us(double us, bool is_default);
  /// Gain (or GainRaw) in the device's unit (dB for SFNC Gain).
  Status set_gain_db(double db, bool is_default);
  /// AcquisitionFrameRate; 0 = as fast as the camera goes.
  Status set_frame_rate_hz(double hz, bool is_default);
  /// TriggerMode/TriggerSource for FrameStart: "free_run", "software" or "hardware" (`source`).
  Status set_trigger(const std::string& mode, const std::string& source);
  /// Applies "Name=Value" strings (or "Name" to execute a command) in order.
  Status apply_features(const std::vector<std::string>& features);
  /// Integer feature, e.g. "Height" of a line-scan device.
  Result<std::int64_t> integer_feature(const char* feature) const;
  /// String or enumeration feature ("" when the device lacks it).
  std::string string_feature(const char* feature) const;
  /// Any feature's value as text, e.g. to restore it later.
  Result<std::string> feature_text(const std::string& feature) const;
  /// Float feature within the device's bounds; `param` names the SDK parameter in errors.
  Status set_float_feature(const char* feature, double value, const std::string& param);
  /// Enumeration or string feature.
  Status set_string_feature(const char* feature, const std::string& value);

  // --- acquisition --------------------------------------------------------------------------

  /// Creates the stream with `settings` and starts acquisition.
  Status start(const StreamSettings& settings);
  /// Stops acquisition and drops the stream. Bounded: when the control channel is already
  /// lost it does not wait for a device that cannot answer.
  void stop();
  /// True between start() and stop().
  bool acquiring() const { return stream_ != nullptr; }
  /// Fires TriggerSoftware.
  Status software_trigger();
  /// Waits up to `timeout` for a complete buffer. Ok with `out` set; ok with `out` empty when
  /// nothing came in time; an error when the device is gone (control channel lost, or silent
  /// and no longer answering). Failed buffers are counted (see take_lost()), never returned.
  Status pop(std::chrono::milliseconds timeout, BufferLease& out);
  /// Frames lost since the last call: failed buffers, block-id gaps, underruns.
  std::uint64_t take_lost();
  /// True once Aravis reported the control channel lost, or a silent device stopped answering.
  bool control_lost() const { return control_lost_->load(); }
  /// How many block ids lie strictly between two block ids delivered one after the other:
  /// the blocks lost between them. GigE Vision 1.x ids are 16 bits and skip 0 when they wrap;
  /// ids that go back otherwise mean the device restarted its counter (0 lost). 0 is never
  /// a valid id (0 lost).
  static std::uint64_t blocks_between(std::uint64_t previous_id, std::uint64_t id);

 private:
  AravisConnection(GObjectPtr<ArvCamera> camera, std::string id);
  ArvDevice* device() const { return arv_camera_get_device(camera_.get()); }
  // Asks a silent device whether it still answers and still grants us control; an error
  // says what went wrong. Only GigE Vision devices are asked (the CCP register).
  Status probe();
  // Accounts for a buffer taken from the stream: `complete` when its status is success.
  void note_buffer(ArvBuffer* buffer, bool complete);
  void fold_statistics();
  /// GigE Vision: sizes the stream socket's receive buffer (settings_.socket_buffer, or two
  /// frames' `payload`, at least 1 MiB) and warns when the kernel caps it below that.
  void configure_socket_buffer(guint payload);
  Status lost_error(const std::string& what) const;

  GObjectPtr<ArvCamera> camera_;
  GObjectPtr<ArvStream> stream_;
  std::string id_;
  std::string name_;
  // Set from Aravis's heartbeat thread; shared with the signal handler so that a handler
  // still running while the connection is destroyed never touches freed memory.
  std::shared_ptr<std::atomic<bool>> control_lost_ = std::make_shared<std::atomic<bool>>(false);
  gulong control_lost_handler_ = 0;

  StreamSettings settings_;
  std::chrono::steady_clock::time_point last_activity_;  // last buffer of any status, or start
  std::chrono::steady_clock::time_point last_probe_;
  bool have_block_id_ = false;
  std::uint64_t last_block_id_ = 0;
  std::uint64_t failed_since_complete_ = 0;  // popped incomplete since the last complete buffer
  std::uint64_t gap_frames_ = 0;             // frames lost between complete buffers (block ids)
  std::uint64_t reported_lost_ = 0;          // already handed out by take_lost() for this stream
  std::uint64_t pending_lost_ = 0;
};

}  // namespace oi::genicam
