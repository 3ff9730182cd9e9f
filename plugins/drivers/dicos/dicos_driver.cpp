// dicos: an X-ray scanner that plays DICOS DX images back as scan blocks, so that archived
// scans, also from other vendors' machines, can be re-inspected with OpenInspect's chain. The
// images of one scan (same StudyInstanceUID: one per energy channel) become one scan, in
// acquisition order; TDR files beside them are skipped. For transmission images (sink.dicos's
// default: corrected, air = 65535) the references are exactly 0 and 65535; for raw counts they
// are the archive's own when sink.dicos wrote them (DX images marked as calibration); an archive
// without them gets `dark_level` and, per detector pixel, the brightest value that pixel reaches
// in the archive (the belt between objects is air). docs/integration.md, "DICOS".
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "dicos_files.hpp"
#include "oi/files.hpp"
#include "oi/hal/driver.hpp"
#include "oi/hal/scan_timing.hpp"
#include "oi/hal/uri.hpp"
#include "oi/hal/xray_scanner.hpp"
#include "oi/xray/contract.hpp"

namespace fs = std::filesystem;

namespace {

using oi::Status;

struct ArchivedReference {
  fs::path file;
  std::int64_t capture_time_ns = 0;
};

struct ArchivedScan {
  std::string study_uid;
  std::int64_t capture_time_ns = 0;
  std::uint64_t scan_id = 0;
  int width = 0;
  int height = 0;
  std::map<std::string, fs::path> channels;  // "high" / "low" -> file
  bool transmission = false;                 // dark 0, air 65535 (dicos::kTransmissionAir)
};

class DicosScanner final : public oi::hal::XrayScanner {
 public:
  oi::hal::ScanGeometry geometry() const override { return geometry_; }
  oi::hal::XraySource source() const override { return source_; }

 protected:
  void on_setup(oi::hal::DeviceSpec& spec) override {
    spec.describe(
        "Plays DICOS DX images back as scan blocks (`dicos:///abs/folder`, or `dicos://folder` relative to "
        "the "
        "working folder): the images of one scan (one per energy channel, same StudyInstanceUID) make one "
        "scan, "
        "in acquisition order; 16-bit uncompressed images only; TDR files are skipped. A file that is not "
        "DICOS, is truncated or is compressed is an error at configure naming the file. The dark and air "
        "references (`references: start`) are 0 and 65535 for transmission images (sink.dicos's default), "
        "the "
        "archive's own calibration images for raw counts when it has them, else `dark_level` and, per "
        "detector pixel, the brightest value of that pixel in the "
        "archive. See docs/integration.md.");
    spec.set_capabilities(scanner_capabilities(/*finite=*/true));
    oi::hal::ScannerParams standard(spec);
    standard.lines_per_block(geometry_.lines_per_block).range(1, 4096);
    spec.param("dark_level", dark_level_)
        .range(0, 65535)
        .describe("The detector offset the dark reference holds (archived images are raw counts).");
    spec.param("loop", loop_).describe("Start again after the last scan instead of ending.");
  }

