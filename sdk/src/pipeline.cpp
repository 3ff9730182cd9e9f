// Pipeline: builds the running graph (nodes and connection queues) from a PipelineSpec, starts
// and stops the stages, and runs the graph on a Scheduler.

#include "oi/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>
#include <utility>

#include "frame_queue.hpp"
#include "node_runner.hpp"
#include "oi/plugin_registry.hpp"
#include "scheduler.hpp"

namespace oi {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

[[noreturn]] void throw_connection_error(const ConnectionSpec& c, const std::string& problem) {
  throw ConfigError({Diagnostic{c.where, "connection " + c.from() + " -> " + c.to() + ": " + problem}});
}

}  // namespace

struct Pipeline::Impl {
  std::vector<std::unique_ptr<NodeRunner>> nodes;   // PipelineSpec node order
  std::vector<std::unique_ptr<FrameQueue>> queues;  // PipelineSpec connection order
  std::vector<ConnectionSpec> connections;
  RunControl control;
  std::unique_ptr<Scheduler> scheduler;
  std::size_t started = 0;  // nodes whose start() succeeded, in order
  bool stopped = false;
  std::atomic<bool> ran{false};
  std::atomic<std::int64_t> run_started_ns{0};
  std::atomic<std::int64_t> run_ended_ns{0};

  void build(const PipelineSpec& spec, const PluginRegistry& registry);
  void start_all(const PipelineSpec& spec);
  void stop_all();
};

void Pipeline::Impl::build(const PipelineSpec& spec, const PluginRegistry& registry) {
  std::map<std::string, NodeRunner*, std::less<>> by_name;
  for (const NodeSpec& node : spec.nodes) {
    if (by_name.contains(node.name)) {
      throw ConfigError({Diagnostic{node.where, "node name '" + node.name + "' is used twice"}});
    }
    std::unique_ptr<Stage> stage = registry.create(node.type);
    StageSpec declared;
    stage->setup(declared);
    nodes.push_back(
        std::make_unique<NodeRunner>(node.name, node.type, std::move(stage), std::move(declared), control));
    by_name[node.name] = nodes.back().get();
  }

  // The YAML loader has checked all of this; a PipelineSpec built in code has not.
  std::map<std::pair<const NodeRunner*, int>, std::string> fed_inputs;
  for (const ConnectionSpec& c : spec.connections) {
    auto from = by_name.find(c.from_node);
    auto to = by_name.find(c.to_node);
    if (from == by_name.end()) throw_connection_error(c, "no node is named '" + c.from_node + "'");
    if (to == by_name.end()) throw_connection_error(c, "no node is named '" + c.to_node + "'");
    const int out_port = from->second->stage_spec().output_index(c.from_port);
    const int in_port = to->second->stage_spec().input_index(c.to_port);
    if (out_port < 0) throw_connection_error(c, "'" + c.from_node + "' has no output '" + c.from_port + "'");
    if (in_port < 0) throw_connection_error(c, "'" + c.to_node + "' has no input '" + c.to_port + "'");
    auto [fed, inserted] = fed_inputs.try_emplace({to->second, in_port}, c.from());
    const bool multi_source =
        to->second->stage_spec().inputs()[static_cast<std::size_t>(in_port)].multi_source;
    if (!inserted && !multi_source) {
      throw_connection_error(
          c, "input " + c.to() + " is already fed by " + fed->second + "; an input takes one connection");
    }
    queues.push_back(std::make_unique<FrameQueue>(c.capacity, c.policy));
    from->second->connect_output(static_cast<std::size_t>(out_port), *queues.back(), *to->second);
    to->second->connect_input(static_cast<std::size_t>(in_port), *queues.back(), *from->second);
    connections.push_back(c);
  }

  // Only a node declared without inputs is a source: a stage whose inputs are left
  // unconnected would otherwise be fired forever with nothing to take.
  for (const auto& node : nodes) {
    const std::vector<PortSpec>& inputs = node->stage_spec().inputs();
    bool any_connected = false;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const bool connected = fed_inputs.count({node.get(), static_cast<int>(i)}) > 0;
      any_connected = any_connected || connected;
      if (!connected && inputs[i].required) {
        throw ConfigError("stage '" + node->name() + "': required input '" + inputs[i].name +
                          "' is not connected; add a connection to " + node->name() + "." + inputs[i].name);
      }
    }
    if (!inputs.empty() && !any_connected) {
      throw ConfigError("stage '" + node->name() + "' has inputs but none is connected, so it would never " +
                        "receive a frame; connect one of its inputs or remove the stage");
    }
  }

  std::vector<NodeRunner*> runners;
  for (const auto& node : nodes) runners.push_back(node.get());
  scheduler = std::make_unique<Scheduler>(std::move(runners), control);
}

