#pragma once
// The fixture of the CctvDetect tests: the cctv.detect plugin, the stage driven frame by
// frame, and for the GPU tests the Vulkan device with the Khronos validation layer on (any
// validation message fails the test, as tests/gpu/gpu_test_fixture.hpp does). A GPU test
// without a Vulkan device is skipped, saying why.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gpu_test_fixture.hpp"
#include "oi/cctv/contract.hpp"
#include "oi/plugin_registry.hpp"
#include "stage_under_test.hpp"
#include "synthetic_scene.hpp"

namespace oi::cctv::testing {

/// The registry holding the plugin of the build tree.
const PluginRegistry& detect_plugin();

/// cctv.detect, started with `params`.
class DetectStage : public oi::test::StageUnderTest {
 public:
  explicit DetectStage(const nlohmann::json& params, const std::string& name = "detect")
      : oi::test::StageUnderTest(detect_plugin(), "cctv.detect", params, name) {}
  /// Runs one frame; fails the test on an error; returns the output (nullptr on error).
  FramePtr step(FramePtr frame);
  /// step() and the frame's detections.
  std::vector<Detection> detect(FramePtr frame);
};

/// Greedy one-to-one matches at IoU >= `min_iou`: how many truth boxes were found, and how
/// many detections matched nothing.
struct MatchCount {
  int truths = 0, found = 0, detections = 0, false_detections = 0;
};
MatchCount match(const std::vector<Box>& truth, const std::vector<Detection>& detections,
                 double min_iou = 0.5);

/// Tests of which some use the GPU (through REQUIRE_GPU()): gpu_test_fixture.hpp.
class CctvDetect : public oi::gpu::testing::OptionalGpuTest {};

}  // namespace oi::cctv::testing
