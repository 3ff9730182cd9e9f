// xray.correct: dark/air correction, dead-pixel repair and log attenuation of dual-energy scan
// blocks as they arrive, or of whole scans (shaders/xray/correct.comp on Vulkan, correct_cpu.cpp
// on the CPU). Not a PixelStage:
// it consumes reference frames instead of emitting them, and its per-column table is not a
// plane of the scan's size.
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "correct_cpu.hpp"
#include "oi/files.hpp"
#include "oi/gpu/gpu.hpp"
#include "oi/plugin.hpp"
#include "oi/result.hpp"
#include "oi/xray/contract.hpp"
#include "oi_stages_xray_gpu_shaders.hpp"

namespace {

// Lines each invocation of shaders/xray/correct.comp handles: its specialization constant
// kLines, and the dispatch size.
constexpr std::uint32_t kKernelLines = 8;

using oi::xray::CorrectionTable;
using oi::xray::ReferenceLine;

class Correct final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.describe(
        "Offset (dark) and gain (air) correction per detector pixel, dead-pixel repair across the line and "
        "log attenuation A = clamp(-ln((I - dark) / max(air - dark, 1)), 0, 12) of dual-energy scan blocks "
        "as they "
        "arrive (each line is corrected on its own) or of whole scans: "
        "u16 planes `high`, `low` in, f32 planes `a_high`, `a_low` added (raw planes kept). References come "
        "from frames with attribute `calibration` = dark / air on the same input (the scanner's "
        "`references: start`; their lines are averaged per pixel; the frames are consumed), from the "
        "parameters, or from a JSON file. A scan arriving before the references is an error.");
    const oi::PortType blocks_or_scans =
        oi::PortType::of_kinds({oi::xray::frame_kind::kScanBlock, oi::xray::frame_kind::kScan});
    spec.input("in", blocks_or_scans,
               "Scan blocks straight from the scanner, or whole scans (scan.assemble); reference frames.");
    // Blocks go out as blocks and scans as scans, so the loader checks what follows against
    // what the scanner side really sends.
    spec.output("out", blocks_or_scans, "The same blocks or scans with a_high and a_low added.")
        .kind_follows = "in";
    spec.param("references", mode_)
        .one_of({"frames", "params", "file"})
        .describe(
            "Where dark and air come from: `frames` (reference frames on the input; set `references: start` "
            "on the scanner node), `params` (dark_*/air_* below, the same for every pixel), `file` "
            "(reference_file).");
    for (const char* channel : {oi::xray::plane::kHigh, oi::xray::plane::kLow}) {
      const bool high = std::string_view(channel) == oi::xray::plane::kHigh;
      spec.param(std::string("dark_") + channel, high ? dark_high_ : dark_low_)
          .range(0.0, 65534.0)
          .unit("counts")
          .describe(std::string("references: params: ") + channel + "-energy counts with the beam off.");
      spec.param(std::string("air_") + channel, high ? air_high_ : air_low_)
          .range(1.0, 65535.0)
          .unit("counts")
          .describe(std::string("references: params: ") + channel +
                    "-energy counts with nothing in the beam.");
    }
    spec.param("reference_file", reference_file_)
        .describe(
            "references: file: JSON {\"dark_high\": [...], \"air_high\": [...], \"dark_low\": [...], "
            "\"air_low\": [...]}, one mean count per detector pixel (relative to the pipeline file).");
    spec.param("dead_pixel_tolerance", tolerance_)
        .range(0.01, 100.0)
        .describe(
            "A pixel is dead when its gain air - dark differs from the median gain of its channel by more "
            "than this fraction of the median; dead pixels are interpolated from their good neighbours.");
    spec.param("dead_pixels", flagged_).describe("Pixels (0-based, across the line) known to be dead.");
    gpu_.declare(spec);
  }

  std::vector<std::string> validate(const oi::StageConfig&) const override {
    std::vector<std::string> problems;
    if (mode_ == "file" && reference_file_.empty()) {
      problems.push_back(
          "references: file needs reference_file: PATH (a JSON file of per-pixel dark and air levels)");
    } else if (mode_ == "file") {
      if (auto problem = oi::input_file_problem(reference_file_))
        problems.push_back("reference_file " + reference_file_.string() + " " + *problem);
    }
    return problems;
  }

  void start(const oi::StageConfig& config) override {
    name_ = config.name;
    if (auto problems = validate(config); !problems.empty()) throw oi::ConfigError(problems[0]);
    if (mode_ == "params") {
      for (const char* ch : {oi::xray::plane::kHigh, oi::xray::plane::kLow}) {
        const bool high = std::string_view(ch) == oi::xray::plane::kHigh;
        const double dark = high ? dark_high_ : dark_low_;
        const double air = high ? air_high_ : air_low_;
        if (air < dark + 1.0)
          throw oi::ConfigError("air_" + std::string(ch) + " (" + std::to_string(air) +
                                ") must be at least dark_" + ch + " + 1 (" + std::to_string(dark + 1.0) +
                                ")");
      }
      params_levels_ = {static_cast<float>(dark_high_), static_cast<float>(air_high_),
                        static_cast<float>(dark_low_), static_cast<float>(air_low_)};
    } else if (mode_ == "file") {
      load_file();
    }
    if (!gpu_.start(config)) return;
    oi::gpu::KernelDesc desc;
    desc.name = "xray.correct";
    desc.spirv = oi_stages_xray_gpu_shaders::words("xray/correct.comp");
    desc.bindings = {{oi::xray::plane::kHigh, oi::gpu::Access::kRead},
                     {oi::xray::plane::kLow, oi::gpu::Access::kRead},
                     {"correction_table", oi::gpu::Access::kRead},
                     {oi::xray::plane::kAHigh, oi::gpu::Access::kWrite},
                     {oi::xray::plane::kALow, oi::gpu::Access::kWrite}};
    desc.push_constant_bytes = 2 * sizeof(std::uint32_t);  // uvec2 size
    desc.spec_constants = {oi::gpu::SpecConstant::u32(0, kKernelLines)};
    desc.workgroup = {64, 1, 1};  // consecutive strips of the same lines: neighbouring memory
    kernel_ = gpu_.kernel(desc);
  }

  oi::Status process(oi::StageContext& ctx) override {
    oi::FramePtr frame = ctx.take(0);
    if (!frame) return oi::Status::ok();
    const auto& attrs = frame->metadata().attributes;
    if (attrs.contains(oi::xray::attr::kCalibration)) return take_reference(*frame);
    const auto started = std::chrono::steady_clock::now();
    if (oi::Status s = ensure_table(*frame); !s.is_ok()) return s;
    const oi::Plane& high = std::as_const(*frame).plane(oi::xray::plane::kHigh);
    const oi::Plane& low = std::as_const(*frame).plane(oi::xray::plane::kLow);
    oi::FramePtr out = frame->clone();
    if (gpu_.on_gpu()) {
      oi::Result<oi::Plane> gh = gpu_.input(*out, oi::xray::plane::kHigh);
      if (!gh.ok()) return gh.status();
      oi::Result<oi::Plane> gl = gpu_.input(*out, oi::xray::plane::kLow);
      if (!gl.ok()) return gl.status();
      // The kernel writes every pixel: the output planes are recycled.
      oi::Plane ah = gpu_.output(0, oi::PixelFormat::kF32, high.width, high.height);
      oi::Plane al = gpu_.output(1, oi::PixelFormat::kF32, high.width, high.height);
      const std::array<std::uint32_t, 2> push{static_cast<std::uint32_t>(high.width),
                                              static_cast<std::uint32_t>(high.height)};
      const std::array<oi::gpu::BufferRef, 5> bindings{gh.value(), gl.value(), table_plane_, ah, al};
      // One invocation per strip of 4 columns and kKernelLines lines (see the shader).
      const std::uint32_t strips = (push[0] + 3) / 4, bands = (push[1] + kKernelLines - 1) / kKernelLines;
      if (oi::Status s = gpu_.recorder().dispatch_grid(*kernel_, bindings, std::as_bytes(std::span(push)),
                                                       strips, bands);
          !s.is_ok())
        return s;
      if (oi::Status s = gpu_.submit(); !s.is_ok()) return s;
      out->set_plane(oi::xray::plane::kAHigh, ah);
      out->set_plane(oi::xray::plane::kALow, al);
    } else {
      oi::Plane ah = oi::Plane::allocate(oi::PixelFormat::kF32, high.width, high.height);
      oi::Plane al = oi::Plane::allocate(oi::PixelFormat::kF32, high.width, high.height);
      oi::xray::correct_reference(high, low, table_, ah, al);
      out->set_plane(oi::xray::plane::kAHigh, ah);
      out->set_plane(oi::xray::plane::kALow, al);
    }
    // A block of a scan still arriving: counted as a block, and as a scan when it is the
    // scan's last. Any other frame is a whole scan.
    const bool block = oi::xray::is_scan_part(*frame);
    const oi::FrameMetadata& m = frame->metadata();
    if (block) ++blocks_;
    if (!block || m.end_of_scan) ++scans_;
    repaired_pixels_ +=
        static_cast<std::uint64_t>(table_.dead.size()) * static_cast<std::uint64_t>(high.height);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    out->metadata().attributes[oi::xray::attr::kTimings][name_] = ms;
    ctx.emit(0, out);
    return oi::Status::ok();
  }

  void stop() override {
    kernel_.reset();
    table_plane_ = {};
    gpu_.stop();
  }

  nlohmann::json summary() const override {
    nlohmann::json dead = nlohmann::json::array();
    for (int x : table_.dead) dead.push_back(x);
    nlohmann::json out = gpu_.summary();
    out.update({{"references", mode_},
                {"scans", scans_},
                {"blocks", blocks_},
                {"reference_frames",
                 {{oi::xray::calibration::kDark, dark_.frames},
                  {oi::xray::calibration::kAir, air_.frames},
                  {"ignored", ignored_references_}}},
                {"reference_lines",
                 {{oi::xray::calibration::kDark, dark_.lines}, {oi::xray::calibration::kAir, air_.lines}}},
                {"dead_pixels", dead},
                {"repaired_pixels", repaired_pixels_}});
    return out;
  }

 private:
  // A reference frame: averaged into the current dark or air line and consumed (not forwarded:
  // later stages expect scans only).
  oi::Status take_reference(const oi::Frame& frame) {
    const auto& value = frame.metadata().attributes[oi::xray::attr::kCalibration];
    const std::string kind = value.is_string() ? value.get<std::string>() : value.dump();
    if (kind != oi::xray::calibration::kDark && kind != oi::xray::calibration::kAir)
      return oi::Status::error("reference frame from device '" + frame.metadata().source_device +
                               "' has calibration '" + kind + "'; expected 'dark' or 'air'");
    if (mode_ != "frames") {
      // Consumed but not used: the parameters or the file are what this node was told to use.
      if (ignored_references_++ == 0)
        spdlog::warn(
            "stage '{}' (xray.correct): references: {} ignores the scanner's reference frames "
            "(counted in the summary); set references: frames to use them",
            name_, mode_);
      return oi::Status::ok();
    }
    if (oi::Status s =
            oi::xray::average_reference(frame, kind == oi::xray::calibration::kDark ? dark_ : air_);
        s.is_error())
      return s;
    table_.columns.clear();  // rebuilt from the new reference at the next scan
    return oi::Status::ok();
  }

  // The correction table for this scan's width, built when the references changed.
  oi::Status ensure_table(const oi::Frame& frame) {
    for (const char* name : {oi::xray::plane::kHigh, oi::xray::plane::kLow}) {
      if (!frame.has_plane(name) || frame.plane(name).format != oi::PixelFormat::kU16)
        return oi::Status::error("scan " + std::to_string(frame.metadata().scan_id) + " has no u16 plane '" +
                                 name + "'");
    }
    const oi::Plane& high = frame.plane(oi::xray::plane::kHigh);
    const oi::Plane& low = frame.plane(oi::xray::plane::kLow);
    if (high.width != low.width || high.height != low.height)
      return oi::Status::error("scan " + std::to_string(frame.metadata().scan_id) +
                               ": planes 'high' and 'low' differ in size");
    if (mode_ == "params" && (dark_.high.size() != static_cast<std::size_t>(high.width))) {
      dark_ = uniform(params_levels_[0], params_levels_[2], high.width);
      air_ = uniform(params_levels_[1], params_levels_[3], high.width);
      table_.columns.clear();
    }
    if (dark_.empty() || air_.empty()) {
      const std::string missing = dark_.empty() && air_.empty() ? "dark and air references"
                                  : dark_.empty()               ? "dark reference"
                                                                : "air reference";
      return oi::Status::error(
          "scan " + std::to_string(frame.metadata().scan_id) + " from device '" +
          frame.metadata().source_device + "' arrived before the " + missing +
          ": set `references: start` on the scanner node so it emits them first, or give them "
          "to this stage (references: params or file); uncorrected scans are never passed on");
    }
    if (dark_.high.size() != static_cast<std::size_t>(high.width) || air_.high.size() != dark_.high.size())
      return oi::Status::error(
          "scan " + std::to_string(frame.metadata().scan_id) + " has " + std::to_string(high.width) +
          " pixels a line but the references have " + std::to_string(dark_.high.size()) + " (dark) and " +
          std::to_string(air_.high.size()) + " (air); references and scans must come from the same detector");
    if (!table_.columns.empty()) return oi::Status::ok();
    try {
      table_ = oi::xray::build_correction_table(dark_, air_, tolerance_, flagged_);
      if (!table_.dead.empty())
        spdlog::info(
            "stage '{}' (xray.correct): {} dead pixel(s) of {} are interpolated from their neighbours", name_,
            table_.dead.size(), table_.width());
      if (gpu_.on_gpu()) {
        const std::vector<float> gpu_table = kernel_table(table_);
        table_plane_ = oi::gpu::make_gpu_plane(gpu_.device(), oi::PixelFormat::kF32, 4,
                                               static_cast<int>(gpu_table.size() / 4));
        std::memcpy(table_plane_.row<float>(0), gpu_table.data(), gpu_table.size() * sizeof(float));
      }
    } catch (const std::exception& e) {
      return oi::Status::error(e.what());
    }
    return oi::Status::ok();
  }

  // The kernel's table (shaders/xray/correct.comp): per strip of 4 columns the strip's
  // dark_high, air_high, dark_low, air_low and dead flags as five vec4 (columns past the
  // width: dark 0, air 1, good), then the CorrectionTable columns for the dead-pixel repair.
  static std::vector<float> kernel_table(const CorrectionTable& table) {
    const std::size_t width = table.columns.size(), strips = (width + 3) / 4;
    std::vector<float> out(strips * 20 + width * 8, 0.0f);
    for (std::size_t x = 0; x < strips * 4; ++x) {
      const CorrectionTable::Column c = x < width ? table.columns[x] : CorrectionTable::Column{};
      float* strip = &out[(x / 4) * 20 + x % 4];
      strip[0] = c.dark_high;
      strip[4] = c.air_high;
      strip[8] = c.dark_low;
      strip[12] = c.air_low;
      strip[16] = c.dead;
    }
    std::memcpy(&out[strips * 20], table.columns.data(), width * sizeof(CorrectionTable::Column));
    return out;
  }

  static ReferenceLine uniform(float high, float low, int width) {
    ReferenceLine line;
    line.high.assign(static_cast<std::size_t>(width), high);
    line.low.assign(static_cast<std::size_t>(width), low);
    return line;
  }

  void load_file() {
    const std::filesystem::path& path = reference_file_;
    if (auto problem = oi::input_file_problem(path))
      throw oi::ConfigError("reference_file '" + path.string() + "' " + *problem);
    std::ifstream in(path);
    if (!in) throw oi::ConfigError("cannot open reference_file '" + path.string() + "'");
    nlohmann::json j;
    try {
      in >> j;
    } catch (const std::exception& e) {
      throw oi::ConfigError("reference_file '" + path.string() + "' is not valid JSON: " + e.what());
    }
    auto read = [&](const char* key) {
      if (!j.contains(key) || !j[key].is_array() || j[key].empty())
        throw oi::ConfigError("reference_file '" + path.string() + "' needs \"" + key +
                              "\": a non-empty array of mean counts, one per detector pixel");
      return j[key].get<std::vector<float>>();
    };
    dark_.high = read("dark_high");
    dark_.low = read("dark_low");
    air_.high = read("air_high");
    air_.low = read("air_low");
    const std::size_t w = dark_.high.size();
    if (dark_.low.size() != w || air_.high.size() != w || air_.low.size() != w)
      throw oi::ConfigError("reference_file '" + path.string() +
                            "': dark_high, dark_low, air_high and air_low must have the same length");
    table_ = oi::xray::build_correction_table(dark_, air_, tolerance_,
                                              flagged_);  // fail at start, not at the first scan
    table_.columns.clear();
  }

  // Parameters.
  std::string mode_ = "frames";                         // references
  double dark_high_ = 0.0, air_high_ = 65535.0;         // dark_high, air_high
  double dark_low_ = 0.0, air_low_ = 65535.0;           // dark_low, air_low
  std::filesystem::path reference_file_;                // reference_file
  double tolerance_ = oi::xray::kDefaultDeadTolerance;  // dead_pixel_tolerance
  std::vector<std::int64_t> flagged_;                   // dead_pixels

  std::string name_;
  std::array<float, 4> params_levels_{};  // dark_high, air_high, dark_low, air_low
  ReferenceLine dark_, air_;
  CorrectionTable table_;
  oi::gpu::StageBackend gpu_;
  std::shared_ptr<oi::gpu::Kernel> kernel_;
  oi::Plane table_plane_;
  // scans_: whole scans and scans' last blocks; blocks_: blocks of scans corrected as they came.
  std::uint64_t scans_ = 0, blocks_ = 0, repaired_pixels_ = 0, ignored_references_ = 0;
};

}  // namespace

OI_REGISTER_STAGE(
    Correct, "xray.correct",
    "Dark/air correction, dead-pixel repair and log attenuation of scan blocks or whole scans (GPU, CPU "
    "fallback).");
