// The ONNX person detector of cctv.detect (model:): letterbox, decoding of both YOLO layouts,
// score threshold, non-maximum suppression and the errors for bad files, on tiny models that
// make_tiny_detector.py generates at build time (no weights are downloaded). The expected
// boxes are worked out by hand from the script's TABLE (network-input pixels, 320x320).

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <opencv2/core.hpp>
#include <string>
#include <thread>
#include <vector>

#include "oi/error.hpp"
#include "onnx_person_detector.hpp"

namespace {

using oi::cctv::Box;
using oi::cctv::Detection;
using oi::cctv::OnnxDetectorOptions;
using oi::cctv::OnnxPersonDetector;
using oi::cctv::YoloLayout;
namespace detail = oi::cctv::detail;

std::filesystem::path models_dir() { return OI_ONNX_TEST_MODELS; }

OnnxDetectorOptions options_for(const std::string& file) {
  OnnxDetectorOptions o;
  o.model = models_dir() / file;
  o.input_width = 320;
  o.input_height = 320;
  return o;
}

cv::Mat image(int width, int height) { return cv::Mat(height, width, CV_8UC3, cv::Scalar(90, 120, 60)); }

struct Expected {
  double x, y, w, h, score;
};

void expect_detections(const std::vector<Detection>& got, const std::vector<Expected>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE("detection " + std::to_string(i));
    EXPECT_NEAR(got[i].box.x, want[i].x, 1e-3);
    EXPECT_NEAR(got[i].box.y, want[i].y, 1e-3);
    EXPECT_NEAR(got[i].box.w, want[i].w, 1e-3);
    EXPECT_NEAR(got[i].box.h, want[i].h, 1e-3);
    EXPECT_NEAR(got[i].score, want[i].score, 1e-5);
    EXPECT_EQ(got[i].object_class, oi::cctv::object_class::kPerson);
  }
}

// 640x480 into 320x320: scale 0.5, 320x240, 40 grey rows above and below. The duplicate of A
// is suppressed, C is below the threshold, the car is not a person, F lies in the top padding
// (maps to y -70..-10) and is dropped, D is clipped at the right edge (x 570..650 -> 640).
const std::vector<Expected> kLandscape = {
    {160, 120, 80, 240, 0.9025},  // A
    {570, 140, 70, 200, 0.81},    // D
    {390, 120, 100, 280, 0.6},    // B
    {220, 120, 80, 240, 0.49},    // E
};

std::string config_error_text(const OnnxDetectorOptions& o) {
  try {
    OnnxPersonDetector detector(o);
  } catch (const oi::ConfigError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("WRONG EXCEPTION TYPE: ") + e.what();
  }
  return "NO EXCEPTION";
}

// --- pre-processing -----------------------------------------------------------------------

TEST(OnnxDetector, LetterboxGeometryKeepsAspectAndCentres) {
  const detail::Letterbox landscape = detail::letterbox_geometry({640, 480}, {320, 320});
  EXPECT_DOUBLE_EQ(landscape.scale, 0.5);
  EXPECT_EQ(landscape.pad_x, 0);
  EXPECT_EQ(landscape.pad_y, 40);
  const detail::Letterbox portrait = detail::letterbox_geometry({240, 480}, {320, 320});
  EXPECT_DOUBLE_EQ(portrait.scale, 320.0 / 480.0);
  EXPECT_EQ(portrait.pad_x, 80);
  EXPECT_EQ(portrait.pad_y, 0);
  const detail::Letterbox up = detail::letterbox_geometry({100, 50}, {320, 320});  // scales up
  EXPECT_DOUBLE_EQ(up.scale, 3.2);
  EXPECT_EQ(up.pad_x, 0);
  EXPECT_EQ(up.pad_y, 80);
  const detail::Letterbox odd = detail::letterbox_geometry({10, 6}, {20, 21});  // 20x12 in 20x21
  EXPECT_EQ(odd.pad_y, 4);                                                      // the odd grey row goes below
}

