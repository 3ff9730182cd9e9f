// reid.embed's Vulkan kernels (LomoGpu: shaders/reid/*.comp) against the CPU reference
// (lomo_counts(), lomo_finish(), apply_reid_model()) with the Khronos validation layer on.
//
// Tolerances. Counts: none; the kernels compute them in integers, and SILTP's comparisons
// are float products correctly rounded on both sides (Vulkan requires it of a multiplication;
// the CPU side is compiled without fused multiply-adds), so they must be equal. Descriptors:
// the same log table on both sides; the CPU sums a block's squares in double, the GPU in float
// in a fixed order, and the GPU's square root and division are within a few ULP: 1e-5
// absolute is hundreds of times that. Embeddings: 26,960 products summed in float partial sums
// of 256 on the GPU, in double on the CPU: within 1e-4.
#include "lomo_gpu.hpp"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "embed_test_support.hpp"
#include "lomo.hpp"
#include "oi/gpu/plane_memory.hpp"
#include "oi/gpu/stage_backend.hpp"
#include "reid_model.hpp"

namespace oi::reid::testing {
namespace {

class ReidEmbedGpu : public ReidTest {
 protected:
  void start(gpu::StageBackend& backend) {
    ASSERT_TRUE(backend.start(StageConfig{"embed", "reid.embed", "", {}, {}, {}}));
  }
};

// Crops of the size of `p`: person-like, noise, uniform, black (white point 0), saturated.
std::vector<cv::Mat> crops_for(const LomoParams& p, int count, int seed) {
  const cv::Size size(p.width, p.height);
  std::vector<cv::Mat> crops;
  for (int i = 0; i < count; ++i) {
    switch (i % 5) {
      case 0:
        crops.push_back(person_like(size, seed + i));
        break;
      case 1:
        crops.push_back(noise(size, seed + i));
        break;
      case 2:
        crops.emplace_back(size, CV_8UC3, cv::Scalar(30 + i, 140, 90));
        break;
      case 3:
        crops.emplace_back(size, CV_8UC3, cv::Scalar(0, 0, 0));
        break;
      default: {
        cv::Mat m = person_like(size, seed + i) * 3;  // clipped at 255
        crops.push_back(m);
      }
    }
  }
  return crops;
}

void expect_equal_to_cpu(const ReidModel& model, const std::vector<cv::Mat>& crops, const LomoGpuOutputs& gpu,
                         const std::vector<std::vector<float>>& embeddings) {
  ASSERT_EQ(gpu.counts.size(), crops.size());
  ASSERT_EQ(embeddings.size(), crops.size());
  for (std::size_t i = 0; i < crops.size(); ++i) {
    SCOPED_TRACE("crop " + std::to_string(i));
    const std::vector<std::uint16_t> counts = lomo_counts(crops[i], model.descriptor);
    ASSERT_EQ(gpu.counts[i].size(), counts.size());
    std::size_t differing = 0, first = 0;
    for (std::size_t k = 0; k < counts.size(); ++k) {
      if (gpu.counts[i][k] != counts[k] && differing++ == 0) first = k;
    }
    ASSERT_EQ(differing, 0u) << "counts differ, first at " << first << ": GPU " << gpu.counts[i][first]
                             << ", CPU " << counts[first];
    const std::vector<float> descriptor = lomo_finish(counts, model.descriptor);
    EXPECT_LE(max_difference(gpu.descriptors[i], descriptor), 1e-5);
    if (model.projection.empty()) {
      EXPECT_TRUE(embeddings[i].empty());
    } else {
      const std::vector<float> embedding = apply_reid_model(model, descriptor.data());
      EXPECT_LE(max_difference(embeddings[i], embedding), 1e-4);
    }
  }
}

TEST_F(ReidEmbedGpu, CountsDescriptorsAndEmbeddingsEqualTheCpuReference) {
  REQUIRE_GPU();
  gpu::StageBackend backend;
  start(backend);
  const ReidModel model = random_model({}, 24, 1);
  LomoGpu gpu(backend, model, 16);
  EXPECT_EQ(gpu.embedding_size(), 24);
  // A full batch, then a shorter one (not a multiple of the projection's 8 crops).
  for (int count : {16, 11}) {
    SCOPED_TRACE(std::to_string(count) + " crops");
    const std::vector<cv::Mat> crops = crops_for(model.descriptor, count, count);
    std::vector<std::vector<float>> embeddings;
    LomoGpuOutputs outputs;
    const Status s = gpu.embed(crops, embeddings, &outputs);
    ASSERT_TRUE(s.is_ok()) << s.message();
    expect_equal_to_cpu(model, crops, outputs, embeddings);
    // Different crops, different embeddings.
    EXPECT_GT(max_difference(embeddings[0], embeddings[1]), 0.05);
  }
}

TEST_F(ReidEmbedGpu, StagedMemoryGivesTheSameResults) {
  // Host copies uploaded before the kernels and downloaded after them, as on a discrete GPU.
  REQUIRE_GPU();
  gpu::StageBackend backend;
  start(backend);
  const ReidModel model = random_model({}, 12, 4);
  LomoGpu gpu(backend, model, 5, gpu::Residency::kStaged);
  for (int round = 0; round < 2; ++round) {  // the second batch's crops replace the first's
    SCOPED_TRACE("batch " + std::to_string(round));
    const std::vector<cv::Mat> crops = crops_for(model.descriptor, 5, 70 + 10 * round);
    std::vector<std::vector<float>> embeddings;
    LomoGpuOutputs outputs;
    const Status s = gpu.embed(crops, embeddings, &outputs);
    ASSERT_TRUE(s.is_ok()) << s.message();
    expect_equal_to_cpu(model, crops, outputs, embeddings);
  }
}

TEST_F(ReidEmbedGpu, OtherGeometryAndNoNormalisationEqualTheCpuReference) {
  REQUIRE_GPU();
  gpu::StageBackend backend;
  start(backend);
  LomoParams p;
  p.width = 40;
  p.height = 100;
  p.window = 8;
  p.step = 4;
  p.scales = 2;
  p.hue_bins = 16;
  p.saturation_bins = 4;
  p.value_bins = 4;
  p.siltp_tau = 0.2f;
  p.siltp_radii = {2};
  p.illumination_normalisation = false;
  const ReidModel model = random_model(p, 5, 2);
  LomoGpu gpu(backend, model, 4);
  const std::vector<cv::Mat> crops = crops_for(p, 4, 40);
  std::vector<std::vector<float>> embeddings;
  LomoGpuOutputs outputs;
  const Status s = gpu.embed(crops, embeddings, &outputs);
  ASSERT_TRUE(s.is_ok()) << s.message();
  expect_equal_to_cpu(model, crops, outputs, embeddings);
}

TEST_F(ReidEmbedGpu, DescriptorsOnlyWithoutAProjection) {
  REQUIRE_GPU();
  gpu::StageBackend backend;
  start(backend);
  ReidModel model;  // the default descriptor, no projection
  LomoGpu gpu(backend, model, 3);
  EXPECT_EQ(gpu.embedding_size(), 0);
  const std::vector<cv::Mat> crops = crops_for(model.descriptor, 3, 9);
  std::vector<std::vector<float>> embeddings;
  LomoGpuOutputs outputs;
  const Status s = gpu.embed(crops, embeddings, &outputs);
  ASSERT_TRUE(s.is_ok()) << s.message();
  expect_equal_to_cpu(model, crops, outputs, embeddings);
}

TEST_F(ReidEmbedGpu, BadBatchesAreErrors) {
  REQUIRE_GPU();
  gpu::StageBackend backend;
  start(backend);
  const ReidModel model = random_model({}, 4, 3);
  EXPECT_THROW(LomoGpu(backend, model, 0), ConfigError);
  ReidModel wrong = model;
  wrong.mean.pop_back();
  EXPECT_THROW(LomoGpu(backend, wrong, 2), ConfigError);
  LomoGpu gpu(backend, model, 2);
  std::vector<std::vector<float>> embeddings;
  const Status too_many = gpu.embed(crops_for(model.descriptor, 3, 0), embeddings);
  EXPECT_FALSE(too_many.is_ok());
  const Status wrong_size = gpu.embed({cv::Mat(100, 48, CV_8UC3, cv::Scalar(0))}, embeddings);
  ASSERT_FALSE(wrong_size.is_ok());
  EXPECT_NE(wrong_size.message().find("48x128"), std::string::npos) << wrong_size.message();
  // Still usable after the errors.
  const std::vector<cv::Mat> crops = crops_for(model.descriptor, 2, 5);
  LomoGpuOutputs outputs;
  ASSERT_TRUE(gpu.embed(crops, embeddings, &outputs).is_ok());
  expect_equal_to_cpu(model, crops, outputs, embeddings);
  EXPECT_TRUE(gpu.embed({}, embeddings).is_ok());
  EXPECT_TRUE(embeddings.empty());
}

}  // namespace
}  // namespace oi::reid::testing
