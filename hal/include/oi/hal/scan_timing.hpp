#pragma once
/// @file
/// Two small pieces every line-scan driver needs and easily gets subtly wrong: pacing blocks
/// at the belt's line rate (LinePacer) and numbering them into scans (ScanCounter). Used by
/// the synthetic scanners in this repo and by samples/driver_skeleton; a driver for real
/// hardware gets its timing from the device and needs only ScanCounter, if that.

#include <chrono>
#include <cstdint>

#include "oi/frame.hpp"

namespace oi::hal {

/// Releases blocks of K lines at a line rate, like a detector under a moving belt. Due times
/// advance by exactly K / rate from the start, so the average rate never drifts, whatever
/// the caller's own latency.
class LinePacer {
 public:
  using Clock = std::chrono::steady_clock;

  /// Starts a new schedule at `line_rate_hz` lines per second (0 = as fast as possible):
  /// the first block is due now.
  void reset(double line_rate_hz);
  /// Waits until the next block of `lines` lines is due, but not past `deadline`. True when
  /// it is due (the schedule then advances by one block); false when the deadline came
  /// first (call again: the block stays due at the same time).
  bool wait_for_block(int lines, Clock::time_point deadline);
  /// Lines per second of the schedule (0 = unpaced).
  double line_rate_hz() const { return line_rate_hz_; }

 private:
  double line_rate_hz_ = 0.0;
  Clock::time_point next_due_{};
};

/// Tags scan blocks with scan id (from 1), block index (from 0 in each scan) and end-of-scan.
class ScanCounter {
 public:
  /// Every scan is `blocks_per_scan` blocks (at least 1).
  explicit ScanCounter(std::uint32_t blocks_per_scan = 1) { set_blocks_per_scan(blocks_per_scan); }

  /// Changes the scan length; takes effect from the next scan.
  void set_blocks_per_scan(std::uint32_t blocks_per_scan);
  /// Sets scan_id, block_index and end_of_scan of the next block and advances.
  void tag(FrameMetadata& meta);
  /// Called when acquisition stops mid-object: the object cannot be resumed, so the next
  /// block starts a new scan (the scan left open is the supervisor's to mark incomplete).
  void abandon_scan();
  /// Scans completed (their last block tagged) or abandoned so far.
  std::uint64_t scans_done() const { return scans_done_; }
  /// Blocks already tagged in the current scan.
  std::uint32_t block_in_scan() const { return block_; }

 private:
  std::uint32_t blocks_per_scan_ = 1;
  std::uint32_t next_blocks_per_scan_ = 1;
  std::uint64_t scans_done_ = 0;
  std::uint32_t block_ = 0;
};

}  // namespace oi::hal
