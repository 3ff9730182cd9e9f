#include "embed_test_support.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "gpu_test_fixture.hpp"
#include "oi/cctv/contract.hpp"
#include "oi/frame_cv.hpp"
#include "oi/gpu/runtime.hpp"

namespace oi::reid::testing {

cv::Mat person_like(cv::Size size, int seed) {
  cv::RNG rng(static_cast<std::uint64_t>(seed) * 7919u + 17u);
  const auto colour = [&] {
    return cv::Scalar(rng.uniform(0, 256), rng.uniform(0, 256), rng.uniform(0, 256));
  };
  cv::Mat image(size, CV_8UC3, colour());
  // Head, coat, trousers, a striped region and a bag.
  const int w = size.width, h = size.height;
  cv::ellipse(image, {w / 2, h / 10}, {std::max(1, w / 6), std::max(1, h / 12)}, 0, 0, 360, colour(), -1);
  cv::rectangle(image, cv::Rect(w / 5, h / 5, 3 * w / 5, 2 * h / 5), colour(), -1);
  cv::rectangle(image, cv::Rect(w / 4, 3 * h / 5, w / 2, 2 * h / 5), colour(), -1);
  const cv::Scalar stripe = colour();
  for (int y = h / 4; y < h / 2; y += 6) cv::line(image, {w / 5, y}, {4 * w / 5, y}, stripe, 2);
  cv::circle(image, {rng.uniform(0, w), rng.uniform(h / 3, h)}, std::max(2, w / 8), colour(), -1);
  cv::Mat n(size, CV_16SC3);
  rng.fill(n, cv::RNG::NORMAL, 0, 6);
  cv::Mat noisy;
  image.convertTo(noisy, CV_16SC3);
  noisy += n;
  noisy.convertTo(image, CV_8UC3);
  return image;
}

cv::Mat noise(cv::Size size, int seed, int limit) {
  cv::Mat image(size, CV_8UC3);
  cv::RNG rng(static_cast<std::uint64_t>(seed) + 101u);
  rng.fill(image, cv::RNG::UNIFORM, 0, limit + 1);
  return image;
}

ReidModel random_model(const LomoParams& params, int columns, int seed) {
  ReidModel model;
  model.descriptor = params;
  const std::size_t d = lomo_dimension(params);
  cv::RNG rng(static_cast<std::uint64_t>(seed) + 5u);
  model.mean.resize(d);
  for (float& m : model.mean) m = static_cast<float>(rng.uniform(0.0, 0.02));
  model.projection.create(static_cast<int>(d), columns, CV_32F);
  rng.fill(model.projection, cv::RNG::NORMAL, 0.0, 0.05);
  model.provenance = {{"tool", "test"}, {"seed", seed}};
  return model;
}

std::vector<float> cpu_embedding(const ReidModel& model, const cv::Mat& crop) {
  const std::vector<float> descriptor = lomo_descriptor(crop, model.descriptor);
  return apply_reid_model(model, descriptor.data());
}

double max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return std::numeric_limits<double>::infinity();
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
  return worst;
}

FramePtr make_frame(const cv::Mat& rgb, const std::string& source, std::uint64_t sequence) {
  FramePtr frame = Frame::create(std::string(oi::cctv::kFrameKind));
  Plane& image = frame->add_plane(oi::cctv::plane::kImage, PixelFormat::kRGB8, rgb.cols, rgb.rows);
  rgb.copyTo(as_mat(image));
  frame->metadata().source_device = source;
  frame->metadata().sequence = sequence;
  return frame;
}

std::filesystem::path scratch_folder(const std::string& name) { return oi::gpu::testing::fresh_dir(name); }

}  // namespace oi::reid::testing
