#pragma once
/// @file
/// Fault injection for drivers that need no hardware (mock.xray, sim.xray, test.pattern,
/// sim.cctv): the faults a real device shows — it disappears, goes silent, delivers a short or
/// corrupt frame, loses one on the link — on demand, so the supervisor, the scan assembler and
/// a pipeline's accounting are tested against every one of them (docs/reliability.md).
///
/// A driver declares the parameters in on_setup(), calls started() in on_start(), recover()
/// in on_recover(), before_read() at the top of its read and deliver() on each frame it made:
///
///     Status on_read_block(FramePtr& block, std::chrono::milliseconds timeout) override {
///       bool silent = false;
///       if (Status s = faults_.before_read(timeout, silent); !s.is_ok() || silent) return s;
///       block = make_block(...);  ...  counter_.tag(block->metadata());
///       faults_.deliver(block, [this](std::uint64_t n) { count_lost(n); });
///       return Status::ok();
///     }

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "oi/frame.hpp"
#include "oi/hal/device.hpp"

namespace oi::hal {

/// Injects the faults a device can show after a number of frames since its last start.
class FaultInjector {
 public:
  /// `unit` names what the device delivers ("block" for scanners, "frame" for cameras); the
  /// parameters are `fail_after_<unit>s`, `faults`, `fault_kind` and `recover_failures`. A
  /// fault comes `fail_after` frames after the last start (a restart follows every `error`,
  /// `timeout`, `short` and `corrupt`) or after the last `drop`.
  explicit FaultInjector(std::string unit = "block") : unit_(std::move(unit)) {}

  /// Declares the four parameters on the driver's spec.
  void declare(DeviceSpec& spec);
  /// On every start: frames are counted from here; a silent device speaks again.
  void started();
  /// On recovery: fails `recover_failures` times (the device is still unreachable), then
  /// succeeds.
  Status recover();
  /// At the top of a read. Returns the injected error (`error`); for `timeout` the device has
  /// gone silent: waits out `timeout`, sets `silent` and returns ok (no frame). Otherwise ok.
  Status before_read(std::chrono::milliseconds timeout, bool& silent);
  /// After the driver made `frame` (tagged, ready to return). Applies `short` (every plane
  /// loses its last column, as when a transfer is cut) or `corrupt` (every plane's pixel
  /// format is garbled), which the device class's frame check then refuses; for `drop` the
  /// frame is lost on the link: `frame` is reset and `count_lost(1)` called. Counts the frame.
  void deliver(FramePtr& frame, const std::function<void(std::uint64_t)>& count_lost);

 private:
  // True when the next frame is the one to fail.
  bool due() const;

  std::string unit_;
  std::int64_t fail_after_ = -1;
  std::int64_t faults_ = 1;
  std::string kind_ = "error";
  std::int64_t recover_failures_ = 0;
  std::int64_t recover_failures_seen_ = 0;
  std::int64_t injected_ = 0;
  std::int64_t since_start_ = 0;
  bool stalled_ = false;
  bool damage_next_ = false;
};

}  // namespace oi::hal
