#pragma once
/// @file
/// reid.embed's optional ONNX embedding network (`model:` an .onnx file): a site's own re-ID
/// network (e.g. an OSNet or a ResNet exported from torchreid or FastReID) run by OpenCV's DNN
/// module on the CPU instead of LOMO and the learnt metric. Each crop is resized to the
/// network's input (cv::INTER_LINEAR), scaled to [0, 1] and normalised with the ImageNet mean
/// and deviation per RGB channel (torchreid's and FastReID's convention), one crop per run;
/// the network's output, flattened, is the embedding, L2 normalised. No network ships with
/// OpenInspect and none is downloaded.

#include <filesystem>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <vector>

namespace oi::reid {

/// What the ONNX embedder needs.
struct OnnxEmbedderOptions {
  std::filesystem::path model;  ///< the .onnx file
  int input_width = 128;        ///< the network's input width, pixels (torchreid: 128)
  int input_height = 256;       ///< the network's input height, pixels (torchreid: 256)
};

/// See the file comment. embed() may be called from several threads (runs are serialised).
class OnnxEmbedder {
 public:
  /// Loads the network and runs it once on a grey crop to learn the embedding's size.
  /// @throws oi::ConfigError naming the file and what is wrong: missing, not loadable, not
  /// running on the input size, an output that is empty or not finite.
  explicit OnnxEmbedder(const OnnxEmbedderOptions& options);
  ~OnnxEmbedder();
  OnnxEmbedder(const OnnxEmbedder&) = delete;
  OnnxEmbedder& operator=(const OnnxEmbedder&) = delete;

  /// Values per embedding.
  int embedding_size() const;
  /// The L2-normalised embedding of a crop (CV_8UC3 RGB, any size). @throws oi::Error when
  /// the crop is not 8-bit RGB or the network fails on it.
  std::vector<float> embed(const cv::Mat& rgb) const;

  /// The network's input for a crop: 1 x 3 x input_height x input_width, float (tests).
  static cv::Mat blob(const cv::Mat& rgb, cv::Size input);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oi::reid