TEST(OnnxDetector, LetterboxPadsWithGrey114) {
  const cv::Mat src(480, 640, CV_8UC3, cv::Scalar(10, 20, 30));
  detail::Letterbox info;
  const cv::Mat out = detail::letterbox(src, {320, 320}, &info);
  ASSERT_EQ(out.size(), cv::Size(320, 320));
  ASSERT_EQ(out.type(), CV_8UC3);
  EXPECT_EQ(info.pad_y, 40);
  const cv::Vec3b grey(114, 114, 114), colour(10, 20, 30);
  EXPECT_EQ(out.at<cv::Vec3b>(0, 0), grey);
  EXPECT_EQ(out.at<cv::Vec3b>(39, 160), grey);
  EXPECT_EQ(out.at<cv::Vec3b>(40, 160), colour);
  EXPECT_EQ(out.at<cv::Vec3b>(279, 319), colour);
  EXPECT_EQ(out.at<cv::Vec3b>(280, 160), grey);
  EXPECT_EQ(out.at<cv::Vec3b>(319, 319), grey);
}

TEST(OnnxDetector, BlobIsNchwRgbOver255) {
  cv::Mat src(2, 3, CV_8UC3, cv::Scalar(255, 0, 51));  // R, G, B as given: no channel swap
  src.at<cv::Vec3b>(1, 2) = cv::Vec3b(0, 255, 102);
  const cv::Mat blob = detail::make_blob(src);
  ASSERT_EQ(blob.dims, 4);
  EXPECT_EQ(blob.size[0], 1);
  EXPECT_EQ(blob.size[1], 3);
  EXPECT_EQ(blob.size[2], 2);
  EXPECT_EQ(blob.size[3], 3);
  EXPECT_EQ(blob.type(), CV_32F);
  auto at = [&](int c, int y, int x) { return blob.ptr<float>(0, c)[y * 3 + x]; };
  EXPECT_FLOAT_EQ(at(0, 0, 0), 1.0f);
  EXPECT_FLOAT_EQ(at(1, 0, 0), 0.0f);
  EXPECT_FLOAT_EQ(at(2, 0, 0), 0.2f);
  EXPECT_FLOAT_EQ(at(0, 1, 2), 0.0f);
  EXPECT_FLOAT_EQ(at(1, 1, 2), 1.0f);
  EXPECT_FLOAT_EQ(at(2, 1, 2), 0.4f);
}

TEST(OnnxDetector, UndoLetterboxMapsBackAndClips) {
  const detail::Letterbox lb = detail::letterbox_geometry({640, 480}, {320, 320});
  const Box inside = detail::undo_letterbox(Box{50, 60, 30, 80}, lb);
  EXPECT_DOUBLE_EQ(inside.x, 100);
  EXPECT_DOUBLE_EQ(inside.y, 40);
  EXPECT_DOUBLE_EQ(inside.w, 60);
  EXPECT_DOUBLE_EQ(inside.h, 160);
  const Box clipped = detail::undo_letterbox(Box{-10, 20, 40, 300}, lb);  // into both paddings
  EXPECT_DOUBLE_EQ(clipped.x, 0);
  EXPECT_DOUBLE_EQ(clipped.y, 0);
  EXPECT_DOUBLE_EQ(clipped.w, 60);
  EXPECT_DOUBLE_EQ(clipped.h, 480);
  EXPECT_EQ(detail::undo_letterbox(Box{10, 0, 20, 30}, lb).area(), 0.0);  // wholly in the padding
}

// --- post-processing on hand-made outputs -------------------------------------------------

TEST(OnnxDetector, ResolvesBothLayoutsFromTheShape) {
  detail::OutputFormat f;
  std::string why;
  ASSERT_TRUE(detail::resolve_output_format({1, 25200, 85}, YoloLayout::kAuto, &f, &why)) << why;
  EXPECT_EQ(f.layout, YoloLayout::kYoloV5);
  EXPECT_EQ(f.candidates, 25200);
  EXPECT_EQ(f.classes, 80);
  ASSERT_TRUE(detail::resolve_output_format({1, 84, 8400}, YoloLayout::kAuto, &f, &why)) << why;
  EXPECT_EQ(f.layout, YoloLayout::kYoloV8);
  EXPECT_EQ(f.candidates, 8400);
  EXPECT_EQ(f.classes, 80);
  ASSERT_TRUE(detail::resolve_output_format({25200, 85}, YoloLayout::kAuto, &f, &why)) << why;
  EXPECT_EQ(f.layout, YoloLayout::kYoloV5);
  // square: only a forced layout reads it
  EXPECT_FALSE(detail::resolve_output_format({1, 8, 8}, YoloLayout::kAuto, &f, &why));
  EXPECT_NE(why.find("yolov5 or yolov8"), std::string::npos) << why;
  ASSERT_TRUE(detail::resolve_output_format({1, 8, 8}, YoloLayout::kYoloV5, &f, &why));
  EXPECT_EQ(f.classes, 3);
  ASSERT_TRUE(detail::resolve_output_format({1, 8, 8}, YoloLayout::kYoloV8, &f, &why));
  EXPECT_EQ(f.classes, 4);
}

