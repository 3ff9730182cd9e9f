#include "oi/xray/scan_assembler.hpp"

#include <gtest/gtest.h>

namespace oi {
namespace {

FramePtr block(std::uint64_t scan, std::uint32_t index, bool last, int lines = 4, int width = 8) {
  auto f = Frame::create(std::string(oi::xray::frame_kind::kScanBlock));
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

// The block with the line attributes sim.xray states: where it starts, the scan's length.
FramePtr with_lines(FramePtr f, std::int64_t first, std::int64_t total) {
  f->metadata().attributes["first_line"] = first;
  f->metadata().attributes["scan_lines"] = total;
  return f;
}

TEST(ScanAssembler, StacksBlocksOfOneScan) {
  oi::xray::ScanAssembler a;
  EXPECT_TRUE(a.add(block(1, 0, false)).empty());
  EXPECT_TRUE(a.add(block(1, 1, false)).empty());
  auto done = a.add(block(1, 2, true));
  ASSERT_EQ(done.size(), 1u);
  const Frame& scan = *done[0];
  EXPECT_EQ(scan.kind(), oi::xray::frame_kind::kScan);
  EXPECT_FALSE(scan.metadata().incomplete);
  EXPECT_EQ(scan.metadata().scan_id, 1u);
  EXPECT_EQ(scan.plane("high").height, 12);
  EXPECT_EQ(scan.plane("high").row<std::uint16_t>(5)[3], 101);
  EXPECT_EQ(scan.plane("low").row<std::uint16_t>(11)[7], 253);
  EXPECT_EQ(scan.metadata().attributes["blocks"], 3);
  EXPECT_EQ(a.pending_blocks(), 0u);
}

// Blocks are copied as they arrive: into room for the stated length, or into memory grown as
// blocks keep coming (no scan_lines); a plane with fewer lines than the others keeps its own
// height; the next scan never shares memory with the one handed out.
TEST(ScanAssembler, CopiesBlocksAsTheyComeWhateverTheScanLengthAndPlaneHeights) {
  oi::xray::ScanAssembler a;
  for (std::uint32_t i = 0; i < 20; ++i) EXPECT_TRUE(a.add(block(1, i, false, 3)).empty());
  auto done = a.add(block(1, 20, true, 3));
  ASSERT_EQ(done.size(), 1u);
  const FramePtr kept = done[0];  // held while the next scan is built
  const Frame& long_scan = *kept;
  ASSERT_EQ(long_scan.plane("high").height, 63);
  for (int y = 0; y < 63; ++y)
    EXPECT_EQ(long_scan.plane("high").row<std::uint16_t>(y)[7], (y / 3) * 100 + y % 3);

  FramePtr stated = with_lines(block(2, 0, false, 4), 0, 6);
  stated->add_plane("aux", PixelFormat::kF32, 8, 1).row<float>(0)[0] = 1.5f;
  a.add(stated);
  FramePtr tail = with_lines(block(2, 1, true, 4), 4, 6);  // more lines than stated: grown
  tail->add_plane("aux", PixelFormat::kF32, 8, 1).row<float>(0)[0] = 2.5f;
  done = a.add(tail);
  ASSERT_EQ(done.size(), 1u);
  const Frame& scan = *done[0];
  EXPECT_EQ(scan.plane("high").height, 8);
  EXPECT_EQ(scan.plane("high").row<std::uint16_t>(7)[0], 103);
  ASSERT_EQ(scan.plane("aux").height, 2);
  EXPECT_EQ(scan.plane("aux").row<float>(1)[0], 2.5f);
  EXPECT_EQ(long_scan.plane("high").row<std::uint16_t>(0)[0], 0) << "the first scan's memory was reused";
}

TEST(ScanAssembler, NewScanIdEndsTheUnfinishedOneAsIncomplete) {
  oi::xray::ScanAssembler a;
  a.add(block(1, 0, false));
  auto done = a.add(block(2, 0, true));
  ASSERT_EQ(done.size(), 2u);
  EXPECT_TRUE(done[0]->metadata().incomplete);
  EXPECT_EQ(done[0]->metadata().scan_id, 1u);
  EXPECT_FALSE(done[1]->metadata().incomplete);
  EXPECT_EQ(done[1]->metadata().scan_id, 2u);
}

TEST(ScanAssembler, LineLimitAndFlushNeverDropSilently) {
  oi::xray::ScanAssembler a(8);
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
  oi::xray::ScanAssembler a;
  a.add(block(1, 0, false, 4, 8));
  auto done = a.add(block(1, 1, true, 4, 16));
  ASSERT_EQ(done.size(), 2u);
  EXPECT_TRUE(done[0]->metadata().incomplete);
  EXPECT_EQ(done[1]->plane("high").width, 16);
}

// A scan stitched across a lost block would show a parcel with a slice cut out as if whole:
// an operator could clear it. It must say it is incomplete, and by how much.
TEST(ScanAssembler, MissingBlockInsideAScanMarksItIncomplete) {
  oi::xray::ScanAssembler a;
  a.add(block(1, 0, false));
  a.add(block(1, 2, false));  // block 1 was dropped upstream
  auto done = a.add(block(1, 3, true));
  ASSERT_EQ(done.size(), 1u);
  const FrameMetadata& m = done[0]->metadata();
  EXPECT_TRUE(m.incomplete);
  EXPECT_EQ(m.attributes["missing_blocks"], 1);
  EXPECT_NE(m.attributes["incomplete_reason"].get<std::string>().find("never arrived"), std::string::npos)
      << m.attributes.dump();
  EXPECT_EQ(done[0]->plane("high").height, 12);
  EXPECT_EQ(a.counts().scans, 1u);
  EXPECT_EQ(a.counts().incomplete, 1u);
  EXPECT_EQ(a.counts().missing_blocks, 1u);
}

TEST(ScanAssembler, MissingFirstBlocksMarkItIncomplete) {
  oi::xray::ScanAssembler a;
  auto done = a.add(block(1, 2, true));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0]->metadata().incomplete);
  EXPECT_EQ(done[0]->metadata().attributes["missing_blocks"], 2);
}

// Drivers that state where each block starts and how long the scan is (sim.xray does) let the
// assembler count missing lines too, also where block indices cannot tell (a lost last block
// before the end-of-scan block of another length).
TEST(ScanAssembler, LineCountsFromTheDriverFindGapsAndShortScans) {
  oi::xray::ScanAssembler a;
  a.add(with_lines(block(1, 0, false), 0, 12));
  a.add(with_lines(block(1, 1, false), 4, 12));
  auto whole = a.add(with_lines(block(1, 2, true), 8, 12));
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_FALSE(whole[0]->metadata().incomplete) << whole[0]->metadata().attributes.dump();
  EXPECT_FALSE(whole[0]->metadata().attributes.contains("missing_lines"));

  // Same indices, but the second block starts 3 lines late: lines were lost inside a block.
  a.add(with_lines(block(2, 0, false), 0, 15));
  a.add(with_lines(block(2, 1, false), 7, 15));
  auto gap = a.add(with_lines(block(2, 2, true), 11, 15));
  ASSERT_EQ(gap.size(), 1u);
  EXPECT_TRUE(gap[0]->metadata().incomplete);
  EXPECT_EQ(gap[0]->metadata().attributes["missing_lines"], 3);

  // The scan says 16 lines, 12 arrived, every index and first_line followed on.
  a.add(with_lines(block(3, 0, false), 0, 16));
  a.add(with_lines(block(3, 1, false), 4, 16));
  auto short_scan = a.add(with_lines(block(3, 2, true), 8, 16));
  ASSERT_EQ(short_scan.size(), 1u);
  EXPECT_TRUE(short_scan[0]->metadata().incomplete);
  EXPECT_EQ(short_scan[0]->metadata().attributes["missing_lines"], 4);
  EXPECT_EQ(a.counts().scans, 3u);
  EXPECT_EQ(a.counts().incomplete, 2u);
}

// A scan returned in pieces (split at max_lines, a width change, a device cut and then
// continued) is checked against where it stood, not from block 0 again: nothing is reported
// missing that was delivered in an earlier piece.
TEST(ScanAssembler, PiecesOfOneScanContinueWhereTheLastStopped) {
  oi::xray::ScanAssembler split(8);
  split.add(block(1, 0, false));
  ASSERT_EQ(split.add(block(1, 1, false)).size(), 1u);  // 8 lines: the first piece
  auto rest = split.add(block(1, 2, true));
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_FALSE(rest[0]->metadata().incomplete) << rest[0]->metadata().attributes.dump();
  EXPECT_EQ(split.counts().missing_blocks, 0u);

  oi::xray::ScanAssembler widths;
  widths.add(block(1, 0, false, 4, 8));
  auto changed = widths.add(block(1, 1, true, 4, 16));
  ASSERT_EQ(changed.size(), 2u);
  EXPECT_FALSE(changed[1]->metadata().incomplete) << changed[1]->metadata().attributes.dump();
  EXPECT_EQ(widths.counts().missing_blocks, 0u);

  // The device cut the scan after block 1 (fault), then continued it at block 3: block 2 is
  // lost, and only block 2.
  oi::xray::ScanAssembler cut;
  cut.add(with_lines(block(1, 0, false), 0, 20));
  FramePtr held = with_lines(block(1, 1, true), 4, 20);
  held->metadata().incomplete = true;
  held->metadata().attributes["incomplete_reason"] = "device fault";
  auto first_piece = cut.add(held);
  ASSERT_EQ(first_piece.size(), 1u);
  EXPECT_TRUE(first_piece[0]->metadata().incomplete);
  EXPECT_EQ(first_piece[0]->metadata().attributes["missing_blocks"], 0);
  EXPECT_EQ(first_piece[0]->metadata().attributes["missing_lines"], 0);
  cut.add(with_lines(block(1, 3, false), 12, 20));
  auto second_piece = cut.add(with_lines(block(1, 4, true), 16, 20));
  ASSERT_EQ(second_piece.size(), 1u);
  const FrameMetadata& m = second_piece[0]->metadata();
  EXPECT_TRUE(m.incomplete);
  EXPECT_EQ(m.attributes["missing_blocks"], 1) << m.attributes.dump();
  EXPECT_EQ(m.attributes["missing_lines"], 4) << m.attributes.dump();
  EXPECT_EQ(cut.counts().missing_blocks, 1u);
}

// A lost last block leaves no gap in the indices; the scan's stated length still tells.
TEST(ScanAssembler, LostLastBlockIsCountedInLinesWhenTheNextScanBegins) {
  oi::xray::ScanAssembler a;
  a.add(with_lines(block(1, 0, false), 0, 12));
  a.add(with_lines(block(1, 1, false), 4, 12));
  auto done = a.add(with_lines(block(2, 0, false), 0, 12));  // block 2 of scan 1, its last, was lost
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0]->metadata().incomplete);
  EXPECT_EQ(done[0]->metadata().attributes["missing_lines"], 4) << done[0]->metadata().attributes.dump();
}

