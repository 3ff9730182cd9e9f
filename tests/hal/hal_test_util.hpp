#pragma once
// Helpers for HAL tests: an in-process device with switchable failures, and a StageContext
// that records what a source emits.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "oi/hal/device.hpp"
#include "oi/stage.hpp"

namespace oi::hal::test {

/// A device whose hooks succeed, fail or throw on request, and count their calls.
class FakeDevice final : public Device {
 public:
  bool fail_configure = false;
  bool fail_start = false;
  bool fail_stop = false;
  bool fail_recover = false;
  bool throw_in_start = false;
  bool fail_read = false;
  bool refuse_set = false;  // the "hardware" refuses a new exposure_us
  bool leave_identity_empty = false;
  bool throw_in_enumerate = false;
  std::vector<std::string> unavailable;  // parameters this device instance does not have
  int closes = 0;
  // Set to call a lifecycle method from inside on_start (must be refused, not deadlock).
  bool reenter_in_start = false;
  Status reentry_status;
  // Parameter values (the initial values are the defaults).
  double gain = 1.0;
  double exposure_us = 100.0;
  std::string mode = "a";
  std::string serial_hint;

 protected:
  void on_setup(DeviceSpec& spec) override {
    spec.describe("fake");
    spec.param("gain", gain).range(0.0, 8.0).unit("x").describe("Gain.");
    spec.live_param("exposure_us", exposure_us,
                    [this] { return refuse_set ? Status::error("hardware refused") : Status::ok(); })
        .range(1.0, 1e6)
        .unit("us")
        .describe("Exposure.");
    spec.param("mode", mode).one_of({"a", "b"}).describe("Mode.");
    spec.param("serial_hint", serial_hint).without_default().describe("Required, no default.");
  }
  Status on_configure(const std::string& uri, const ParamSet&) override {
    if (fail_configure) return Status::error("no device at '" + uri + "'");
    if (!leave_identity_empty) set_identity({"Fake", "F1", "0001", "1.0", "0.0.1"});
    return Status::ok();
  }
  Status on_start() override {
    if (reenter_in_start) reentry_status = stop();
    if (throw_in_start) throw std::runtime_error("boom");
    return fail_start ? Status::error("start refused") : Status::ok();
  }
  Status on_stop() override { return fail_stop ? Status::error("stop refused") : Status::ok(); }
  void on_close() override { ++closes; }
  Status on_recover() override { return fail_recover ? Status::error("still unplugged") : Status::ok(); }
  bool on_is_available(std::string_view name) const override {
    return std::find(unavailable.begin(), unavailable.end(), name) == unavailable.end();
  }
  Result<std::vector<DeviceInfo>> on_enumerate() override {
    if (throw_in_enumerate) throw std::runtime_error("network interface vanished");
    return std::vector<DeviceInfo>{{"", "fake://0001", "Fake", "F1", "0001", ""}};
  }
  Status on_read(FramePtr& frame, std::chrono::milliseconds) override {
    if (fail_read) return Status::error("cable pulled");
    frame = Frame::create(std::string(frame_kind::kVideo));
    return Status::ok();
  }
};

/// Records emitted frames; stop_requested() is settable.
class RecordingContext final : public StageContext {
 public:
  explicit RecordingContext(StageSpec spec, std::string name = "scanner")
      : spec_(std::move(spec)), name_(std::move(name)) {}
  FramePtr take(std::size_t) override { return nullptr; }
  void emit(std::size_t, FramePtr frame) override { frames.push_back(std::move(frame)); }
  bool stop_requested() const override { return stop; }
  const std::string& stage_name() const override { return name_; }
  const StageSpec& spec() const override { return spec_; }
  void post_event(PipelineEvent event) override { events.push_back(std::move(event)); }
  /// Kinds of the events posted so far, in order.
  std::vector<std::string> event_kinds() const {
    std::vector<std::string> kinds;
    for (const auto& e : events) kinds.push_back(e.kind);
    return kinds;
  }
  std::vector<FramePtr> frames;
  std::vector<PipelineEvent> events;
  std::atomic<bool> stop{false};

 private:
  StageSpec spec_;
  std::string name_;
};

}  // namespace oi::hal::test
