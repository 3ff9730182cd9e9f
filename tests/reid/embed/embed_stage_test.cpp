// The reid.embed stage (plugins/stages/reid/embed/embed_stage.cpp) driven frame by frame: two
// persons embedded the same on both backends and equal to the CPU reference of their crops,
// batches split by max_batch, `auto` falling back to the CPU for a descriptor the kernels do
// not lay out, a box at the image edge, small boxes skipped and counted, tracks, frames
// without persons, bad frames, and the model file: missing, corrupt, and the shipped one found
// next to the plugin. Test names ReidEmbed.*.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <opencv2/imgproc.hpp>

#include "embed_test_support.hpp"
#include "oi/cctv/contract.hpp"
#include "oi/error.hpp"
#include "oi/gpu/runtime.hpp"
#include "oi/plugin_registry.hpp"
#include "stage_under_test.hpp"

namespace oi::reid::testing {
namespace {

using oi::cctv::Box;
using oi::cctv::Detection;
using oi::cctv::Track;

const PluginRegistry& reid_plugin() { return oi::test::plugin_registry(OI_REID_PLUGIN); }

class ReidEmbed : public ReidTest {
 protected:
  static void SetUpTestSuite() {
    ReidTest::SetUpTestSuite();
    folder_ = new std::filesystem::path(scratch_folder("reid-embed"));
    model_ = new ReidModel(random_model({}, 16, 11));
    save_reid_model(*model_, model_file());
  }
  static std::filesystem::path model_file() { return *folder_ / "test.oirm"; }
  static const ReidModel& model() { return *model_; }

  static nlohmann::json params(const std::string& backend, nlohmann::json more = nlohmann::json::object()) {
    nlohmann::json p = {{"backend", backend}, {"model", model_file().string()}};
    p.update(more);
    return p;
  }

  // Runs one frame; fails the test on an error.
  static FramePtr step(oi::test::StageUnderTest& stage, FramePtr frame) {
    FramePtr out;
    const Status s = stage.run(std::move(frame), out);
    EXPECT_TRUE(s.is_ok()) << s.message();
    return out;
  }

