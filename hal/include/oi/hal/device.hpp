#pragma once
/// @file
/// `oi::hal::Device`: what every driver implements. Identity, typed parameters (declared
/// with oi::ParamSpec, like GenICam features: enumerate, get, set with validation and
/// units), a capability descriptor and a lifecycle owned by this base class.
///
/// A vendor writes one class with a handful of hooks (`on_setup`, `on_configure`,
/// `on_start`, `on_read`, `on_stop`, optionally `on_recover`, `on_close`,
/// `on_set_param`). The base class checks every transition, so a hook is only ever called
/// in the state it expects, an exception from a hook becomes an error status naming the
/// device, and a failing hook moves the device to Fault.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "oi/error.hpp"
#include "oi/frame.hpp"
#include "oi/hal/device_state.hpp"
#include "oi/hal/result.hpp"
#include "oi/params.hpp"
#include "oi/pixel_format.hpp"

namespace oi::hal {

/// Who made the device and which software drives it.
struct DeviceIdentity {
  std::string vendor;            ///< manufacturer, e.g. "OpenInspect"
  std::string model;             ///< model name
  std::string serial;            ///< serial number, unique per vendor and model
  std::string firmware_version;  ///< firmware the device reports ("n/a" when it has none)
  std::string driver_version;    ///< version of the driver plugin

  /// Names of the fields that are empty (all must be set once the device is Ready).
  std::vector<std::string> missing_fields() const;
  /// {"vendor": ..., "model": ..., "serial": ..., "firmware_version": ..., "driver_version": ...}.
  nlohmann::json to_json() const;
};

/// A device a driver can see without opening it, as `oi devices` lists it.
struct DeviceInfo {
  std::string driver;       ///< driver type (filled in by DeviceRegistry::enumerate())
  std::string uri;          ///< what configure() accepts to open exactly this device
  std::string vendor;       ///< manufacturer, when the discovery reports it
  std::string model;        ///< model, when the discovery reports it
  std::string serial;       ///< serial number, when the discovery reports it
  std::string description;  ///< a short human note (e.g. "V4L2 capture device"), optional

  /// {"driver", "uri", "vendor", "model", "serial"} plus "description" when set.
  nlohmann::json to_json() const;
};

/// `uri` for messages, logs and `--stats`: a password in it (`rtsp://user:secret@host`) is
/// replaced by `***`.
std::string redact_uri(std::string_view uri);

/// What kind of device a driver drives.
enum class DeviceKind {
  kXrayScanner,  ///< a line-scan X-ray detector and source; emits scan blocks
  kCamera,       ///< an area camera; emits video frames
  kOther,        ///< anything else
};

/// "xray_scanner", "camera", "other".
std::string_view to_string(DeviceKind kind);

/// What a device can do, declared once by the driver.
struct DeviceCapabilities {
  DeviceKind kind = DeviceKind::kOther;                    ///< scanner, camera or other
  std::string frame_kind = std::string(frame_kind::kAny);  ///< kind of the frames it emits
  std::vector<PixelFormat> formats;                        ///< pixel formats of its planes (empty = any)
  std::vector<std::string> planes;                         ///< plane names of its frames
  bool can_recover = true;                                 ///< recover() can bring it back after a fault
  bool finite = false;                                     ///< it may end by itself (a file, a finite mock)

  /// Machine-readable form for `--stats`, conformance reports and docs.
  nlohmann::json to_json() const;
};

/// What a driver declares about its device: parameters, capabilities, a description.
class DeviceSpec {
 public:
  /// What a live parameter's change does to the device (push the new value to the hardware);
  /// called with the member already holding the new value. An error refuses the value and
  /// the member gets its old value back.
  using Apply = std::function<Status()>;

  /// Declares a parameter bound to `member` (see oi/params.hpp): typed like the member, its
  /// initial value the default; the base class writes the value into it before
  /// on_configure() and on every set() while Ready. May be set while Unconfigured or Ready;
  /// `apply` (optional) pushes a value set while Ready to the device at once, so the device
  /// can refuse it then rather than at the next start().
  template <param_detail::Bindable T>
  ParamSpec& param(std::string name, T& member, Apply apply = {}) {
    return add(make_bound_param(std::move(name), member), false, std::move(apply));
  }
  /// Declares a bound parameter that may also change while Streaming (exposure, kV, ...);
  /// `apply` (optional) pushes a new value to the device.
  template <param_detail::Bindable T>
  ParamSpec& live_param(std::string name, T& member, Apply apply = {}) {
    return add(make_bound_param(std::move(name), member), true, std::move(apply));
  }
  /// Declares a parameter not bound to a member (a driver that forwards a list of features
  /// as a whole); read it from on_configure()'s ParamSet.
  ParamSpec& param(std::string name, ParamType type);
  /// Declares an unbound parameter that may also be changed while Streaming; on_set_param()
  /// receives its changes.
  ParamSpec& live_param(std::string name, ParamType type);
  /// Declares a parameter renamed in an earlier version: a pipeline that still sets
  /// `old_name` gets a load-time error naming `new_name`.
  void renamed(std::string old_name, std::string new_name) {
    renamed_[std::move(old_name)] = std::move(new_name);
  }
  /// Every renamed parameter, old name -> new name.
  const std::map<std::string, std::string, std::less<>>& renamed_params() const { return renamed_; }
  /// A paragraph for `oi inspect` and the reference page.
  void describe(std::string text) { description_ = std::move(text); }
  /// Sets the capability descriptor.
  void set_capabilities(DeviceCapabilities capabilities) { capabilities_ = std::move(capabilities); }

