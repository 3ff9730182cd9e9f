#pragma once
// The queue behind one connection: bounded by its capacity and full-queue policy, with
// end-of-stream and the connection's counters. Internal to the scheduler.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "oi/frame.hpp"
#include "oi/pipeline_spec.hpp"

namespace oi {

/// FIFO of frames between one producer node and one consumer node.
///
/// Thread-safety: push() and pop() may run concurrently (a producer and its consumer on two
/// workers); every other call may come from any thread. Sizes and counters are atomics so
/// that readiness checks and metric snapshots need no lock.
class FrameQueue {
 public:
  /// `capacity` below 1 is treated as 1.
  FrameQueue(std::size_t capacity, QueuePolicy policy);
  FrameQueue(const FrameQueue&) = delete;
  FrameQueue& operator=(const FrameQueue&) = delete;

  /// Adds a frame the way the policy says: `block` always appends (the scheduler fires a
  /// producer only while there is room, so only one firing's emits can overshoot),
  /// `drop_oldest` drops the head when full, `latest` replaces whatever is queued. A closed
  /// queue drops the frame. Every frame dropped is counted. Returns true when the queue was
  /// empty before, i.e. when its consumer may just have become ready.
  bool push(FramePtr frame);

  /// Removes the oldest frame, nullptr when empty. Sets `made_room` when a `block` queue
  /// dropped below its capacity, i.e. when its producer may just have become ready.
  FramePtr pop(bool& made_room);

  /// The producer has finished: nothing more will be pushed.
  void end_stream();

  /// The consumer has finished: drops (and counts) what is queued and every later push, and
  /// never blocks the producer again.
  void close();

  /// True when no frame is queued.
  bool empty() const { return size_.load(std::memory_order_acquire) == 0; }
  /// True when pushing would not exceed a `block` queue's capacity (always for the others).
  bool has_room() const {
    return policy_ != QueuePolicy::kBlock || closed_.load(std::memory_order_acquire) ||
           size_.load(std::memory_order_acquire) < capacity_;
  }
  /// True once the producer has finished and every frame has been taken.
  bool at_end() const {
    // ended_ first: the producer's last push happens before it sets ended_.
    return ended_.load(std::memory_order_acquire) && empty();
  }
  /// True once the consumer has finished.
  bool closed() const { return closed_.load(std::memory_order_acquire); }

  /// Configured capacity.
  std::size_t capacity() const { return capacity_; }
  /// Full-queue policy.
  QueuePolicy policy() const { return policy_; }
  /// Frames queued now.
  std::size_t size() const { return size_.load(std::memory_order_acquire); }
  /// Most frames queued at once.
  std::size_t high_water() const { return high_water_.load(std::memory_order_relaxed); }
  /// Frames dropped by the policy or because the consumer had finished.
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  FramePtr pop_front_locked();
  void grow_locked();
  void count_dropped_locked(std::uint64_t n) {
    dropped_.store(dropped_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  const std::size_t capacity_;
  const QueuePolicy policy_;

  mutable std::mutex mutex_;
  // A ring of power-of-two size so that steady-state traffic allocates nothing; it grows only
  // when a `block` producer overshoots or a large capacity fills up for the first time.
  std::vector<FramePtr> ring_;
  std::size_t head_ = 0;
  std::atomic<std::size_t> size_{0};
  std::atomic<bool> ended_{false};
  std::atomic<bool> closed_{false};
  std::atomic<std::size_t> high_water_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace oi
