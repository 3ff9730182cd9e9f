#pragma once
/// @file
/// The device lifecycle: states and the transitions between them.
///
/// @code
///   Unconfigured --configure--> Ready --start--> Streaming --stop--> Ready
///   Ready/Streaming --fault--> Fault --recover--> Recovering --> Ready (or back to Fault)
///   any state but Closed --close--> Closed (terminal)
/// @endcode

#include <string_view>
#include <vector>

namespace oi::hal {

/// Where a device is in its lifecycle.
enum class DeviceState {
  kUnconfigured,  ///< created; nothing opened
  kReady,         ///< opened and configured; not streaming
  kStreaming,     ///< delivering frames or scan blocks
  kFault,         ///< something failed; only recover() or close() are allowed
  kRecovering,    ///< recover() is running (visible to other threads while it runs)
  kClosed,        ///< released; terminal
};

/// A requested change of state.
enum class Transition {
  kConfigure,  ///< Unconfigured -> Ready
  kStart,      ///< Ready -> Streaming
  kStop,       ///< Streaming -> Ready
  kClose,      ///< any but Closed -> Closed
  kFault,      ///< Ready, Streaming or Recovering -> Fault
  kRecover,    ///< Fault -> Recovering -> Ready
};

/// "Unconfigured", "Ready", "Streaming", "Fault", "Recovering", "Closed".
std::string_view to_string(DeviceState state);
/// "configure", "start", "stop", "close", "fault", "recover".
std::string_view to_string(Transition transition);

/// True when `transition` may be requested in `state`.
bool is_allowed(DeviceState state, Transition transition);
/// Transitions that may be requested in `state`, for error messages and docs.
std::vector<Transition> allowed_transitions(DeviceState state);

}  // namespace oi::hal
