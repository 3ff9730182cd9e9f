#include <gtest/gtest.h>

#include "oi/scan_assembler.hpp"

namespace oi {
namespace {

FramePtr block(std::uint64_t scan, std::uint32_t index, bool last, int lines = 4, int width = 8) {
  auto f = Frame::create(std::string(frame_kind::kScanBlock));
  Plane& high = f->add_plane("high", PixelFormat::kU16, width, lines);
  Plane& low = f->add_plane("low", PixelFormat::kU16, width, lines);
  for (int y = 0; y < lines; ++y) {
    for (int x = 0; x < width; ++x) {
      high.row<std::uint16_t>(y)[x] = static_cast<std::uint16_t>(index * 100 + y);
      low.row<std::uint16_t>(y)[x] = static_cast<std::uint16_t>(index * 100 + y + 50);
    }
  }
  f->metadata().scan_id = scan;
  f->metadata().block_index = index;
  f->metadata().end_of_scan = last;
  return f;
}

TEST(ScanAssembler, StacksBlocksOfOneScan) {
  ScanAssembler a;
  EXPECT_TRUE(a.add(block(1, 0, false)).empty());
  EXPECT_TRUE(a.add(block(1, 1, false)).empty());
  auto done = a.add(block(1, 2, true));
  ASSERT_EQ(done.size(), 1u);
  const Frame& scan = *done[0];
  EXPECT_EQ(scan.kind(), frame_kind::kScan);
  EXPECT_FALSE(scan.metadata().incomplete);
  EXPECT_EQ(scan.metadata().scan_id, 1u);
  EXPECT_EQ(scan.plane("high").height, 12);
  EXPECT_EQ(scan.plane("high").row<std::uint16_t>(5)[3], 101);
  EXPECT_EQ(scan.plane("low").row<std::uint16_t>(11)[7], 253);
  EXPECT_EQ(scan.metadata().attributes["blocks"], 3);
  EXPECT_EQ(a.pending_blocks(), 0u);
}

TEST(ScanAssembler, NewScanIdEndsTheUnfinishedOneAsIncomplete) {
  ScanAssembler a;
  a.add(block(1, 0, false));
  auto done = a.add(block(2, 0, true));
  ASSERT_EQ(done.size(), 2u);
  EXPECT_TRUE(done[0]->metadata().incomplete);
  EXPECT_EQ(done[0]->metadata().scan_id, 1u);
  EXPECT_FALSE(done[1]->metadata().incomplete);
  EXPECT_EQ(done[1]->metadata().scan_id, 2u);
}

TEST(ScanAssembler, LineLimitAndFlushNeverDropSilently) {
  ScanAssembler a(8);
  EXPECT_TRUE(a.add(block(1, 0, false)).empty());
  auto done = a.add(block(1, 1, false));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0]->metadata().incomplete);
  a.add(block(1, 2, false));
  auto rest = a.flush();
  ASSERT_TRUE(rest.has_value());
  EXPECT_TRUE((*rest)->metadata().incomplete);
  EXPECT_FALSE(a.flush().has_value());
}

TEST(ScanAssembler, MismatchedWidthStartsANewScan) {
  ScanAssembler a;
  a.add(block(1, 0, false, 4, 8));
  auto done = a.add(block(1, 1, true, 4, 16));
  ASSERT_EQ(done.size(), 2u);
  EXPECT_TRUE(done[0]->metadata().incomplete);
  EXPECT_EQ(done[1]->plane("high").width, 16);
}

}  // namespace
}  // namespace oi