 private:
  static std::filesystem::path* folder_;
  static ReidModel* model_;
};
std::filesystem::path* ReidEmbed::folder_ = nullptr;
ReidModel* ReidEmbed::model_ = nullptr;

// A 320x240 scene with two persons of different clothes and their boxes.
cv::Mat two_persons(std::vector<Box>& boxes) {
  cv::Mat image(240, 320, CV_8UC3, cv::Scalar(90, 95, 100));
  const cv::Mat a = person_like({40, 110}, 1), b = person_like({36, 96}, 2);
  a.copyTo(image(cv::Rect(40, 60, 40, 110)));
  b.copyTo(image(cv::Rect(200, 100, 36, 96)));
  boxes = {{40, 60, 40, 110}, {200, 100, 36, 96}};
  return image;
}

FramePtr with_detections(const cv::Mat& image, const std::vector<Box>& boxes) {
  FramePtr frame = make_frame(image);
  std::vector<Detection> list;
  for (const Box& b : boxes) list.push_back({b, 0.9, "person", {}});
  frame->metadata().attributes[oi::cctv::attr::kDetections] = oi::cctv::to_json_list(list);
  return frame;
}

double norm(const std::vector<float>& v) {
  double s = 0.0;
  for (float x : v) s += static_cast<double>(x) * x;
  return std::sqrt(s);
}

TEST_F(ReidEmbed, CpuAndGpuGiveTheCpuReferenceEmbeddings) {
  std::vector<Box> boxes;
  const cv::Mat image = two_persons(boxes);
  std::vector<std::vector<float>> expected;
  for (const Box& b : boxes)
    expected.push_back(cpu_embedding(model(), image(cv::Rect(static_cast<int>(b.x), static_cast<int>(b.y),
                                                             static_cast<int>(b.w), static_cast<int>(b.h)))));
  EXPECT_GT(max_difference(expected[0], expected[1]), 0.05);
  std::vector<std::string> backends = {"cpu"};
  if (oi::gpu::available()) {
    require_gpu();
    if (HasFatalFailure()) return;
    backends.push_back("gpu");
  }
  for (const std::string& backend : backends) {
    SCOPED_TRACE(backend);
    oi::test::StageUnderTest stage(reid_plugin(), "reid.embed", params(backend), "embed");
    FramePtr out = step(stage, with_detections(image, boxes));
    ASSERT_TRUE(out);
    const std::vector<Detection> found = oi::cctv::detections_of(out->metadata());
    ASSERT_EQ(found.size(), 2u);
    for (std::size_t i = 0; i < found.size(); ++i) {
      ASSERT_EQ(found[i].embedding.size(), 16u);
      EXPECT_NEAR(norm(found[i].embedding), 1.0, 1e-5);
      EXPECT_LE(max_difference(found[i].embedding, expected[i]), 1e-4) << "person " << i;
    }
    EXPECT_TRUE(out->metadata().attributes[oi::cctv::attr::kTimings].contains("embed"));
    const nlohmann::json summary = stage.summary();
    EXPECT_EQ(summary["backend"], backend);
    EXPECT_EQ(summary["embedded_detections"], 2);
    EXPECT_EQ(summary["embedding_size"], 16);
    if (backend == "gpu") {
      EXPECT_EQ(summary["gpu_batches"], 1);
    }
  }
}

TEST_F(ReidEmbed, SmallBatchesOnTheGpuGiveTheSameEmbeddings) {
  REQUIRE_GPU();
  std::vector<Box> boxes;
  const cv::Mat image = two_persons(boxes);
  boxes.push_back({100, 20, 50, 150});
  oi::test::StageUnderTest cpu(reid_plugin(), "reid.embed", params("cpu"), "embed");
  oi::test::StageUnderTest gpu(reid_plugin(), "reid.embed", params("gpu", {{"max_batch", 2}}), "embed");
  const std::vector<Detection> a =
      oi::cctv::detections_of(step(cpu, with_detections(image, boxes))->metadata());
  const std::vector<Detection> b =
      oi::cctv::detections_of(step(gpu, with_detections(image, boxes))->metadata());
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_LE(max_difference(a[i].embedding, b[i].embedding), 1e-4);
  EXPECT_EQ(gpu.summary()["gpu_batches"], 2);
}

TEST_F(ReidEmbed, AutoFallsBackToTheCpuForADescriptorTheKernelsDoNotLayOut) {
  REQUIRE_GPU();
  // 16 x 16 windows count up to 256, past the kernels' bytes.
  LomoParams wide;
  wide.window = 16;
  wide.step = 8;
  const std::filesystem::path file = model_file().parent_path() / "wide.oirm";
  save_reid_model(random_model(wide, 4, 5), file);
  std::vector<Box> boxes;
  const cv::Mat image = two_persons(boxes);
  oi::test::StageUnderTest stage(reid_plugin(), "reid.embed", {{"backend", "auto"}, {"model", file.string()}},
                                 "embed");
  EXPECT_EQ(stage.summary()["backend"], "cpu");
  EXPECT_NE(stage.summary()["reason"].get<std::string>().find("255"), std::string::npos) << stage.summary();
  const std::vector<Detection> found =
      oi::cctv::detections_of(step(stage, with_detections(image, boxes))->metadata());
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].embedding.size(), 4u);
  try {
    oi::test::StageUnderTest forced(reid_plugin(), "reid.embed",
                                    {{"backend", "gpu"}, {"model", file.string()}});
    ADD_FAILURE() << "backend gpu started with windows the kernels cannot count";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("backend: cpu"), std::string::npos) << e.what();
  }
}

TEST_F(ReidEmbed, BoxAtTheImageEdgeIsEmbeddedFromItsVisiblePart) {
  std::vector<Box> unused;
  const cv::Mat image = two_persons(unused);
  const Box edge{290, 100, 60, 160};  // 30 columns and 140 rows inside
  oi::test::StageUnderTest stage(reid_plugin(), "reid.embed", params("cpu"), "embed");
  const std::vector<Detection> found =
      oi::cctv::detections_of(step(stage, with_detections(image, {edge}))->metadata());
  ASSERT_EQ(found.size(), 1u);
  EXPECT_LE(max_difference(found[0].embedding, cpu_embedding(model(), image(cv::Rect(290, 100, 30, 140)))),
            1e-6);
  EXPECT_EQ(found[0].box.w, 60);  // the box itself is left as it was
}

TEST_F(ReidEmbed, SmallBoxesAreSkippedAndCounted) {
  std::vector<Box> boxes;
  const cv::Mat image = two_persons(boxes);
  boxes.push_back({10, 10, 20, 30});    // shorter than min_height 40
  boxes.push_back({317, 10, 20, 100});  // 3 columns inside the image
  oi::test::StageUnderTest stage(reid_plugin(), "reid.embed", params("cpu", {{"min_height", 40}}), "embed");
  const std::vector<Detection> found =
      oi::cctv::detections_of(step(stage, with_detections(image, boxes))->metadata());
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].embedding.size(), 16u);
  EXPECT_EQ(found[1].embedding.size(), 16u);
  EXPECT_TRUE(found[2].embedding.empty());
  EXPECT_TRUE(found[3].embedding.empty());
  EXPECT_EQ(stage.summary()["skipped_small"], 2);
  EXPECT_EQ(stage.summary()["cameras"]["cam"]["skipped_small"], 2);
}

