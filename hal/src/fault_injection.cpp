#include "oi/hal/fault_injection.hpp"

#include <algorithm>
#include <thread>

namespace oi::hal {

void FaultInjector::declare(DeviceSpec& spec) {
  spec.param("fail_after_" + unit_ + "s", fail_after_)
      .min(-1)
      .describe("Fault injection: a fault comes after this many " + unit_ +
                "s since the last start (or the last dropped " + unit_ + "); -1 = never.");
  spec.param("faults", faults_).min(0).describe("Fault injection: how many faults to inject in total.");
  spec.param("fault_kind", kind_)
      .one_of({"error", "timeout", "short", "corrupt", "drop"})
      .describe(
          "Fault injection: `error` = the device disappears (the read fails); `timeout` = it goes "
          "silent until restarted; `short` = a " +
          unit_ + " cut short (every plane one column narrower); `corrupt` = a " + unit_ +
          " with a garbled pixel format; `drop` = a " + unit_ +
          " lost on the link (counted as lost, the next one follows).");
  spec.param("recover_failures", recover_failures_)
      .min(0)
      .describe("Fault injection: this many recovery attempts fail before one succeeds.");
}

void FaultInjector::started() {
  since_start_ = 0;
  stalled_ = false;
  damage_next_ = false;
}

Status FaultInjector::recover() {
  if (recover_failures_seen_ < recover_failures_) {
    ++recover_failures_seen_;
    return Status::error(
        "the device is still unreachable (recover_failures = " + std::to_string(recover_failures_) + ")");
  }
  stalled_ = false;
  return Status::ok();
}

bool FaultInjector::due() const {
  return fail_after_ >= 0 && injected_ < faults_ && since_start_ >= fail_after_;
}

Status FaultInjector::before_read(std::chrono::milliseconds timeout, bool& silent) {
  silent = false;
  if (!stalled_ && !damage_next_ && due()) {
    if (kind_ == "error") {
      ++injected_;
      return Status::error("fault injected after " + std::to_string(since_start_) + " " + unit_ +
                           "(s) (fail_after_" + unit_ + "s, fault_kind: error)");
    }
    if (kind_ == "timeout") {
      ++injected_;
      stalled_ = true;
    } else {
      // short, corrupt, drop: the next frame made is the damaged one (counted when it is, so
      // a restart before it comes does not use the fault up).
      damage_next_ = true;
    }
  }
  if (stalled_) {
    std::this_thread::sleep_for(timeout);
    silent = true;
  }
  return Status::ok();
}

void FaultInjector::deliver(FramePtr& frame, const std::function<void(std::uint64_t)>& count_lost) {
  if (!frame) return;
  if (!damage_next_) {
    ++since_start_;
    return;
  }
  damage_next_ = false;
  ++injected_;
  since_start_ = 0;  // a further fault comes fail_after frames after this one
  if (kind_ == "drop") {
    frame.reset();
    if (count_lost) count_lost(1);
    return;
  }
  for (const std::string& name : frame->plane_names()) {
    Plane& plane = frame->plane(name);
    if (kind_ == "short") {
      plane.width = std::max(0, plane.width - 1);
    } else if (plane.format != PixelFormat::kU8) {
      plane.format = PixelFormat::kU8;  // fewer bytes per pixel: the rows still fit their stride
    } else {
      plane.format = PixelFormat::kU16;
      plane.width /= 2;
    }
  }
}

}  // namespace oi::hal
