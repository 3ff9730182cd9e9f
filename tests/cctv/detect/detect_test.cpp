// cctv.detect on synthetic scenes (synthetic_scene.hpp): walking persons found with correct
// boxes once the model has warmed up, shadows suppressed, a person who stops still found
// seconds later, two persons side by side found as two, cameras interleaved on one input
// giving what each gives alone, a changed frame size recovered and counted, bad frames and
// bad parameters as clear errors. These run on the CPU backend; detect_gpu_test.cpp shows
// the GPU backend gives the same masks and detections.

#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "detect_test_support.hpp"
#include "oi/frame_cv.hpp"

namespace oi::cctv::testing {
namespace {

const nlohmann::json kCpu = {{"backend", "cpu"}};

nlohmann::json with(nlohmann::json params, const nlohmann::json& more) {
  params.update(more);
  return params;
}

// True when no other figure's box comes near this one (occlusions are not what these tests
// measure) and it is wholly in the image.
bool isolated(const std::vector<Figure>& figures, std::size_t k, cv::Size size) {
  const Box b = figures[k].box();
  if (b.x < 2 || b.y < 2 || b.x + b.w > size.width - 2 || b.y + b.h > size.height - 2) return false;
  for (std::size_t j = 0; j < figures.size(); ++j) {
    if (j == k) continue;
    Box o = figures[j].box();
    o = {o.x - 8, o.y - 8, o.w + 16, o.h + 16};
    if (iou(b, o) > 0.0) return false;
  }
  return true;
}

// Fraction of the rectangle's pixels set in the frame's foreground plane.
double foreground_fraction(const FramePtr& frame, const cv::Rect& rect) {
  const cv::Mat mask = as_mat(std::as_const(*frame).plane(plane::kForeground));
  return cv::countNonZero(mask(rect)) / static_cast<double>(rect.area());
}

TEST_F(CctvDetect, FindsWalkingPersonsWithCorrectBoxes) {
  const cv::Size size(384, 288);
  const SyntheticScene scene(size, 11);
  DetectStage stage(kCpu);
  MatchCount total;
  int isolated_truths = 0;
  for (int i = 0; i < 260; ++i) {
    const std::vector<Figure> figures = walkers(size, i, 3, 0.4, 20.0);
    const std::vector<Detection> found = stage.detect(make_frame(scene.render(i, figures), "cam", i));
    if (i < 25) {
      EXPECT_TRUE(found.empty()) << "frame " << i << " is a warm-up frame";
      continue;
    }
    if (i < 60) continue;  // the size model learns
    std::vector<Box> truth;
    bool all_isolated = true;
    for (std::size_t k = 0; k < figures.size(); ++k) {
      const Box b = figures[k].box();
      if (b.x + b.w < 0 || b.x > size.width) continue;  // out of view
      if (isolated(figures, k, size)) {
        truth.push_back(b);
      } else {
        all_isolated = false;
      }
    }
    if (!all_isolated) continue;
    const MatchCount m = match(truth, found);
    total.truths += m.truths;
    total.found += m.found;
    total.detections += m.detections;
    total.false_detections += m.false_detections;
    isolated_truths += static_cast<int>(truth.size());
  }
  ASSERT_GT(isolated_truths, 200);
  const double recall = static_cast<double>(total.found) / total.truths;
  const double precision = static_cast<double>(total.found) / std::max(1, total.detections);
  EXPECT_GE(recall, 0.95) << total.found << " of " << total.truths;
  EXPECT_GE(precision, 0.95) << total.false_detections << " false of " << total.detections;
  const nlohmann::json summary = stage.summary();
  EXPECT_EQ(summary["backend"], "cpu");
  EXPECT_EQ(summary["warmup_frames"], 25);
  EXPECT_EQ(summary["frames"], 260);
  EXPECT_TRUE(summary["cameras"]["cam"]["size_model"]["fitted"].get<bool>()) << summary.dump(2);
  // The figures' heights are 0.4 * bottom + 20.
  EXPECT_NEAR(summary["cameras"]["cam"]["size_model"]["slope"].get<double>(), 0.4, 0.12) << summary.dump(2);
}

TEST_F(CctvDetect, ShadowsAreNotForeground) {
  const cv::Size size(320, 240);
  const SyntheticScene scene(size, 12);
  const Shade shade{cv::Rect(100, 120, 120, 60), 0.65};
  for (const bool shadow : {true, false}) {
    SCOPED_TRACE(shadow ? "shadow: true" : "shadow: false");
    DetectStage stage(with(kCpu, {{"shadow", shadow}, {"keep_foreground", true}}));
    double fraction = 0.0;
    for (int i = 0; i < 50; ++i) {
      const std::vector<Shade> shades = i >= 40 ? std::vector<Shade>{shade} : std::vector<Shade>{};
      FramePtr out = stage.step(make_frame(scene.render(i, {}, shades), "cam", i));
      ASSERT_NE(out, nullptr);
      ASSERT_TRUE(out->has_plane(plane::kForeground));
      if (i >= 41) fraction = std::max(fraction, foreground_fraction(out, shade.rect));
      if (shadow && i >= 40) {
        EXPECT_TRUE(detections_of(out->metadata()).empty()) << "frame " << i;
      }
    }
    if (shadow) {
      EXPECT_LT(fraction, 0.03) << "a darkened patch of unchanged chroma is shadow, not foreground";
    } else {
      EXPECT_GT(fraction, 0.8) << "without shadow suppression the darkened patch is foreground";
    }
  }
}

TEST_F(CctvDetect, PersonWhoStopsStaysDetectedForSeconds) {
  const cv::Size size(320, 240);
  const SyntheticScene scene(size, 13);
  DetectStage stage(kCpu);
  Figure f;
  f.bottom = 200;
  f.height = 110;
  int stop = 70, detected_after_stop = 0;
  for (int i = 0; i < stop + 125; ++i) {
    f.centre_x = 30 + 2.0 * std::min(i, stop);  // walks in, stops at frame 70
    const std::vector<Detection> found = stage.detect(make_frame(scene.render(i, {f}), "cam", i));
    if (i > stop) {
      const MatchCount m = match({f.box()}, found);
      detected_after_stop += m.found;
      if (i <= stop + 100) {
        EXPECT_EQ(m.found, 1) << (i - stop) << " frames after stopping";
      }
    }
  }
  // 100 frames is 4 s at 25 frames/s: the default learning rates keep a still person longer.
  EXPECT_GE(detected_after_stop, 100);
}

// A person who stops as soon as the warm-up ends, while the young model still learns fast
// (a running mean): foreground pixels in person boxes learn at the settled rate times
// person_learning_factor from the first detection on, so the person stays detected as long as
// one who stops later (learning at the running mean's rate, they faded within about 60 frames).
TEST_F(CctvDetect, PersonWhoStopsRightAfterWarmUpStaysDetected) {
  const cv::Size size(320, 240);
  const SyntheticScene scene(size, 17);
  DetectStage stage(kCpu);
  Figure f;
  f.bottom = 200;
  f.height = 110;
  const int stop = 30;
  int detected_after_stop = 0, frames_after_stop = 0;
  for (int i = 0; i < stop + 150; ++i) {
    // Out of view while the model warms up (else it is learnt), then walks in and stops 5
    // frames after the warm-up.
    f.centre_x = i < 24 ? -100.0 : 10.0 + 12.0 * (std::min(i, stop) - 24);
    const std::vector<Detection> found = stage.detect(make_frame(scene.render(i, {f}), "cam", i));
    if (i <= stop) continue;
    ++frames_after_stop;
    detected_after_stop += match({f.box()}, found).found;
  }
  EXPECT_GE(detected_after_stop, frames_after_stop - 5)
      << "a person who stopped at frame " << stop << " was found in " << detected_after_stop << " of the "
      << frames_after_stop << " frames after";
}

TEST_F(CctvDetect, TwoPersonsSideBySideAreTwoDetections) {
  const cv::Size size(384, 288);
  const SyntheticScene scene(size, 14);
  for (const double gap : {0.0, 4.0}) {
    SCOPED_TRACE("gap " + std::to_string(gap) + " px");
    for (const bool hog : {true, false}) {
      SCOPED_TRACE(hog ? "hog: true" : "hog: false");
      DetectStage stage(with(kCpu, {{"hog", hog}}));
      Figure a, b;
      a.bottom = b.bottom = 250;
      a.height = b.height = 130;
      b.coat = {150, 30, 30};
      std::vector<Detection> found;
      int two = 0, frames = 0;
      for (int i = 0; i < 70; ++i) {
        // Walking together, shoulder to shoulder.
        a.centre_x = 60 + 2.0 * i;
        b.centre_x = a.centre_x + a.aspect * a.height + gap;
        // They come in after the warm-up: what is in view while the model warms up is learnt.
        const std::vector<Figure> figures = i >= 30 ? std::vector<Figure>{a, b} : std::vector<Figure>{};
        found = stage.detect(make_frame(scene.render(i, figures), "cam", i));
        if (i < 32) continue;
        ++frames;
        const MatchCount m = match({a.box(), b.box()}, found);
        if (m.found == 2 && m.false_detections == 0) ++two;
      }
      EXPECT_GE(two, frames - 2) << "two persons side by side were two detections in " << two << " of "
                                 << frames << " frames";
    }
  }
}

TEST_F(CctvDetect, CamerasKeepTheirOwnState) {
  const cv::Size size(320, 240);
  const SyntheticScene scene_a(size, 21), scene_b(size, 22);
  DetectStage both(kCpu), only_a(kCpu), only_b(kCpu);
  for (int i = 0; i < 80; ++i) {
    const cv::Mat a = scene_a.render(i, walkers(size, i, 2, 0.4, 15.0));
    const cv::Mat b = scene_b.render(i, walkers(size, i + 37, 1, 0.3, 30.0));
    // Interleaved on one stage, as two cameras on one multi-source input.
    FramePtr both_a = both.step(make_frame(a, "camera_a", i));
    FramePtr both_b = both.step(make_frame(b, "camera_b", i));
    FramePtr alone_a = only_a.step(make_frame(a, "camera_a", i));
    FramePtr alone_b = only_b.step(make_frame(b, "camera_b", i));
    ASSERT_TRUE(both_a && both_b && alone_a && alone_b);
    EXPECT_EQ(both_a->metadata().attributes[attr::kDetections],
              alone_a->metadata().attributes[attr::kDetections])
        << "frame " << i;
    EXPECT_EQ(both_b->metadata().attributes[attr::kDetections],
              alone_b->metadata().attributes[attr::kDetections])
        << "frame " << i;
  }
  const nlohmann::json s = both.summary();
  EXPECT_EQ(s["cameras"]["camera_a"]["frames"], 80);
  EXPECT_EQ(s["cameras"]["camera_b"]["frames"], 80);
  EXPECT_EQ(s["cameras"]["camera_a"]["warmup_frames"], 25);
  EXPECT_GT(s["cameras"]["camera_a"]["detections"].get<int>(), 0);
}

TEST_F(CctvDetect, ChangedFrameSizeIsCountedAndRecovered) {
  const SyntheticScene large({320, 240}, 31), small({256, 192}, 32);
  DetectStage stage(kCpu);
  for (int i = 0; i < 30; ++i)
    stage.step(make_frame(large.render(i, walkers({320, 240}, i, 1, 0.4, 20.0)), "cam", i));
  int found = 0;
  for (int i = 30; i < 90; ++i) {
    Figure f;
    f.bottom = 170;
    f.height = 100;
    f.centre_x = 20 + 2.5 * (i - 30);
    const std::vector<Detection> d = stage.detect(make_frame(small.render(i, {f}), "cam", i));
    if (i < 30 + 25) {
      EXPECT_TRUE(d.empty()) << "the new size warms a new model up, frame " << i;
    } else {
      found += match({f.box()}, d).found;
    }
  }
  EXPECT_GE(found, 30);
  const nlohmann::json s = stage.summary();
  EXPECT_EQ(s["size_changes"], 1);
  EXPECT_EQ(s["cameras"]["cam"]["size_changes"], 1);
  EXPECT_EQ(s["warmup_frames"], 50);
}

TEST_F(CctvDetect, BadFramesAreClearErrors) {
  DetectStage stage(kCpu, "people");
  FramePtr out;
  FramePtr no_image = Frame::create(std::string(kFrameKind));
  no_image->add_plane("gray", PixelFormat::kU8, 64, 48);
  no_image->metadata().source_device = "cam1";
  Status s = stage.run(no_image, out);
  ASSERT_TRUE(s.is_error());
  EXPECT_NE(s.message().find("no plane 'image'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("'gray'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("cam1"), std::string::npos) << s.message();

  FramePtr wrong_format = Frame::create(std::string(kFrameKind));
  wrong_format->add_plane(plane::kImage, PixelFormat::kU16, 64, 48);
  s = stage.run(wrong_format, out);
  ASSERT_TRUE(s.is_error());
  EXPECT_NE(s.message().find("u16"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("rgb8"), std::string::npos) << s.message();

  FramePtr tiny = Frame::create(std::string(kFrameKind));
  tiny->add_plane(plane::kImage, PixelFormat::kRGB8, 6, 6);
  s = stage.run(tiny, out);
  ASSERT_TRUE(s.is_error());
  EXPECT_NE(s.message().find("too small"), std::string::npos) << s.message();
}

TEST_F(CctvDetect, ParameterErrorsSayWhatToDo) {
  const auto problems = [](const nlohmann::json& params) {
    std::unique_ptr<Stage> stage = detect_plugin().create("cctv.detect");
    StageSpec spec;
    stage->setup(spec);
    ParamSet set;
    for (const ParamSpec& p : spec.params())
      if (p.default_value()) set.set(p.name(), *p.default_value());
    for (const auto& [key, value] : params.items()) set.set(key, value);
    return stage->validate(StageConfig{"detect", "cctv.detect", "", set, {}, {}});
  };
  EXPECT_TRUE(problems({}).empty());
  EXPECT_TRUE(problems({{"scale", 0.25}}).empty());
  EXPECT_TRUE(problems({{"scale", 1.0 / 3.0}}).empty());
  auto p = problems({{"scale", 0.4}});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("`scale` 0.4"), std::string::npos) << p[0];
  EXPECT_NE(p[0].find("0.5"), std::string::npos) << p[0];
  p = problems({{"close_size", 4}});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("`close_size` 4 must be odd"), std::string::npos) << p[0];
  p = problems({{"model", "/nonexistent/people.onnx"}});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("/nonexistent/people.onnx"), std::string::npos) << p[0];
  // Out-of-range values are refused by the declarations (what the pipeline loader checks).
  StageSpec spec;
  detect_plugin().create("cctv.detect")->setup(spec);
  ASSERT_NE(spec.find_param("mixtures"), nullptr);
  EXPECT_TRUE(spec.find_param("mixtures")->check(9).has_value());
  EXPECT_FALSE(spec.find_param("mixtures")->check(5).has_value());
  EXPECT_TRUE(spec.find_param("backend")->check("vulkan").has_value());
  EXPECT_TRUE(spec.inputs().at(0).multi_source) << "several cameras feed one cctv.detect";
  // start() refuses what validate() refuses.
  EXPECT_THROW(DetectStage(with(kCpu, {{"scale", 0.4}})), ConfigError);
}

// `model`: the ONNX detector (plugins/stages/cctv_detect/onnx) replaces the background model:
// detections from the first frame (no warm-up), the tiny test model's four persons
// (make_tiny_detector.py: boxes known by construction, in a 640 x 480 picture); a corrupt
// model fails at start naming the file.
TEST_F(CctvDetect, OnnxModelReplacesTheBackgroundModel) {
#ifdef OI_CCTV_ONNX_MODELS
  const std::string dir = OI_CCTV_ONNX_MODELS;
  DetectStage stage(nlohmann::json{{"model", dir + "/yolov8_tiny.onnx"}, {"model_input_size", 320}});
  const cv::Mat rgb(480, 640, CV_8UC3, cv::Scalar(90, 100, 110));
  const std::vector<Detection> found = stage.detect(make_frame(rgb, "cam", 0));
  ASSERT_EQ(found.size(), 4u);
  EXPECT_NEAR(found[0].box.x, 160, 1.0);
  EXPECT_NEAR(found[0].box.h, 240, 1.0);
  for (const Detection& d : found) EXPECT_GE(d.score, 0.4);
  const nlohmann::json summary = stage.summary();
  EXPECT_EQ(summary["detector"], "onnx");
  EXPECT_EQ(summary["warmup_frames"], 0);
  try {
    DetectStage broken(nlohmann::json{{"model", dir + "/truncated.onnx"}, {"model_input_size", 320}});
    FAIL() << "a truncated model must fail at start";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated.onnx"), std::string::npos) << e.what();
  }
#else
  GTEST_SKIP() << "this build has no ONNX detector or no generated test models (python3-onnx)";
#endif
}

}  // namespace
}  // namespace oi::cctv::testing
