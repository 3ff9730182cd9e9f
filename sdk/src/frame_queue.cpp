#include "frame_queue.hpp"

#include <algorithm>
#include <bit>
#include <utility>

namespace oi {
namespace {

// Rings start small however large the capacity: a queue configured for thousands of frames
// usually holds a few.
constexpr std::size_t kInitialRingLimit = 64;

}  // namespace

FrameQueue::FrameQueue(std::size_t capacity, QueuePolicy policy)
    : capacity_(std::max<std::size_t>(capacity, 1)), policy_(policy) {
  const std::size_t wanted = policy_ == QueuePolicy::kLatest ? 1 : capacity_;
  ring_.resize(std::bit_ceil(std::min(wanted, kInitialRingLimit)));
}

FramePtr FrameQueue::pop_front_locked() {
  const std::size_t n = size_.load(std::memory_order_relaxed);
  FramePtr frame = std::move(ring_[head_]);
  head_ = (head_ + 1) & (ring_.size() - 1);
  size_.store(n - 1, std::memory_order_release);
  return frame;
}

void FrameQueue::grow_locked() {
  const std::size_t n = size_.load(std::memory_order_relaxed);
  std::vector<FramePtr> bigger(ring_.size() * 2);
  for (std::size_t i = 0; i < n; ++i) bigger[i] = std::move(ring_[(head_ + i) & (ring_.size() - 1)]);
  ring_ = std::move(bigger);
  head_ = 0;
}

bool FrameQueue::push(FramePtr frame) {
  // Declared before the lock so that a dropped frame is freed after unlocking: freeing may
  // be slow (GPU memory) and the consumer should not wait for it.
  FramePtr discarded;
  std::lock_guard lock(mutex_);
  if (closed_.load(std::memory_order_relaxed)) {
    discarded = std::move(frame);
    count_dropped_locked(1);
    return false;
  }
  std::size_t n = size_.load(std::memory_order_relaxed);
  const bool was_empty = n == 0;
  if ((policy_ == QueuePolicy::kDropOldest && n >= capacity_) ||
      (policy_ == QueuePolicy::kLatest && n >= 1)) {
    // The oldest frame makes way without publishing the smaller size: the consumer checks
    // empty() without the lock and, between the two stores, would see an empty queue it had
    // been woken for and fire without a frame (found by TSan: a null frame in process()).
    discarded = std::move(ring_[head_]);
    head_ = (head_ + 1) & (ring_.size() - 1);
    count_dropped_locked(1);
    --n;
  }
  if (n == ring_.size()) grow_locked();
  ring_[(head_ + n) & (ring_.size() - 1)] = std::move(frame);
  size_.store(n + 1, std::memory_order_release);
  if (n + 1 > high_water_.load(std::memory_order_relaxed)) {
    high_water_.store(n + 1, std::memory_order_relaxed);
  }
  return was_empty;
}

FramePtr FrameQueue::pop(bool& made_room) {
  std::lock_guard lock(mutex_);
  const std::size_t n = size_.load(std::memory_order_relaxed);
  made_room = false;
  if (n == 0) return nullptr;
  // Only the step from exactly `capacity` to one below opens room: after an overshoot the
  // queue is still full.
  made_room = policy_ == QueuePolicy::kBlock && n == capacity_;
  return pop_front_locked();
}

void FrameQueue::end_stream() { ended_.store(true, std::memory_order_release); }

void FrameQueue::close() {
  std::vector<FramePtr> leftovers;  // freed after unlocking
  std::lock_guard lock(mutex_);
  if (closed_.load(std::memory_order_relaxed)) return;
  closed_.store(true, std::memory_order_release);
  count_dropped_locked(size_.load(std::memory_order_relaxed));
  leftovers.swap(ring_);
  ring_.resize(1);  // keeps the ring's invariants; a closed queue never stores again
  head_ = 0;
  size_.store(0, std::memory_order_release);
}

}  // namespace oi