  /// Parameters in declaration order.
  const std::vector<ParamSpec>& params() const { return params_; }
  /// A parameter declaration, or nullptr.
  const ParamSpec* find_param(std::string_view name) const;
  /// True when `name` was declared with live_param().
  bool is_live(std::string_view name) const;
  /// The `apply` given to live_param(), or nullptr.
  const Apply* apply_of(std::string_view name) const;
  /// The description.
  const std::string& description() const { return description_; }
  /// The capability descriptor.
  const DeviceCapabilities& capabilities() const { return capabilities_; }

 private:
  ParamSpec& add(ParamSpec param, bool live, Apply apply);
  std::vector<ParamSpec> params_;
  std::vector<std::string> live_;
  std::map<std::string, Apply, std::less<>> apply_;
  std::map<std::string, std::string, std::less<>> renamed_;
  std::string description_;
  DeviceCapabilities capabilities_;
};

/// Base class of every device. Public methods are the host's side (adapter, conformance,
/// tools); protected hooks are the vendor's side. Public methods may be called from any
/// thread; they are serialised by a mutex, and state() never blocks.
class Device {
 public:
  Device();
  virtual ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  // --- declarations -----------------------------------------------------------------------

  /// Parameters, capabilities and description, declared by the driver (read once).
  const DeviceSpec& spec() const;
  /// Parameter declarations in declaration order (the GenICam-like feature list).
  const std::vector<ParamSpec>& params() const { return spec().params(); }
  /// The capability descriptor.
  const DeviceCapabilities& capabilities() const { return spec().capabilities(); }

  // --- identity and state -----------------------------------------------------------------

  /// Identity; complete once the device is Ready (drivers fill it in on_configure()).
  DeviceIdentity identity() const;
  /// The URI given to configure() (empty before).
  std::string uri() const;
  /// Names the device in messages, e.g. "node 'scanner' (mock.xray)". The URI is appended
  /// automatically once known.
  void set_label(std::string label);
  /// "LABEL at URI": how every error message names this device.
  std::string describe() const;
  /// The current state; never blocks.
  DeviceState state() const { return state_.load(); }
  /// Why the device is (or last was) in Fault; empty when it never faulted.
  std::string fault_reason() const;

  // --- parameters -------------------------------------------------------------------------

  /// Whether a declared parameter applies to the device that is open (GenICam's IsAvailable):
  /// declarations are per driver, but e.g. exposure exists on a V4L2 camera and not on a
  /// video file. True for every declared parameter before the device is Ready; false for
  /// undeclared names. set() refuses an unavailable parameter with a clear error.
  bool is_available(std::string_view name) const;
  /// Current value of a parameter (its default until set); an error names unknown ones.
  Result<ParamValue> get(std::string_view name) const;
  /// Validates and sets a parameter. Errors: unknown name, wrong type or range (the message
  /// quotes the declaration, unit included), a non-live parameter while Streaming, or the
  /// driver refusing the value. Not allowed when Closed.
  Status set(std::string_view name, const ParamValue& value);
  /// All current values, defaults filled in.
  ParamSet values() const;

  // --- discovery -------------------------------------------------------------------------

  /// Devices this driver can see now (cameras on the network, video nodes, recordings...),
  /// each with a URI that configure() accepts. Callable in any state but Closed; it opens
  /// nothing. An error says why discovery itself failed (not "no devices": that is an empty
  /// list). The `driver` field is left to the caller.
  Result<std::vector<DeviceInfo>> enumerate();

  // --- lifecycle --------------------------------------------------------------------------

