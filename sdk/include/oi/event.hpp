#pragma once
/// @file
/// `oi::PipelineEvent`: something that happened to a node that the application should know
/// about but that is not a frame: a device fault, a reconnect, an interlock. Stages post
/// them with StageContext::post_event(); the pipeline keeps them in order, hands each to
/// RunOptions::on_event as it happens and returns them all from Pipeline::events().

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace oi {

/// Event kinds posted by the SDK's own stages. Plugins may post kinds of their own
/// ("vendor.something"); consumers ignore kinds they do not know.
namespace event_kind {
inline constexpr const char* kDeviceFault = "device.fault";  ///< a device faulted (details: reason, action)
inline constexpr const char* kDeviceRecovered =
    "device.recovered";  ///< the supervisor restarted it (details: attempt)
inline constexpr const char* kDeviceGaveUp =
    "device.gave_up";  ///< no more retries, or on_fault: stop / ignore
inline constexpr const char* kDeviceInterlock = "device.interlock";  ///< an interlock engaged or released
}  // namespace event_kind

/// How much an event matters to an operator.
enum class EventSeverity {
  kInfo,     ///< for the record (a reconnect, an interlock released)
  kWarning,  ///< something went wrong and was handled (a fault the supervisor restarts)
  kError,    ///< something went wrong and was not (the supervisor gave up)
};
/// "info", "warning", "error".
const char* to_string(EventSeverity severity);

/// One event. The SDK logs every event at its severity, so none goes unseen.
struct PipelineEvent {
  std::int64_t time_ns = 0;                       ///< when, ns since the Unix epoch (filled in when left 0)
  std::string source;                             ///< the node that posted it (filled in by the pipeline)
  std::string kind;                               ///< one of event_kind, or a plugin's own "domain.name"
  std::string message;                            ///< one line for a person, naming the device and what to do
  EventSeverity severity = EventSeverity::kInfo;  ///< how much it matters
  nlohmann::json details = nlohmann::json::object();  ///< machine-readable specifics

  /// {"time_ns", "source", "kind", "severity", "message", "details"}.
  nlohmann::json to_json() const;
};

}  // namespace oi
