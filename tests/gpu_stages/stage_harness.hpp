#pragma once
// Helpers of the GPU stage tests: the build tree's GPU stage plugins in a registry, a stage
// driven frame by frame without a scheduler, and in-process source and capture stages for
// whole pipelines.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "oi/plugin_registry.hpp"
#include "stage_under_test.hpp"

namespace oi::gpu::testing {

/// A registry holding the GPU stage plugins of the build tree (xray_gpu, gpu_shader) and
/// the in-process types `test.planes` and `test.capture` below. One per process.
PluginRegistry& gpu_stage_registry();

/// What `test.planes` emits: frame `index` (0-based) of `count`. Set before a run.
using FrameMaker = std::function<FramePtr(int index)>;
/// Sets the generator of `test.planes` (driver; params: `count`, default 1).
void set_frame_maker(FrameMaker maker);
/// Frames received by `test.capture` nodes (stage, input `in`), in arrival order.
std::vector<FramePtr> captured_frames();
/// Forgets captured frames.
void clear_captured_frames();

/// One stage from gpu_stage_registry(), set up and started with `params` (defaults filled
/// in), and fed one frame at a time (see oi::test::StageUnderTest).
class StageUnderTest : public oi::test::StageUnderTest {
 public:
  /// @throws whatever start() throws (oi::ConfigError for bad parameters).
  StageUnderTest(const std::string& type, const nlohmann::json& params, const std::string& name = "node")
      : oi::test::StageUnderTest(gpu_stage_registry(), type, params, name) {}
};

/// A frame of kind xray.scan_block with u16 planes `high` and `low` of `width` x `height`
/// from `value(x, y, channel)` (channel 0 high, 1 low), in host memory.
FramePtr make_dual_energy_frame(int width, int height,
                                const std::function<std::uint16_t(int x, int y, int channel)>& value);

}  // namespace oi::gpu::testing
