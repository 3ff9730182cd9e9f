#include "corrected_dataset.hpp"

#include <sys/wait.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>

#include <opencv2/imgcodecs.hpp>

#include "correct_cpu.hpp"
#include "oi/error.hpp"
#include "oi/frame.hpp"
#include "oi/frame_cv.hpp"

namespace oi::xray::testing {
namespace {

cv::Mat read_png(const std::filesystem::path& file) {
  cv::Mat m = cv::imread(file.string(), cv::IMREAD_UNCHANGED);
  if (m.empty() || m.type() != CV_16UC1) throw Error("cannot read " + file.string() + " as a 16-bit grey image");
  return m;
}

// A frame with u16 planes high and low read from the data set entry's files.
FramePtr raw_frame(const std::filesystem::path& dataset, const nlohmann::json& entry) {
  FramePtr frame = Frame::create(std::string(frame_kind::kScan));
  for (const char* channel : {"high", "low"}) {
    const cv::Mat m = read_png(dataset / entry["files"][channel].get<std::string>());
    Plane& p = frame->add_plane(channel, PixelFormat::kU16, m.cols, m.rows);
    m.copyTo(as_mat(p));
  }
  return frame;
}

}  // namespace

nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw Error("cannot open " + file.string());
  return nlohmann::json::parse(in);
}

std::size_t dataset_scans(const std::filesystem::path& dataset) {
  return read_json(dataset / "dataset.json")["scans"].size();
}

CorrectedScan load_corrected_scan(const std::filesystem::path& dataset, std::size_t index) {
  const nlohmann::json idx = read_json(dataset / "dataset.json");
  nlohmann::json dark, air;
  for (const auto& r : idx["references"]) {
    if (r["before_scan_index"].get<std::size_t>() > index) continue;
    (r["calibration"] == "dark" ? dark : air) = r;
  }
  if (dark.is_null() || air.is_null()) throw Error("data set " + dataset.string() + " has no dark/air reference");
  ReferenceLine dark_line, air_line;
  if (auto e = average_reference(*raw_frame(dataset, dark), dark_line)) throw Error(*e);
  if (auto e = average_reference(*raw_frame(dataset, air), air_line)) throw Error(*e);
  const CorrectionTable table = build_correction_table(dark_line, air_line, 0.5, {});

  CorrectedScan out;
  out.scan_json = read_json(dataset / idx["scans"][index]["json"].get<std::string>());
  FramePtr scan = raw_frame(dataset, out.scan_json);
  const Plane& high = scan->plane("high");
  Plane a_high = Plane::allocate(PixelFormat::kF32, high.width, high.height);
  Plane a_low = Plane::allocate(PixelFormat::kF32, high.width, high.height);
  correct_reference(high, scan->plane("low"), table, a_high, a_low);
  out.a_high = as_mat(a_high).clone();
  out.a_low = as_mat(a_low).clone();
  return out;
}

int run_command(const std::string& command, const std::filesystem::path& log) {
  const std::string line = command + " > '" + log.string() + "' 2>&1";
  const int status = std::system(line.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace oi::xray::testing