  Status on_configure(const std::string& uri, const oi::ParamSet&) override {
    oi::Result<std::string> target =
        oi::hal::Uri::target_of(uri, "dicos", "'dicos:///folder' or 'dicos://relative/folder'");
    if (!target.ok()) return target.status();
    folder_ = target.value();
    std::error_code error;
    if (!fs::is_directory(folder_, error)) {
      if (error && error != std::errc::no_such_file_or_directory)
        return Status::error("DICOS folder " + folder_.string() + " cannot be read: " + error.message() +
                             ": " + oi::read_error_advice(error.value()));
      return Status::error("DICOS folder " + folder_.string() + " does not exist or is not a folder");
    }
    scans_.clear();
    references_.clear();
    std::map<std::string, ArchivedScan> by_study;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(folder_, error))
      if (entry.is_regular_file() && entry.path().extension() == ".dcm") files.push_back(entry.path());
    // A folder this user may not list is not an empty one.
    if (error)
      return Status::error("DICOS folder " + folder_.string() + " cannot be listed: " + error.message() +
                           ": " + oi::read_error_advice(error.value()));
    std::sort(files.begin(), files.end());
    skipped_ = 0;
    air_.clear();
    for (const fs::path& file : files) {
      oi::dicos::DxImage image;
      try {
        image = oi::dicos::read_dx(file);
      } catch (const oi::Error& e) {
        if (std::string(e.what()).find("is not a DICOS DX image") != std::string::npos &&
            std::string(e.what()).find("(SOP class missing)") == std::string::npos) {
          ++skipped_;  // a TDR or another DICOS object beside the images
          continue;
        }
        return Status::error(e.what());
      }
      if (!image.scan.calibration.empty()) {
        // The latest reference of each kind and channel is the one the archive was corrected with.
        ArchivedReference& reference = references_[image.scan.calibration + "/" + image.channel.name];
        if (reference.file.empty() || image.scan.capture_time_ns >= reference.capture_time_ns)
          reference = {file, image.scan.capture_time_ns};
        continue;
      }
      ArchivedScan& scan = by_study[image.study_uid];
      if (!scan.channels.empty() &&
          (scan.width != image.channel.width || scan.height != image.channel.height))
        return Status::error("DICOS file " + file.string() + " is " + std::to_string(image.channel.width) +
                             " x " + std::to_string(image.channel.height) +
                             " but the other channel of its scan is " + std::to_string(scan.width) + " x " +
                             std::to_string(scan.height));
      if (scan.channels.count(image.channel.name))
        return Status::error("DICOS file " + file.string() + " is a second " + image.channel.name +
                             " channel of scan " + image.study_uid + " (also " +
                             scan.channels[image.channel.name].string() + ")");
      scan.transmission = image.scan.transmission;
      scan.study_uid = image.study_uid;
      scan.capture_time_ns = image.scan.capture_time_ns;
      scan.scan_id = image.scan.scan_id;
      scan.width = image.channel.width;
      scan.height = image.channel.height;
      scan.channels[image.channel.name] = file;
      if (image.scan.pixel_pitch_mm > 0) geometry_.pixel_pitch_mm = image.scan.pixel_pitch_mm;
      if (image.scan.kv > 0) source_.kv = image.scan.kv;
      // Air: the brightest value each detector pixel reaches (columns are detector pixels).
      std::vector<std::uint16_t>& air = air_[image.channel.name];
      air.resize(static_cast<std::size_t>(std::max<int>(static_cast<int>(air.size()), image.channel.width)),
                 0);
      for (int y = 0; y < image.channel.height; ++y)
        for (int x = 0; x < image.channel.width; ++x)
          air[x] =
              std::max(air[x], image.channel.pixels[static_cast<std::size_t>(y) * image.channel.width + x]);
    }
    for (auto& [uid, scan] : by_study) scans_.push_back(std::move(scan));
    if (scans_.empty())
      return Status::error(
          "DICOS folder " + folder_.string() + " has no DX images (*.dcm)" +
          (skipped_ > 0 ? " (only " + std::to_string(skipped_) + " other DICOS objects)" : ""));
    std::stable_sort(scans_.begin(), scans_.end(), [](const ArchivedScan& a, const ArchivedScan& b) {
      return a.capture_time_ns != b.capture_time_ns ? a.capture_time_ns < b.capture_time_ns
                                                    : a.scan_id < b.scan_id;
    });
    geometry_.pixels_per_line = scans_.front().width;
    geometry_.channels = scans_.front().channels.count("low") ? 2 : 1;
    transmission_ = scans_.front().transmission;
    for (const ArchivedScan& scan : scans_) {
      if (scan.transmission != transmission_)
        return Status::error("DICOS folder " + folder_.string() +
                             " mixes transmission and raw-count images (scan " + scan.study_uid +
                             "); play one kind at a time");
      if (scan.width != geometry_.pixels_per_line)
        return Status::error("DICOS folder " + folder_.string() + ": scan " + scan.study_uid + " has " +
                             std::to_string(scan.width) + " detector pixels, the first " +
                             std::to_string(geometry_.pixels_per_line) +
                             "; play one scanner's images at a time");
      if (static_cast<int>(scan.channels.size()) != geometry_.channels || !scan.channels.count("high"))
        return Status::error("DICOS folder " + folder_.string() + ": scan " + scan.study_uid +
                             " has channels " + channel_list(scan) + " where the first scan has " +
                             (geometry_.channels == 2 ? "high, low" : "high"));
    }
    set_identity({"OpenInspect", "DICOS archive player", folder_.filename().string(), "n/a", "0.1.0"});
    return Status::ok();
  }

