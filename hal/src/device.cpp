#include "oi/hal/device.hpp"

#include <algorithm>
#include <exception>

#include "oi/hal/uri.hpp"

namespace oi::hal {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string allowed_list(DeviceState state) {
  std::vector<std::string> names;
  for (Transition t : allowed_transitions(state)) names.emplace_back(to_string(t));
  return names.empty() ? "none" : join(names);
}

std::string param_names(const std::vector<ParamSpec>& params) {
  std::vector<std::string> names;
  for (const auto& p : params) names.push_back(p.name());
  return names.empty() ? "none" : join(names);
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What makes a frame unsafe to hand to a stage, whatever the device: a plane whose rows do not
// fit its stride, or whose pixels run past the end of its memory (a stage would read beyond
// it). Device classes check their own contract besides (XrayScanner: the geometry).
std::string layout_problem(const Frame& frame) {
  for (const std::string& name : frame.plane_names()) {
    const Plane& p = frame.plane(name);
    const std::string plane = "plane '" + name + "' (" + std::string(to_string(p.format)) + " " +
                              std::to_string(p.width) + " x " + std::to_string(p.height) + ")";
    if (p.width < 0 || p.height < 0) return plane + " has a negative size";
    if (p.width == 0 || p.height == 0) continue;
    if (!p.valid()) return plane + " has no pixels attached";
    if (p.stride < p.row_bytes()) {
      return plane + ": rows of " + std::to_string(p.row_bytes()) + " bytes do not fit its stride of " +
             std::to_string(p.stride);
    }
    const std::size_t needed = p.offset + p.stride * static_cast<std::size_t>(p.height - 1) + p.row_bytes();
    if (p.memory->size_bytes() < needed) {
      return plane + " needs " + std::to_string(needed) + " bytes; its memory holds " +
             std::to_string(p.memory->size_bytes());
    }
  }
  return {};
}
}  // namespace

std::vector<std::string> DeviceIdentity::missing_fields() const {
  std::vector<std::string> missing;
  if (vendor.empty()) missing.emplace_back("vendor");
  if (model.empty()) missing.emplace_back("model");
  if (serial.empty()) missing.emplace_back("serial");
  if (firmware_version.empty()) missing.emplace_back("firmware_version");
  if (driver_version.empty()) missing.emplace_back("driver_version");
  return missing;
}

nlohmann::json DeviceIdentity::to_json() const {
  return {{"vendor", vendor},
          {"model", model},
          {"serial", serial},
          {"firmware_version", firmware_version},
          {"driver_version", driver_version}};
}

nlohmann::json DeviceInfo::to_json() const {
  nlohmann::json j = {
      {"driver", driver}, {"uri", uri}, {"vendor", vendor}, {"model", model}, {"serial", serial}};
  if (!description.empty()) j["description"] = description;
  return j;
}

std::string_view to_string(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kXrayScanner:
      return "xray_scanner";
    case DeviceKind::kCamera:
      return "camera";
    case DeviceKind::kOther:
      return "other";
  }
  return "?";
}

nlohmann::json DeviceCapabilities::to_json() const {
  nlohmann::json formats_json = nlohmann::json::array();
  for (PixelFormat f : formats) formats_json.push_back(std::string(oi::to_string(f)));
  return {{"kind", std::string(to_string(kind))},
          {"frame_kind", frame_kind},
          {"formats", formats_json},
          {"planes", planes},
          {"can_recover", can_recover},
          {"finite", finite}};
}

ParamSpec& DeviceSpec::add(ParamSpec param, bool live, Apply apply) {
  if (find_param(param.name()) != nullptr)
    throw ConfigError("device parameter '" + param.name() + "' is declared twice");
  if (live) live_.push_back(param.name());
  if (apply) apply_[param.name()] = std::move(apply);
  return params_.emplace_back(std::move(param));
}

ParamSpec& DeviceSpec::param(std::string name, ParamType type) {
  return add(ParamSpec(std::move(name), type), false, {});
}
ParamSpec& DeviceSpec::live_param(std::string name, ParamType type) {
  return add(ParamSpec(std::move(name), type), true, {});
}

const DeviceSpec::Apply* DeviceSpec::apply_of(std::string_view name) const {
  auto it = apply_.find(name);
  return it == apply_.end() ? nullptr : &it->second;
}

const ParamSpec* DeviceSpec::find_param(std::string_view name) const {
  auto it =
      std::find_if(params_.begin(), params_.end(), [&](const ParamSpec& p) { return p.name() == name; });
  return it == params_.end() ? nullptr : &*it;
}