TEST(OnnxDetector, RejectsShapesThatAreNeitherLayout) {
  detail::OutputFormat f;
  std::string why;
  EXPECT_FALSE(detail::resolve_output_format({1, 3, 80, 80}, YoloLayout::kAuto, &f, &why));
  EXPECT_NE(why.find("[1x3x80x80] has 4 dimensions"), std::string::npos) << why;
  EXPECT_NE(why.find("[1, N, 5+C]"), std::string::npos) << why;
  EXPECT_FALSE(detail::resolve_output_format({2, 25200, 85}, YoloLayout::kAuto, &f, &why));
  EXPECT_NE(why.find("batch of 2"), std::string::npos) << why;
  EXPECT_FALSE(detail::resolve_output_format({1, 16, 4}, YoloLayout::kAuto, &f, &why));
  EXPECT_NE(why.find("fewer than the 6"), std::string::npos) << why;
  EXPECT_FALSE(detail::resolve_output_format({1, 4, 16}, YoloLayout::kAuto, &f, &why));
  EXPECT_NE(why.find("fewer than the 5"), std::string::npos) << why;
  EXPECT_FALSE(detail::resolve_output_format({1000}, YoloLayout::kAuto, &f, &why));
}

TEST(OnnxDetector, DecodesYoloV5Rows) {
  // 3 candidates, 2 classes: cx, cy, w, h, objectness, person, car
  const float nan = std::numeric_limits<float>::quiet_NaN();
  float data[] = {50, 60, 20, 40, 0.9f, 0.8f, 0.1f,   // person 0.72
                  70, 80, 10, 10, 0.9f, 0.1f, 0.9f,   // car
                  10, 10, 4,  6,  nan,  0.9f, 0.0f};  // NaN objectness: ignored
  const int dims[] = {1, 3, 7};
  const cv::Mat out(3, dims, CV_32F, data);
  const detail::OutputFormat f{YoloLayout::kYoloV5, 3, 2};
  const auto persons = detail::decode(out, f, 0.5, 0);
  ASSERT_EQ(persons.size(), 1u);
  EXPECT_DOUBLE_EQ(persons[0].box.x, 40);
  EXPECT_DOUBLE_EQ(persons[0].box.y, 40);
  EXPECT_DOUBLE_EQ(persons[0].box.w, 20);
  EXPECT_DOUBLE_EQ(persons[0].box.h, 40);
  EXPECT_NEAR(persons[0].score, 0.72, 1e-6);
  EXPECT_TRUE(detail::decode(out, f, 0.75, 0).empty());  // 0.72 < 0.75
  const auto cars = detail::decode(out, f, 0.5, 1);
  ASSERT_EQ(cars.size(), 1u);
  EXPECT_EQ(cars[0].class_id, 1);
  EXPECT_DOUBLE_EQ(cars[0].box.x, 65);
}

TEST(OnnxDetector, DecodesYoloV8Columns) {
  // 2 candidates (columns), 2 classes: rows cx, cy, w, h, person, car
  float data[] = {50,   70,    //
                  60,   80,    //
                  20,   10,    //
                  40,   10,    //
                  0.6f, 0.1f,  //
                  0.1f, 0.9f};
  const int dims[] = {1, 6, 2};
  const cv::Mat out(3, dims, CV_32F, data);
  const detail::OutputFormat f{YoloLayout::kYoloV8, 2, 2};
  const auto persons = detail::decode(out, f, 0.4, 0);
  ASSERT_EQ(persons.size(), 1u);
  EXPECT_DOUBLE_EQ(persons[0].box.x, 40);
  EXPECT_DOUBLE_EQ(persons[0].box.y, 40);
  EXPECT_NEAR(persons[0].score, 0.6, 1e-6);  // no objectness: the class score itself
  EXPECT_TRUE(detail::decode(out, f, 0.61, 0).empty());
}

