#pragma once
// A PipelineEvent as a stage posts it (StageContext::post_event): kind, severity, one line for
// a person, machine-readable details. The pipeline fills in the time and the source node.

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "oi/event.hpp"

namespace oi {

inline PipelineEvent stage_event(const char* kind, EventSeverity severity, std::string message,
                                 nlohmann::json details) {
  PipelineEvent e;
  e.kind = kind;
  e.severity = severity;
  e.message = std::move(message);
  e.details = std::move(details);
  return e;
}

}  // namespace oi
