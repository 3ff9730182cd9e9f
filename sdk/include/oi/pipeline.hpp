#pragma once
/// @file
/// Runs a validated pipeline on a thread pool with bounded queues, and measures it.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "oi/event.hpp"
#include "oi/pipeline_spec.hpp"

namespace oi {

class PluginRegistry;

/// Counters of one node.
struct StageMetrics {
  std::string name;              ///< node name
  std::uint64_t frames_in = 0;   ///< frames taken from its inputs
  std::uint64_t frames_out = 0;  ///< frames emitted on its outputs
  std::uint64_t dropped = 0;     ///< frames dropped on its input connections or emitted to no one
  double latency_p50_ms = 0.0;   ///< median process() time
  double latency_p99_ms = 0.0;   ///< 99th-percentile process() time
};

/// Counters of one connection.
struct ConnectionMetrics {
  std::string from;          ///< "node.port"
  std::string to;            ///< "node.port"
  std::size_t capacity = 0;  ///< configured capacity
  QueuePolicy policy = QueuePolicy::kBlock;
  std::size_t high_water = 0;  ///< most frames queued at once
  std::uint64_t dropped = 0;   ///< frames dropped by the policy
};

/// Everything measured in one run.
struct RunMetrics {
  std::vector<StageMetrics> stages;            ///< in PipelineSpec node order
  std::vector<ConnectionMetrics> connections;  ///< in PipelineSpec connection order
  double wall_s = 0.0;                         ///< wall time of run()

  /// The `--stats` JSON: {"stages": {NAME: {...}}, "connections": [...], "wall_s": ...}.
  nlohmann::json to_json() const;
};

/// How a run ended.
struct RunResult {
  bool ok = true;            ///< false when a stage or device failed
  bool interrupted = false;  ///< request_stop() was called (e.g. SIGINT) and the graph drained
  std::string error;         ///< what failed, naming the stage; empty when ok
  RunMetrics metrics;        ///< final counters
};

/// Options of one run.
struct RunOptions {
  /// Worker threads; 0 means one per hardware thread.
  std::size_t threads = 0;
  /// Each source stops after this many frames (0 = until it ends by itself).
  std::uint64_t max_frames = 0;
  /// Called about every `progress_interval_ms` from a monitoring thread while running.
  std::function<void(const RunMetrics&)> progress;
  /// Interval between progress calls.
  int progress_interval_ms = 500;
  /// Called for every PipelineEvent as it is posted, from the posting stage's worker thread
  /// (keep it short; Pipeline::events() has them all afterwards).
  std::function<void(const PipelineEvent&)> on_event;
};

/// A pipeline ready to run: stages created and started.
class Pipeline {
 public:
  /// Creates every node through `registry` and calls start() on each. Throws oi::ConfigError
  /// or oi::PluginError naming the node when that fails (already-started nodes are stopped).
  Pipeline(const PipelineSpec& spec, const PluginRegistry& registry);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  /// Runs until every node has reached end of stream, a node fails, or request_stop().
  /// Can be called once.
  RunResult run(const RunOptions& options = {});
  /// Asks sources to stop; queued frames still drain through the graph. Safe from any
  /// thread (not from a signal handler: set a flag there and call this from a thread).
  void request_stop();
  /// A snapshot of the counters (safe while running).
  RunMetrics metrics() const;
  /// Each node's Stage::summary() that is not null, in PipelineSpec node order, as
  /// (node name, summary). Meant for after run(); a summary() that throws is left out.
  std::vector<std::pair<std::string, nlohmann::json>> stage_summaries() const;
  /// Every event posted so far (device faults, reconnects, interlocks), oldest first.
  std::vector<PipelineEvent> events() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oi