TEST(OnnxDetector, NmsKeepsTheBestOfOverlappingBoxes) {
  const std::vector<Box> boxes = {{0, 0, 10, 10}, {1, 0, 10, 10}, {20, 20, 10, 10}, {0, 5, 10, 10}};
  const std::vector<double> scores = {0.8, 0.9, 0.5, 0.7};
  // IoU(0,1) = 90/110 = 0.82; IoU(1,3) = 45/155 = 0.29; IoU(0,3) = 50/150 = 0.33
  EXPECT_EQ(detail::nms(boxes, scores, 0.5), (std::vector<std::size_t>{1, 3, 2}));
  EXPECT_EQ(detail::nms(boxes, scores, 0.9), (std::vector<std::size_t>{1, 0, 3, 2}));
  EXPECT_EQ(detail::nms(boxes, scores, 0.25), (std::vector<std::size_t>{1, 2}));  // 0.29 > 0.25 drops 3
  // equal scores: the earlier box wins
  EXPECT_EQ(detail::nms({{0, 0, 10, 10}, {0, 0, 10, 10}}, {0.5, 0.5}, 0.5), (std::vector<std::size_t>{0}));
  EXPECT_TRUE(detail::nms({}, {}, 0.5).empty());
}

// --- the generated models through OpenCV's DNN module -------------------------------------

TEST(OnnxDetector, LoadsTheGeneratedModels) {
  const OnnxPersonDetector v5(options_for("yolov5_tiny.onnx"));
  EXPECT_EQ(v5.layout(), YoloLayout::kYoloV5);
  EXPECT_EQ(v5.num_classes(), 3);
  EXPECT_EQ(v5.num_candidates(), 16);
  EXPECT_EQ(v5.output_name(), "output0");
  const OnnxPersonDetector v8(options_for("yolov8_tiny.onnx"));
  EXPECT_EQ(v8.layout(), YoloLayout::kYoloV8);
  EXPECT_EQ(v8.num_classes(), 3);
  EXPECT_EQ(v8.num_candidates(), 16);
}

TEST(OnnxDetector, YoloV5LandscapeImageMapsBoxesBack) {
  const OnnxPersonDetector detector(options_for("yolov5_tiny.onnx"));
  expect_detections(detector.detect(image(640, 480)), kLandscape);
}

TEST(OnnxDetector, YoloV8LandscapeImageMapsBoxesBack) {
  const OnnxPersonDetector detector(options_for("yolov8_tiny.onnx"));
  expect_detections(detector.detect(image(640, 480)), kLandscape);
}

TEST(OnnxDetector, PortraitImageMapsBoxesBack) {
  // 240x480 into 320x320: scale 2/3, 160x320, 80 grey columns left and right. D maps to
  // x 307.5.. (outside the 240-wide image) and is dropped; B is clipped at x 240; F is kept.
  const std::vector<Expected> portrait = {
      {0, 150, 60, 180, 0.9025},     // A: x (80-80)*1.5
      {97.5, 7.5, 45, 45, 0.63},     // F
      {172.5, 150, 67.5, 210, 0.6},  // B: x 172.5..247.5 -> 240
      {45, 150, 60, 180, 0.49},      // E
  };
  for (const char* file : {"yolov5_tiny.onnx", "yolov8_tiny.onnx"}) {
    SCOPED_TRACE(file);
    const OnnxPersonDetector detector(options_for(file));
    expect_detections(detector.detect(image(240, 480)), portrait);
  }
}

TEST(OnnxDetector, SquareImageIsNotMoved) {
  const std::vector<Expected> square = {
      {80, 100, 40, 120, 0.9025},  // A
      {285, 110, 35, 100, 0.81},   // D: 285..325 -> 320
      {145, 5, 30, 30, 0.63},      // F
      {195, 100, 50, 140, 0.6},    // B
      {110, 100, 40, 120, 0.49},   // E
  };
  const OnnxPersonDetector detector(options_for("yolov5_tiny.onnx"));
  expect_detections(detector.detect(image(320, 320)), square);
}

