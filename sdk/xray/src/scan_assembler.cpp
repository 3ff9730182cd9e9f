#include "oi/xray/scan_assembler.hpp"

#include <algorithm>
#include <cstring>

#include "oi/xray/contract.hpp"

namespace oi::xray {

bool ScanAssembler::fits(const Frame& block) const {
  if (blocks_.empty()) return true;
  const Frame& first = *blocks_.front();
  if (block.metadata().scan_id != first.metadata().scan_id) return false;
  if (block.plane_names() != first.plane_names()) return false;
  for (const std::string& name : first.plane_names()) {
    const Plane& a = first.plane(name);
    const Plane& b = block.plane(name);
    if (a.format != b.format || a.width != b.width) return false;
  }
  return true;
}

std::vector<FramePtr> ScanAssembler::add(const FramePtr& block) {
  std::vector<FramePtr> done;
  if (!blocks_.empty()) {
    // Another scan id: this scan is over, whatever did not arrive never will. Other planes or
    // width: the same scan may go on in the next piece.
    if (block->metadata().scan_id != blocks_.front()->metadata().scan_id) {
      done.push_back(
          assemble(/*incomplete=*/true, "the next scan began before this one ended", /*scan_over=*/true));
    } else if (!fits(*block)) {
      done.push_back(
          assemble(/*incomplete=*/true, "a block of other planes or width arrived", /*scan_over=*/false));
    }
  }
  const std::size_t lines = block->plane_names().empty()
                                ? 0
                                : static_cast<std::size_t>(block->plane(block->plane_names().front()).height);
  check_continuity(*block, lines);
  append(*block, lines);
  blocks_.push_back(block);
  lines_ += lines;
  if (block->metadata().end_of_scan) {
    // A block the device cut short (incomplete) may be followed by more of the same scan.
    done.push_back(assemble(/*incomplete=*/false, nullptr, /*scan_over=*/!block->metadata().incomplete));
  } else if (lines_ >= max_lines_) {
    done.push_back(assemble(/*incomplete=*/true, "longer than max_lines", /*scan_over=*/false));
  }
  return done;
}

std::optional<FramePtr> ScanAssembler::flush() {
  if (blocks_.empty()) return std::nullopt;
  return assemble(/*incomplete=*/true, "the stream ended before the scan's last block", /*scan_over=*/true);
}

namespace {

std::optional<std::int64_t> integer_attribute(const FrameMetadata& m, const char* key) {
  if (!m.attributes.is_object()) return std::nullopt;
  auto it = m.attributes.find(key);
  if (it == m.attributes.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

}  // namespace

void ScanAssembler::check_continuity(const Frame& block, std::size_t lines) {
  const FrameMetadata& m = block.metadata();
  // The position in the scan carries over from one piece to the next (a scan split at
  // max_lines, or cut by a device fault and then continued): only a new scan starts at 0.
  if (!scan_ || *scan_ != m.scan_id) {
    scan_ = m.scan_id;
    next_index_ = 0;
    next_line_ = 0;
  }
  if (m.block_index != next_index_) {
    // Lost blocks, or blocks out of order (which a stitched image would show wrongly too).
    missing_blocks_ += m.block_index > next_index_ ? m.block_index - next_index_ : 0;
    gap_ = true;
  }
  next_index_ = std::uint64_t{m.block_index} + 1;
  if (const auto first = integer_attribute(m, attr::kFirstLine)) {
    if (*first != next_line_) {
      missing_lines_ += std::max<std::int64_t>(0, *first - next_line_);
      gap_ = true;
    }
    next_line_ = *first + static_cast<std::int64_t>(lines);
  } else {
    lines_known_ = false;
    next_line_ += static_cast<std::int64_t>(lines);
  }
}

void ScanAssembler::append(const Frame& block, std::size_t lines) {
  const std::vector<std::string> names = block.plane_names();
  if (blocks_.empty()) {
    // Room for the whole scan when the driver states its length, else for 8 blocks (grown
    // by doubling); never more than max_lines plus the block that crosses it.
    std::size_t room = std::max<std::size_t>(lines * 8, 1);
    if (const auto total = integer_attribute(block.metadata(), attr::kScanLines); total && *total > 0)
      room = static_cast<std::size_t>(*total);
    room = std::max(std::min(room, max_lines_), lines);
    building_.clear();
    for (const std::string& name : names) {
      const Plane& p = block.plane(name);
      building_.push_back({Plane::allocate(p.format, p.width, static_cast<int>(room)), 0});
    }
  }
  // Each plane on its own: fits() checks names, formats and widths, not that every plane of a
  // block has as many lines.
  for (std::size_t i = 0; i < names.size(); ++i) {
    const Plane& in = block.plane(names[i]);
    Building& b = building_[i];
    const std::size_t need = b.rows + static_cast<std::size_t>(in.height);
    if (need > static_cast<std::size_t>(b.plane.height)) {
      Plane grown =
          Plane::allocate(b.plane.format, b.plane.width,
                          static_cast<int>(std::max(need, 2 * static_cast<std::size_t>(b.plane.height))));
      for (std::size_t y = 0; y < b.rows; ++y)
        std::memcpy(grown.row<std::byte>(static_cast<int>(y)),
                    std::as_const(b.plane).row<std::byte>(static_cast<int>(y)), b.plane.row_bytes());
      b.plane = std::move(grown);
    }
    for (int r = 0; r < in.height; ++r)
      std::memcpy(b.plane.row<std::byte>(static_cast<int>(b.rows) + r), in.row<std::byte>(r), in.row_bytes());
    b.rows = need;
  }
}

FramePtr ScanAssembler::assemble(bool incomplete, const char* reason, bool scan_over) {
  const Frame& first = *blocks_.front();
  const FrameMetadata& last = blocks_.back()->metadata();
  auto scan = Frame::create(std::string(oi::xray::frame_kind::kScan));
  scan->metadata() = first.metadata();
  scan->metadata().block_index = 0;
  scan->metadata().end_of_scan = true;
  nlohmann::json& attributes = scan->metadata().attributes;
  // The device adapter marks the block where it cut a scan; its reason outranks ours.
  std::string why;
  bool any_incomplete = incomplete;
  for (const FramePtr& b : blocks_) {
    const FrameMetadata& m = b->metadata();
    any_incomplete = any_incomplete || m.incomplete;
    if (m.incomplete && m.attributes.is_object() && m.attributes.contains("incomplete_reason") &&
        why.empty()) {
      why = m.attributes["incomplete_reason"].is_string()
                ? m.attributes["incomplete_reason"].get<std::string>()
                : "";
    }
  }
  if (why.empty() && reason != nullptr) why = reason;
  // Once the scan is over, a driver that states its length tells how many lines never came
  // at its end (blocks lost there leave no gap in the indices).
  bool lines_known = lines_known_;
  if (const auto total = integer_attribute(last, attr::kScanLines); total && *total > 0 && scan_over) {
    const std::int64_t short_by = *total - next_line_;
    if (short_by != 0) gap_ = true;
    missing_lines_ += std::max<std::int64_t>(0, short_by);
    lines_known = true;
  }
  if (gap_) {
    any_incomplete = true;
    const std::string gap =
        missing_blocks_ > 0
            ? std::to_string(missing_blocks_) + " block(s) of the scan never arrived (lost upstream)"
            : std::string("lines of the scan never arrived or do not follow on (lost or reordered upstream)");
    why = why.empty() ? gap : why + "; " + gap;
  }
  scan->metadata().incomplete = any_incomplete;
  attributes["blocks"] = blocks_.size();
  // Stages that ran on each block as it arrived (xray.correct) timed every block: the scan's
  // time in such a stage is the sum.
  if (blocks_.size() > 1) {
    nlohmann::json timings = nlohmann::json::object();
    for (const FramePtr& b : blocks_) {
      const nlohmann::json& a = b->metadata().attributes;
      if (!a.is_object() || !a.contains(attr::kTimings) || !a[attr::kTimings].is_object()) continue;
      for (const auto& [stage, ms] : a[attr::kTimings].items())
        if (ms.is_number()) timings[stage] = timings.value(stage, 0.0) + ms.get<double>();
    }
    if (!timings.empty()) attributes[attr::kTimings] = std::move(timings);
  }
  if (any_incomplete) {
    attributes["incomplete_reason"] = why;
    attributes["missing_blocks"] = missing_blocks_;
    if (lines_known) attributes["missing_lines"] = missing_lines_;
  }
  // The lines were copied as the blocks came (append()): the scan's planes are those rows.
  const std::vector<std::string> names = first.plane_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    Plane plane = std::move(building_[i].plane);
    plane.height = static_cast<int>(building_[i].rows);
    scan->set_plane(names[i], std::move(plane));
  }
  building_.clear();  // the next piece gets memory of its own
  ++counts_.scans;
  counts_.incomplete += any_incomplete ? 1 : 0;
  counts_.missing_blocks += missing_blocks_;
  // A scan that is over starts nothing for the next block, even one of the same id (the dark
  // and air references a scanner emits first both carry scan id 0).
  if (scan_over) scan_.reset();
  blocks_.clear();
  lines_ = 0;
  missing_blocks_ = 0;
  missing_lines_ = 0;
  lines_known_ = true;
  gap_ = false;
  return scan;
}

}  // namespace oi::xray
