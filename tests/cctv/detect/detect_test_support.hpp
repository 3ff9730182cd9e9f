#pragma once
// The fixture of the CctvDetect tests: the cctv.detect plugin, the stage driven frame by
// frame, and for the GPU tests the Vulkan device with the Khronos validation layer on (any
// validation message fails the test, as tests/gpu/gpu_test_fixture.hpp does). A GPU test
// without a Vulkan device is skipped, saying why.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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

class CctvDetect : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  void TearDown() override;
  /// For GPU tests: skips the test without a Vulkan device, fails it without the validation
  /// layer. Use through REQUIRE_GPU().
  void require_gpu();

 private:
  bool gpu_used_ = false;
};

/// Skips (no device) or stops (no validation layer) the calling test.
#define REQUIRE_GPU()                             \
  do {                                            \
    require_gpu();                                \
    if (IsSkipped() || HasFatalFailure()) return; \
  } while (false)

}  // namespace oi::cctv::testing
