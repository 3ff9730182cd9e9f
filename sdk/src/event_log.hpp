#pragma once
// The pipeline's events, in the order they were posted, plus the application's listener.

#include <functional>
#include <mutex>
#include <vector>

#include "oi/event.hpp"

namespace oi {

/// Thread-safe: any node's worker may post while the application reads.
class EventLog {
 public:
  /// Called for each event from the posting thread, outside the lock.
  void set_listener(std::function<void(const PipelineEvent&)> listener);
  /// Stamps time_ns when 0, keeps the event and tells the listener.
  void post(PipelineEvent event);
  /// Every event so far, oldest first.
  std::vector<PipelineEvent> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::vector<PipelineEvent> events_;
  std::function<void(const PipelineEvent&)> listener_;
};

}  // namespace oi
