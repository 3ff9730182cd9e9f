#include "correct_dataset.hpp"

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "oi/error.hpp"
#include "oi/files.hpp"
#include "oi/frame.hpp"
#include "oi/frame_cv.hpp"
#include "oi/xray/contract.hpp"

namespace oi::xray {
namespace {

namespace fs = std::filesystem;

nlohmann::json read_json_file(const fs::path& file) {
  if (auto problem = input_file_problem(file))
    throw Error(file.string() + " " + *problem + "; is the folder a data set written by sink.dataset?");
  std::ifstream in(file);
  if (!in)
    throw Error("cannot open " + file.string() + "; is the folder a data set written by sink.dataset?");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + " is not valid JSON: " + e.what());
  }
}

// A frame with the u16 planes `high` and `low` of a data set entry (scan or reference).
FramePtr raw_frame(const fs::path& dir, const nlohmann::json& entry) {
  FramePtr frame = Frame::create(std::string(oi::xray::frame_kind::kScan));
  for (const char* channel : {plane::kHigh, plane::kLow}) {
    const fs::path file = dir / entry.at("files").at(channel).get<std::string>();
    const cv::Mat m = cv::imread(file.string(), cv::IMREAD_UNCHANGED);
    if (m.empty() || m.type() != CV_16UC1)
      throw Error("cannot read " + file.string() + " as a 16-bit grey image");
    Plane& p = frame->add_plane(channel, PixelFormat::kU16, m.cols, m.rows);
    m.copyTo(as_mat(p));
  }
  return frame;
}

}  // namespace

CorrectedDataset::CorrectedDataset(fs::path dir) : dir_(std::move(dir)) {
  index_ = read_json_file(dir_ / "dataset.json");
  const std::string index_file = (dir_ / "dataset.json").string();
  if (!index_.is_object() || index_.value("format", std::string()) != kDatasetFormat)
    throw Error(index_file + " is not a data set index (its 'format' is not \"" + kDatasetFormat +
                "\"); pass a folder written by sink.dataset");
  if (!index_.contains("version") || index_["version"] != kDatasetVersion)
    throw Error(index_file + " has format version " +
                (index_.contains("version") ? index_["version"].dump() : "(none)") +
                ", this build reads version " + std::to_string(kDatasetVersion) +
                "; write the data set again with sink.dataset");
  if (!index_.contains("scans") || !index_["scans"].is_array() || !index_.contains("references") ||
      !index_["references"].is_array())
    throw Error(index_file +
                " has no 'scans' and 'references' lists: not a data set written by sink.dataset");
}

CorrectedDataset::Scan CorrectedDataset::scan(std::size_t index) const {
  const nlohmann::json& references = index_["references"];
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t dark = kNone, air = kNone;
  for (std::size_t r = 0; r < references.size(); ++r) {
    if (references[r].value("before_scan_index", std::size_t{0}) > index) continue;
    (references[r].value(attr::kCalibration, "") == calibration::kDark ? dark : air) = r;
  }
  if (dark == kNone || air == kNone)
    throw Error("data set " + dir_.string() + " has no dark and air reference before scan " +
                std::to_string(index) +
                "; write it with references: start (samples/sim_dataset/pipeline.yaml)");
  auto table = tables_.find({dark, air});
  if (table == tables_.end()) {
    ReferenceLine dark_line, air_line;
    if (Status s = average_reference(*raw_frame(dir_, references[dark]), dark_line); s.is_error())
      throw Error(s.message());
    if (Status s = average_reference(*raw_frame(dir_, references[air]), air_line); s.is_error())
      throw Error(s.message());
    if (dark_line.high.size() != air_line.high.size())
      throw Error("data set " + dir_.string() + ": the dark reference is " +
                  std::to_string(dark_line.high.size()) + " pixels wide, the air reference " +
                  std::to_string(air_line.high.size()) + "; both must come from the same detector");
    table = tables_
                .emplace(std::pair{dark, air},
                         build_correction_table(dark_line, air_line, kDefaultDeadTolerance, {}))
                .first;
  }

  const nlohmann::json& entry = index_["scans"].at(index);
  Scan out;
  out.json = read_json_file(dir_ / entry.at("json").get<std::string>());
  FramePtr raw = raw_frame(dir_, entry);
  const Plane& high = raw->plane(plane::kHigh);
  const Plane& low = raw->plane(plane::kLow);
  // The correction reads one reference column per pixel and the low plane line by line with
  // the high one: any other size would read outside them.
  if (high.width != low.width || high.height != low.height || high.width != table->second.width())
    throw Error("data set " + dir_.string() + ", scan " + std::to_string(index) + " (" +
                entry.at("json").get<std::string>() + "): high " + std::to_string(high.width) + "x" +
                std::to_string(high.height) + ", low " + std::to_string(low.width) + "x" +
                std::to_string(low.height) + " and references " + std::to_string(table->second.width()) +
                " pixels wide do not match; the scan and its references must come from one detector");
  Plane a_high = Plane::allocate(PixelFormat::kF32, high.width, high.height);
  Plane a_low = Plane::allocate(PixelFormat::kF32, high.width, high.height);
  correct_reference(high, low, table->second, a_high, a_low);
  out.a_high = as_mat(a_high).clone();
  out.a_low = as_mat(a_low).clone();
  out.dead_columns = table->second.dead;
  return out;
}

}  // namespace oi::xray
