#pragma once
/// @file
/// The optional ONNX person detector of `cctv.detect` (parameter `model:`): a site's own YOLO
/// export run through OpenCV's DNN module on the CPU (docs/cctv.md, "Detection with your own
/// ONNX model"). No weights ship with OpenInspect; the tests generate a tiny model.
///
/// Pre-processing: letterbox (keep the aspect ratio, pad with grey 114, centre), RGB, /255,
/// NCHW float blob. Post-processing: decode the two common YOLO export layouts (YOLOv5-style
/// [1, N, 5+C]: cx, cy, w, h, objectness, class scores; YOLOv8-style [1, 4+C, N]: the same
/// transposed, without objectness), keep the person class, apply the score threshold,
/// non-maximum suppression, undo the letterbox and clip to the image.
/// @code
/// oi::cctv::OnnxPersonDetector detector({.model = "site/yolov8n.onnx"});
/// for (const oi::cctv::Detection& d : detector.detect(rgb)) draw(d.box, d.score);
/// @endcode
/// The pieces are free functions in `detail` so that the tests check each on its own.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "oi/cctv/contract.hpp"

namespace oi::cctv {

/// How the model's output tensor is laid out.
enum class YoloLayout {
  kAuto,    ///< from the shape: [1, N, K] with N > K is YOLOv5-style, with K > N YOLOv8-style
  kYoloV5,  ///< [1, N, 5+C]: per candidate cx, cy, w, h, objectness, C class scores
  kYoloV8,  ///< [1, 4+C, N]: per candidate (a column) cx, cy, w, h, C class scores
};

/// "auto", "yolov5" or "yolov8"; throws oi::ConfigError naming the accepted values otherwise.
YoloLayout parse_yolo_layout(std::string_view text);
/// The name parse_yolo_layout() accepts.
const char* to_string(YoloLayout layout);

/// Options of OnnxPersonDetector; `cctv.detect` binds its parameters to them.
struct OnnxDetectorOptions {
  std::filesystem::path model;   ///< the ONNX file (an Ultralytics/YOLO export with its detection head)
  int input_width = 640;         ///< network input width in pixels (the size the model was exported for)
  int input_height = 640;        ///< network input height in pixels
  double score_threshold = 0.4;  ///< a candidate's score (objectness x class score) must reach this
  double nms_iou = 0.5;          ///< candidates overlapping a better one by more than this IoU are dropped
  int person_class = 0;          ///< index of the person class (0 in COCO-trained models)
  YoloLayout layout = YoloLayout::kAuto;  ///< force a layout when the shape is ambiguous
};

/// A person detector from an ONNX file. Construction loads the model and runs it once on a
/// grey image to check its output, so every problem with the file shows at configuration
/// time. detect() may be called from several threads (the network runs under a lock).
class OnnxPersonDetector {
 public:
  /// Throws oi::ConfigError (what, where, what to do) when an option is out of range, the
  /// file is missing or is not an ONNX model OpenCV can load, the model does not run at the
  /// input size, or none of its outputs has a YOLO shape.
  explicit OnnxPersonDetector(const OnnxDetectorOptions& options);
  ~OnnxPersonDetector();
  OnnxPersonDetector(OnnxPersonDetector&&) noexcept;
  OnnxPersonDetector& operator=(OnnxPersonDetector&&) noexcept;

  /// Persons in an rgb8 image (CV_8UC3, R first), best score first; boxes in the image's
  /// pixels, clipped to it. Throws oi::Error for an empty or non-CV_8UC3 image or when the
  /// network fails at run time.
  std::vector<Detection> detect(const cv::Mat& rgb) const;

  /// The layout found for (or forced on) the output; never kAuto.
  YoloLayout layout() const;
  /// Number of classes the output carries.
  int num_classes() const;
  /// Number of candidate boxes per image (N).
  int num_candidates() const;
  /// Name of the output the detector decodes.
  const std::string& output_name() const;
  /// The options it was made with.
  const OnnxDetectorOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

namespace detail {

/// Where the letterbox put the image: input = source * scale + pad.
struct Letterbox {
  double scale = 1.0;  ///< source pixels to network pixels (the same on both axes)
  int pad_x = 0;       ///< grey columns left of the image
  int pad_y = 0;       ///< grey rows above the image
  int source_width = 0;
  int source_height = 0;
};

/// The grey of the padding (Ultralytics' value).
inline constexpr int kLetterboxGrey = 114;

/// The geometry letterbox() uses for an image of `source` size into `input` size: the largest
/// scale that fits, the scaled size rounded to whole pixels, the padding split evenly (the odd
/// pixel goes right / below).
Letterbox letterbox_geometry(cv::Size source, cv::Size input);

/// Resizes `image` (any type) into `input` size keeping its aspect ratio and pads it with
/// kLetterboxGrey; fills `info` when not null.
cv::Mat letterbox(const cv::Mat& image, cv::Size input, Letterbox* info = nullptr);

/// An 8-bit 3-channel image to a 1x3xHxW CV_32F blob, values / 255, channel order kept;
/// throws oi::Error for any other type.
cv::Mat make_blob(const cv::Mat& image);

/// A box in network-input pixels back to source pixels, clipped to the source image (the
/// result may be empty: w or h 0).
Box undo_letterbox(const Box& box, const Letterbox& letterbox);

/// How to read one output tensor.
struct OutputFormat {
  YoloLayout layout = YoloLayout::kYoloV5;  ///< never kAuto
  int candidates = 0;                       ///< N
  int classes = 0;                          ///< C
};

/// The format of an output of shape `dims` ([1, A, B] or [A, B]) read as `requested`.
/// Returns false and says why in `why` (a sentence for the user) when it is neither layout
/// or when kAuto cannot tell (A == B).
bool resolve_output_format(const std::vector<int>& dims, YoloLayout requested, OutputFormat* format,
                           std::string* why);

/// "[1x84x8400]".
std::string shape_string(const std::vector<int>& dims);

/// A decoded candidate in network-input pixels.
struct Candidate {
  Box box;           ///< top-left x, y, width, height
  double score = 0;  ///< objectness x class score (YOLOv5) or class score (YOLOv8)
  int class_id = 0;  ///< the best-scoring class
};

/// Candidates of `output` (CV_32F, laid out as `format`) whose best class is `wanted_class` and
/// whose score reaches `score_threshold`, in output order.
std::vector<Candidate> decode(const cv::Mat& output, const OutputFormat& format, double score_threshold,
                              int wanted_class);

/// Greedy non-maximum suppression: indices of the boxes kept, best score first; a box is
/// dropped when its IoU with a kept, better box exceeds `iou_threshold`. Equal scores keep
/// the earlier box.
std::vector<std::size_t> nms(const std::vector<Box>& boxes, const std::vector<double>& scores,
                             double iou_threshold);

}  // namespace detail
}  // namespace oi::cctv
