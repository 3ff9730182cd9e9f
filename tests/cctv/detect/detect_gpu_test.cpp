// cctv.detect's Vulkan kernels (ForegroundGpu: shaders/cctv/background_model.comp and
// foreground_clean.comp) against their CPU reference (BackgroundModel, clean_foreground()),
// with the Khronos validation layer on: raw masks, cleaned masks and the whole model state
// over sequences of frames, for several sizes, scales and settings; then the stage on both
// backends gives the same detections.
//
// Tolerance: none. Both sides do the same float operations in the same order, without fused
// multiply-adds (`precise` in the shaders, -ffp-contract=off on the CPU), divide through the
// same Newton reciprocal instead of a division (which Vulkan lets a device round within 2.5
// ULP), and flush means that could become subnormal (lavapipe flushes subnormals to zero):
// additions, subtractions, multiplications and comparisons are exact in Vulkan, so masks and
// state must be equal bit for bit. A device that broke this would show here as the number of
// differing pixels per frame.

#include <gtest/gtest.h>

#include <cstring>
#include <opencv2/core.hpp>

#include "background_model.hpp"
#include "detect_test_support.hpp"
#include "foreground_gpu.hpp"
#include "oi/frame_cv.hpp"
#include "oi/gpu/command_recorder.hpp"
#include "oi/gpu/kernel.hpp"
#include "oi/gpu/plane_memory.hpp"
#include "oi/gpu/stage_backend.hpp"

