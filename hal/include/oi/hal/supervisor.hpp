#pragma once
/// @file
/// The per-device supervisor's policy and counters. The policy is four parameters every
/// device node accepts in the pipeline YAML, next to the driver's own:
///
/// @code
/// devices:
///   scanner:
///     driver: mock.xray
///     params: { frame_timeout_ms: 2000, on_fault: restart, max_retries: 3, retry_backoff_ms: 100 }
/// @endcode

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "oi/params.hpp"
#include "oi/stage.hpp"

namespace oi::hal {

/// What the supervisor does when its device faults.
enum class FaultAction {
  kRestart,  ///< recover and start again, with exponential backoff, up to max_retries
  kStop,     ///< fail the run with an error naming the device
  kIgnore,   ///< the device stops delivering (end of stream); the rest of the pipeline runs on
};

/// "restart", "stop", "ignore".
std::string_view to_string(FaultAction action);

/// Supervisor settings of one device node.
struct SupervisorPolicy {
  std::chrono::milliseconds frame_timeout{2000};  ///< no frame for this long while streaming = fault
  FaultAction on_fault = FaultAction::kRestart;   ///< what to do on a fault
  int max_retries = 3;                            ///< consecutive recovery attempts before giving up
  std::chrono::milliseconds retry_backoff{100};   ///< wait before the first attempt; doubles each time
  bool references_at_start = false;               ///< scanners: emit dark and air references before streaming
  int reference_lines = 64;                       ///< scanners: lines of each reference
  /// Upper bound of one wait, so a long outage is retried at least this often.
  static constexpr std::chrono::milliseconds kMaxBackoff{30000};

  /// The parameters as the pipeline YAML gives them; declare() binds them, apply() turns
  /// them into the fields above. The initial values are the defaults.
  struct Params {
    std::int64_t frame_timeout_ms = 2000;
    std::string on_fault = "restart";
    std::int64_t max_retries = 3;
    std::int64_t retry_backoff_ms = 100;
    std::string references = "none";
    std::int64_t reference_lines = 64;
  };
  Params params;

  /// Names of the supervisor parameters; a driver must not declare these itself.
  static bool is_policy_param(std::string_view name);
  /// Declares the four parameters on a device node's StageSpec, plus `references` and
  /// `reference_lines` when the device is an X-ray scanner, bound to `params`: the host
  /// writes their values into this policy, which must outlive the declarations' use.
  void declare(StageSpec& spec, bool scanner);
  /// Sets the fields above from `params` (after the host wrote the bound values).
  void apply();
  /// A policy from parameter values (validated; a parameter without a value keeps its default).
  static SupervisorPolicy from_params(const ParamSet& values);
  /// Wait before recovery attempt `attempt` (1-based): retry_backoff * 2^(attempt-1), capped.
  std::chrono::milliseconds backoff(int attempt) const;
};

/// What the supervisor counted; reported through Stage::summary() (`oi run --stats`).
struct SupervisorCounters {
  std::uint64_t frames = 0;            ///< frames or blocks emitted
  std::uint64_t faults = 0;            ///< faults seen (timeouts, driver errors)
  std::uint64_t restarts = 0;          ///< successful recoveries back to Streaming
  std::uint64_t incomplete = 0;        ///< scans or frames delivered marked incomplete
  std::uint64_t lost = 0;              ///< frames that never arrived (counted, not delivered)
  std::uint64_t interlock_events = 0;  ///< scanner interlock events seen
  bool gave_up = false;                ///< the supervisor stopped trying (stop, ignore, or retries spent)
  std::string last_fault;              ///< the last fault's reason

  /// {"frames":..,"faults":..,"restarts":..,"incomplete":..,"lost":..,...}.
  nlohmann::json to_json() const;
};

}  // namespace oi::hal
