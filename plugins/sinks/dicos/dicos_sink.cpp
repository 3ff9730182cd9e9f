// sink.dicos: every inspected scan as DICOS files (NEMA IIC 1, with DCMTK): one DX image "for
// processing" per raw energy channel and a Threat Detection Report listing the detections and
// referring to the images (dicos_files.hpp). docs/integration.md, "DICOS".
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>

#include "dicos_files.hpp"
#include "oi/plugin.hpp"
#include "oi/xray/contract.hpp"

namespace fs = std::filesystem;

namespace oi::xray {
namespace {

class DicosSink final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.describe(
        "Writes every inspected scan as DICOS (NEMA IIC 1, security DICOM) files with DCMTK: "
        "`scan_<id>_dx_<channel>.dcm`, one DX image \"for processing\" per energy channel (16-bit "
        "transmission "
        "or raw counts, see `pixels`; pixel spacing, acquisition time, tube voltage and current, scanner "
        "identity, object of inspection), "
        "and `scan_<id>_tdr.dcm`, a Threat Detection Report with the alarm decision and one potential threat "
        "object per detection (class, box as bounding polygon and ROI, score) referring to the DX images. "
        "TIP "
        "detections are left out. Dark and air reference frames are written as "
        "`reference_<kind>_<n>_dx_<channel>.dcm` "
        "(DX images marked as calibration), so that the `dicos` driver plays the archive back with its own "
        "references. A scan that cannot be written (a full disk) is counted and logged, the lane "
        "goes on, and the run fails at its end with the count. See docs/integration.md.");
    spec.input("in", PortType::of(oi::xray::frame_kind::kScan), "inspected whole scans (after xray.detect)");
    spec.param("dir", dir_).without_default().describe("Output folder; created when missing.");
    spec.param("channels", channels_).describe("Raw planes written as DX images, when the scan has them.");
    spec.param("pixels", pixels_)
        .one_of({"auto", "transmission", "raw"})
        .describe(
            "What the DX images hold: `transmission` I/I0 from xray.correct's a_high/a_low (air 65535; what "
            "a DX image \"for processing\" usually holds, and what the `dicos` driver plays back exactly), "
            "`raw` detector counts, `auto` transmission when the scan has a_high, else raw.");
    spec.param("manufacturer", manufacturer_).describe("Manufacturer (0008,0070) of the scanner.");
    spec.param("model", model_).describe("ManufacturerModelName (0008,1090).");
    spec.param("serial", serial_).describe("DeviceSerialNumber (0018,1000).");
    spec.param("institution", institution_).describe("InstitutionName (0008,0080): the customs office.");
    spec.param("ooi_type", ooi_type_)
        .one_of({"BAGGAGE", "CARGO", "PARCEL", "PERSON"})
        .describe("OOIType (4010,1042): the kind of object inspected.");
  }

  void start(const StageConfig& config) override {
    name_ = config.name;
    std::error_code error;
    fs::create_directories(dir_, error);
    if (error)
      throw ConfigError("stage '" + name_ + "': cannot create " + dir_.string() + ": " + error.message() +
                        "; set `dir` to a writable folder");
  }