bool DeviceSpec::is_live(std::string_view name) const {
  return std::find(live_.begin(), live_.end(), name) != live_.end();
}

Device::Device() = default;

Device::~Device() {
  // A device destroyed while open must still release its hardware; hooks cannot run once
  // the derived class is gone, so drivers whose on_close() matters call close() themselves
  // (the adapter and the conformance suite always do).
}

const DeviceSpec& Device::spec() const {
  // on_setup() binds members, so it needs the object itself; it runs once, before any other hook.
  std::call_once(declared_, [this] { const_cast<Device*>(this)->on_setup(spec_); });
  return spec_;
}

DeviceIdentity Device::identity() const {
  std::lock_guard lock(mutex_);
  return identity_;
}

std::string Device::uri() const {
  std::lock_guard lock(mutex_);
  return uri_;
}

void Device::set_label(std::string label) {
  std::lock_guard lock(mutex_);
  label_ = std::move(label);
}

std::string Device::describe() const {
  std::lock_guard lock(mutex_);
  return uri_.empty() ? label_ : label_ + " at '" + redact_uri(uri_) + "'";
}

bool Device::is_available(std::string_view name) const {
  std::lock_guard lock(mutex_);
  if (spec().find_param(name) == nullptr) return false;
  const DeviceState s = state();
  if (s != DeviceState::kReady && s != DeviceState::kStreaming) return true;
  try {
    return on_is_available(name);
  } catch (...) {
    return false;  // a driver that cannot tell is treated as not having it
  }
}

std::string redact_uri(std::string_view uri) { return Uri::parse(uri).redacted(); }

std::string Device::fault_reason() const {
  std::lock_guard lock(mutex_);
  return fault_reason_;
}

void Device::set_identity(DeviceIdentity identity) { identity_ = std::move(identity); }

Status Device::error(const std::string& what) const {
  std::string text = what;
  // Drivers quote their URI in messages; a password in it must not reach logs.
  if (const std::string shown = redact_uri(uri_); shown != uri_) {
    for (auto at = text.find(uri_); at != std::string::npos; at = text.find(uri_, at + shown.size())) {
      text.replace(at, uri_.size(), shown);
    }
  }
  return Status::error(describe() + ": " + text);
}

Status Device::illegal(Transition transition) const {
  const DeviceState s = state();
  return error("cannot " + std::string(to_string(transition)) + " while " + std::string(to_string(s)) +
               " (allowed from " + std::string(to_string(s)) + ": " + allowed_list(s) + ")");
}

Status Device::reentry(std::string_view call) const {
  return error(std::string(call) +
               "() was called from inside a driver hook; hooks return a status "
               "instead of driving the lifecycle themselves");
}

template <class Fn>
Status Device::guarded(std::string_view hook, Fn&& fn) {
  in_hook_ = true;
  Status status;
  try {
    status = fn();
  } catch (const std::exception& e) {
    status = Status::error(std::string(hook) + "() threw: " + e.what());
  } catch (...) {
    status = Status::error(std::string(hook) + "() threw an unknown exception");
  }
  in_hook_ = false;
  if (status.is_error() && status.message().empty()) {
    status = Status::error(std::string(hook) + "() failed without saying why");
  }
  return status;
}

Status Device::enter_fault(const std::string& reason) {
  fault_reason_ = reason;
  state_ = DeviceState::kFault;
  return error(reason);
}

Result<ParamValue> Device::get(std::string_view name) const {
  const ParamSpec* p = spec().find_param(name);
  if (p == nullptr) {
    return error("has no parameter '" + std::string(name) + "'; it has: " + param_names(params()));
  }
  std::lock_guard lock(mutex_);
  if (auto it = values_.find(p->name()); it != values_.end()) return it->second;
  if (p->default_value()) return *p->default_value();
  return error("parameter '" + p->name() + "' has no value yet; it is required, set it before configure()");
}

ParamSet Device::values() const {
  std::lock_guard lock(mutex_);
  ParamSet set;
  for (const auto& p : spec().params()) {
    if (auto it = values_.find(p.name()); it != values_.end()) {
      set.set(p.name(), it->second);
    } else if (p.default_value()) {
      set.set(p.name(), *p.default_value());
    }
  }
  return set;
}