namespace oi::cctv::testing {
namespace {

struct Case {
  const char* name;
  cv::Size size;
  ForegroundParams params;
  int frames;
};

std::vector<Case> cases() {
  std::vector<Case> list;
  ForegroundParams defaults;
  list.push_back({"defaults, 320x240", {320, 240}, defaults, 70});
  ForegroundParams five = defaults;
  five.factor = 3;
  five.mixtures = 5;
  five.shadow = false;
  five.open_size = 3;
  five.close_size = 7;
  five.learning_rate = 0.02f;
  list.push_back({"5 mixtures, 1/3, no shadows, open 3 close 7, 334x257", {334, 257}, five, 50});
  ForegroundParams one = defaults;
  one.factor = 1;
  one.mixtures = 1;
  one.median = false;
  one.close_size = 0;
  one.warmup_frames = 5;
  one.person_learning_factor = 0.0f;
  list.push_back({"1 mixture, full scale, no clean-up, 97x61", {97, 61}, one, 40});
  return list;
}

// A scene with walkers, a shadow that comes and goes and a flash of global light change (the
// pixels far from every component: new components, replacements).
cv::Mat frame_of(const SyntheticScene& scene, int i) {
  const cv::Size size = scene.size();
  std::vector<Shade> shades;
  if (i >= 30 && i < 45)
    shades.push_back({cv::Rect(size.width / 4, size.height / 2, size.width / 3, size.height / 5), 0.6});
  if (i == 50) shades.push_back({cv::Rect(0, 0, size.width, size.height), 0.3});
  return scene.render(i, walkers(size, i, 3, 0.35, size.height * 0.1), shades);
}

int differing(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return -1;
  return cv::countNonZero(a != b);
}

TEST_F(CctvDetect, GpuMasksAndModelEqualTheCpuReference) {
  REQUIRE_GPU();
  gpu::StageBackend backend;
  ASSERT_TRUE(backend.start(StageConfig{"detect", "cctv.detect", "", {}, {}, {}}));
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const SyntheticScene scene(c.size, 41);
    ForegroundGpu gpu(backend, c.params);
    GpuSourceModel gpu_model;
    gpu.allocate(gpu_model, c.size);
    BackgroundModel cpu_model(c.params, processing_size(c.size, c.params.factor));
    int foreground_frames = 0, shadow_frames = 0;
    for (int i = 0; i < c.frames; ++i) {
      SCOPED_TRACE("frame " + std::to_string(i));
      const cv::Mat rgb = frame_of(scene, i);
      const LearningStep step = learning_step(c.params, i);
      // The walkers' boxes as the last frame's detections, in every other frame.
      cv::Mat persons;
      if (i % 2 == 0) {
        std::vector<cv::Rect2d> boxes;
        for (const Figure& f : walkers(c.size, i, 3, 0.35, c.size.height * 0.1))
          boxes.emplace_back(f.box().x, f.box().y, f.box().w, f.box().h);
        person_mask(boxes, c.params.factor, processing_size(c.size, c.params.factor), persons);
      }
      cv::Mat rgba, cpu_raw, cpu_clean, gpu_raw, gpu_clean;
      prepare_image(rgb, c.params.factor, rgba);
      cpu_model.apply(rgba, step, persons, cpu_raw);
      clean_foreground(cpu_raw, c.params, cpu_clean);
      const Status s = gpu.segment(rgba, step, persons, gpu_model, gpu_clean, &gpu_raw);
      ASSERT_TRUE(s.is_ok()) << s.message();
      ASSERT_EQ(differing(gpu_raw, cpu_raw), 0) << "raw mask pixels differ";
      ASSERT_EQ(differing(gpu_clean, cpu_clean), 0) << "cleaned mask pixels differ";
      const std::vector<std::uint32_t> g = gpu_model.state_on_host();
      const std::vector<std::uint32_t>& r = cpu_model.state();
      ASSERT_EQ(g.size(), r.size());
      std::size_t state_differs = 0;
      for (std::size_t k = 0; k < g.size(); ++k) state_differs += g[k] != r[k];
      ASSERT_EQ(state_differs, 0u) << "model words differ (of " << g.size() << ")";
      foreground_frames += cv::countNonZero(cpu_clean) > 0;
      shadow_frames += cv::countNonZero(cpu_raw == mask_value::kShadow) > 0;
    }
    EXPECT_GT(foreground_frames, c.frames / 2) << "the sequence must exercise the foreground";
    if (c.params.shadow) {
      EXPECT_GT(shadow_frames, 5) << "the sequence must exercise the shadow test";
    }
  }
  backend.stop();
}

// The discrete-GPU path on any device: the model's planes staged (the image and the person
// boxes uploaded by the recorder, the masks downloaded), two models on one kernel set.
TEST_F(CctvDetect, GpuModelsPerSourceAndStagedInput) {
  REQUIRE_GPU();
  gpu::StageBackend backend;
  ASSERT_TRUE(backend.start(StageConfig{"detect", "cctv.detect", "", {}, {}, {}}));
  const ForegroundParams params;
  ForegroundGpu gpu(backend, params);
  const SyntheticScene a({256, 192}, 51), b({200, 150}, 52);
  GpuSourceModel model_a, model_b;
  gpu.allocate(model_a, a.size(), gpu::Residency::kStaged);
  gpu.allocate(model_b, b.size(), gpu::Residency::kStaged);
  BackgroundModel cpu_a(params, processing_size(a.size(), 2)), cpu_b(params, processing_size(b.size(), 2));
  for (int i = 0; i < 40; ++i) {
    for (auto [scene, model, cpu] : {std::tuple{&a, &model_a, &cpu_a}, std::tuple{&b, &model_b, &cpu_b}}) {
      const cv::Mat rgb = frame_of(*scene, i);
      cv::Mat rgba, gpu_clean, cpu_raw, cpu_clean;
      prepare_image(rgb, params.factor, rgba);
      // The walker boxes as person boxes in odd frames.
      cv::Mat persons;
      if (i % 2) {
        std::vector<cv::Rect2d> boxes;
        for (const Figure& f : walkers(scene->size(), i, 3, 0.35, scene->size().height * 0.1))
          boxes.emplace_back(f.box().x, f.box().y, f.box().w, f.box().h);
        person_mask(boxes, params.factor, processing_size(scene->size(), params.factor), persons);
      }
      const Status s = gpu.segment(rgba, learning_step(params, i), persons, *model, gpu_clean);
      ASSERT_TRUE(s.is_ok()) << s.message();
      cpu->apply(rgba, learning_step(params, i), persons, cpu_raw);
      clean_foreground(cpu_raw, params, cpu_clean);
      ASSERT_EQ(differing(gpu_clean, cpu_clean), 0) << "frame " << i;
    }
  }
  // A frame of another size is refused by a model of the old size, naming both.
  cv::Mat wrong(50, 40, CV_8UC4, cv::Scalar::all(0));
  cv::Mat clean;
  const Status s = gpu.segment(wrong, learning_step(params, 0), {}, model_a, clean);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("40x50"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("128x96"), std::string::npos) << s.message();
  model_a = {};
  model_b = {};
  backend.stop();
}

TEST_F(CctvDetect, StageGivesTheSameDetectionsOnBothBackends) {
  REQUIRE_GPU();
  const cv::Size size(384, 288);
  const SyntheticScene scene_a(size, 61), scene_b(size, 62);
  DetectStage gpu_stage({{"backend", "gpu"}, {"keep_foreground", true}}, "detect_gpu");
  DetectStage cpu_stage({{"backend", "cpu"}, {"keep_foreground", true}}, "detect_cpu");
  int detections = 0;
  for (int i = 0; i < 120; ++i) {
    for (auto [scene, camera] : {std::pair{&scene_a, "a"}, std::pair{&scene_b, "b"}}) {
      const cv::Mat rgb = scene->render(i, walkers(size, i + (camera[0] == 'b' ? 50 : 0), 3, 0.4, 20.0));
      FramePtr g = gpu_stage.step(make_frame(rgb, camera, i));
      FramePtr c = cpu_stage.step(make_frame(rgb, camera, i));
      ASSERT_TRUE(g && c);
      EXPECT_EQ(g->metadata().attributes[attr::kDetections], c->metadata().attributes[attr::kDetections])
          << "camera " << camera << ", frame " << i;
      EXPECT_EQ(differing(as_mat(std::as_const(*g).plane(plane::kForeground)),
                          as_mat(std::as_const(*c).plane(plane::kForeground))),
                0)
          << "camera " << camera << ", frame " << i;
      EXPECT_TRUE(g->metadata().attributes[attr::kTimings].contains("detect_gpu"));
      detections += static_cast<int>(c->metadata().attributes[attr::kDetections].size());
    }
  }
  EXPECT_GT(detections, 300) << "the sequence must exercise the detector";
  EXPECT_EQ(gpu_stage.summary()["backend"], "gpu");
  EXPECT_FALSE(gpu_stage.summary()["device"].is_null());
  EXPECT_EQ(cpu_stage.summary()["backend"], "cpu");
  EXPECT_EQ(gpu_stage.summary()["blobs"], cpu_stage.summary()["blobs"]);
}

}  // namespace
}  // namespace oi::cctv::testing