// A scanner's dark and air references are whole frames that both carry scan id 0: the second
// is a new scan, not a continuation missing a block.
TEST(ScanAssembler, WholeScansSharingAnIdAreEachComplete) {
  oi::xray::ScanAssembler a;
  auto dark = a.add(block(0, 0, true));
  auto air = a.add(block(0, 0, true));
  ASSERT_EQ(dark.size(), 1u);
  ASSERT_EQ(air.size(), 1u);
  EXPECT_FALSE(dark[0]->metadata().incomplete);
  EXPECT_FALSE(air[0]->metadata().incomplete) << air[0]->metadata().attributes.dump();
  EXPECT_EQ(a.counts().incomplete, 0u);
}

TEST(ScanAssembler, ADeviceCutKeepsItsOwnReason) {
  oi::xray::ScanAssembler a;
  a.add(block(1, 0, false));
  FramePtr cut = block(1, 1, true);
  cut->metadata().incomplete = true;
  cut->metadata().attributes["incomplete_reason"] = "the device ended";
  auto done = a.add(cut);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0]->metadata().incomplete);
  EXPECT_EQ(done[0]->metadata().attributes["incomplete_reason"], "the device ended");
  EXPECT_EQ(done[0]->metadata().attributes["missing_blocks"], 0);
}

}  // namespace
}  // namespace oi