TEST(OnnxDetector, ScoreThresholdLetsLowScoresIn) {
  OnnxDetectorOptions o = options_for("yolov8_tiny.onnx");
  o.score_threshold = 0.1;
  std::vector<Expected> want = kLandscape;
  want.push_back({490, 0, 60, 120, 0.2});  // C: y (20-40)/0.5 = -40 -> 0 .. 120
  expect_detections(OnnxPersonDetector(o).detect(image(640, 480)), want);
  o.score_threshold = 0.85;
  expect_detections(OnnxPersonDetector(o).detect(image(640, 480)), {kLandscape[0]});
}

TEST(OnnxDetector, NmsRemovesDuplicatesAndLooserIouKeepsThem) {
  OnnxDetectorOptions o = options_for("yolov5_tiny.onnx");
  o.nms_iou = 0.9;  // the duplicate of A overlaps it by IoU 0.79
  const std::vector<Expected> want = {kLandscape[0],
                                      kLandscape[1],
                                      {168, 124, 80, 240, 0.792},  // A's duplicate
                                      kLandscape[2],
                                      kLandscape[3]};
  expect_detections(OnnxPersonDetector(o).detect(image(640, 480)), want);
  o.nms_iou = 0.1;  // E overlaps A by 0.14 and goes too
  expect_detections(OnnxPersonDetector(o).detect(image(640, 480)),
                    {kLandscape[0], kLandscape[1], kLandscape[2]});
}

TEST(OnnxDetector, OtherClassesAreIgnoredAndPersonClassIsConfigurable) {
  for (const auto& d : OnnxPersonDetector(options_for("yolov5_tiny.onnx")).detect(image(640, 480))) {
    EXPECT_FALSE(std::abs(d.box.x - 240) < 1 && std::abs(d.box.y - 370) < 1) << "the car was reported";
  }
  OnnxDetectorOptions o = options_for("yolov5_tiny.onnx");
  o.person_class = 1;  // a model whose persons are class 1: only the "car" row is one
  expect_detections(OnnxPersonDetector(o).detect(image(640, 480)), {{240, 370, 160, 100, 0.912}});
}

TEST(OnnxDetector, ForcedLayoutMatchingTheModelWorks) {
  OnnxDetectorOptions o = options_for("yolov5_tiny.onnx");
  o.layout = oi::cctv::parse_yolo_layout("yolov5");
  expect_detections(OnnxPersonDetector(o).detect(image(640, 480)), kLandscape);
  EXPECT_THROW(oi::cctv::parse_yolo_layout("yolov7"), oi::ConfigError);
  EXPECT_STREQ(oi::cctv::to_string(YoloLayout::kYoloV8), "yolov8");
}

