#pragma once
// One node of a running pipeline: its stage, the queues around it, when it may run, and its
// counters. Internal to the scheduler (see scheduler.hpp for who calls what).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "event_log.hpp"
#include "frame_queue.hpp"
#include "latency_histogram.hpp"
#include "oi/pipeline.hpp"
#include "oi/stage.hpp"

namespace oi {

class NodeRunner;

/// Flags every node of one run reads.
struct RunControl {
  std::atomic<bool> stop_requested{false};  ///< request_stop(): sources end, the graph drains
  std::atomic<bool> failed{false};          ///< a node failed: nothing new starts
  std::uint64_t max_frames = 0;             ///< per source; 0 = unlimited
  mutable EventLog events;  ///< what stages posted with post_event() (posting does not change control)
};

/// Nodes that one firing made ready. The worker that fired runs the first itself and queues
/// the rest, so handing work on costs no thread switch in the common case.
class WakeList {
 public:
  /// `scheduled` counts the nodes that are queued or running (for stall detection).
  WakeList(std::size_t node_count, std::atomic<std::int64_t>& scheduled);
  /// Tells `node` that something it waits on changed; collects it when that made it this
  /// worker's job to schedule it.
  void wake(NodeRunner& node);

  /// Nodes collected, in wake order.
  std::vector<NodeRunner*>& nodes() { return nodes_; }

 private:
  std::vector<NodeRunner*> nodes_;
  std::atomic<std::int64_t>& scheduled_;
};

/// What a node can do now.
enum class NodeAction {
  kWait,    ///< nothing: an input is empty or a `block` output is full
  kFire,    ///< call process()
  kFinish,  ///< call finish(): its input ended, it is a source that ended, or nobody listens
};

/// A node while the pipeline runs.
///
/// Scheduling state: a node is idle, scheduled (queued or running: owned by exactly one
/// worker), or finished. notify() moves idle -> scheduled and tells the caller to queue it;
/// on a scheduled node it sets a "look again" bit so that its owner re-checks before going
/// idle — this is what makes a wake-up impossible to lose without any lock.
class NodeRunner {
 public:
  NodeRunner(std::string name, std::string type, std::unique_ptr<Stage> stage, StageSpec spec,
             const RunControl& control);
  ~NodeRunner();
  NodeRunner(const NodeRunner&) = delete;
  NodeRunner& operator=(const NodeRunner&) = delete;

  /// Wires input `port` to `queue`, fed by `producer` (again for each producer of a
  /// multi-source input). Before the run only.
  void connect_input(std::size_t port, FrameQueue& queue, NodeRunner& producer);
  /// Adds `queue`, read by `consumer`, to output `port` (several make a fan-out).
  void connect_output(std::size_t port, FrameQueue& queue, NodeRunner& consumer);

  /// True when no input is connected: process() is called repeatedly until it ends.
  bool is_source() const { return connected_inputs_.empty(); }
  /// What the node can do now. Called by its owner.
  NodeAction next_action() const;
  /// One process() call: takes one frame per connected input, times the call, wakes whom
  /// its takes and emits concern. Returns what process() returned.
  Status fire(WakeList& wake);
  /// finish(), then closes the inputs (leftovers counted as dropped) and ends the outputs.
  /// Marks the node finished whatever finish() returned.
  Status finish(WakeList& wake);

  /// See the class comment. Returns true when the caller must queue or run the node.
  bool notify() {
    const std::uint8_t previous = state_.fetch_or(kScheduledBit | kLookAgainBit, std::memory_order_acq_rel);
    return (previous & (kScheduledBit | kFinishedBit)) == 0;
  }
  /// The owner starts looking at the node: clears "look again".
  void claim() { state_.exchange(kScheduledBit, std::memory_order_acq_rel); }
  /// The owner found nothing to do: goes idle unless notified since claim(); then the owner
  /// must claim() and look again.
  bool try_release() {
    std::uint8_t expected = kScheduledBit;
    return state_.compare_exchange_strong(expected, 0, std::memory_order_acq_rel);
  }

  /// Why the node cannot run, for a stall report; empty when it is finished or could run.
  std::string waiting_reason() const;
  /// Counters now (safe while running).
  StageMetrics metrics() const;

  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }
  /// The guarded stage (for start, stop, summary).
  Stage& stage() { return *stage_; }
  /// What the stage declared in setup().
  const StageSpec& stage_spec() const { return spec_; }

 private:
  class Context;
  struct Feed {
    FrameQueue* queue;
    NodeRunner* producer;
  };
  // One feed per producer: several only on a PortSpec::multi_source input.
  struct Input {
    std::vector<Feed> feeds;  // empty: unconnected
    std::size_t next = 0;     // feed to look at first in the next firing (round robin)
    bool empty() const;       // no feed holds a frame
    bool at_end() const;      // every feed ended and is empty
  };
  struct Output {
    FrameQueue* queue;
    NodeRunner* consumer;
  };

  static constexpr std::uint8_t kScheduledBit = 1;
  static constexpr std::uint8_t kLookAgainBit = 2;
  static constexpr std::uint8_t kFinishedBit = 4;

  bool outputs_have_room() const;
  bool every_consumer_finished() const;
  void emit(std::size_t port, FramePtr frame);
  static void bump(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) {
    // Single writer (the node's owner): a plain load+store keeps snapshots race-free
    // without a locked instruction.
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  const std::string name_;
  const std::string type_;
  std::unique_ptr<Stage> stage_;
  const StageSpec spec_;
  const RunControl& control_;
  std::unique_ptr<Context> context_;

  std::vector<Input> inputs_;                  // by input port
  std::vector<std::size_t> connected_inputs_;  // ports with a queue
  std::vector<std::vector<Output>> outputs_;   // by output port; several = fan-out
  std::vector<FrameQueue*> block_outputs_;     // queues that can hold the node back
  std::vector<Output> all_outputs_;            // every output edge, for end of stream
  std::vector<FramePtr> taken_;                // one firing's frames, by input port

  std::atomic<std::uint8_t> state_{0};
  // Owner-only state: the scheduler hands ownership over with acquire/release on state_.
  WakeList* wake_ = nullptr;  // during a firing
  bool ended_ = false;        // end_of_stream returned or max_frames reached
  std::uint64_t emitted_in_firing_ = 0;
  std::uint64_t source_frames_ = 0;  // frames a source emitted (for max_frames)
  std::uint64_t frames_held_ = 0;    // frames a source read but holds back (StageContext::set_frames_held)

  std::atomic<std::uint64_t> frames_in_{0};
  std::atomic<std::uint64_t> frames_out_{0};
  std::atomic<std::uint64_t> emitted_to_no_one_{0};
  LatencyHistogram latency_;
};

}  // namespace oi
