#pragma once
// Shared by the reid.embed tests: the fixture (a per-process cache; for GPU tests the Vulkan
// device with the Khronos validation layer on, any validation message failing the test, and
// a skip without a device), crops and frames to feed, and small models made in the test.

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "gpu_test_fixture.hpp"
#include "lomo.hpp"
#include "oi/frame.hpp"
#include "reid_model.hpp"

namespace oi::reid::testing {

/// Tests of which some use the GPU (through REQUIRE_GPU()): gpu_test_fixture.hpp.
class ReidTest : public oi::gpu::testing::OptionalGpuTest {};

/// A crop of `size` (width x height) with smooth colour regions, stripes and noise, different
/// for every `seed`: exercises every HSV bin and SILTP code.
cv::Mat person_like(cv::Size size, int seed);
/// `size` of independent uniform noise in [0, limit].
cv::Mat noise(cv::Size size, int seed, int limit = 255);

/// A model for `params` with a random mean and a random projection of `columns` columns.
ReidModel random_model(const LomoParams& params, int columns, int seed);

/// The CPU reference's embedding of a crop (any size).
std::vector<float> cpu_embedding(const ReidModel& model, const cv::Mat& crop);

/// Largest absolute difference; infinity when the sizes differ.
double max_difference(const std::vector<float>& a, const std::vector<float>& b);

/// A camera frame (video.frame, plane `image`) of `rgb`.
FramePtr make_frame(const cv::Mat& rgb, const std::string& source = "cam", std::uint64_t sequence = 0);

/// A fresh folder for files a test writes.
std::filesystem::path scratch_folder(const std::string& name);

}  // namespace oi::reid::testing
