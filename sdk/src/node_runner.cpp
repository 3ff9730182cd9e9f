#include "node_runner.hpp"

#include <chrono>
#include <utility>

#include "exception_text.hpp"

namespace oi {
namespace {

// Stages from the registry come wrapped in the plugin guard, which already turns exceptions
// into errors; this catches the rest (a stage object made some other way, or a take()/emit()
// with a bad port index), because an exception escaping a worker thread ends the process.
template <class Call>
Status call_guarded(Call&& call) noexcept {
  try {
    return call();
  } catch (...) {
    return Status::error(current_exception_text());
  }
}

}  // namespace

WakeList::WakeList(std::size_t node_count, std::atomic<std::int64_t>& scheduled) : scheduled_(scheduled) {
  // A firing wakes each node at most once (a scheduled node is not collected again), so
  // this never reallocates while running.
  nodes_.reserve(node_count);
}

void WakeList::wake(NodeRunner& node) {
  if (node.notify()) {
    scheduled_.fetch_add(1, std::memory_order_acq_rel);
    nodes_.push_back(&node);
  }
}

/// The StageContext a node's stage sees; one per node, reused by every firing.
class NodeRunner::Context final : public StageContext {
 public:
  explicit Context(NodeRunner& node) : node_(node) {}

  FramePtr take(std::size_t index) override {
    if (index >= node_.inputs_.size()) {
      throw Error("stage '" + node_.name_ + "' took input " + std::to_string(index) + " but has " +
                  std::to_string(node_.inputs_.size()) + " inputs");
    }
    return std::move(node_.taken_[index]);
  }
  void emit(std::size_t index, FramePtr frame) override {
    if (index >= node_.outputs_.size()) {
      throw Error("stage '" + node_.name_ + "' emitted on output " + std::to_string(index) + " but has " +
                  std::to_string(node_.outputs_.size()) + " outputs");
    }
    node_.emit(index, std::move(frame));
  }
  bool stop_requested() const override {
    return node_.control_.stop_requested.load(std::memory_order_relaxed) ||
           node_.control_.failed.load(std::memory_order_relaxed);
  }
  const std::string& stage_name() const override { return node_.name_; }
  const StageSpec& spec() const override { return node_.spec_; }
  void post_event(PipelineEvent event) override {
    event.source = node_.name_;
    node_.control_.events.post(std::move(event));
  }
  void set_frames_held(std::size_t count) override { node_.frames_held_ = count; }

 private:
  NodeRunner& node_;
};

NodeRunner::NodeRunner(std::string name, std::string type, std::unique_ptr<Stage> stage, StageSpec spec,
                       const RunControl& control)
    : name_(std::move(name)),
      type_(std::move(type)),
      stage_(std::move(stage)),
      spec_(std::move(spec)),
      control_(control),
      context_(std::make_unique<Context>(*this)),
      inputs_(spec_.inputs().size()),
      outputs_(spec_.outputs().size()),
      taken_(spec_.inputs().size()) {}

NodeRunner::~NodeRunner() = default;

bool NodeRunner::Input::empty() const {
  for (const Feed& feed : feeds) {
    if (!feed.queue->empty()) return false;
  }
  return true;
}

bool NodeRunner::Input::at_end() const {
  for (const Feed& feed : feeds) {
    if (!feed.queue->at_end()) return false;
  }
  return true;
}

void NodeRunner::connect_input(std::size_t port, FrameQueue& queue, NodeRunner& producer) {
  Input& input = inputs_.at(port);
  if (input.feeds.empty()) connected_inputs_.push_back(port);
  input.feeds.push_back(Feed{&queue, &producer});
}

void NodeRunner::connect_output(std::size_t port, FrameQueue& queue, NodeRunner& consumer) {
  outputs_.at(port).push_back(Output{&queue, &consumer});
  all_outputs_.push_back(Output{&queue, &consumer});
  if (queue.policy() == QueuePolicy::kBlock) block_outputs_.push_back(&queue);
}

bool NodeRunner::outputs_have_room() const {
  for (const FrameQueue* queue : block_outputs_) {
    if (!queue->has_room()) return false;
  }
  return true;
}

bool NodeRunner::every_consumer_finished() const {
  if (all_outputs_.empty()) return false;  // a sink's work is its side effects
  for (const Output& out : all_outputs_) {
    if (!out.queue->closed()) return false;
  }
  return true;
}

NodeAction NodeRunner::next_action() const {
  if (ended_ || every_consumer_finished()) return NodeAction::kFinish;
  if (is_source()) {
    if (control_.stop_requested.load(std::memory_order_acquire)) return NodeAction::kFinish;
    return outputs_have_room() ? NodeAction::kFire : NodeAction::kWait;
  }
  bool every_input_has_a_frame = true;
  for (std::size_t port : connected_inputs_) {
    const Input& input = inputs_[port];
    if (input.empty()) {
      // An input that ended empty can never complete a firing again.
      if (input.at_end()) return NodeAction::kFinish;
      every_input_has_a_frame = false;
    }
  }
  if (!every_input_has_a_frame) return NodeAction::kWait;
  return outputs_have_room() ? NodeAction::kFire : NodeAction::kWait;
}

Status NodeRunner::fire(WakeList& wake) {
  for (std::size_t port : connected_inputs_) {
    Input& input = inputs_[port];
    // Round robin over the feeds that hold a frame, so that no source starves another.
    for (std::size_t i = 0; i < input.feeds.size(); ++i) {
      const std::size_t index = (input.next + i) % input.feeds.size();
      Feed& feed = input.feeds[index];
      if (feed.queue->empty()) continue;
      bool made_room = false;
      taken_[port] = feed.queue->pop(made_room);
      if (made_room) wake.wake(*feed.producer);
      input.next = (index + 1) % input.feeds.size();
      break;
    }
  }
  for (std::size_t port : connected_inputs_) {
    // next_action() saw a frame on every input and only this node takes from its queues, so
    // each holds one; a stage is never handed a missing frame, whatever a queue's bug.
    if (!taken_[port]) {
      for (std::size_t p : connected_inputs_) taken_[p].reset();
      return Status::error("scheduler: node fired without a frame on input " + std::to_string(port) +
                           " (an internal error; please report it)");
    }
  }
  bump(frames_in_, connected_inputs_.size());

  wake_ = &wake;
  emitted_in_firing_ = 0;
  const auto started = std::chrono::steady_clock::now();
  Status status = call_guarded([&] { return stage_->process(*context_); });
  const auto elapsed = std::chrono::steady_clock::now() - started;
  wake_ = nullptr;
  latency_.record(
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()));
  // Frames the stage did not take are released here, not held until the next firing.
  for (std::size_t port : connected_inputs_) taken_[port].reset();

