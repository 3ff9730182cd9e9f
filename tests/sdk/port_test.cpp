#include "oi/port.hpp"

#include <gtest/gtest.h>

#include "oi/stage.hpp"
#include "oi/xray/contract.hpp"

namespace oi {
namespace {

TEST(PortType, KindsAndFormats) {
  const PortType block16 = PortType::of(oi::xray::frame_kind::kScanBlock, {PixelFormat::kU16});
  const PortType video = PortType::of(frame_kind::kVideo, {PixelFormat::kRGB8});
  EXPECT_TRUE(block16.accepts(block16));
  EXPECT_FALSE(block16.accepts(video));
  EXPECT_TRUE(PortType::any().accepts(video));
  EXPECT_TRUE(block16.accepts(PortType::any()));
  EXPECT_TRUE(block16.accepts(PortType::of(oi::xray::frame_kind::kScanBlock)));
  EXPECT_FALSE(block16.accepts(PortType::of(oi::xray::frame_kind::kScanBlock, {PixelFormat::kF32})));
  EXPECT_TRUE(PortType::of(oi::xray::frame_kind::kScan, {PixelFormat::kU16, PixelFormat::kF32})
                  .accepts(PortType::of(oi::xray::frame_kind::kScan, {PixelFormat::kF32})));
  EXPECT_EQ(block16.str(), "xray.scan_block<u16>");
  EXPECT_EQ(PortType::of("xray.scan", {PixelFormat::kU16, PixelFormat::kF32}).str(), "xray.scan<u16|f32>");
  EXPECT_EQ(PortType::any().str(), "any");
}

// A stage that takes scan blocks as they arrive or whole scans (xray.correct) declares both.
TEST(PortType, SeveralKindsAcceptWhatHasAKindInCommon) {
  const PortType either = PortType::of_kinds({oi::xray::frame_kind::kScanBlock, oi::xray::frame_kind::kScan});
  EXPECT_EQ(either.str(), "xray.scan_block|xray.scan");
  EXPECT_TRUE(either.accepts(PortType::of(oi::xray::frame_kind::kScanBlock)));
  EXPECT_TRUE(either.accepts(PortType::of(oi::xray::frame_kind::kScan)));
  EXPECT_FALSE(either.accepts(PortType::of(frame_kind::kVideo)));
  EXPECT_TRUE(PortType::of(oi::xray::frame_kind::kScanBlock).accepts(either));
  EXPECT_TRUE(PortType::of(oi::xray::frame_kind::kScan).accepts(either));
  EXPECT_FALSE(PortType::of(frame_kind::kVideo).accepts(either));
  EXPECT_TRUE(either.accepts(PortType::any()));
  EXPECT_FALSE(PortType::of_kinds({"a", "b"}, {PixelFormat::kU16})
                   .accepts(PortType::of_kinds({"b", "c"}, {PixelFormat::kF32})))
      << "formats still have to meet";
  EXPECT_FALSE(PortType::of_kinds({"xray.scan"}).accepts(PortType::of("xray.scan_b")));
}

TEST(StageSpec, DeclarationsAndLookups) {
  StageSpec spec;
  spec.input("in", PortType::any());
  spec.input("mask").required = false;
  spec.output("out");
  spec.param("gain", ParamType::kFloat).default_value(1.0);
  EXPECT_EQ(spec.input_index("mask"), 1);
  EXPECT_EQ(spec.output_index("out"), 0);
  EXPECT_EQ(spec.input_index("nope"), -1);
  ASSERT_NE(spec.find_param("gain"), nullptr);
  EXPECT_EQ(spec.find_param("nope"), nullptr);
  EXPECT_FALSE(spec.inputs()[1].required);
  EXPECT_THROW(spec.input("in"), Error);
  EXPECT_THROW(spec.param("gain", ParamType::kInt), Error);
}

}  // namespace
}  // namespace oi
