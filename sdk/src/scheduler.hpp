#pragma once
// The worker pool that runs a pipeline's nodes. Internal to the SDK; Pipeline (pipeline.cpp)
// builds the nodes and queues and hands them over. docs/architecture.md ("Threading and scheduling") explains
// the design.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "node_runner.hpp"

namespace oi {

/// Runs nodes whenever they can act, on a fixed set of worker threads, until every node has
/// finished or one has failed.
///
/// Work moves between threads only through a short FIFO of ready nodes; a worker whose
/// firing made a downstream node ready runs that node itself next (continuation), so a frame
/// usually travels the whole graph on one thread without a queue lock or a wake-up.
class Scheduler {
 public:
  /// `nodes` must outlive the scheduler.
  Scheduler(std::vector<NodeRunner*> nodes, RunControl& control);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// Runs the graph on `threads` workers (at least 1). The calling thread waits and calls
  /// `progress` (when set) about every `interval` until the run is over. Once only.
  void run(std::size_t threads, const std::function<void()>& progress, std::chrono::milliseconds interval);

  /// Makes the sources look at the run's flags again (after a stop request). Any thread.
  void wake_sources();

  /// The first failure, "" when none.
  std::string error() const;

 private:
  void work();
  NodeRunner* wait_for_ready();
  NodeRunner* pop_ready_locked();
  NodeRunner* try_pop_ready();
  void push_ready(NodeRunner& node);
  void drive(NodeRunner* node, WakeList& wake);
  NodeRunner* continuation(WakeList& wake);
  void requeue_or_release(NodeRunner& node);
  void released();
  void finished();
  void fail(NodeRunner& node, const Status& status);
  void fail(std::string message);
  void stalled();
  void end_run();

  const std::vector<NodeRunner*> nodes_;
  RunControl& control_;

  // Nodes queued or running; reaching zero before every node finished means a stall.
  std::atomic<std::int64_t> scheduled_{0};
  std::atomic<std::int64_t> unfinished_{0};

  mutable std::mutex mutex_;
  std::condition_variable work_available_;
  std::condition_variable run_over_;
  // Ready FIFO. A node is in it at most once (only its owner queues it), so a ring of one
  // slot per node never overflows and never allocates.
  std::vector<NodeRunner*> ready_;
  std::size_t ready_head_ = 0;
  std::atomic<std::size_t> ready_count_{0};
  std::size_t sleeping_ = 0;
  std::atomic<bool> done_{false};
  bool running_ = false;
  std::string error_;
  std::string deferred_error_;  // the first finish() error: the run fails once every node ended
  void defer_failure(std::string message);
};

}  // namespace oi
