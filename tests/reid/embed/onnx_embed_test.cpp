// reid.embed's optional ONNX re-ID network (plugins/stages/reid/embed/onnx_embedder.hpp) on
// the tiny network make_tiny_embedder.py writes at build time: for uniform crops its
// embedding is worked out by hand (the network averages each normalised channel, then a known
// 4 x 3 matrix and bias); the stage with `model:` an .onnx file; broken files. Test names
// ReidEmbedOnnx.*.
//
// Tolerance 5e-4: OpenCV's GlobalAveragePool sums the 32,768 values of a channel in float
// (measured: at most 1.4e-4 from the value worked out in double).
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>

#include "embed_test_support.hpp"
#include "oi/cctv/contract.hpp"
#include "oi/error.hpp"
#include "onnx_embedder.hpp"
#include "stage_under_test.hpp"

namespace oi::reid::testing {
namespace {

const std::filesystem::path kModels = OI_REID_ONNX_MODELS;
constexpr double kTolerance = 5e-4;

// make_tiny_embedder.py's WEIGHTS and BIAS.
constexpr double kWeights[4][3] = {{1.0, 0.0, 0.0}, {0.0, 2.0, 0.0}, {0.5, 0.5, -1.0}, {0.0, 0.0, 0.25}};
constexpr double kBias[4] = {0.1, -0.2, 0.3, 1.0};

// The embedding of a uniform crop of colour (r, g, b), by hand.
std::vector<float> expected(double r, double g, double b) {
  const double mean[3] = {0.485, 0.456, 0.406}, deviation[3] = {0.229, 0.224, 0.225};
  const double v[3] = {r, g, b};
  double x[3], y[4], sum = 0.0;
  for (int c = 0; c < 3; ++c) x[c] = (v[c] / 255.0 - mean[c]) / deviation[c];
  for (int k = 0; k < 4; ++k) {
    y[k] = kBias[k];
    for (int c = 0; c < 3; ++c) y[k] += kWeights[k][c] * x[c];
    sum += y[k] * y[k];
  }
  std::vector<float> out;
  for (double value : y) out.push_back(static_cast<float>(value / std::sqrt(sum)));
  return out;
}

class ReidEmbedOnnx : public ReidTest {};

TEST_F(ReidEmbedOnnx, UniformCropsGiveTheHandComputedEmbedding) {
  OnnxEmbedder embedder({kModels / "tiny_embedder.onnx", 128, 256});
  EXPECT_EQ(embedder.embedding_size(), 4);
  for (const cv::Scalar& colour : {cv::Scalar(200, 100, 50), cv::Scalar(10, 240, 90), cv::Scalar(0, 0, 0)}) {
    SCOPED_TRACE(std::to_string(colour[0]) + ", " + std::to_string(colour[1]) + ", " +
                 std::to_string(colour[2]));
    const cv::Mat crop(150, 61, CV_8UC3, colour);
    EXPECT_LE(max_difference(embedder.embed(crop), expected(colour[0], colour[1], colour[2])), kTolerance);
  }
  EXPECT_THROW(embedder.embed(cv::Mat(10, 10, CV_8UC1, cv::Scalar(0))), Error);
}

TEST_F(ReidEmbedOnnx, BlobIsResizedImageNetNormalisedRgb) {
  cv::Mat crop(1, 2, CV_8UC3);
  crop.at<cv::Vec3b>(0, 0) = {255, 0, 0};
  crop.at<cv::Vec3b>(0, 1) = {0, 255, 51};
  const cv::Mat blob = OnnxEmbedder::blob(crop, {2, 1});
  ASSERT_EQ(blob.dims, 4);
  EXPECT_EQ(blob.size[1], 3);
  EXPECT_EQ(blob.size[2], 1);
  EXPECT_EQ(blob.size[3], 2);
  const auto at = [&](int channel, int x) { return blob.ptr<float>(0, channel, 0)[x]; };
  EXPECT_NEAR(at(0, 0), (1.0 - 0.485) / 0.229, 1e-5);  // red of pixel 0
  EXPECT_NEAR(at(1, 0), -0.456 / 0.224, 1e-5);         // green of pixel 0
  EXPECT_NEAR(at(1, 1), (1.0 - 0.456) / 0.224, 1e-5);
  EXPECT_NEAR(at(2, 1), (0.2 - 0.406) / 0.225, 1e-5);
}

TEST_F(ReidEmbedOnnx, StageEmbedsWithTheNetwork) {
  cv::Mat image(240, 320, CV_8UC3, cv::Scalar(90, 95, 100));
  image(cv::Rect(40, 60, 40, 110)).setTo(cv::Scalar(200, 100, 50));
  image(cv::Rect(200, 100, 36, 96)).setTo(cv::Scalar(10, 240, 90));
  FramePtr frame = make_frame(image);
  const std::vector<oi::cctv::Detection> boxes = {{{40, 60, 40, 110}, 0.9, "person", {}},
                                                  {{200, 100, 36, 96}, 0.9, "person", {}}};
  frame->metadata().attributes[oi::cctv::attr::kDetections] = oi::cctv::to_json_list(boxes);
  oi::test::StageUnderTest stage(oi::test::plugin_registry(OI_REID_PLUGIN), "reid.embed",
                                 {{"model", (kModels / "tiny_embedder.onnx").string()}}, "embed");
  FramePtr out;
  const Status s = stage.run(frame, out);
  ASSERT_TRUE(s.is_ok()) << s.message();
  const std::vector<oi::cctv::Detection> found = oi::cctv::detections_of(out->metadata());
  ASSERT_EQ(found.size(), 2u);
  EXPECT_LE(max_difference(found[0].embedding, expected(200, 100, 50)), kTolerance);
  EXPECT_LE(max_difference(found[1].embedding, expected(10, 240, 90)), kTolerance);
  EXPECT_EQ(stage.summary()["embedder"], "onnx");
  EXPECT_EQ(stage.summary()["embedding_size"], 4);
}

TEST_F(ReidEmbedOnnx, BrokenNetworksAreConfigErrorsNamingTheFile) {
  for (const char* name : {"truncated.onnx", "not_onnx.onnx", "missing.onnx"}) {
    SCOPED_TRACE(name);
    const std::filesystem::path file = kModels / name;
    try {
      OnnxEmbedder embedder({file, 128, 256});
      ADD_FAILURE() << "loaded";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    }
    EXPECT_THROW(oi::test::StageUnderTest(oi::test::plugin_registry(OI_REID_PLUGIN), "reid.embed",
                                          {{"model", file.string()}}),
                 ConfigError);
  }
}

}  // namespace
}  // namespace oi::reid::testing
