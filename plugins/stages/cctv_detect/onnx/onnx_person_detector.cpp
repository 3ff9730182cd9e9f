#include "onnx_person_detector.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <numeric>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <system_error>
#include <utility>

#include "oi/error.hpp"

namespace oi::cctv {

namespace {

constexpr const char* kExportHint =
    "export the detector with its detection head, e.g. Ultralytics `yolo export model=yolov8n.pt "
    "format=onnx opset=12` (or YOLOv5's export.py --include onnx)";

std::vector<int> dims_of(const cv::Mat& m) {
  std::vector<int> dims;
  for (int i = 0; i < m.dims; ++i) dims.push_back(m.size[i]);
  return dims;
}

std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

/// OpenCV's message without the file/line prefix: cv::Exception::err, trimmed.
std::string opencv_message(const cv::Exception& e) {
  std::string text = e.err.empty() ? std::string(e.what()) : e.err;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

YoloLayout parse_yolo_layout(std::string_view text) {
  if (text == "auto") return YoloLayout::kAuto;
  if (text == "yolov5") return YoloLayout::kYoloV5;
  if (text == "yolov8") return YoloLayout::kYoloV8;
  throw ConfigError("unknown ONNX output layout '" + std::string(text) +
                    "': use auto (from the output's shape), yolov5 ([1, N, 5+C]) or yolov8 ([1, 4+C, N])");
}

const char* to_string(YoloLayout layout) {
  switch (layout) {
    case YoloLayout::kAuto:
      return "auto";
    case YoloLayout::kYoloV5:
      return "yolov5";
    case YoloLayout::kYoloV8:
      return "yolov8";
  }
  return "auto";
}

namespace detail {

Letterbox letterbox_geometry(cv::Size source, cv::Size input) {
  Letterbox lb;
  lb.source_width = source.width;
  lb.source_height = source.height;
  if (source.width <= 0 || source.height <= 0 || input.width <= 0 || input.height <= 0) return lb;
  lb.scale = std::min(static_cast<double>(input.width) / source.width,
                      static_cast<double>(input.height) / source.height);
  const int scaled_w = std::clamp(static_cast<int>(std::lround(source.width * lb.scale)), 1, input.width);
  const int scaled_h = std::clamp(static_cast<int>(std::lround(source.height * lb.scale)), 1, input.height);
  lb.pad_x = (input.width - scaled_w) / 2;
  lb.pad_y = (input.height - scaled_h) / 2;
  return lb;
}

cv::Mat letterbox(const cv::Mat& image, cv::Size input, Letterbox* info) {
  const Letterbox lb = letterbox_geometry(image.size(), input);
  if (info) *info = lb;
  const int scaled_w = std::clamp(static_cast<int>(std::lround(image.cols * lb.scale)), 1, input.width);
  const int scaled_h = std::clamp(static_cast<int>(std::lround(image.rows * lb.scale)), 1, input.height);
  cv::Mat out(input, image.type(), cv::Scalar::all(kLetterboxGrey));
  cv::Mat target = out(cv::Rect(lb.pad_x, lb.pad_y, scaled_w, scaled_h));
  if (scaled_w == image.cols && scaled_h == image.rows) {
    image.copyTo(target);
  } else {
    cv::resize(image, target, target.size(), 0, 0, cv::INTER_LINEAR);
  }
  return out;
}

cv::Mat make_blob(const cv::Mat& image) {
  // Split the 8-bit planes, then convert each straight into the blob: 30x faster than
  // cv::dnn::blobFromImage (which converts the interleaved image to float first) at 640x640.
  if (image.type() != CV_8UC3) throw Error("make_blob() needs an 8-bit 3-channel image");
  const int shape[] = {1, 3, image.rows, image.cols};
  cv::Mat blob(4, shape, CV_32F);
  std::vector<cv::Mat> planes;
  cv::split(image, planes);
  for (int c = 0; c < 3; ++c) {
    cv::Mat target(image.rows, image.cols, CV_32F, blob.ptr<float>(0, c));
    planes[c].convertTo(target, CV_32F, 1.0 / 255.0);
  }
  return blob;
}

Box undo_letterbox(const Box& box, const Letterbox& lb) {
  const double scale = lb.scale > 0 ? lb.scale : 1.0;
  double x1 = (box.x - lb.pad_x) / scale;
  double y1 = (box.y - lb.pad_y) / scale;
  double x2 = (box.x + box.w - lb.pad_x) / scale;
  double y2 = (box.y + box.h - lb.pad_y) / scale;
  x1 = std::clamp(x1, 0.0, static_cast<double>(lb.source_width));
  x2 = std::clamp(x2, 0.0, static_cast<double>(lb.source_width));
  y1 = std::clamp(y1, 0.0, static_cast<double>(lb.source_height));
  y2 = std::clamp(y2, 0.0, static_cast<double>(lb.source_height));
  return Box{x1, y1, std::max(0.0, x2 - x1), std::max(0.0, y2 - y1)};
}

std::string shape_string(const std::vector<int>& dims) {
  std::ostringstream s;
  s << '[';
  for (std::size_t i = 0; i < dims.size(); ++i) s << (i ? "x" : "") << dims[i];
  s << ']';
  return s.str();
}

bool resolve_output_format(const std::vector<int>& dims, YoloLayout requested, OutputFormat* format,
                           std::string* why) {
  auto fail = [&](const std::string& reason) {
    if (why) *why = reason;
    return false;
  };
  const std::string shape = shape_string(dims);
  const std::string expected =
      "cctv.detect decodes [1, N, 5+C] (YOLOv5-style: cx, cy, w, h, objectness, C class scores) and "
      "[1, 4+C, N] (YOLOv8-style, transposed, no objectness)";
  if (dims.size() != 2 && dims.size() != 3) {
    return fail("shape " + shape + " has " + std::to_string(dims.size()) + " dimensions; " + expected);
  }
  if (dims.size() == 3 && dims[0] != 1) {
    return fail("shape " + shape + " has a batch of " + std::to_string(dims[0]) + "; " + expected +
                " with a batch of 1");
  }
  const int a = dims[dims.size() - 2];
  const int b = dims[dims.size() - 1];
  YoloLayout layout = requested;
  if (layout == YoloLayout::kAuto) {
    if (a == b) {
      return fail("shape " + shape + " is square, so its layout cannot be told from it; set the layout to " +
                  "yolov5 or yolov8");
    }
    layout = a > b ? YoloLayout::kYoloV5 : YoloLayout::kYoloV8;
  }
  OutputFormat f;
  f.layout = layout;
  if (layout == YoloLayout::kYoloV5) {
    f.candidates = a;
    f.classes = b - 5;
    if (f.classes < 1) {
      return fail("shape " + shape + " read as YOLOv5-style has " + std::to_string(b) +
                  " values per candidate, fewer than the 6 of cx, cy, w, h, objectness and one class; " +
                  expected);
    }
  } else {
    f.candidates = b;
    f.classes = a - 4;
    if (f.classes < 1) {
      return fail("shape " + shape + " read as YOLOv8-style has " + std::to_string(a) +
                  " values per candidate, fewer than the 5 of cx, cy, w, h and one class; " + expected);
    }
  }
  if (f.candidates < 1) return fail("shape " + shape + " holds no candidates; " + expected);
  if (format) *format = f;
  return true;
}

std::vector<Candidate> decode(const cv::Mat& output, const OutputFormat& format, double score_threshold,
                              int wanted_class) {
  std::vector<Candidate> found;
  if (wanted_class < 0 || wanted_class >= format.classes) return found;
  cv::Mat data = output;
  if (data.type() != CV_32F) output.convertTo(data, CV_32F);
  if (!data.isContinuous()) data = data.clone();
  const auto* p = data.ptr<float>();
  const std::size_t n = static_cast<std::size_t>(format.candidates);
  const int c = format.classes;
  const bool v5 = format.layout == YoloLayout::kYoloV5;
  const std::size_t stride = v5 ? static_cast<std::size_t>(5 + c) : 1;  // between a candidate's values
  const std::size_t step = v5 ? 1 : n;                                  // between attributes
  if (data.total() < n * static_cast<std::size_t>((v5 ? 5 : 4) + c)) return found;
  for (std::size_t i = 0; i < n; ++i) {
    const float* row = v5 ? p + i * stride : p + i;
    auto at = [&](int attribute) { return static_cast<double>(row[attribute * step]); };
    const double objectness = v5 ? at(4) : 1.0;
    if (!(objectness >= score_threshold)) continue;  // also drops NaN
    const int first = v5 ? 5 : 4;
    int best = 0;
    double best_score = at(first);
    for (int k = 1; k < c; ++k) {
      const double s = at(first + k);
      if (s > best_score) {
        best_score = s;
        best = k;
      }
    }
    if (best != wanted_class) continue;
    const double score = objectness * best_score;
    if (!(score >= score_threshold)) continue;
    const double w = at(2), h = at(3);
    if (!(w > 0) || !(h > 0) || !std::isfinite(at(0)) || !std::isfinite(at(1))) continue;
    found.push_back(Candidate{Box{at(0) - w / 2, at(1) - h / 2, w, h}, std::min(score, 1.0), best});
  }
  return found;
}

std::vector<std::size_t> nms(const std::vector<Box>& boxes, const std::vector<double>& scores,
                             double iou_threshold) {
  std::vector<std::size_t> order(std::min(boxes.size(), scores.size()));
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  std::vector<std::size_t> kept;
  for (std::size_t i : order) {
    bool suppressed = false;
    for (std::size_t k : kept) {
      if (iou(boxes[i], boxes[k]) > iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push_back(i);
  }
  return kept;
}

}  // namespace detail

struct OnnxPersonDetector::Impl {
  OnnxDetectorOptions options;
  mutable std::mutex mutex;  // cv::dnn::Net::forward is neither const nor thread-safe
  mutable cv::dnn::Net net;
  std::string output_name;
  detail::OutputFormat format;
};

OnnxPersonDetector::OnnxPersonDetector(const OnnxDetectorOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  const std::string model = options.model.string();

  std::vector<Diagnostic> problems;
  auto problem = [&](std::string message) { problems.push_back(Diagnostic{{}, std::move(message)}); };
  if (options.input_width < 1 || options.input_width > 8192 || options.input_height < 1 ||
      options.input_height > 8192) {
    problem("ONNX input size " + std::to_string(options.input_width) + "x" +
            std::to_string(options.input_height) +
            " is out of range: give the width and height the model was exported for (e.g. 640x640), "
            "1..8192 each");
  }
  if (!(options.score_threshold >= 0.0 && options.score_threshold <= 1.0)) {
    problem("ONNX score threshold " + number(options.score_threshold) +
            " is outside [0, 1]: 0.25-0.5 is usual (higher reports fewer, surer persons)");
  }
  if (!(options.nms_iou >= 0.0 && options.nms_iou <= 1.0)) {
    problem("ONNX NMS IoU " + number(options.nms_iou) +
            " is outside [0, 1]: 0.45-0.5 is usual (lower drops more overlapping boxes)");
  }
  if (options.person_class < 0) {
    problem("ONNX person class " + std::to_string(options.person_class) +
            " is negative: give the index of the person class in the model's class list (0 in COCO)");
  }
  if (!problems.empty()) throw ConfigError(std::move(problems));

  if (model.empty()) {
    throw ConfigError(
        "no ONNX model given: set `model` to the path of your ONNX person detector, or leave "
        "it out to use the built-in detector. To make a model, " +
        std::string(kExportHint));
  }
  // "'model'", plus the absolute path when the path given is relative
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(options.model, ec);
  const std::string quoted =
      "'" + model + "'" + (ec || absolute == options.model ? "" : " (" + absolute.string() + ")");
  if (!std::filesystem::exists(options.model, ec)) {
    throw ConfigError("ONNX model " + quoted +
                      " does not exist: check the path (a relative path is taken from the working "
                      "directory), or leave `model` out to use the built-in detector. To make a model, " +
                      kExportHint);
  }
  if (std::filesystem::is_directory(options.model, ec)) {
    throw ConfigError("ONNX model " + quoted + " is a directory: give the path of the .onnx file itself");
  }

  try {
    impl_->net = cv::dnn::readNetFromONNX(model);
  } catch (const cv::Exception& e) {
    throw ConfigError("ONNX model " + quoted + " cannot be loaded by OpenCV " + CV_VERSION + ": " +
                      opencv_message(e) +
                      ". Check that the file is complete (not truncated, not an HTML error page) and "
                      "that it was exported with opset 11-13 using only operators OpenCV's DNN module "
                      "supports: " +
                      kExportHint);
  }
  if (impl_->net.empty()) {
    throw ConfigError("ONNX model " + quoted + " holds no network OpenCV can run: " + kExportHint);
  }
  impl_->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  impl_->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);

  // One run on a grey image: shows input-size and output-shape problems now, not mid-stream.
  const cv::Size input(options.input_width, options.input_height);
  const std::vector<std::string> names = impl_->net.getUnconnectedOutLayersNames();
  std::vector<cv::Mat> outputs;
  try {
    cv::Mat grey(input, CV_8UC3, cv::Scalar::all(detail::kLetterboxGrey));
    impl_->net.setInput(detail::make_blob(grey));
    impl_->net.forward(outputs, names);
  } catch (const cv::Exception& e) {
    throw ConfigError("ONNX model " + quoted + " does not run on a " + std::to_string(input.width) + "x" +
                      std::to_string(input.height) + " input (blob 1x3x" + std::to_string(input.height) +
                      "x" + std::to_string(input.width) + "): " + opencv_message(e) +
                      ". Set the input width and height to the size the model was exported for (the "
                      "`imgsz` of the export)");
  }
  std::string reasons;
  for (std::size_t i = 0; i < outputs.size() && i < names.size(); ++i) {
    std::string why;
    detail::OutputFormat format;
    if (detail::resolve_output_format(dims_of(outputs[i]), options.layout, &format, &why)) {
      impl_->output_name = names[i];
      impl_->format = format;
      break;
    }
    reasons += (reasons.empty() ? "" : "; ") + std::string("output '") + names[i] + "': " + why;
  }
  if (impl_->output_name.empty()) {
    throw ConfigError("ONNX model " + quoted + " has no output cctv.detect can decode (" +
                      (reasons.empty() ? std::string("it has no outputs") : reasons) +
                      "). A raw head without its decode step ([1, 3, H, W, 85] maps) or an end-to-end "
                      "export with NMS built in is not supported: " +
                      kExportHint);
  }
  if (options.person_class >= impl_->format.classes) {
    throw ConfigError("ONNX person class " + std::to_string(options.person_class) +
                      " does not exist: the model " + quoted + " has " +
                      std::to_string(impl_->format.classes) + " classes (0.." +
                      std::to_string(impl_->format.classes - 1) +
                      "); give the index of the person class in its class list");
  }
}

OnnxPersonDetector::~OnnxPersonDetector() = default;
OnnxPersonDetector::OnnxPersonDetector(OnnxPersonDetector&&) noexcept = default;
OnnxPersonDetector& OnnxPersonDetector::operator=(OnnxPersonDetector&&) noexcept = default;

std::vector<Detection> OnnxPersonDetector::detect(const cv::Mat& rgb) const {
  if (rgb.empty() || rgb.type() != CV_8UC3) {
    throw Error("the ONNX person detector needs an rgb8 image (CV_8UC3), got " +
                (rgb.empty() ? std::string("an empty image") : "OpenCV type " + std::to_string(rgb.type())));
  }
  const OnnxDetectorOptions& o = impl_->options;
  detail::Letterbox lb;
  const cv::Mat blob = detail::make_blob(detail::letterbox(rgb, {o.input_width, o.input_height}, &lb));
  cv::Mat output;
  {
    std::lock_guard lock(impl_->mutex);
    try {
      impl_->net.setInput(blob);
      output = impl_->net.forward(impl_->output_name).clone();
    } catch (const cv::Exception& e) {
      throw Error("the ONNX model '" + o.model.string() + "' failed on a " + std::to_string(rgb.cols) + "x" +
                  std::to_string(rgb.rows) + " image: " + opencv_message(e));
    }
  }
  const std::size_t expected =
      static_cast<std::size_t>(impl_->format.candidates) *
      static_cast<std::size_t>(impl_->format.classes + (impl_->format.layout == YoloLayout::kYoloV5 ? 5 : 4));
  if (output.total() != expected) {
    throw Error("the ONNX model '" + o.model.string() + "' changed its output shape to " +
                detail::shape_string(dims_of(output)) + " (it had " +
                std::to_string(impl_->format.candidates) + " candidates at start-up)");
  }
  const std::vector<detail::Candidate> candidates =
      detail::decode(output, impl_->format, o.score_threshold, o.person_class);
  // Clip before suppression: a box that only overlaps the padding must not suppress a real one.
  std::vector<Box> boxes;
  std::vector<double> scores;
  boxes.reserve(candidates.size());
  scores.reserve(candidates.size());
  for (const detail::Candidate& c : candidates) {
    const Box box = detail::undo_letterbox(c.box, lb);
    if (box.area() <= 0) continue;
    boxes.push_back(box);
    scores.push_back(c.score);
  }
  std::vector<Detection> detections;
  for (std::size_t i : detail::nms(boxes, scores, o.nms_iou)) {
    Detection d;
    d.box = boxes[i];
    d.score = scores[i];
    detections.push_back(std::move(d));
  }
  return detections;
}

YoloLayout OnnxPersonDetector::layout() const { return impl_->format.layout; }
int OnnxPersonDetector::num_classes() const { return impl_->format.classes; }
int OnnxPersonDetector::num_candidates() const { return impl_->format.candidates; }
const std::string& OnnxPersonDetector::output_name() const { return impl_->output_name; }
const OnnxDetectorOptions& OnnxPersonDetector::options() const { return impl_->options; }

}  // namespace oi::cctv
