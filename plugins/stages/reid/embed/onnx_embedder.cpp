#include "onnx_embedder.hpp"

#include <cmath>
#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <system_error>

#include "oi/error.hpp"

namespace oi::reid {
namespace {

// ImageNet's per-channel mean and deviation, RGB (torchreid, FastReID).
constexpr double kMean[3] = {0.485, 0.456, 0.406};
constexpr double kDeviation[3] = {0.229, 0.224, 0.225};

constexpr const char* kExportHint =
    "export the network with a fixed 1x3xHxW input and its embedding as the output, e.g. torchreid's "
    "`torch.onnx.export(model.eval(), torch.randn(1, 3, 256, 128), 'osnet.onnx', opset_version=12)`";

std::string opencv_message(const cv::Exception& e) {
  std::string text = e.err.empty() ? std::string(e.what()) : e.err;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

struct OnnxEmbedder::Impl {
  OnnxEmbedderOptions options;
  mutable cv::dnn::Net net;  // forward() changes it: runs under `mutex`
  int size = 0;
  mutable std::mutex mutex;

  // The flattened output for `rgb`, not normalised.
  cv::Mat run(const cv::Mat& rgb) const {
    std::lock_guard lock(mutex);
    net.setInput(blob(rgb, {options.input_width, options.input_height}));
    return net.forward().clone().reshape(1, 1);
  }
};

cv::Mat OnnxEmbedder::blob(const cv::Mat& rgb, cv::Size input) {
  cv::Mat resized;
  cv::resize(rgb, resized, input, 0, 0, cv::INTER_LINEAR);
  cv::Mat out({1, 3, input.height, input.width}, CV_32F);
  for (int c = 0; c < 3; ++c) {
    const float scale = static_cast<float>(1.0 / (255.0 * kDeviation[c]));
    const float offset = static_cast<float>(-kMean[c] / kDeviation[c]);
    for (int y = 0; y < input.height; ++y) {
      const std::uint8_t* in = resized.ptr<std::uint8_t>(y);
      float* o = out.ptr<float>(0, c, y);
      for (int x = 0; x < input.width; ++x) o[x] = static_cast<float>(in[3 * x + c]) * scale + offset;
    }
  }
  return out;
}

OnnxEmbedder::OnnxEmbedder(const OnnxEmbedderOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  const std::string quoted = "'" + options.model.string() + "'";
  if (options.input_width < 8 || options.input_width > 4096 || options.input_height < 8 ||
      options.input_height > 4096)
    throw ConfigError("ONNX re-ID input size " + std::to_string(options.input_width) + "x" +
                      std::to_string(options.input_height) +
                      " is out of range: give the width and height the network was exported for (torchreid: "
                      "128x256), 8..4096 each");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(options.model, ec))
    throw ConfigError("ONNX re-ID network " + quoted +
                      (std::filesystem::exists(options.model, ec) ? " is not a file" : " does not exist") +
                      ": check the path (a relative path is taken from the pipeline's folder)");
  try {
    impl_->net = cv::dnn::readNetFromONNX(options.model.string());
  } catch (const cv::Exception& e) {
    throw ConfigError("ONNX re-ID network " + quoted + " cannot be loaded by OpenCV " + CV_VERSION + ": " +
                      opencv_message(e) +
                      ". Check that the file is complete and uses operators OpenCV's DNN module supports "
                      "(opset 11-13): " +
                      kExportHint);
  }
  if (impl_->net.empty())
    throw ConfigError("ONNX re-ID network " + quoted + " holds no network: " + kExportHint);
  impl_->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  impl_->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  // One run on a grey crop: input-size and output problems show now, not mid-stream.
  cv::Mat output;
  try {
    output = impl_->run(cv::Mat(options.input_height, options.input_width, CV_8UC3, cv::Scalar::all(128)));
  } catch (const cv::Exception& e) {
    throw ConfigError("ONNX re-ID network " + quoted + " does not run on a " +
                      std::to_string(options.input_width) + "x" + std::to_string(options.input_height) +
                      " input (blob 1x3x" + std::to_string(options.input_height) + "x" +
                      std::to_string(options.input_width) + "): " + opencv_message(e) +
                      ". Set the input width and height the network was exported for");
  }
  if (output.total() == 0 || !cv::checkRange(output))
    throw ConfigError("ONNX re-ID network " + quoted + " gives " +
                      (output.total() == 0 ? std::string("an empty output") : "values that are not finite") +
                      " on a grey crop: " + kExportHint);
  impl_->size = static_cast<int>(output.total());
}

OnnxEmbedder::~OnnxEmbedder() = default;

int OnnxEmbedder::embedding_size() const { return impl_->size; }

std::vector<float> OnnxEmbedder::embed(const cv::Mat& rgb) const {
  if (rgb.empty() || rgb.type() != CV_8UC3)
    throw Error("the ONNX re-ID network needs an 8-bit RGB crop (CV_8UC3), got " +
                (rgb.empty() ? std::string("an empty image") : "OpenCV type " + std::to_string(rgb.type())));
  cv::Mat output;
  try {
    output = impl_->run(rgb);
  } catch (const cv::Exception& e) {
    throw Error("the ONNX re-ID network " + impl_->options.model.string() + " failed: " + opencv_message(e));
  }
  if (static_cast<int>(output.total()) != impl_->size)
    throw Error("the ONNX re-ID network " + impl_->options.model.string() + " gave " +
                std::to_string(output.total()) + " values instead of " + std::to_string(impl_->size));
  std::vector<float> e(output.begin<float>(), output.end<float>());
  double sum = 0.0;
  for (float v : e) sum += static_cast<double>(v) * v;
  if (sum > 0.0) {
    const double scale = 1.0 / std::sqrt(sum);
    for (float& v : e) v = static_cast<float>(v * scale);
  }
  return e;
}

}  // namespace oi::reid
