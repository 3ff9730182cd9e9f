#include "oi/hal/device_stage.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "oi/hal/xray_scanner.hpp"

namespace oi::hal {
namespace {

using Clock = std::chrono::steady_clock;

// Waits in short slices so a stop request (Ctrl-C) is honoured during a long backoff.
// Returns false when the stop was requested.
bool wait_unless_stopped(StageContext& ctx, std::chrono::milliseconds wait) {
  const auto until = Clock::now() + wait;
  while (Clock::now() < until) {
    if (ctx.stop_requested()) return false;
    std::this_thread::sleep_until(std::min(until, Clock::now() + std::chrono::milliseconds(20)));
  }
  return !ctx.stop_requested();
}

PipelineEvent device_event(const char* kind, EventSeverity severity, std::string message,
                           nlohmann::json details) {
  PipelineEvent e;
  e.kind = kind;
  e.severity = severity;
  e.message = std::move(message);
  e.details = std::move(details);
  return e;
}

}  // namespace

DeviceStage::DeviceStage(DeviceFactory factory) : factory_(std::move(factory)) {}

DeviceStage::~DeviceStage() {
  if (device_ && device_->state() != DeviceState::kClosed) device_->close();
}

void DeviceStage::setup(StageSpec& spec) {
  std::unique_ptr<Device> device = factory_();
  if (!device) throw Error("the device factory returned no device");
  const DeviceSpec& ds = device->spec();
  const DeviceCapabilities& caps = ds.capabilities();
  spec.describe(ds.description());
  spec.output("out", PortType::of(caps.frame_kind, caps.formats),
              caps.kind == DeviceKind::kXrayScanner ? "scan blocks" : "frames");
  for (const ParamSpec& p : ds.params()) {
    if (SupervisorPolicy::is_policy_param(p.name())) {
      throw Error("the driver declares '" + p.name() + "', a name reserved for the supervisor; rename it");
    }
    // The device made here is gone after setup(): its members stay its own.
    spec.add(p).unbind();
  }
  for (const auto& [old_name, new_name] : ds.renamed_params()) spec.renamed(old_name, new_name);
  policy_.declare(spec, caps.kind == DeviceKind::kXrayScanner);
}

void DeviceStage::start(const StageConfig& config) {
  name_ = config.name;
  type_ = config.type;
  policy_.apply();
  device_ = factory_();
  if (!device_) throw Error("the device factory returned no device");
  // The host names the node and its type in every message; the device adds its URI.
  device_->set_label("device");
  scan_blocks_ = device_->capabilities().frame_kind == xray::frame_kind::kScanBlock;
  std::map<std::string, ParamValue> values;
  for (const auto& [key, value] : config.params.values()) {
    if (!SupervisorPolicy::is_policy_param(key)) values[key] = value;
  }
  // A URI or value the device rejects is the user's to fix, hence a ConfigError.
  if (Status s = device_->configure(config.uri, values); !s.is_ok()) {
    throw ConfigError(s.message() + " (check the node's 'uri' and 'params')");
  }
  if (policy_.references_at_start) acquire_references();
  if (Status s = device_->start(); !s.is_ok()) throw Error(s.message());
}

void DeviceStage::acquire_references() {
  auto* scanner = dynamic_cast<XrayScanner*>(device_.get());
  if (scanner == nullptr) return;  // only scanners declare `references`
  for (CalibrationKind kind : {CalibrationKind::kDark, CalibrationKind::kAir}) {
    Result<FramePtr> ref = scanner->acquire_reference(kind, policy_.reference_lines);
    // Without its references a correction stage would process garbage: fail at start.
    if (!ref.ok()) throw Error(ref.status().message() + " (references: start)");
    FramePtr frame = ref.value();
    // A reference is a whole "scan" of its own, so an assembler downstream passes it on at once.
    frame->metadata().end_of_scan = true;
    pending_references_.push_back(std::move(frame));
  }
}

Status DeviceStage::process(StageContext& ctx) {
  if (!pending_references_.empty()) {
    for (FramePtr& ref : pending_references_) emit(ctx, std::move(ref));
    pending_references_.clear();
  }
  if (ended_) return Status::end_of_stream();
  if (device_->state() == DeviceState::kFault) {
    if (Status s = handle_fault(ctx, device_->fault_reason()); !s.is_ok()) return s;
  }
  const auto deadline = Clock::now() + policy_.frame_timeout;
  FramePtr frame;
  while (!frame) {
    if (ctx.stop_requested()) return Status::end_of_stream();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    // Short slices keep a stop request responsive however long frame_timeout_ms is.
    const auto slice = std::clamp(left, std::chrono::milliseconds(1), std::chrono::milliseconds(100));
    Status s = device_->read(frame, slice);
    poll_interlocks(ctx);
    if (s.is_end_of_stream()) {
      ended_ = true;
      cut_short(ctx, "the device ended");
      return Status::end_of_stream();
    }
    if (s.is_error()) return handle_fault(ctx, s.message());
    if (!frame && Clock::now() >= deadline) {
      const std::string reason =
          "no frame within " + std::to_string(policy_.frame_timeout.count()) + " ms (frame_timeout_ms)";
      device_->fault(reason);
      return handle_fault(ctx, device_->describe() + ": " + reason);
    }
  }
  consecutive_attempts_ = 0;
  settle_outage();
  deliver(ctx, std::move(frame));
  return Status::ok();
}

Status DeviceStage::finish(StageContext& ctx) {
  settle_outage();
  cut_short(ctx, "the stream ended");
  return Status::ok();
}

void DeviceStage::settle_outage() {
  if (!outage_open_) return;
  outage_open_ = false;
  if (device_ && device_->lost_frames() == lost_before_outage_) ++counters_.lost;
}

void DeviceStage::stop() {
  if (device_ && device_->state() != DeviceState::kClosed) {
    if (Status s = device_->close(); !s.is_ok()) spdlog::warn("{}", s.message());
  }
}

nlohmann::json DeviceStage::summary() const {
  nlohmann::json out = counters_.to_json();
  if (device_) {
    nlohmann::json device = device_->identity().to_json();
    device["driver"] = type_;
    device["uri"] = redact_uri(device_->uri());
    device["state"] = std::string(to_string(device_->state()));
    out["device"] = device;
    // An outage still open (the run ended during it) missed at least one frame too.
    const bool unsettled = outage_open_ && device_->lost_frames() == lost_before_outage_;
    out["lost"] = counters_.lost + device_->lost_frames() + (unsettled ? 1 : 0);
  }
  return out;
}

void DeviceStage::emit(StageContext& ctx, FramePtr frame) {
  frame->metadata().source_device = name_;
  ++counters_.frames;
  ctx.emit(0, std::move(frame));
}

void DeviceStage::deliver(StageContext& ctx, FramePtr frame) {
  if (!scan_blocks_) {
    emit(ctx, std::move(frame));
    return;
  }
  if (held_) {
    // A new scan before the old one's end: the device skipped end-of-scan (e.g. it restarted
    // the scan itself); close the old scan as incomplete rather than let it run into the new.
    if (held_->metadata().scan_id != frame->metadata().scan_id) {
      cut_short(ctx, "the next scan began before this one ended");
    } else {
      emit(ctx, std::move(held_));
    }
  }
  held_.reset();
  if (frame->metadata().end_of_scan) {
    emit(ctx, std::move(frame));
  } else {
    held_ = std::move(frame);
  }
  ctx.set_frames_held(held_ ? 1 : 0);
}

void DeviceStage::cut_short(StageContext& ctx, const std::string& reason) {
  if (!held_) return;
  FrameMetadata& meta = held_->metadata();
  if (!meta.end_of_scan) {
    meta.end_of_scan = true;
    meta.incomplete = true;
    meta.attributes["incomplete_reason"] = reason;
    ++counters_.incomplete;
  }
  emit(ctx, std::move(held_));
  held_.reset();
  ctx.set_frames_held(0);
}

Status DeviceStage::handle_fault(StageContext& ctx, const std::string& reason) {
  ++counters_.faults;
  counters_.last_fault = reason;
  const std::string action(to_string(policy_.on_fault));
  ctx.post_event(device_event(event_kind::kDeviceFault, EventSeverity::kWarning,
                              reason + " (on_fault: " + action + ")",
                              {{"reason", reason}, {"on_fault", action}, {"faults", counters_.faults}}));
  // What arrived of the scan in progress is delivered, marked. Other frames: an interrupted
  // stream missed at least one; settle_outage() counts it unless the driver counted its own.
  if (scan_blocks_) {
    cut_short(ctx, reason);
  } else if (!outage_open_) {
    outage_open_ = true;
    lost_before_outage_ = device_->lost_frames();
  }
  if (policy_.on_fault == FaultAction::kStop) {
    counters_.gave_up = true;
    const std::string message = reason + "; the supervisor stops the run (on_fault: stop)";
    ctx.post_event(
        device_event(event_kind::kDeviceGaveUp, EventSeverity::kError, message, {{"on_fault", action}}));
    return Status::error(message);
  }
  if (policy_.on_fault == FaultAction::kIgnore) {
    counters_.gave_up = true;
    ended_ = true;
    ctx.post_event(device_event(event_kind::kDeviceGaveUp, EventSeverity::kWarning,
                                device_->describe() +
                                    ": ignored from now on (on_fault: ignore); the rest of the "
                                    "pipeline runs on",
                                {{"on_fault", action}}));
    return Status::end_of_stream();
  }
  std::string last = reason;
  while (consecutive_attempts_ < policy_.max_retries) {
    ++consecutive_attempts_;
    if (!wait_unless_stopped(ctx, policy_.backoff(consecutive_attempts_))) {
      ended_ = true;
      return Status::end_of_stream();
    }
    Status s = device_->recover();
    if (s.is_ok()) s = device_->start();
    if (s.is_ok()) {
      ++counters_.restarts;
      ctx.post_event(device_event(event_kind::kDeviceRecovered, EventSeverity::kInfo,
                                  device_->describe() + ": restarted after a fault (attempt " +
                                      std::to_string(consecutive_attempts_) + " of " +
                                      std::to_string(policy_.max_retries) + ")",
                                  {{"attempt", consecutive_attempts_}, {"restarts", counters_.restarts}}));
      return Status::ok();
    }
    last = s.message();
    spdlog::warn("{} (attempt {} of {})", last, consecutive_attempts_, policy_.max_retries);
  }
  counters_.gave_up = true;
  const std::string message =
      device_->describe() + ": gave up after " + std::to_string(policy_.max_retries) +
      " recovery attempt(s); last error: " + last +
      ". Check the device and its connection, or raise max_retries / retry_backoff_ms";
  ctx.post_event(device_event(event_kind::kDeviceGaveUp, EventSeverity::kError, message,
                              {{"attempts", policy_.max_retries}, {"last_error", last}}));
  return Status::error(message);
}

void DeviceStage::poll_interlocks(StageContext& ctx) {
  auto* scanner = dynamic_cast<XrayScanner*>(device_.get());
  if (scanner == nullptr) return;
  for (const InterlockEvent& e : scanner->take_interlock_events()) {
    ++counters_.interlock_events;
    const std::string kind(to_string(e.kind));
    PipelineEvent event =
        device_event(event_kind::kDeviceInterlock, e.engaged ? EventSeverity::kWarning : EventSeverity::kInfo,
                     device_->describe() + ": interlock " + kind + (e.engaged ? " engaged" : " released"),
                     {{"interlock", kind}, {"engaged", e.engaged}});
    event.time_ns = e.time_ns;
    ctx.post_event(std::move(event));
  }
}

}  // namespace oi::hal