  if (status.is_end_of_stream()) {
    ended_ = true;
  } else if (is_source()) {
    // Frames the source holds back count too: finish() delivers them, and the run must
    // deliver exactly max_frames.
    source_frames_ += emitted_in_firing_;
    if (control_.max_frames > 0 && source_frames_ + frames_held_ >= control_.max_frames) ended_ = true;
  }
  return status;
}

void NodeRunner::emit(std::size_t port, FramePtr frame) {
  if (!frame) return;
  bump(frames_out_);
  ++emitted_in_firing_;
  const std::vector<Output>& targets = outputs_[port];
  if (targets.empty()) {
    bump(emitted_to_no_one_);
    return;
  }
  // Fan-out: every consumer gets the same frame; the last one gets the caller's reference.
  for (std::size_t i = 0; i + 1 < targets.size(); ++i) {
    if (targets[i].queue->push(frame)) wake_->wake(*targets[i].consumer);
  }
  if (targets.back().queue->push(std::move(frame))) wake_->wake(*targets.back().consumer);
}

Status NodeRunner::finish(WakeList& wake) {
  wake_ = &wake;
  emitted_in_firing_ = 0;
  Status status = call_guarded([&] { return stage_->finish(*context_); });
  wake_ = nullptr;
  ended_ = true;
  // Nothing will take these frames any more; closing also releases a producer blocked on a
  // full queue, which then finishes too if it has no other consumer.
  for (std::size_t port : connected_inputs_) {
    for (Feed& feed : inputs_[port].feeds) {
      feed.queue->close();
      wake.wake(*feed.producer);
    }
  }
  for (const Output& out : all_outputs_) {
    out.queue->end_stream();
    wake.wake(*out.consumer);
  }
  state_.store(kFinishedBit | kScheduledBit, std::memory_order_release);
  return status;
}

std::string NodeRunner::waiting_reason() const {
  if ((state_.load(std::memory_order_acquire) & kFinishedBit) != 0) return {};
  for (std::size_t port : connected_inputs_) {
    if (inputs_[port].empty()) {
      return "'" + name_ + "' waits for a frame on input '" + spec_.inputs()[port].name + "'";
    }
  }
  for (std::size_t port = 0; port < outputs_.size(); ++port) {
    for (const Output& out : outputs_[port]) {
      if (!out.queue->has_room()) {
        return "'" + name_ + "' waits for room on output '" + spec_.outputs()[port].name + "' (" +
               std::to_string(out.queue->size()) + "/" + std::to_string(out.queue->capacity()) +
               " frames queued for '" + out.consumer->name() + "')";
      }
    }
  }
  return {};
}

StageMetrics NodeRunner::metrics() const {
  StageMetrics m;
  m.name = name_;
  m.frames_in = frames_in_.load(std::memory_order_relaxed);
  m.frames_out = frames_out_.load(std::memory_order_relaxed);
  m.dropped = emitted_to_no_one_.load(std::memory_order_relaxed);
  for (std::size_t port : connected_inputs_) {
    for (const Feed& feed : inputs_[port].feeds) m.dropped += feed.queue->dropped();
  }
  m.latency_p50_ms = latency_.quantile_ms(0.50);
  m.latency_p99_ms = latency_.quantile_ms(0.99);
  return m;
}

}  // namespace oi
