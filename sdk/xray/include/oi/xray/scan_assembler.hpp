#pragma once
/// @file
/// Assembles the scan blocks of one X-ray scan into a whole-scan frame. Stages that need the
/// whole object (detection, reports) use it; stages that work per block do not.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "oi/frame.hpp"
#include "oi/xray/contract.hpp"

namespace oi::xray {

/// Collects consecutive blocks of one scan id and returns the assembled scan when the block
/// flagged end_of_scan arrives. Blocks are stacked vertically, plane by plane; every block
/// of a scan must have the same plane names, formats and widths.
///
/// Nothing is dropped silently: a scan cut short (a new scan id arrives before end_of_scan,
/// the line limit is reached, or flush() is called at end of stream) is returned with
/// `metadata().incomplete = true`, and a block that does not fit its scan (other planes or
/// width) ends the current scan as incomplete and starts a new one.
///
/// Nor is a gap stitched over: a scan whose block indices do not run 0, 1, 2, ... (blocks
/// lost upstream, e.g. on a `latest` or `drop_oldest` connection or a corrupt recorded frame),
/// whose blocks' `first_line` attribute does not follow on from the lines before, or whose
/// total differs from its blocks' `scan_lines` attribute, is marked incomplete, with the
/// attributes `missing_blocks`, `missing_lines` (when the drivers state lines) and
/// `incomplete_reason`. A scan returned in pieces (split at `max_lines`, cut by the device and
/// then continued) is checked from where the previous piece stopped, so only what really
/// never arrived is counted.
class ScanAssembler {
 public:
  /// `max_lines` bounds memory: a scan longer than this is returned incomplete.
  explicit ScanAssembler(std::size_t max_lines = 65536) : max_lines_(max_lines) {}

  /// Adds a block; returns zero, one or two finished scans (two when a new scan id ends an
  /// unfinished one and the new block is itself a whole scan).
  std::vector<FramePtr> add(const FramePtr& block);
  /// Returns the scan in progress, marked incomplete; nullopt when none.
  std::optional<FramePtr> flush();
  /// Number of blocks held for the scan in progress.
  std::size_t pending_blocks() const { return blocks_.size(); }

  /// What was assembled so far.
  struct Counts {
    std::uint64_t scans = 0;           ///< scans returned
    std::uint64_t incomplete = 0;      ///< of those, marked incomplete
    std::uint64_t missing_blocks = 0;  ///< blocks found missing inside or at the start of scans (a lost
                                       ///< last block leaves no gap in the indices: see missing_lines)
  };
  const Counts& counts() const { return counts_; }

 private:
  // `scan_over`: nothing more of this scan will come (its last block, or the next scan began).
  FramePtr assemble(bool incomplete, const char* reason, bool scan_over);
  // Copies the block's lines into the scan being built (building_), as it arrives, so that a
  // scan's last block leaves little to copy.
  void append(const Frame& block, std::size_t lines);
  bool fits(const Frame& block) const;
  void check_continuity(const Frame& block, std::size_t lines);

  std::size_t max_lines_;
  std::size_t lines_ = 0;
  std::vector<FramePtr> blocks_;
  // The piece in progress, plane by plane in the first block's order: `rows` of `plane` used.
  struct Building {
    Plane plane;
    std::size_t rows = 0;
  };
  std::vector<Building> building_;
  // Where the scan of the newest block stands, across the pieces it may be returned in.
  std::optional<std::uint64_t> scan_;
  std::uint64_t next_index_ = 0;  // the block index that should come next
  std::int64_t next_line_ = 0;    // the line of the scan that should come next
  // Gaps found in the piece in progress.
  std::uint64_t missing_blocks_ = 0;
  std::int64_t missing_lines_ = 0;
  bool lines_known_ = true;  // every block stated first_line
  bool gap_ = false;         // a block index or first_line did not follow on
  Counts counts_;
};

}  // namespace oi::xray
