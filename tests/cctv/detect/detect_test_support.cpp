#include "detect_test_support.hpp"

#include <cstdlib>

#include "gpu_test_fixture.hpp"
#include "oi/gpu/runtime.hpp"

namespace oi::cctv::testing {

const PluginRegistry& detect_plugin() { return oi::test::plugin_registry(OI_CCTV_DETECT_PLUGIN); }

FramePtr DetectStage::step(FramePtr frame) {
  FramePtr out;
  const Status s = run(std::move(frame), out);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return s.is_ok() ? out : nullptr;
}

std::vector<Detection> DetectStage::detect(FramePtr frame) {
  FramePtr out = step(std::move(frame));
  if (!out) return {};
  EXPECT_TRUE(out->metadata().attributes.contains(attr::kDetections));
  return detections_of(out->metadata());
}

MatchCount match(const std::vector<Box>& truth, const std::vector<Detection>& detections, double min_iou) {
  MatchCount m;
  m.truths = static_cast<int>(truth.size());
  m.detections = static_cast<int>(detections.size());
  std::vector<bool> used(detections.size(), false);
  for (const Box& t : truth) {
    int best = -1;
    double best_iou = min_iou;
    for (std::size_t d = 0; d < detections.size(); ++d) {
      const double overlap = iou(t, detections[d].box);
      if (!used[d] && overlap >= best_iou) {
        best_iou = overlap;
        best = static_cast<int>(d);
      }
    }
    if (best >= 0) {
      used[static_cast<std::size_t>(best)] = true;
      ++m.found;
    }
  }
  m.false_detections = m.detections - m.found;
  return m;
}

void CctvDetect::SetUpTestSuite() {
  // As GpuTest does: a per-process cache, and the validation layer unless told otherwise.
  ::setenv("OI_CACHE_DIR", oi::gpu::testing::test_cache_dir().c_str(), 1);
  ::setenv("OI_VK_VALIDATION", "1", 0);
}

void CctvDetect::require_gpu() {
  if (!oi::gpu::available())
    GTEST_SKIP() << "no Vulkan device (mesa-vulkan-drivers gives lavapipe): "
                 << oi::gpu::unavailable_reason();
  ASSERT_TRUE(oi::gpu::validation_enabled())
      << "GPU tests run with the Khronos validation layer (OI_VK_VALIDATION=1): "
      << (oi::gpu::validation_problem().empty() ? "OI_VK_VALIDATION is not 1 in this environment"
                                                : oi::gpu::validation_problem());
  gpu_used_ = true;
  oi::gpu::clear_validation_messages();
}

void CctvDetect::TearDown() {
  if (!gpu_used_) return;
  for (const oi::gpu::ValidationMessage& m : oi::gpu::validation_messages())
    ADD_FAILURE() << "validation " << (m.error ? "error" : "warning") << " " << m.id_name << ": " << m.text;
  oi::gpu::clear_validation_messages();
}

}  // namespace oi::cctv::testing