TEST(OnnxDetector, DetectIsSafeFromSeveralThreads) {
  const OnnxPersonDetector detector(options_for("yolov8_tiny.onnx"));
  std::vector<std::vector<Detection>> results(4);
  std::vector<std::thread> threads;
  for (auto& r : results) {
    threads.emplace_back([&detector, &r] {
      for (int i = 0; i < 5; ++i) r = detector.detect(image(640, 480));
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) expect_detections(r, kLandscape);
}

TEST(OnnxDetector, RejectsImagesThatAreNotRgb8) {
  const OnnxPersonDetector detector(options_for("yolov5_tiny.onnx"));
  EXPECT_THROW(detector.detect(cv::Mat(480, 640, CV_8UC1, cv::Scalar(0))), oi::Error);
  EXPECT_THROW(detector.detect(cv::Mat()), oi::Error);
}

// --- clear errors --------------------------------------------------------------------------

TEST(OnnxDetector, MissingFileIsAClearConfigError) {
  const std::string text = config_error_text(options_for("no_such_model.onnx"));
  EXPECT_NE(text.find("no_such_model.onnx' does not exist"), std::string::npos) << text;
  EXPECT_NE(text.find("check the path"), std::string::npos) << text;
  EXPECT_NE(text.find("format=onnx"), std::string::npos) << text;  // what to do
  OnnxDetectorOptions relative;
  relative.model = "site/detector.onnx";  // a relative path: the message shows where it looked
  const std::string rel_text = config_error_text(relative);
  EXPECT_NE(
      rel_text.find("'site/detector.onnx' (" +
                    (std::filesystem::current_path() / "site/detector.onnx").string() + ") does not exist"),
      std::string::npos)
      << rel_text;
  OnnxDetectorOptions dir = options_for("");
  dir.model = models_dir();
  EXPECT_NE(config_error_text(dir).find("is a directory"), std::string::npos);
  OnnxDetectorOptions none;
  EXPECT_NE(config_error_text(none).find("no ONNX model given"), std::string::npos);
}

TEST(OnnxDetector, CorruptFileIsAClearConfigError) {
  for (const char* file : {"truncated.onnx", "not_onnx.onnx"}) {
    const std::string text = config_error_text(options_for(file));
    EXPECT_NE(text.find(std::string(file) + "' cannot be loaded by OpenCV"), std::string::npos) << text;
    EXPECT_NE(text.find("truncated"), std::string::npos) << text;  // what to check
  }
}

// A whole, well-formed model that OpenCV's DNN module cannot run: an operator it has no layer
// for (a custom domain, or one newer than OpenCV 4.6) is a ConfigError naming the file, the
// operator and what to export, never a crash. A model declaring an opset and IR version newer
// than OpenCV knows is refused the same way, or, where OpenCV ignores the declaration and knows
// every operator (OpenCV 4.6), loads and gives the right boxes.
TEST(OnnxDetector, OperatorOrOpsetOpenCvCannotRunIsAClearConfigError) {
  const std::string text = config_error_text(options_for("unknown_op.onnx"));
  EXPECT_NE(text.find("unknown_op.onnx' cannot be loaded by OpenCV"), std::string::npos) << text;
  EXPECT_NE(text.find("OiNoSuchLayer"), std::string::npos) << "the operator is named: " << text;
  EXPECT_NE(text.find("opset 11-13"), std::string::npos) << text;  // what to export

  const std::string future = config_error_text(options_for("future_opset.onnx"));
  if (future != "NO EXCEPTION") {
    EXPECT_EQ(future.find("WRONG EXCEPTION TYPE"), std::string::npos) << future;
    EXPECT_NE(future.find("future_opset.onnx'"), std::string::npos) << future;
    EXPECT_NE(future.find("opset 11-13"), std::string::npos) << future;
  } else {
    OnnxPersonDetector detector(options_for("future_opset.onnx"));
    expect_detections(detector.detect(image(640, 480)), kLandscape);
  }
}

TEST(OnnxDetector, UnsupportedOutputShapeIsAClearConfigError) {
  const std::string text = config_error_text(options_for("bad_shape.onnx"));
  EXPECT_NE(text.find("bad_shape.onnx' has no output cctv.detect can decode"), std::string::npos) << text;
  EXPECT_NE(text.find("output 'output0': shape [1x3x8x8]"), std::string::npos) << text;
  EXPECT_NE(text.find("[1, 4+C, N]"), std::string::npos) << text;
}

TEST(OnnxDetector, InputSizeTheModelWasNotExportedForIsAClearConfigError) {
  OnnxDetectorOptions o = options_for("yolov5_tiny.onnx");  // a fixed 320x320 input, like a real export
  o.input_width = 640;
  o.input_height = 640;
  const std::string text = config_error_text(o);
  EXPECT_NE(text.find("yolov5_tiny.onnx' does not run on a 640x640 input"), std::string::npos) << text;
  EXPECT_NE(text.find("the size the model was exported for"), std::string::npos) << text;
}

TEST(OnnxDetector, OptionsOutOfRangeAreConfigErrors) {
  OnnxDetectorOptions o = options_for("yolov5_tiny.onnx");
  o.score_threshold = 1.5;
  o.nms_iou = -0.1;
  try {
    OnnxPersonDetector detector(o);
    FAIL() << "no exception";
  } catch (const oi::ConfigError& e) {
    EXPECT_EQ(e.diagnostics().size(), 2u) << e.what();  // every problem at once
  }
  o = options_for("yolov5_tiny.onnx");
  o.person_class = 3;
  const std::string text = config_error_text(o);
  EXPECT_NE(text.find("has 3 classes (0..2)"), std::string::npos) << text;
  o = options_for("yolov5_tiny.onnx");
  o.input_width = 0;
  EXPECT_NE(config_error_text(o).find("out of range"), std::string::npos);
}

}  // namespace