Status Device::set(std::string_view name, const ParamValue& value) {
  std::lock_guard lock(mutex_);
  if (in_hook_) return reentry("set");
  const ParamSpec* p = spec().find_param(name);
  if (p == nullptr)
    return error("has no parameter '" + std::string(name) + "'; it has: " + param_names(params()));
  if (auto problem = p->check(value)) return error("parameter '" + p->name() + "' " + *problem);
  const DeviceState s = state();
  if (s == DeviceState::kClosed || s == DeviceState::kRecovering) {
    return error("cannot set '" + p->name() + "' while " + std::string(to_string(s)));
  }
  if (s == DeviceState::kStreaming && !spec().is_live(name)) {
    return error("parameter '" + p->name() +
                 "' cannot change while Streaming; stop() first, set it, then start()");
  }
  if ((s == DeviceState::kReady || s == DeviceState::kStreaming) && !on_is_available(p->name())) {
    return error("parameter '" + p->name() +
                 "' is not available on this device (see `oi inspect` and the "
                 "driver's documentation for which devices have it); leave it at its default");
  }
  if (s == DeviceState::kReady || s == DeviceState::kStreaming) {
    Status applied;
    if (p->bound()) {
      // The member takes the value; a refusal (or a value the member cannot hold) puts the
      // old one back, so the driver never runs with a value set() reported as refused.
      const ParamValue old = p->bound_value();
      const DeviceSpec::Apply* apply = spec().apply_of(p->name());
      applied = guarded("set", [&] {
        p->assign(value);
        return apply != nullptr ? (*apply)() : Status::ok();
      });
      if (applied.is_error()) {
        guarded("set", [&] {
          p->assign(old);
          return Status::ok();
        });
      }
    } else {
      applied = guarded("on_set_param", [&] { return on_set_param(p->name(), value); });
    }
    if (applied.is_error())
      return error("refused " + p->name() + " = " + value.dump() + ": " + applied.message());
  }
  values_[p->name()] = value;
  return Status::ok();
}

Status Device::on_set_param(const std::string& name, const ParamValue& value) {
  (void)name;
  (void)value;
  return Status::ok();
}

Status Device::run_exclusive(DeviceState required, std::string_view operation, std::string_view hint,
                             const std::function<Status()>& fn) {
  std::lock_guard lock(mutex_);
  if (in_hook_) return reentry(operation);
  if (state() != required) {
    return error("cannot " + std::string(operation) + " while " + std::string(to_string(state())) + "; " +
                 std::string(hint));
  }
  Status s = guarded(operation, fn);
  return s.is_error() ? error(std::string(operation) + ": " + s.message()) : s;
}

Result<std::vector<DeviceInfo>> Device::enumerate() {
  std::lock_guard lock(mutex_);
  if (in_hook_) return reentry("enumerate");
  if (state() == DeviceState::kClosed) return error("cannot enumerate: the device is closed");
  std::vector<DeviceInfo> found;
  Status s = guarded("on_enumerate", [&] {
    Result<std::vector<DeviceInfo>> r = on_enumerate();
    if (r.ok()) found = std::move(r.value());
    return r.status();
  });
  if (s.is_error()) return error("discovery failed: " + s.message());
  return found;
}

Status Device::configure(const std::string& uri, const std::map<std::string, ParamValue>& values) {
  std::lock_guard lock(mutex_);
  if (in_hook_) return reentry("configure");
  if (!is_allowed(state(), Transition::kConfigure)) return illegal(Transition::kConfigure);
  std::vector<std::string> problems;
  for (const auto& [name, value] : values) {
    const ParamSpec* p = spec().find_param(name);
    if (p == nullptr) {
      problems.push_back("unknown parameter '" + name + "' (it has: " + param_names(params()) + ")");
    } else if (auto problem = p->check(value)) {
      problems.push_back("parameter '" + name + "' " + *problem);
    }
  }
  for (const auto& p : params()) {
    if (p.required() && !values.contains(p.name()) && !values_.contains(p.name())) {
      problems.push_back("parameter '" + p.name() + "' is required (" + p.type_description() + ")");
    }
  }
  if (!problems.empty()) return error("cannot configure: " + join(problems));
  // The values count only if the device opens: a failed attempt leaves the device as it was,
  // so a retry with other values does not inherit these.
  const std::map<std::string, ParamValue> previous = values_;
  for (const auto& [name, value] : values) values_[name] = value;
  uri_ = uri;
  const ParamSet params = this->values();
  auto undo = [&](const std::string& why) {
    guarded("on_close", [&] {
      on_close();
      return Status::ok();
    });
    Status e = error(why);
    uri_.clear();
    values_ = previous;
    return e;
  };
  Status opened = guarded("on_configure", [&] {
    assign_bound(spec().params(), params, {});
    return on_configure(uri, params);
  });
  // Nothing is open, so the device stays Unconfigured and another URI may be tried.
  if (!opened.is_ok()) return undo("cannot open: " + opened.message());
  if (auto missing = identity_.missing_fields(); !missing.empty()) {
    return undo("the driver did not report its identity (" + join(missing) +
                " empty); drivers call set_identity() in on_configure()");
  }
  state_ = DeviceState::kReady;
  return Status::ok();
}

