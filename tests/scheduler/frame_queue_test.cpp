// The connection queue on its own: policies, room and end-of-stream signals, counters.

#include "frame_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace oi {
namespace {

FramePtr numbered(std::uint64_t n) {
  FramePtr frame = Frame::create();
  frame->metadata().sequence = n;
  return frame;
}

std::uint64_t pop_sequence(FrameQueue& q) {
  bool made_room = false;
  FramePtr frame = q.pop(made_room);
  return frame ? frame->metadata().sequence : ~std::uint64_t{0};
}

// A lossy queue replacing its oldest frame must never look empty to a consumer that checks
// without the lock: the scheduler fires a node on that check, and a transient empty size once
// handed a sink a null frame (found by TSan).
TEST(SchedulerFrameQueue, ALossyQueueReplacingItsOldestFrameNeverLooksEmpty) {
  for (const auto& [policy, capacity] : {std::pair{QueuePolicy::kLatest, std::size_t{1}},
                                         std::pair{QueuePolicy::kDropOldest, std::size_t{2}}}) {
    FrameQueue q(capacity, policy);
    q.push(numbered(0));
    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> seen_empty{0}, checks{0};
    std::thread observer([&] {
      while (!done.load(std::memory_order_acquire)) {
        if (q.empty()) seen_empty.fetch_add(1, std::memory_order_relaxed);
        checks.fetch_add(1, std::memory_order_relaxed);
      }
    });
    for (std::uint64_t n = 1; n <= 200000; ++n) q.push(numbered(n));
    done.store(true, std::memory_order_release);
    observer.join();
    EXPECT_GT(checks.load(), 0u);
    EXPECT_EQ(seen_empty.load(), 0u) << "policy " << static_cast<int>(policy);
    EXPECT_EQ(q.size(), capacity);
  }
}

TEST(SchedulerFrameQueue, BlockSignalsFirstFrameAndRoomAndMayOvershoot) {
  FrameQueue q(2, QueuePolicy::kBlock);
  EXPECT_TRUE(q.empty());
  EXPECT_TRUE(q.has_room());
  EXPECT_TRUE(q.push(numbered(0)));  // empty -> not empty: wake the consumer
  EXPECT_FALSE(q.push(numbered(1)));
  EXPECT_FALSE(q.has_room());
  EXPECT_FALSE(q.push(numbered(2)));  // one firing's overshoot is kept, never dropped
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.high_water(), 3u);

  bool made_room = true;
  EXPECT_EQ(q.pop(made_room)->metadata().sequence, 0u);
  EXPECT_FALSE(made_room);  // 2 left: still full
  EXPECT_EQ(q.pop(made_room)->metadata().sequence, 1u);
  EXPECT_TRUE(made_room);  // 1 left: wake the producer
  EXPECT_TRUE(q.has_room());
  EXPECT_EQ(pop_sequence(q), 2u);
  EXPECT_EQ(q.pop(made_room), nullptr);
  EXPECT_EQ(q.dropped(), 0u);
}

TEST(SchedulerFrameQueue, BlockRingGrowsPastItsInitialSizeInOrder) {
  FrameQueue q(1, QueuePolicy::kBlock);
  for (std::uint64_t i = 0; i < 100; ++i) q.push(numbered(i));
  for (std::uint64_t i = 0; i < 100; ++i) ASSERT_EQ(pop_sequence(q), i);
}

TEST(SchedulerFrameQueue, DropOldestKeepsTheNewestCapacityFrames) {
  FrameQueue q(3, QueuePolicy::kDropOldest);
  for (std::uint64_t i = 0; i < 10; ++i) q.push(numbered(i));
  EXPECT_TRUE(q.has_room());  // never holds the producer back
  EXPECT_EQ(q.dropped(), 7u);
  EXPECT_EQ(q.high_water(), 3u);
  EXPECT_EQ(pop_sequence(q), 7u);
  EXPECT_EQ(pop_sequence(q), 8u);
  EXPECT_EQ(pop_sequence(q), 9u);
}

TEST(SchedulerFrameQueue, LatestHoldsOneFrameWhateverTheCapacity) {
  FrameQueue q(8, QueuePolicy::kLatest);
  EXPECT_TRUE(q.push(numbered(0)));
  for (std::uint64_t i = 1; i < 5; ++i) EXPECT_FALSE(q.push(numbered(i)));
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.high_water(), 1u);
  EXPECT_EQ(q.dropped(), 4u);
  EXPECT_EQ(pop_sequence(q), 4u);
}

TEST(SchedulerFrameQueue, EndOfStreamIsReachedOnlyOnceEmpty) {
  FrameQueue q(2, QueuePolicy::kBlock);
  q.push(numbered(0));
  q.end_stream();
  EXPECT_FALSE(q.at_end());
  pop_sequence(q);
  EXPECT_TRUE(q.at_end());
}

TEST(SchedulerFrameQueue, CloseDropsWhatIsQueuedAndEverythingLater) {
  FrameQueue q(2, QueuePolicy::kBlock);
  q.push(numbered(0));
  q.push(numbered(1));
  EXPECT_FALSE(q.has_room());
  q.close();
  EXPECT_TRUE(q.closed());
  EXPECT_TRUE(q.has_room());  // a producer is never held back by a finished consumer
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.dropped(), 2u);
  EXPECT_FALSE(q.push(numbered(2)));
  EXPECT_EQ(q.dropped(), 3u);
  EXPECT_TRUE(q.empty());
}

TEST(SchedulerFrameQueue, CapacityZeroMeansOne) {
  FrameQueue q(0, QueuePolicy::kBlock);
  EXPECT_EQ(q.capacity(), 1u);
  q.push(numbered(0));
  EXPECT_FALSE(q.has_room());
}

}  // namespace
}  // namespace oi