  /// Unconfigured -> Ready: validates `values` (unknown names, types, ranges, required
  /// parameters) and opens the device at `uri`. On failure the device stays Unconfigured,
  /// so configure() may be tried again with another URI.
  Status configure(const std::string& uri, const std::map<std::string, ParamValue>& values = {});
  /// Ready -> Streaming. A failing driver moves the device to Fault.
  Status start();
  /// Streaming -> Ready. A failing driver moves the device to Fault.
  Status stop();
  /// Any state but Closed -> Closed; stops first when Streaming. Always ends Closed.
  Status close();
  /// Fault -> Recovering -> Ready; back to Fault (with the reason) when the driver fails.
  Status recover();
  /// Ready, Streaming or Recovering -> Fault with `reason` (e.g. the supervisor's timeout).
  Status fault(const std::string& reason);
  /// Streaming only: waits up to `timeout` for the next frame. Ok with a frame, ok with
  /// nullptr when nothing arrived in time, end_of_stream when a finite device is done, or an
  /// error, after which the device is in Fault. The base class stamps an increasing
  /// `sequence` (kept across restarts) and, when the driver left it 0, `capture_time_ns`.
  Status read(FramePtr& frame, std::chrono::milliseconds timeout);

  /// Frames delivered by read() so far.
  std::uint64_t frames_read() const { return frames_read_.load(); }
  /// Frames the driver reported as lost inside the device (overruns, missing packets).
  std::uint64_t lost_frames() const { return lost_frames_.load(); }

 protected:
  /// Declares parameters (bound to members), capabilities and description; called once.
  /// Must not depend on values.
  virtual void on_setup(DeviceSpec& spec) = 0;
  /// Opens the device at `uri` with validated `params`; fills in the identity. Return an
  /// error that says what is wrong with the URI or the device and what to do.
  virtual Status on_configure(const std::string& uri, const ParamSet& params) = 0;
  /// Starts acquisition.
  virtual Status on_start() = 0;
  /// Stops acquisition; must return within a bounded time.
  virtual Status on_stop() = 0;
  /// Releases everything; called once, also from Fault. Must not fail.
  virtual void on_close() {}
  /// Brings a faulted device back to Ready. The default closes and configures again with
  /// the same URI and values, which is what a reconnect needs.
  virtual Status on_recover();
  /// Applies a validated value of a parameter declared without a member (Ready: before the
  /// next start; Streaming: live parameters). Bound parameters never come here: their
  /// member is written and their `apply` called. Return an error to refuse the value; the
  /// old value is kept.
  virtual Status on_set_param(const std::string& name, const ParamValue& value);
  /// Whether declared parameter `name` applies to the open device (see is_available());
  /// called in Ready and Streaming. Default: every declared parameter applies.
  virtual bool on_is_available(std::string_view name) const {
    (void)name;
    return true;
  }
  /// Lists the devices the driver can see (see enumerate()). Default: none, for drivers
  /// whose devices cannot be discovered (a URI must name them).
  virtual Result<std::vector<DeviceInfo>> on_enumerate() { return std::vector<DeviceInfo>{}; }
  /// Delivers the next frame within `timeout`: ok + frame, ok + nullptr (nothing yet),
  /// end_of_stream, or an error (the device faults).
  virtual Status on_read(FramePtr& frame, std::chrono::milliseconds timeout) = 0;

  /// Drivers call this in on_configure() once they know the device.
  void set_identity(DeviceIdentity identity);
  /// For device classes that add operations of their own (XrayScanner::acquire_reference):
  /// runs `fn` under the device lock like every lifecycle hook, so it never overlaps
  /// start(), stop(), set() or read() from another thread. Only in state `required`: else an
  /// error naming the state and what to do (`hint`). An exception from `fn` becomes an error
  /// naming `operation`.
  Status run_exclusive(DeviceState required, std::string_view operation, std::string_view hint,
                       const std::function<Status()>& fn);
  /// Drivers call this when the device reports frames it dropped.
  void count_lost(std::uint64_t frames) { lost_frames_ += frames; }

 private:
  // Runs a hook, turning an exception into an error status naming the device and hook.
  template <class Fn>
  Status guarded(std::string_view hook, Fn&& fn);
  Status illegal(Transition transition) const;
  Status enter_fault(const std::string& reason);
  Status error(const std::string& what) const;
  // Public methods called from inside a hook would deadlock or corrupt the state machine.
  Status reentry(std::string_view call) const;

  mutable std::recursive_mutex mutex_;
  mutable std::once_flag declared_;
  mutable DeviceSpec spec_;
  std::atomic<DeviceState> state_{DeviceState::kUnconfigured};
  std::atomic<bool> in_hook_{false};
  std::map<std::string, ParamValue> values_;
  DeviceIdentity identity_;
  std::string uri_;
  std::string label_ = "device";
  std::string fault_reason_;
  std::uint64_t next_sequence_ = 0;
  std::atomic<std::uint64_t> frames_read_{0};
  std::atomic<std::uint64_t> lost_frames_{0};
};

}  // namespace oi::hal