TEST_F(ReidEmbed, TracksWithoutAnEmbeddingGetOne) {
  std::vector<Box> boxes;
  const cv::Mat image = two_persons(boxes);
  FramePtr frame = make_frame(image);
  Track averaged{1, boxes[0], 0.9, "confirmed", 5, {0.6f, 0.8f}};  // the tracker's average: kept
  Track bare{2, boxes[1], 0.9, "confirmed", 5, {}};
  frame->metadata().attributes[oi::cctv::attr::kTracks] =
      oi::cctv::to_json_list(std::vector<Track>{averaged, bare});
  for (const char* objects : {"both", "tracks", "detections"}) {
    SCOPED_TRACE(objects);
    oi::test::StageUnderTest stage(reid_plugin(), "reid.embed", params("cpu", {{"objects", objects}}),
                                   "embed");
    const std::vector<Track> tracks = oi::cctv::tracks_of(step(stage, frame)->metadata());
    ASSERT_EQ(tracks.size(), 2u);
    EXPECT_EQ(tracks[0].embedding, averaged.embedding);
    if (std::string(objects) == "detections") {
      EXPECT_TRUE(tracks[1].embedding.empty());
    } else {
      EXPECT_LE(
          max_difference(tracks[1].embedding, cpu_embedding(model(), image(cv::Rect(200, 100, 36, 96)))),
          1e-6);
    }
  }
  EXPECT_TRUE(frame->metadata().attributes[oi::cctv::attr::kTracks][1].find("embedding") ==
              frame->metadata().attributes[oi::cctv::attr::kTracks][1].end())
      << "the input frame is left alone";
}

TEST_F(ReidEmbed, FramesWithoutPersonsPassUnchanged) {
  std::vector<Box> boxes;
  const cv::Mat image = two_persons(boxes);
  oi::test::StageUnderTest stage(reid_plugin(), "reid.embed", params("cpu"), "embed");
  FramePtr none = make_frame(image);
  none->metadata().attributes["note"] = "kept";
  FramePtr empty = with_detections(image, {});
  for (const FramePtr& in : {none, empty}) {
    const nlohmann::json before = in->metadata().attributes;
    FramePtr out = step(stage, in);
    ASSERT_TRUE(out);
    EXPECT_EQ(out.get(), in.get());
    EXPECT_EQ(out->metadata().attributes, before);
  }
  EXPECT_EQ(stage.summary()["frames"], 2);
}

TEST_F(ReidEmbed, FrameWithoutAnImageIsAnError) {
  oi::test::StageUnderTest stage(reid_plugin(), "reid.embed", params("cpu"), "embed");
  FramePtr frame = Frame::create(std::string(oi::cctv::kFrameKind));
  frame->metadata().attributes[oi::cctv::attr::kDetections] =
      oi::cctv::to_json_list(std::vector<Detection>{{{0, 0, 10, 40}, 1.0, "person", {}}});
  FramePtr out;
  const Status s = stage.run(frame, out);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("image"), std::string::npos) << s.message();
}

TEST_F(ReidEmbed, MissingOrCorruptModelIsAConfigErrorNamingTheFile) {
  const std::filesystem::path missing = model_file().parent_path() / "missing.oirm";
  try {
    oi::test::StageUnderTest stage(reid_plugin(), "reid.embed",
                                   {{"backend", "cpu"}, {"model", missing.string()}});
    ADD_FAILURE() << "a missing model started";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  const std::filesystem::path corrupt = model_file().parent_path() / "corrupt.oirm";
  {
    std::ifstream in(model_file(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bytes[bytes.size() - 7] ^= 0x5a;  // one byte of the payload
    std::ofstream(corrupt, std::ios::binary) << bytes;
  }
  try {
    oi::test::StageUnderTest stage(reid_plugin(), "reid.embed",
                                   {{"backend", "cpu"}, {"model", corrupt.string()}});
    ADD_FAILURE() << "a corrupt model started";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(corrupt.string()), std::string::npos) << e.what();
  }
}

TEST_F(ReidEmbed, ShippedModelIsFoundNextToThePluginFolder) {
  // Without `model`: <plugin folder>/../models/reid_lomo_xqda.oirm. Built (by the model's
  // target) the stage starts with it; not built, the error names that path.
  const std::filesystem::path shipped =
      (std::filesystem::path(OI_REID_PLUGIN).parent_path() / "../models/reid_lomo_xqda.oirm")
          .lexically_normal();
  if (std::filesystem::exists(shipped)) {
    oi::test::StageUnderTest stage(reid_plugin(), "reid.embed", {{"backend", "cpu"}});
    EXPECT_NE(stage.summary()["model"].get<std::string>().find("reid_lomo_xqda.oirm"), std::string::npos);
    EXPECT_EQ(stage.summary()["embedding_size"], load_reid_model(shipped).embedding_size());
  } else {
    try {
      oi::test::StageUnderTest stage(reid_plugin(), "reid.embed", {{"backend", "cpu"}});
      ADD_FAILURE() << "started without the shipped model";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(shipped.string()), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace oi::reid::testing