  Status process(StageContext& ctx) override {
    FramePtr frame = ctx.take(0);
    if (!frame) return Status::ok();
    if (auto whole = oi::xray::not_a_whole_scan(*frame, "sink.dicos")) return Status::error(*whole);
    const FrameMetadata& m = frame->metadata();
    const bool reference =
        m.attributes.contains(attr::kCalibration) && m.attributes[attr::kCalibration].is_string();
    dicos::ScanInfo scan;
    if (reference) scan.calibration = m.attributes[attr::kCalibration].get<std::string>();
    scan.scan_id = m.scan_id;
    scan.capture_time_ns = m.capture_time_ns;
    scan.station = m.source_device;
    scan.manufacturer = manufacturer_;
    scan.model = model_;
    scan.serial = serial_;
    scan.institution = institution_;
    scan.pixel_pitch_mm = std::isfinite(m.pixel_pitch_mm) ? m.pixel_pitch_mm : 0.0;
    scan.incomplete = m.incomplete;
    scan.ooi_type = ooi_type_;
    scan.view = m.attributes.value(attr::kView, 0);
    if (m.attributes.contains(attr::kTube) && m.attributes[attr::kTube].is_object()) {
      scan.kv = m.attributes[attr::kTube].value("kv", 0.0);
      scan.ma = m.attributes[attr::kTube].value("ma", 0.0);
    }
    std::vector<dicos::Channel> channels;
    scan.transmission =
        !reference && (pixels_ == "transmission" || (pixels_ == "auto" && frame->has_plane(plane::kAHigh)));
    for (const std::string& name : channels_) {
      if (scan.transmission) {
        const std::string attenuation = name == plane::kLow ? plane::kALow : plane::kAHigh;
        if (!frame->has_plane(name)) continue;  // the raw channel says whether the scanner has it
        if (!frame->has_plane(attenuation))
          return Status::error("scan " + std::to_string(m.scan_id) +
                               ": `pixels: transmission` needs plane '" + attenuation +
                               "' (put sink.dicos after xray.correct, or set `pixels: raw`)");
        const Plane& a = frame->plane(attenuation);
        dicos::Channel c{name, a.width, a.height, {}};
        c.pixels.reserve(static_cast<std::size_t>(a.width) * static_cast<std::size_t>(a.height));
        for (int y = 0; y < a.height; ++y) {
          const float* row = a.row<float>(y);
          for (int x = 0; x < a.width; ++x)
            c.pixels.push_back(static_cast<std::uint16_t>(
                std::lround(dicos::kTransmissionAir * std::exp(-std::clamp(row[x], 0.0f, kMaxAttenuation)))));
        }
        channels.push_back(std::move(c));
        continue;
      }
      if (!frame->has_plane(name)) continue;
      const Plane& p = frame->plane(name);
      if (p.format != PixelFormat::kU16)
        return Status::error("scan " + std::to_string(m.scan_id) + ": plane '" + name + "' is " +
                             std::string(to_string(p.format)) + "; DX images hold raw u16 counts");
      dicos::Channel c{name, p.width, p.height, {}};
      c.pixels.reserve(static_cast<std::size_t>(p.width) * static_cast<std::size_t>(p.height));
      for (int y = 0; y < p.height; ++y)
        c.pixels.insert(c.pixels.end(), p.row<std::uint16_t>(y), p.row<std::uint16_t>(y) + p.width);
      channels.push_back(std::move(c));
    }
    char stem[64];
    if (reference)
      std::snprintf(stem, sizeof stem, "reference_%s_%06llu", scan.calibration.c_str(),
                    static_cast<unsigned long long>(++references_));
    else
      std::snprintf(stem, sizeof stem, "scan_%06llu", static_cast<unsigned long long>(m.scan_id));
    std::string unique = stem;
    const std::string last = reference
                                 ? "_dx_" + (channels.empty() ? std::string() : channels.back().name) + ".dcm"
                                 : std::string("_tdr.dcm");
    for (int repeat = 2; fs::exists(dir_ / (unique + last)); ++repeat)
      unique = std::string(stem) + "_" + std::to_string(repeat);
    try {
      const auto files = dicos::write_scan(dir_, unique, scan, channels,
                                           m.attributes.value(attr::kDetections, nlohmann::json::array()),
                                           m.attributes.value(attr::kDecision, std::string()), "");
      files_ += files.size();
      if (!reference) ++scans_;
    } catch (const Error& e) {
      last_problem_ = e.what();
      if (not_written_++ % 100 == 0) spdlog::error("stage '{}' (sink.dicos): {}", name_, last_problem_);
    }
    return Status::ok();
  }

  Status finish(StageContext&) override {
    if (not_written_ > 0)
      return Status::error("sink.dicos '" + name_ + "': " + std::to_string(not_written_) +
                           " scans could not be written as DICOS: " + last_problem_);
    return Status::ok();
  }

  nlohmann::json summary() const override {
    return {{"output", fs::absolute(dir_).string()},
            {"scans", scans_},
            {"references", references_},
            {"files", files_},
            {"not_written", not_written_},
            {"last_problem", last_problem_}};
  }

 private:
  fs::path dir_;
  std::vector<std::string> channels_ = {plane::kHigh, plane::kLow};
  std::string pixels_ = "auto";
  std::string manufacturer_ = "OpenInspect";
  std::string model_;
  std::string serial_;
  std::string institution_;
  std::string ooi_type_ = "BAGGAGE";
  std::string name_;
  std::uint64_t scans_ = 0;
  std::uint64_t references_ = 0;
  std::uint64_t files_ = 0;
  std::uint64_t not_written_ = 0;
  std::string last_problem_;
};

}  // namespace
}  // namespace oi::xray

OI_REGISTER_STAGE(
    oi::xray::DicosSink, "sink.dicos",
    "DICOS export: a DX image per energy channel and a Threat Detection Report per scan (DCMTK).");
OI_PLUGIN("oi-sink-dicos", "0.1.0", "Apache-2.0")
