// File helpers of the report sinks.
#include "report_files.hpp"

#include <cstdio>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <string_view>
#include <vector>

#include "oi/files.hpp"
#include "oi/xray/contract.hpp"

namespace fs = std::filesystem;

namespace oi::xray::report {

std::vector<std::string> validate_dir(const fs::path& dir) {
  std::vector<std::string> problems;
  std::error_code ec;
  if (dir.empty()) problems.push_back("`dir` is empty; name the folder the reports go to");
  if (!dir.empty() && fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    problems.push_back("`dir` " + dir.string() + " exists and is not a folder; choose another output folder");
  }
  return problems;
}

void prepare_dir(const fs::path& dir, bool overwrite, const std::string& what) {
  std::error_code ec;
  if (!overwrite && fs::is_directory(dir, ec)) {
    // Only this sink's own files count: sink.report and sink.summary may share a folder.
    const bool reports = what.rfind("scan_", 0) == 0;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      const bool ours = reports ? (name.rfind("scan_", 0) == 0 && entry.path().extension() == ".json")
                                : (name == "summary.json" || name == "summary.html");
      if (ours) {
        throw ConfigError(dir.string() + " already holds " + what + " (" + name +
                          "); choose another `dir` or set `overwrite: true` to write into it");
      }
    }
  }
  fs::create_directories(dir, ec);
  if (ec) {
    throw ConfigError("cannot create output folder '" + dir.string() + "': " + ec.message() +
                      "; set `dir` to a writable folder");
  }
}

std::string scan_stem(std::uint64_t scan_id, int repeat) {
  char id[48];
  std::snprintf(id, sizeof id, "scan_%06llu", static_cast<unsigned long long>(scan_id));
  std::string stem = id;
  if (repeat > 0) stem += "_" + std::to_string(repeat + 1);
  return stem;
}

Status write_png(const fs::path& file, const cv::Mat& image) {
  std::vector<unsigned char> png;
  try {
    if (!cv::imencode(".png", image, png)) return Status::error("cannot encode " + file.string() + " as PNG");
  } catch (const cv::Exception& e) {
    return Status::error("cannot encode " + file.string() + " as PNG: " + e.what());
  }
  return write_file_atomically(file, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

Status write_text(const fs::path& file, const std::string& text) { return write_file_atomically(file, text); }

Status write_json(const fs::path& file, const nlohmann::json& j) {
  return write_text(file, j.dump(2) + "\n");
}

Status read_incoming(const FrameMetadata& meta, eval::ScanRecord& record, bool& is_reference) {
  is_reference = meta.attributes.contains(attr::kCalibration);
  if (is_reference) return Status::ok();
  if (std::string err = eval::parse_scan(meta.scan_id, meta.attributes, record); !err.empty()) {
    return Status::error(err + "; fix the stage that wrote it");
  }
  return Status::ok();
}

}  // namespace oi::xray::report
