#include "tip_library.hpp"

#include <fstream>
#include <opencv2/core.hpp>

#include "oi/error.hpp"
#include "oi/files.hpp"
#include "oi/xray/contract.hpp"

namespace oi::xray {
namespace {

namespace fs = std::filesystem;
constexpr const char* kFormat = "openinspect-tip-library";

[[noreturn]] void fail(const fs::path& where, const std::string& what) {
  throw ConfigError("TIP library " + where.string() + ": " + what +
                    " (record one with xray_tip_record, docs/detection.md)");
}

cv::Mat read_patch(const fs::path& file, int width, int height) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(file, "cannot open the patch file");
  cv::Mat m(height, width, CV_32F);
  const std::streamsize bytes = static_cast<std::streamsize>(m.total() * sizeof(float));
  in.read(reinterpret_cast<char*>(m.data), bytes);
  if (in.gcount() != bytes || in.peek() != std::char_traits<char>::eof())
    fail(file,
         "holds not exactly " + std::to_string(width) + "x" + std::to_string(height) + " float32 values");
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x)
      if (!(m.at<float>(y, x) >= 0.0f && m.at<float>(y, x) <= kMaxAttenuation))
        fail(file,
             "pixel (" + std::to_string(x) + ", " + std::to_string(y) + ") is not an attenuation in [0, 12]");
  return m;
}

void write_patch(const fs::path& file, const cv::Mat& m) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  const cv::Mat c = m.isContinuous() ? m : m.clone();
  out.write(reinterpret_cast<const char*>(c.data), static_cast<std::streamsize>(c.total() * sizeof(float)));
  if (!out) throw Error("cannot write " + file.string());
}

}  // namespace

TipLibrary TipLibrary::load(const fs::path& dir) {
  const fs::path index = dir / "library.json";
  if (auto problem = input_file_problem(index)) fail(index, *problem);
  std::ifstream in(index);
  if (!in) fail(index, "not found");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    fail(index, std::string("is not valid JSON: ") + e.what());
  }
  if (!doc.is_object() || doc.value("format", "") != kFormat)
    fail(index, std::string("\"format\" is not \"") + kFormat + "\"");
  if (doc.value("version", 0) != 1) fail(index, "unsupported \"version\" (this build reads 1)");
  if (!doc.contains("threats") || !doc["threats"].is_array() || doc["threats"].empty())
    fail(index, "has no \"threats\"");
  TipLibrary lib;
  for (const auto& t : doc["threats"]) {
    try {
      TipThreat threat;
      threat.id = t.at("id").get<std::string>();
      threat.threat_class = t.at("class").get<std::string>();
      const int w = t.at("width").get<int>(), h = t.at("height").get<int>();
      if (w <= 0 || h <= 0) fail(index, "threat " + threat.id + " has a non-positive size");
      threat.high = read_patch(dir / t.at(plane::kHigh).get<std::string>(), w, h);
      threat.low = read_patch(dir / t.at(plane::kLow).get<std::string>(), w, h);
      threat.source = t.value("source", nlohmann::json());
      lib.threats.push_back(std::move(threat));
    } catch (const nlohmann::json::exception& e) {
      fail(index, "threat entry " + t.dump() + " lacks a field or has the wrong type: " + e.what());
    }
  }
  return lib;
}

void TipLibrary::save(const fs::path& dir) const {
  fs::create_directories(dir);
  nlohmann::json list = nlohmann::json::array();
  for (const TipThreat& t : threats) {
    const std::string high = t.id + "_" + plane::kHigh + ".f32", low = t.id + "_" + plane::kLow + ".f32";
    write_patch(dir / high, t.high);
    write_patch(dir / low, t.low);
    list.push_back({{"id", t.id},
                    {"class", t.threat_class},
                    {"width", t.high.cols},
                    {"height", t.high.rows},
                    {plane::kHigh, high},
                    {plane::kLow, low},
                    {"source", t.source}});
  }
  std::ofstream(dir / "library.json", std::ios::trunc)
      << nlohmann::json{{"format", kFormat}, {"version", 1}, {"threats", list}}.dump(1);
}

cv::Rect choose_position(const cv::Mat& a_high, cv::Size patch, float object_attenuation,
                         std::mt19937_64& rng, int tries) {
  if (patch.width > a_high.cols || patch.height > a_high.rows || patch.area() == 0) return {};
  std::uniform_int_distribution<int> xs(0, a_high.cols - patch.width), ys(0, a_high.rows - patch.height);
  for (int i = 0; i < tries; ++i) {
    const cv::Rect box(xs(rng), ys(rng), patch.width, patch.height);
    // Centre and the four quarter points inside the object: the threat sits in the parcel.
    bool inside = true;
    for (const auto& [fx, fy] : {std::pair{0.5, 0.5}, {0.25, 0.25}, {0.75, 0.25}, {0.25, 0.75}, {0.75, 0.75}})
      inside = inside && a_high.at<float>(box.y + static_cast<int>(fy * box.height),
                                          box.x + static_cast<int>(fx * box.width)) >= object_attenuation;
    if (inside) return box;
  }
  return {};
}

void insert_threat(cv::Mat& a_high, cv::Mat& a_low, const TipThreat& threat, const cv::Rect& box) {
  if ((box & cv::Rect(0, 0, a_high.cols, a_high.rows)) != box || box.size() != threat.high.size())
    throw Error("TIP insertion box lies outside the scan or differs from the patch size");
  for (auto [plane, patch] : {std::pair{&a_high, &threat.high}, {&a_low, &threat.low}}) {
    cv::Mat roi = (*plane)(box);
    cv::add(roi, *patch, roi);
    cv::min(roi, static_cast<double>(kMaxAttenuation), roi);
  }
}

}  // namespace oi::xray