  oi::hal::Result<std::vector<oi::hal::DeviceInfo>> on_enumerate() override {
    return std::vector<oi::hal::DeviceInfo>{};
  }

  Status on_start() override {
    source_.state = oi::hal::SourceState::kOn;
    next_line_ = 0;
    current_.clear();
    return Status::ok();
  }

  Status on_stop() override {
    source_.state = oi::hal::SourceState::kOff;
    // A scan stopped in the middle cannot be resumed: the next start begins the next scan.
    if (next_line_ > 0) next_scan();
    return Status::ok();
  }

  // After a scan whose file could not be read (removed, replaced or damaged since configure):
  // that scan is given up, its blocks counted lost, and the next one plays. The folder itself
  // gone fails the recovery naming it (the supervisor retries, then gives up).
  Status on_recover() override {
    std::error_code error;
    if (!fs::is_directory(folder_, error))
      return Status::error("DICOS folder " + folder_.string() +
                           " is gone: it was removed or moved while it was played");
    if (!unreadable_.empty() && scan_index_ < scans_.size()) {
      const int height = scans_[scan_index_].height;
      const int blocks = (height + geometry_.lines_per_block - 1) / geometry_.lines_per_block;
      spdlog::warn("dicos: scan {} of {} skipped, {} could not be read; its {} block(s) are counted lost",
                   scan_index_ + 1, scans_.size(), unreadable_.string(), blocks);
      count_lost(static_cast<std::uint64_t>(blocks));
      next_scan();
    }
    unreadable_.clear();
    return Status::ok();
  }

  Status on_read_block(oi::FramePtr& block, std::chrono::milliseconds) override {
    if (scan_index_ >= scans_.size()) {
      if (!loop_) return Status::end_of_stream();
      scan_index_ = 0;
    }
    const ArchivedScan& scan = scans_[scan_index_];
    if (current_.empty()) {
      // Read this scan's pixels now (the archive may be large): once per scan. A file removed or
      // changed since configure is a device fault naming it (on_recover() skips its scan).
      for (const std::string& name : geometry_.plane_names()) {
        const fs::path& file = scan.channels.at(name);
        const std::string which = "scan " + std::to_string(scan_index_ + 1) + " of " +
                                  std::to_string(scans_.size()) + " could not be played";
        oi::dicos::DxImage image;
        try {
          image = oi::dicos::read_dx(file);
        } catch (const oi::Error& e) {
          unreadable_ = file;
          std::error_code error;
          if (!fs::exists(file, error))
            return Status::error("DICOS file " + file.string() + " was removed after the run started; " +
                                 which);
          return Status::error(std::string(e.what()) + "; the file changed after the run started, " + which);
        }
        if (image.study_uid != scan.study_uid || image.channel.name != name ||
            image.channel.width != scan.width || image.channel.height != scan.height) {
          unreadable_ = file;
          return Status::error("DICOS file " + file.string() +
                               " was replaced after the run started: it is now " + image.channel.name + " " +
                               std::to_string(image.channel.width) + " x " +
                               std::to_string(image.channel.height) + " of scan " + image.study_uid +
                               ", it was " + name + " " + std::to_string(scan.width) + " x " +
                               std::to_string(scan.height) + " of scan " + scan.study_uid + "; " + which);
        }
        current_[name] = std::move(image.channel.pixels);
      }
    }
    const int lines = std::min(geometry_.lines_per_block, scan.height - next_line_);
    block = make_block(lines);
    for (const std::string& name : geometry_.plane_names()) {
      oi::Plane& plane = block->plane(name);
      const std::vector<std::uint16_t>& pixels = current_.at(name);
      for (int y = 0; y < lines; ++y)
        std::copy_n(pixels.data() + static_cast<std::size_t>(next_line_ + y) * scan.width, scan.width,
                    plane.row<std::uint16_t>(y));
    }
    oi::FrameMetadata& meta = block->metadata();
    meta.scan_id = scan_id_base_ + scan_index_ + 1;
    meta.block_index = static_cast<std::uint32_t>(next_line_ / geometry_.lines_per_block);
    meta.capture_time_ns = scan.capture_time_ns;
    meta.attributes[oi::xray::attr::kView] = 0;
    meta.attributes[oi::xray::attr::kFirstLine] = next_line_;
    meta.attributes[oi::xray::attr::kScanLines] = scan.height;
    meta.attributes["dicos"] = {{"study_uid", scan.study_uid},
                                {"scan_id", scan.scan_id},
                                {"file", scan.channels.at("high").filename().string()}};
    next_line_ += lines;
    meta.end_of_scan = next_line_ >= scan.height;
    if (meta.end_of_scan) next_scan();
    return Status::ok();
  }

