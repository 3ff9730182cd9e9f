#pragma once
// Stage types only the scheduler tests need, on top of tests/support/test_stages.hpp:
//
//   burst.source  driver, output "out": `count` firings (0 = endless) of `burst` numbered
//                 frames each; plane storage is counted by LiveFrames.
//   dup.pass      stage, in -> out: emits every input frame `copies` times.
//   probe.pass    stage, in -> out: counts its lifecycle calls in ProbeLog; can fail in
//                 finish() or throw from start().
//
// And SchedulerTest, a fixture that builds PipelineSpecs in code.

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "oi/pipeline.hpp"
#include "oi/plugin_registry.hpp"

namespace oi::test {

/// Counts frames made by burst.source that are still alive anywhere.
class LiveFrames {
 public:
  static void reset();
  static std::int64_t now();
  /// Most frames alive at once since reset().
  static std::int64_t peak();

  static void created();
  static void destroyed();

 private:
  static std::atomic<std::int64_t> live_;
  static std::atomic<std::int64_t> peak_;
};

/// Lifecycle calls of probe.pass nodes, by node name.
struct ProbeCounts {
  int starts = 0;
  int processes = 0;
  int finishes = 0;
  int stops = 0;
};

/// Thread-safe record of probe.pass calls.
class ProbeLog {
 public:
  static ProbeCounts get(const std::string& node);
  static void clear();
  static void update(const std::string& node, void (*change)(ProbeCounts&));

 private:
  static std::mutex mutex_;
  static std::map<std::string, ProbeCounts> counts_;
};

/// Registers burst.source, dup.pass and probe.pass.
void register_scheduler_test_stages(PluginRegistry& registry);

/// A registry with every test type, and helpers that build a PipelineSpec the way the YAML
/// loader would (every declared parameter given a value).
class SchedulerTest : public ::testing::Test {
 protected:
  SchedulerTest();

  /// Adds a node; parameters not given take their declared defaults.
  void node(const std::string& name, const std::string& type,
            const std::map<std::string, ParamValue>& params = {});
  /// Connects "node.port" to "node.port".
  void connect(const std::string& from, const std::string& to, std::size_t capacity = 4,
               QueuePolicy policy = QueuePolicy::kBlock);
  /// Builds the pipeline and runs it.
  RunResult run(RunOptions options = {});

  /// Counters of the node `name` / of the connection into "node.port" `to`, from `m`.
  static const StageMetrics& stage(const RunMetrics& m, const std::string& name);
  static const ConnectionMetrics& connection(const RunMetrics& m, const std::string& to);

  PluginRegistry registry_;
  PipelineSpec spec_;
};

}  // namespace oi::test
