#include "materials_test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <utility>

#include "oi/plugin_registry.hpp"
#include "oi/xray/contract.hpp"

namespace oi::xray::testing {

MaterialsStage::MaterialsStage(const nlohmann::json& params)
    : stage_(oi::test::plugin_registry(OI_MATERIALS_PLUGIN), "xray.materials", params, "materials") {}

FramePtr MaterialsStage::run(FramePtr input) {
  FramePtr out;
  const Status s = stage_.run(std::move(input), out);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return out;
}

nlohmann::json synthetic_calibration() {
  // (A_high, R) points read off docs/xray-physics.md's table and interpolated; mass
  // attenuation A_high / (density * thickness).
  auto curve = [](const char* name, double z, std::initializer_list<std::array<double, 3>> pts) {
    nlohmann::json points = nlohmann::json::array();
    for (const auto& p : pts)
      points.push_back({{"a_high", p[0]}, {"ratio", p[1]}, {"mass_attenuation", p[2]}});
    return nlohmann::json{{"name", name}, {"z_eff", z}, {"points", points}};
  };
  return {{"format", "openinspect-material-calibration"},
          {"version", 1},
          {"tube", {{"kv", 160}, {"ma", 1.0}}},
          {"noise_floor", {{"a_high_max", 6.0}, {"a_low_max", 7.5}}},
          {"materials",
           {curve("polyethylene", 5.5, {{0.16, 1.26, 0.17}, {0.82, 1.23, 0.174}, {2.5, 1.19, 0.13}}),
            curve("aluminium", 13,
                  {{0.10, 2.70, 0.185}, {0.49, 1.98, 0.18}, {2.38, 1.45, 0.176}, {3.6, 1.38, 0.167}}),
            curve("steel", 26, {{0.34, 2.9, 0.43}, {0.68, 2.47, 0.43}, {2.74, 1.61, 0.35}, {4.5, 1.45, 0.3}}),
            curve("lead", 82, {{1.99, 1.37, 3.5}, {3.4, 1.25, 3.0}, {6.33, 1.16, 2.8}})}}};
}

std::filesystem::path write_text(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << text;
  return file;
}

FramePtr make_attenuation_frame(const cv::Mat& a_high, const cv::Mat& a_low) {
  FramePtr frame = Frame::create(std::string(oi::xray::frame_kind::kScanBlock));
  Plane& h = frame->add_plane(plane::kAHigh, PixelFormat::kF32, a_high.cols, a_high.rows);
  Plane& l = frame->add_plane(plane::kALow, PixelFormat::kF32, a_high.cols, a_high.rows);
  for (int y = 0; y < a_high.rows; ++y) {
    std::copy_n(a_high.ptr<float>(y), a_high.cols, h.row<float>(y));
    std::copy_n(a_low.ptr<float>(y), a_low.cols, l.row<float>(y));
  }
  return frame;
}

}  // namespace oi::xray::testing
