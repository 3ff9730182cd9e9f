#include "oi/scan_assembler.hpp"

#include <cstring>

namespace oi {

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
  if (!fits(*block)) done.push_back(assemble(/*incomplete=*/true));
  blocks_.push_back(block);
  lines_ += block->plane_names().empty() ? 0 : static_cast<std::size_t>(block->plane(block->plane_names().front()).height);
  if (block->metadata().end_of_scan) {
    done.push_back(assemble(/*incomplete=*/false));
  } else if (lines_ >= max_lines_) {
    done.push_back(assemble(/*incomplete=*/true));
  }
  return done;
}

std::optional<FramePtr> ScanAssembler::flush() {
  if (blocks_.empty()) return std::nullopt;
  return assemble(/*incomplete=*/true);
}

FramePtr ScanAssembler::assemble(bool incomplete) {
  const Frame& first = *blocks_.front();
  auto scan = Frame::create(std::string(frame_kind::kScan));
  scan->metadata() = first.metadata();
  scan->metadata().block_index = 0;
  scan->metadata().end_of_scan = true;
  bool any_incomplete = incomplete;
  for (const FramePtr& b : blocks_) any_incomplete = any_incomplete || b->metadata().incomplete;
  scan->metadata().incomplete = any_incomplete;
  scan->metadata().attributes["blocks"] = blocks_.size();
  for (const std::string& name : first.plane_names()) {
    const Plane& proto = first.plane(name);
    int height = 0;
    for (const FramePtr& b : blocks_) height += b->plane(name).height;
    Plane& out = scan->add_plane(name, proto.format, proto.width, height);
    int y = 0;
    for (const FramePtr& b : blocks_) {
      const Plane& in = b->plane(name);
      for (int r = 0; r < in.height; ++r, ++y) {
        std::memcpy(out.row<std::byte>(y), in.row<std::byte>(r), in.row_bytes());
      }
    }
  }
  blocks_.clear();
  lines_ = 0;
  return scan;
}

}  // namespace oi