  oi::hal::Result<oi::FramePtr> on_acquire_reference(oi::hal::CalibrationKind kind, int lines) override {
    oi::FramePtr frame = make_block(lines);
    for (const std::string& name : geometry_.plane_names()) {
      oi::Plane& plane = frame->plane(name);
      if (transmission_) {
        // Corrected images: no signal is 0 and air is full scale, exactly.
        for (int y = 0; y < lines; ++y)
          std::fill_n(
              plane.row<std::uint16_t>(y), plane.width,
              kind == oi::hal::CalibrationKind::kDark ? std::uint16_t{0} : oi::dicos::kTransmissionAir);
        continue;
      }
      const auto archived = references_.find(std::string(oi::hal::to_string(kind)) + "/" + name);
      if (archived != references_.end()) {
        // The archive's own reference, its lines repeated as often as asked for.
        oi::dicos::DxImage image;
        try {
          image = oi::dicos::read_dx(archived->second.file);
        } catch (const oi::Error& e) {
          return Status::error(e.what());
        }
        if (image.channel.width != plane.width)
          return Status::error("DICOS reference " + archived->second.file.string() + " is " +
                               std::to_string(image.channel.width) + " pixels wide, the scans " +
                               std::to_string(plane.width));
        for (int y = 0; y < lines; ++y)
          std::copy_n(image.channel.pixels.data() +
                          static_cast<std::size_t>(y % image.channel.height) * image.channel.width,
                      plane.width, plane.row<std::uint16_t>(y));
        continue;
      }
      const std::vector<std::uint16_t>& air = air_.at(name);
      for (int y = 0; y < lines; ++y) {
        std::uint16_t* row = plane.row<std::uint16_t>(y);
        for (int x = 0; x < plane.width; ++x)
          row[x] = kind == oi::hal::CalibrationKind::kDark ? static_cast<std::uint16_t>(dark_level_) : air[x];
      }
    }
    return frame;
  }

 private:
  // On to the next scan; in a loop, the next pass numbers its scans on.
  void next_scan() {
    ++scan_index_;
    next_line_ = 0;
    current_.clear();
    if (loop_ && scan_index_ >= scans_.size()) scan_id_base_ += scans_.size();
  }

  static std::string channel_list(const ArchivedScan& scan) {
    std::string list;
    for (const auto& [name, file] : scan.channels) list += (list.empty() ? "" : ", ") + name;
    return list;
  }

  oi::hal::ScanGeometry geometry_{.channels = 2,
                                  .views = 1,
                                  .pixels_per_line = 0,
                                  .lines_per_block = 64,
                                  .pixel_pitch_mm = 0.8,
                                  .line_rate_hz = 0.0,
                                  .belt_speed_m_s = 0.0};
  oi::hal::XraySource source_{.state = oi::hal::SourceState::kOff, .kv = 0.0, .ma = 0.0};
  std::int64_t dark_level_ = 0;
  bool loop_ = false;
  bool transmission_ = false;
  fs::path folder_;
  std::vector<ArchivedScan> scans_;
  std::map<std::string, std::vector<std::uint16_t>> air_;
  std::map<std::string, ArchivedReference> references_;  // "<kind>/<channel>" -> latest
  std::map<std::string, std::vector<std::uint16_t>> current_;
  std::size_t scan_index_ = 0;
  std::uint64_t scan_id_base_ = 0;
  int next_line_ = 0;
  std::uint64_t skipped_ = 0;
  fs::path unreadable_;  // the file of the scan at scan_index_ that failed to read: on_recover() skips it
};

}  // namespace

OI_REGISTER_DEVICE_DRIVER(DicosScanner, "dicos", "Plays DICOS DX images back as X-ray scans (DCMTK).");
OI_PLUGIN("oi-driver-dicos", "0.1.0", "Apache-2.0")
