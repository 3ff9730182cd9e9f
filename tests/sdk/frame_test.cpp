#include "oi/frame.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <opencv2/core.hpp>

#include "oi/error.hpp"
#include "oi/frame_cv.hpp"
#include "oi/xray/contract.hpp"

namespace oi {
namespace {

TEST(Frame, AllocatesAlignedZeroedPlanes) {
  auto frame = Frame::create(std::string(oi::xray::frame_kind::kScanBlock));
  Plane& p = frame->add_plane("high", PixelFormat::kU16, 33, 7);
  EXPECT_EQ(p.width, 33);
  EXPECT_EQ(p.height, 7);
  EXPECT_EQ(p.stride, 66u);
  EXPECT_EQ(p.memory->size_bytes(), 66u * 7);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p.memory->host_data()) % 64, 0u);
  for (int y = 0; y < p.height; ++y) {
    for (int x = 0; x < p.width; ++x) EXPECT_EQ(p.row<std::uint16_t>(y)[x], 0);
  }
  EXPECT_EQ(p.memory->location(), MemoryLocation::kHost);
}

// Scan-sized planes (megabytes, which the allocator serves differently from small ones) are
// aligned and zeroed too, also when the memory of a freed one is reused for the next.
TEST(Frame, LargePlanesAreAlignedAndZeroedAlsoWhenTheirMemoryIsReused) {
  for (int round = 0; round < 3; ++round) {
    auto frame = Frame::create();
    Plane& p = frame->add_plane("high", PixelFormat::kF32, 1021 + round, 700);
    ASSERT_GE(p.memory->size_bytes(), std::size_t{1} << 20);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p.memory->host_data()) % 64, 0u);
    for (int y = 0; y < p.height; y += 7) {
      for (int x = 0; x < p.width; ++x) ASSERT_EQ(p.row<float>(y)[x], 0.0f) << round;
    }
    for (int y = 0; y < p.height; ++y) std::fill_n(p.row<float>(y), p.width, 1.5f);
    EXPECT_EQ(p.row<float>(p.height - 1)[p.width - 1], 1.5f);
  }
}

TEST(Frame, PlanesKeepInsertionOrderAndReplace) {
  auto frame = Frame::create();
  frame->add_plane("high", PixelFormat::kU16, 4, 4);
  frame->add_plane("low", PixelFormat::kU16, 4, 4);
  frame->add_plane("high", PixelFormat::kF32, 2, 2);
  EXPECT_EQ(frame->plane_names(), (std::vector<std::string>{"high", "low"}));
  EXPECT_EQ(frame->plane("high").format, PixelFormat::kF32);
  EXPECT_TRUE(frame->remove_plane("low"));
  EXPECT_FALSE(frame->remove_plane("low"));
  EXPECT_FALSE(frame->has_plane("low"));
}

TEST(Frame, MissingPlaneNamesWhatExists) {
  auto frame = Frame::create("xray.scan");
  frame->add_plane("high", PixelFormat::kU16, 1, 1);
  try {
    frame->plane("zeff");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no plane 'zeff'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("high"), std::string::npos) << e.what();
  }
}

TEST(Frame, CloneSharesPlanesAndCopiesMetadata) {
  auto frame = Frame::create();
  frame->add_plane("rgb", PixelFormat::kRGB8, 2, 2).row<std::uint8_t>(0)[0] = 7;
  frame->metadata().scan_id = 42;
  frame->metadata().attributes["truth"] = {{"class", "firearm"}, {"box", {1, 2, 3, 4}}};
  auto copy = frame->clone();
  copy->metadata().scan_id = 43;
  EXPECT_EQ(frame->metadata().scan_id, 42u);
  EXPECT_EQ(copy->metadata().attributes["truth"]["box"][2], 3);
  EXPECT_EQ(copy->plane("rgb").memory, frame->plane("rgb").memory);
  EXPECT_EQ(copy->plane("rgb").row<std::uint8_t>(0)[0], 7);
}

TEST(Frame, NegativeSizeIsAClearError) { EXPECT_THROW(Plane::allocate(PixelFormat::kU8, -1, 3), Error); }

TEST(FrameCv, MatIsAZeroCopyView) {
  auto frame = Frame::create();
  Plane& p = frame->add_plane("high", PixelFormat::kU16, 5, 3);
  cv::Mat m = as_mat(p);
  ASSERT_EQ(m.type(), CV_16UC1);
  EXPECT_EQ(m.cols, 5);
  EXPECT_EQ(m.rows, 3);
  EXPECT_EQ(static_cast<void*>(m.data), static_cast<void*>(p.memory->host_data()));
  m.at<std::uint16_t>(2, 4) = 1234;
  EXPECT_EQ(p.row<std::uint16_t>(2)[4], 1234);
}

TEST(FrameCv, CvTypesOfEveryFormat) {
  EXPECT_EQ(cv_type(PixelFormat::kU8), CV_8UC1);
  EXPECT_EQ(cv_type(PixelFormat::kU16), CV_16UC1);
  EXPECT_EQ(cv_type(PixelFormat::kF32), CV_32FC1);
  EXPECT_EQ(cv_type(PixelFormat::kRGB8), CV_8UC3);
  Plane rgb = Plane::allocate(PixelFormat::kRGB8, 4, 2);
  EXPECT_EQ(as_mat(rgb).step[0], rgb.stride);
}

TEST(PixelFormat, NamesRoundTrip) {
  for (PixelFormat f : {PixelFormat::kU8, PixelFormat::kU16, PixelFormat::kF32, PixelFormat::kRGB8}) {
    EXPECT_EQ(parse_pixel_format(to_string(f)), f);
  }
  EXPECT_FALSE(parse_pixel_format("u12").has_value());
  EXPECT_EQ(bytes_per_pixel(PixelFormat::kRGB8), 3u);
  EXPECT_EQ(channel_count(PixelFormat::kRGB8), 3);
}

}  // namespace
}  // namespace oi