Status Device::start() {
  std::lock_guard lock(mutex_);
  if (in_hook_) return reentry("start");
  if (!is_allowed(state(), Transition::kStart)) return illegal(Transition::kStart);
  Status s = guarded("on_start", [&] { return on_start(); });
  if (!s.is_ok()) return enter_fault("start failed: " + s.message());
  state_ = DeviceState::kStreaming;
  return Status::ok();
}

Status Device::stop() {
  std::lock_guard lock(mutex_);
  if (in_hook_) return reentry("stop");
  if (!is_allowed(state(), Transition::kStop)) return illegal(Transition::kStop);
  Status s = guarded("on_stop", [&] { return on_stop(); });
  if (!s.is_ok()) return enter_fault("stop failed: " + s.message());
  state_ = DeviceState::kReady;
  return Status::ok();
}

Status Device::close() {
  std::lock_guard lock(mutex_);
  if (in_hook_) return reentry("close");
  if (!is_allowed(state(), Transition::kClose)) return illegal(Transition::kClose);
  const DeviceState s = state();
  Status result = Status::ok();
  if (s == DeviceState::kStreaming) {
    Status stopped = guarded("on_stop", [&] { return on_stop(); });
    if (!stopped.is_ok()) result = error("stop before close failed (closed anyway): " + stopped.message());
  }
  if (s != DeviceState::kUnconfigured)
    guarded("on_close", [&] {
      on_close();
      return Status::ok();
    });
  state_ = DeviceState::kClosed;
  return result;
}

Status Device::on_recover() {
  on_close();
  return on_configure(uri_, values());
}

Status Device::recover() {
  std::lock_guard lock(mutex_);
  if (in_hook_) return reentry("recover");
  if (!is_allowed(state(), Transition::kRecover)) return illegal(Transition::kRecover);
  state_ = DeviceState::kRecovering;
  // Values set while in Fault were only stored: the members get them before the driver
  // opens the device again.
  const ParamSet current = values();
  Status s = guarded("on_recover", [&] {
    assign_bound(spec().params(), current, {});
    return on_recover();
  });
  if (!s.is_ok()) return enter_fault("recovery failed: " + s.message());
  state_ = DeviceState::kReady;
  return Status::ok();
}

Status Device::fault(const std::string& reason) {
  std::lock_guard lock(mutex_);
  if (in_hook_) return reentry("fault");
  if (!is_allowed(state(), Transition::kFault)) return illegal(Transition::kFault);
  // Stop acquisition as far as the driver can; the fault stands whatever it says.
  if (state() == DeviceState::kStreaming) guarded("on_stop", [&] { return on_stop(); });
  enter_fault(reason);
  return Status::ok();
}

Status Device::read(FramePtr& frame, std::chrono::milliseconds timeout) {
  std::lock_guard lock(mutex_);
  frame.reset();
  if (in_hook_) return reentry("read");
  if (state() != DeviceState::kStreaming) {
    return error("cannot read while " + std::string(to_string(state())) +
                 " (read needs Streaming; allowed from " + std::string(to_string(state())) + ": " +
                 allowed_list(state()) + ")");
  }
  FramePtr out;
  Status s = guarded("on_read", [&] { return on_read(out, timeout); });
  if (s.is_end_of_stream()) return s;
  if (s.is_error()) {
    guarded("on_stop", [&] { return on_stop(); });
    return enter_fault(s.message());
  }
  if (!out) return Status::ok();
  if (std::string problem = layout_problem(*out); !problem.empty()) {
    guarded("on_stop", [&] { return on_stop(); });
    return enter_fault("the driver delivered a malformed frame: " + problem);
  }
  auto& meta = out->metadata();
  meta.sequence = next_sequence_++;
  if (meta.capture_time_ns == 0) meta.capture_time_ns = now_ns();
  ++frames_read_;
  frame = std::move(out);
  return Status::ok();
}

}  // namespace oi::hal
