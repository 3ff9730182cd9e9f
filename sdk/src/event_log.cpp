#include "event_log.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "oi/stage.hpp"

namespace oi {
namespace {

std::int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void log_event(const PipelineEvent& e) {
  const auto level = e.severity == EventSeverity::kError     ? spdlog::level::err
                     : e.severity == EventSeverity::kWarning ? spdlog::level::warn
                                                             : spdlog::level::info;
  // The node the event comes from is named here, once; its message does not name it.
  if (e.source.empty()) {
    spdlog::log(level, "[{}] {}", e.kind, e.message);
  } else {
    spdlog::log(level, "[{}] {}: {}", e.kind, e.source, e.message);
  }
}

}  // namespace

const char* to_string(EventSeverity severity) {
  switch (severity) {
    case EventSeverity::kInfo:
      return "info";
    case EventSeverity::kWarning:
      return "warning";
    case EventSeverity::kError:
      return "error";
  }
  return "?";
}

nlohmann::json PipelineEvent::to_json() const {
  return {{"time_ns", time_ns}, {"source", source},  {"kind", kind}, {"severity", to_string(severity)},
          {"message", message}, {"details", details}};
}

void StageContext::post_event(PipelineEvent event) {
  // Outside a pipeline (a test harness, a benchmark) nobody collects events; the log still
  // shows them.
  if (event.source.empty()) event.source = stage_name();
  log_event(event);
}

void EventLog::set_listener(std::function<void(const PipelineEvent&)> listener) {
  std::lock_guard lock(mutex_);
  listener_ = std::move(listener);
}

void EventLog::post(PipelineEvent event) {
  if (event.time_ns == 0) event.time_ns = wall_clock_ns();
  log_event(event);
  std::function<void(const PipelineEvent&)> listener;
  {
    std::lock_guard lock(mutex_);
    events_.push_back(event);
    listener = listener_;
  }
  if (listener) listener(event);
}

std::vector<PipelineEvent> EventLog::snapshot() const {
  std::lock_guard lock(mutex_);
  return events_;
}

}  // namespace oi
