#include "oi/hal/supervisor.hpp"

#include <algorithm>

namespace oi::hal {

std::string_view to_string(FaultAction action) {
  switch (action) {
    case FaultAction::kRestart:
      return "restart";
    case FaultAction::kStop:
      return "stop";
    case FaultAction::kIgnore:
      return "ignore";
  }
  return "?";
}

bool SupervisorPolicy::is_policy_param(std::string_view name) {
  // The declarations below are the one list of the supervisor's names.
  static const StageSpec declared = [] {
    SupervisorPolicy policy;
    StageSpec spec;
    policy.declare(spec, /*scanner=*/true);
    spec.unbind();  // `policy` is gone after this
    return spec;
  }();
  return declared.find_param(name) != nullptr;
}

void SupervisorPolicy::declare(StageSpec& spec, bool scanner) {
  spec.param("frame_timeout_ms", params.frame_timeout_ms)
      .range(1, 3600000)
      .unit("ms")
      .describe("Supervisor: no frame for this long while streaming counts as a device fault.");
  spec.param("on_fault", params.on_fault)
      .one_of({"restart", "stop", "ignore"})
      .describe(
          "Supervisor: on a device fault, restart the device (with backoff), stop the run with an "
          "error, or ignore the device from then on (it ends; the rest of the pipeline runs on).");
  spec.param("max_retries", params.max_retries)
      .range(0, 1000000)
      .describe("Supervisor: consecutive recovery attempts before giving up with an error.");
  spec.param("retry_backoff_ms", params.retry_backoff_ms)
      .range(0, 3600000)
      .unit("ms")
      .describe(
          "Supervisor: wait before the first recovery attempt; doubles with every further attempt "
          "(at most 30 s).");
  if (!scanner) return;
  spec.param("references", params.references)
      .one_of({"none", "start"})
      .describe(
          "Scanner: `start` = acquire a dark (source off) and an air (empty tunnel) reference before "
          "streaming and emit them first, as frames with attribute `calibration` and scan id 0, for "
          "correction stages and data sets downstream.");
  spec.param("reference_lines", params.reference_lines)
      .range(1, 4096)
      .describe("Scanner: lines of each reference (more lines average more noise away).");
}

void SupervisorPolicy::apply() {
  frame_timeout = std::chrono::milliseconds(params.frame_timeout_ms);
  on_fault = params.on_fault == "stop"     ? FaultAction::kStop
             : params.on_fault == "ignore" ? FaultAction::kIgnore
                                           : FaultAction::kRestart;
  max_retries = static_cast<int>(params.max_retries);
  retry_backoff = std::chrono::milliseconds(params.retry_backoff_ms);
  references_at_start = params.references == "start";
  reference_lines = static_cast<int>(params.reference_lines);
}

SupervisorPolicy SupervisorPolicy::from_params(const ParamSet& values) {
  SupervisorPolicy p;
  StageSpec spec;
  p.declare(spec, true);
  spec.assign(values, {});
  p.apply();
  return p;
}

std::chrono::milliseconds SupervisorPolicy::backoff(int attempt) const {
  const int doublings = std::clamp(attempt - 1, 0, 30);
  const long double ms =
      static_cast<long double>(retry_backoff.count()) * static_cast<long double>(1ull << doublings);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::min<long double>(ms, kMaxBackoff.count())));
}

nlohmann::json SupervisorCounters::to_json() const {
  return {{"frames", frames},     {"faults", faults},
          {"restarts", restarts}, {"incomplete", incomplete},
          {"lost", lost},         {"interlock_events", interlock_events},
          {"gave_up", gave_up},   {"last_fault", last_fault}};
}

}  // namespace oi::hal
