#include "oi/hal/scan_timing.hpp"

#include <algorithm>
#include <thread>

namespace oi::hal {

void LinePacer::reset(double line_rate_hz) {
  line_rate_hz_ = std::max(0.0, line_rate_hz);
  next_due_ = Clock::now();
}

bool LinePacer::wait_for_block(int lines, Clock::time_point deadline) {
  if (line_rate_hz_ <= 0.0) return true;
  if (next_due_ > deadline) {
    std::this_thread::sleep_until(deadline);
    return false;
  }
  std::this_thread::sleep_until(next_due_);
  next_due_ +=
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(lines / line_rate_hz_));
  return true;
}

void ScanCounter::set_blocks_per_scan(std::uint32_t blocks_per_scan) {
  next_blocks_per_scan_ = std::max<std::uint32_t>(1, blocks_per_scan);
  if (block_ == 0) blocks_per_scan_ = next_blocks_per_scan_;
}

void ScanCounter::tag(FrameMetadata& meta) {
  if (block_ == 0) blocks_per_scan_ = next_blocks_per_scan_;
  meta.scan_id = scans_done_ + 1;
  meta.block_index = block_;
  meta.end_of_scan = block_ + 1 == blocks_per_scan_;
  if (++block_ == blocks_per_scan_) {
    block_ = 0;
    ++scans_done_;
  }
}

void ScanCounter::abandon_scan() {
  if (block_ == 0) return;
  block_ = 0;
  ++scans_done_;
}

}  // namespace oi::hal
