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

}  // namespace oi::cctv::testing