void Pipeline::Impl::start_all(const PipelineSpec& spec) {
  // Absolute, so a stage's relative paths do not depend on where `oi` was started.
  // A pipeline loaded from text names no real file (its label is only for messages).
  std::error_code ec;
  const std::filesystem::path pipeline_file = std::filesystem::is_regular_file(spec.file, ec)
                                                  ? std::filesystem::absolute(spec.file)
                                                  : std::filesystem::path();
  const std::filesystem::path pipeline_dir = std::filesystem::absolute(spec.file).parent_path();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const NodeSpec& node = spec.nodes[i];
    try {
      nodes[i]->stage().start(
          StageConfig{node.name, node.type, node.uri, node.params, pipeline_dir, pipeline_file});
    } catch (...) {
      // The guard has already turned the failure into a ConfigError or PluginError naming
      // the node. The failing node gets stop() too: it may have opened its device before
      // throwing (stop() is "called once, also after errors").
      started = i + 1;
      stop_all();
      throw;
    }
    ++started;
  }
}

void Pipeline::Impl::stop_all() {
  if (stopped) return;
  stopped = true;
  // Reverse order: a stage may rely on what an earlier one (its device) set up.
  for (std::size_t i = started; i-- > 0;) {
    try {
      nodes[i]->stage().stop();
    } catch (...) {
      // The guard never throws from stop(); a stage that is not guarded must not end the
      // shutdown of the others either.
    }
  }
}

Pipeline::Pipeline(const PipelineSpec& spec, const PluginRegistry& registry)
    : impl_(std::make_unique<Impl>()) {
  impl_->build(spec, registry);
  impl_->start_all(spec);
}

Pipeline::~Pipeline() {
  if (impl_) impl_->stop_all();
}

RunResult Pipeline::run(const RunOptions& options) {
  Impl& impl = *impl_;
  if (impl.ran.exchange(true)) throw Error("Pipeline::run() can be called once");
  impl.control.max_frames = options.max_frames;
  impl.control.events.set_listener(options.on_event);
  std::size_t threads = options.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  // A node never runs concurrently with itself, so more workers than nodes only idle.
  threads = std::clamp<std::size_t>(threads, 1, std::max<std::size_t>(impl.nodes.size(), 1));

  std::function<void()> progress;
  if (options.progress) progress = [this, &options] { options.progress(metrics()); };
  const auto interval = std::chrono::milliseconds(std::max(options.progress_interval_ms, 1));

  impl.run_started_ns.store(now_ns());
  impl.scheduler->run(threads, progress, interval);
  impl.run_ended_ns.store(now_ns());
  // After a failure, frames still queued will never be processed: close the queues so they
  // are counted as dropped on their connections (emitted = received + dropped holds always).
  if (!impl.scheduler->error().empty()) {
    for (const auto& queue : impl.queues) queue->close();
  }
  impl.stop_all();

  RunResult result;
  result.error = impl.scheduler->error();
  result.ok = result.error.empty();
  result.interrupted = impl.control.stop_requested.load();
  result.metrics = metrics();
  return result;
}

void Pipeline::request_stop() {
  impl_->control.stop_requested.store(true, std::memory_order_release);
  impl_->scheduler->wake_sources();
}

RunMetrics Pipeline::metrics() const {
  const Impl& impl = *impl_;
  RunMetrics m;
  m.stages.reserve(impl.nodes.size());
  for (const auto& node : impl.nodes) m.stages.push_back(node->metrics());
  m.connections.reserve(impl.connections.size());
  for (std::size_t i = 0; i < impl.connections.size(); ++i) {
    const ConnectionSpec& c = impl.connections[i];
    const FrameQueue& queue = *impl.queues[i];
    m.connections.push_back(ConnectionMetrics{c.from(), c.to(), queue.capacity(), queue.policy(),
                                              queue.high_water(), queue.dropped()});
  }
  const std::int64_t started = impl.run_started_ns.load();
  if (started != 0) {
    const std::int64_t ended = impl.run_ended_ns.load();
    m.wall_s = static_cast<double>((ended != 0 ? ended : now_ns()) - started) / 1e9;
  }
  return m;
}

std::vector<PipelineEvent> Pipeline::events() const { return impl_->control.events.snapshot(); }

std::vector<std::pair<std::string, nlohmann::json>> Pipeline::stage_summaries() const {
  std::vector<std::pair<std::string, nlohmann::json>> summaries;
  for (const auto& node : impl_->nodes) {
    try {
      nlohmann::json summary = node->stage().summary();
      if (!summary.is_null()) summaries.emplace_back(node->name(), std::move(summary));
    } catch (...) {
      // A report is optional; a stage that cannot give one must not fail the run after it
      // has succeeded.
    }
  }
  return summaries;
}

}  // namespace oi
