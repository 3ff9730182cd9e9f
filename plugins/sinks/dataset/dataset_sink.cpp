// sink.dataset: writes assembled X-ray scans as a labelled data set: one 16-bit PNG per
// energy channel, one JSON file per scan (scan id, size, tube settings, ground truth), the
// dark and air references, and an index (dataset.json) for the whole run.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "oi/files.hpp"
#include "oi/frame_cv.hpp"
#include "oi/plugin.hpp"
#include "oi/xray/contract.hpp"

namespace fs = std::filesystem;

namespace {

// Channel planes in the order they are written: the scanner's raw u16 channels.
constexpr const char* kChannels[] = {oi::xray::plane::kHigh, oi::xray::plane::kLow};

// Attributes the dataset lifts out of a frame's metadata into the scan's JSON (the simulated
// scanner sets them; a real scanner sets "tube" at most).
constexpr const char* kTruthKey = oi::xray::attr::kGroundTruth;
constexpr const char* kTubeKey = oi::xray::attr::kTube;
constexpr const char* kSceneKey = oi::xray::attr::kScene;
constexpr const char* kCalibrationKey = oi::xray::attr::kCalibration;

std::string scan_stem(const std::string& prefix, std::uint64_t scan_id, int repeat) {
  char id[32];
  std::snprintf(id, sizeof id, "%06llu", static_cast<unsigned long long>(scan_id));
  std::string stem = (prefix.empty() ? std::string() : prefix + "_") + id;
  if (repeat > 0) stem += "_" + std::to_string(repeat + 1);
  return stem;
}

class DatasetSink final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.describe(
        "Writes assembled X-ray scans as a labelled data set. Per scan: `<prefix>_<scan id>_high.png` "
        "and `_low.png` (16-bit grey, the raw detector counts) and `<prefix>_<scan id>.json` with the "
        "scan id, size, tube settings, scene description and the ground-truth list from the frame's "
        "`ground_truth` attribute. Frames with attribute `calibration` (`dark` or `air`) are "
        "written as "
        "`dark_high.png`, `air_low.png`, ... Ends the run with `dataset.json`, the index of everything "
        "written. See docs/sim-scenes.md.");
    spec.input("in", oi::PortType::of(oi::xray::frame_kind::kScan, {oi::PixelFormat::kU16}),
               "whole scans (put scan.assemble before this sink) and calibration references");
    spec.param("dir", dir_).without_default().describe("Output folder; created when missing.");
    spec.param("prefix", prefix_).describe("Start of every scan's file names; empty for none.");
    spec.param("overwrite", overwrite_)
        .describe(
            "Allow writing into a folder that already holds a data set (its files are replaced "
            "where names collide, others stay). Off: such a folder is an error at start.");
  }

  std::vector<std::string> validate(const oi::StageConfig&) const override {
    std::vector<std::string> problems;
    std::error_code ec;
    if (dir_.empty()) problems.push_back("`dir` is empty; name the folder the data set goes to");
    if (fs::exists(dir_, ec) && !fs::is_directory(dir_, ec)) {
      problems.push_back("`dir` " + dir_.string() +
                         " exists and is not a folder; choose another output folder");
    }
    if (prefix_.find('/') != std::string::npos) {
      problems.push_back("`prefix` '" + prefix_ + "' contains '/'; use `dir` for folders");
    }
    return problems;
  }

  void start(const oi::StageConfig&) override {
    std::error_code ec;
    if (!overwrite_ && fs::exists(dir_ / "dataset.json", ec)) {
      throw oi::ConfigError(dir_.string() +
                            " already holds a data set (dataset.json); choose another `dir` or set "
                            "`overwrite: true` to write into it");
    }
    fs::create_directories(dir_, ec);
    if (ec) {
      throw oi::ConfigError("cannot create output folder '" + dir_.string() + "': " + ec.message() +
                            "; set `dir` to a writable folder");
    }
  }

  oi::Status process(oi::StageContext& ctx) override {
    oi::FramePtr frame = ctx.take(0);
    const nlohmann::json& attributes = frame->metadata().attributes;
    if (auto it = attributes.find(kCalibrationKey); it != attributes.end()) {
      return write_reference(*frame, it->is_string() ? it->get<std::string>() : it->dump());
    }
    return write_scan(*frame);
  }

  oi::Status finish(oi::StageContext&) override { return write_index(); }

  // A run stopped by an error still leaves an index of what it wrote.
  void stop() override {
    if (!index_written_ && (!scans_.empty() || !references_.empty())) (void)write_index();
  }

  nlohmann::json summary() const override {
    return {{"output", fs::absolute(dir_).string()},
            {"written", files_ > 0},
            {"scans", scans_.size()},
            {"references", references_.size()},
            {"truth_objects", truth_objects_},
            {"scans_without_ground_truth", without_truth_},
            {"files", files_}};
  }

 private:
  // Writes the channel planes of `frame` as `<stem>_<channel>.png`; fills `written` with
  // channel -> file name.
  oi::Status write_channels(const oi::Frame& frame, const std::string& stem, const std::string& what,
                            nlohmann::json& written) {
    written = nlohmann::json::object();
    for (const char* channel : kChannels) {
      if (!frame.has_plane(channel)) continue;
      const oi::Plane& plane = frame.plane(channel);
      if (plane.format != oi::PixelFormat::kU16) {
        return oi::Status::error(what + ": plane '" + channel + "' is " +
                                 std::string(oi::to_string(plane.format)) +
                                 ", not u16; this sink stores raw detector counts, so connect it to the "
                                 "scanner's scans (after scan.assemble), not to processed images");
      }
      const std::string file = stem + "_" + channel + ".png";
      std::vector<unsigned char> png;
      try {
        if (!cv::imencode(".png", oi::as_mat(plane), png))
          return oi::Status::error("cannot encode " + (dir_ / file).string());
      } catch (const cv::Exception& e) {
        return oi::Status::error("cannot encode " + (dir_ / file).string() + ": " + e.what());
      }
      if (oi::Status s = oi::write_file_atomically(
              dir_ / file, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
          !s.is_ok()) {
        return s;
      }
      written[channel] = file;
      ++files_;
    }
    if (written.empty()) {
      std::string names;
      for (const auto& n : frame.plane_names()) names += (names.empty() ? "" : ", ") + n;
      return oi::Status::error(what +
                               " has no 'high' or 'low' plane (it has: " + (names.empty() ? "none" : names) +
                               "); this sink needs the scanner's energy channels");
    }
    return oi::Status::ok();
  }

  oi::Status write_json(const std::string& file, const nlohmann::json& j) {
    if (oi::Status s = oi::write_file_atomically(dir_ / file, j.dump(2) + "\n"); !s.is_ok()) return s;
    ++files_;
    return oi::Status::ok();
  }

  static nlohmann::json common(const oi::Frame& frame) {
    const oi::FrameMetadata& m = frame.metadata();
    const std::string first = frame.plane_names().empty() ? std::string() : frame.plane_names().front();
    const int width = first.empty() ? 0 : frame.plane(first).width;
    const int height = first.empty() ? 0 : frame.plane(first).height;
    return {{"width", width},
            {"height", height},
            {"pixel_pitch_mm", m.pixel_pitch_mm},
            {"source_device", m.source_device},
            {"capture_time_ns", m.capture_time_ns},
            {"incomplete", m.incomplete}};
  }

  oi::Status write_reference(const oi::Frame& frame, const std::string& kind) {
    if (kind != oi::xray::calibration::kDark && kind != oi::xray::calibration::kAir) {
      return oi::Status::error("frame " + std::to_string(frame.metadata().sequence) + " has calibration '" +
                               kind + "'; this sink knows 'dark' and 'air'");
    }
    // The first reference of each kind is `dark_*.png`; a scanner that recalibrates during
    // the run gets `dark_2_*.png`, ... so no reference is lost.
    const int n = ++reference_count_[kind];
    const std::string stem = n == 1 ? kind : kind + "_" + std::to_string(n);
    nlohmann::json files;
    if (auto s = write_channels(frame, stem, kind + " reference", files); !s.is_ok()) return s;
    nlohmann::json entry = common(frame);
    entry[kCalibrationKey] = kind;
    entry["files"] = files;
    entry["before_scan_index"] = scans_.size();  // scans written before it (which scans it applies to)
    for (const char* key : {kTubeKey}) {
      if (frame.metadata().attributes.contains(key)) entry[key] = frame.metadata().attributes[key];
    }
    if (auto s = write_json(stem + ".json", entry); !s.is_ok()) return s;
    entry["json"] = stem + ".json";
    references_.push_back(std::move(entry));
    return oi::Status::ok();
  }

  oi::Status write_scan(const oi::Frame& frame) {
    const oi::FrameMetadata& m = frame.metadata();
    // A scan id seen again (a scan the assembler cut short continues under the same id) is
    // written as `<id>_2`, `<id>_3`: never over an earlier file.
    const int repeat = seen_[m.scan_id]++;
    const std::string stem = scan_stem(prefix_, m.scan_id, repeat);
    nlohmann::json files;
    if (auto s = write_channels(frame, stem, "scan " + std::to_string(m.scan_id), files); !s.is_ok())
      return s;
    nlohmann::json j = {{"scan_id", m.scan_id}};
    j.update(common(frame));
    j["files"] = files;
    nlohmann::json notes = nlohmann::json::array();
    if (repeat > 0)
      notes.push_back("scan id " + std::to_string(m.scan_id) + " arrived " + std::to_string(repeat + 1) +
                      " times");
    if (m.incomplete)
      notes.push_back(
          "the scan was cut short (incomplete): its ground truth may lie partly outside the image");
    const nlohmann::json& a = m.attributes;
    j[kTubeKey] = a.contains(kTubeKey) ? a[kTubeKey] : nlohmann::json(nullptr);
    j[kSceneKey] = a.contains(kSceneKey) ? a[kSceneKey] : nlohmann::json(nullptr);
    const char* truth_key = kTruthKey;
    if (a.contains(truth_key) && a[truth_key].is_array()) {
      j[kTruthKey] = a[truth_key];
      j["ground_truth_known"] = true;
      truth_objects_ += a[truth_key].size();
    } else {
      // Unknown is not the same as "no threats": say which one this is.
      j[kTruthKey] = nlohmann::json::array();
      j["ground_truth_known"] = false;
      notes.push_back(a.contains(truth_key)
                          ? "the ground_truth attribute is not a list; ignored"
                          : "the frame carries no ground truth (e.g. a real scanner): the empty "
                            "list means unknown, not clear");
      ++without_truth_;
    }
    nlohmann::json other = nlohmann::json::object();
    for (const auto& [key, value] : a.items()) {
      if (key != truth_key && key != kTubeKey && key != kSceneKey) other[key] = value;
    }
    j["attributes"] = other;
    j["notes"] = notes;
    if (auto s = write_json(stem + ".json", j); !s.is_ok()) return s;
    scans_.push_back({{"scan_id", m.scan_id},
                      {"json", stem + ".json"},
                      {"files", files},
                      {"truth_objects", j[kTruthKey].size()},
                      {"ground_truth_known", j["ground_truth_known"]}});
    return oi::Status::ok();
  }

  oi::Status write_index() {
    nlohmann::json index = {{"format", oi::xray::kDatasetFormat},
                            {"version", oi::xray::kDatasetVersion},
                            {"prefix", prefix_},
                            {"references", references_},
                            {"scans", scans_}};
    if (reference_count_.empty()) {
      index["notes"] = {
          "no dark or air reference arrived: correct the images with references taken elsewhere"};
    }
    index_written_ = true;
    return write_json("dataset.json", index);
  }

  // Parameters.
  fs::path dir_;                 // dir
  std::string prefix_ = "scan";  // prefix
  bool overwrite_ = false;       // overwrite

  std::vector<nlohmann::json> scans_;
  std::vector<nlohmann::json> references_;
  std::map<std::uint64_t, int> seen_;
  std::map<std::string, int> reference_count_;
  std::uint64_t truth_objects_ = 0;
  std::uint64_t without_truth_ = 0;
  std::uint64_t files_ = 0;
  bool index_written_ = false;
};

}  // namespace

OI_REGISTER_STAGE(DatasetSink, "sink.dataset",
                  "Writes X-ray scans as a labelled data set (16-bit PNG + JSON).");
OI_PLUGIN("oi-sink-dataset", "0.1.0", "Apache-2.0")
