// sink.report: the operator's per-scan report — colour image with boxes and labels, raw
// planes as 16-bit PNG, and a JSON report. Format: docs/reports.md.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "evaluation.hpp"
#include "oi/audit/audit_log.hpp"
#include "oi/frame_cv.hpp"
#include "oi/plugin.hpp"
#include "oi/utc_time.hpp"
#include "oi/xray/contract.hpp"
#include "render.hpp"
#include "report_files.hpp"

namespace fs = std::filesystem;

namespace oi::xray {
namespace {

// A detection as the report shows it: everything xray.detect said except the TIP flag,
// which must not reach the operator.
nlohmann::json region_json(const eval::Detection& d) {
  nlohmann::json j = d.raw;
  j.erase("tip");
  return j;
}

class ReportSink final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.describe(
        "Writes the operator's report for every inspected scan: `scan_<id>.png` (the pseudo-colour image "
        "from plane `rgb`, or a grey rendering of `high`, with a box and label for each detection), "
        "`scan_<id>_high.png` / `_low.png` (raw 16-bit channels) and `scan_<id>.json` (scan id, timestamps, "
        "device, decision, regions, per-stage timings from `timings_ms`). Detections flagged `tip` (Threat "
        "Image Projection) are left out of the image and the regions and kept in the report's `tip` "
        "section. Reference frames (attribute `calibration`) are counted, not written. See docs/reports.md.");
    spec.input("in", PortType::of(oi::xray::frame_kind::kScan),
               "inspected whole scans (after xray.detect / xray.colorize)");
    spec.output(
        "out", PortType::of(oi::xray::frame_kind::kScan),
        "the same scans, each with attribute `report` {file, sha256}: the JSON report written and its "
        "SHA-256 (for sink.ledger); optional");
    spec.param("dir", dir_).without_default().describe("Output folder; created when missing.");
    spec.param("overwrite", overwrite_)
        .describe(
            "Allow writing into a folder that already holds reports (files with the same names are "
            "replaced). Off: such a folder is an error at start.");
  }

  std::vector<std::string> validate(const StageConfig&) const override { return report::validate_dir(dir_); }

  void start(const StageConfig&) override { report::prepare_dir(dir_, overwrite_, "scan_*.json reports"); }

  Status process(StageContext& ctx) override {
    FramePtr frame = ctx.take(0);
    if (!frame) return Status::ok();
    if (auto whole = oi::xray::not_a_whole_scan(*frame, "sink.report")) return Status::error(*whole);
    const FrameMetadata& m = frame->metadata();
    eval::ScanRecord record;
    bool reference = false;
    if (Status s = report::read_incoming(m, record, reference); !s.is_ok()) return s;
    if (reference) {
      ++references_;
      return Status::ok();
    }
    const int repeat = seen_[m.scan_id]++;
    const std::string stem = report::scan_stem(m.scan_id, repeat);

    std::vector<eval::Detection> operator_regions;
    nlohmann::json regions = nlohmann::json::array();
    nlohmann::json tip_detections = nlohmann::json::array();
    for (const eval::Detection& d : record.detections) {
      if (d.tip) {
        tip_detections.push_back(d.raw);
      } else {
        operator_regions.push_back(d);
        regions.push_back(region_json(d));
      }
    }

    nlohmann::json files = nlohmann::json::object();
    Result<cv::Mat> rendered = render::scan_image(*frame);
    if (!rendered.ok())
      return Status::error("scan " + std::to_string(m.scan_id) + ": " + rendered.status().message());
    cv::Mat image = std::move(rendered.value());
    render::draw_detections(image, operator_regions);
    if (auto s = report::write_png(dir_ / (stem + ".png"), image); !s.is_ok())
      return not_written(ctx, frame, s);
    files["image"] = stem + ".png";
    ++files_;
    for (const char* channel : {plane::kHigh, plane::kLow}) {
      if (!frame->has_plane(channel)) continue;
      const Plane& p = frame->plane(channel);
      if (p.format != PixelFormat::kU16) {
        return Status::error("scan " + std::to_string(m.scan_id) + ": plane '" + channel + "' is " +
                             std::string(to_string(p.format)) +
                             ", expected u16 raw counts (oi/xray/contract.hpp)");
      }
      const std::string file = stem + "_" + channel + ".png";
      if (auto s = report::write_png(dir_ / file, as_mat(p)); !s.is_ok()) return not_written(ctx, frame, s);
      files[channel] = file;
      ++files_;
    }

    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const std::int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
    nlohmann::json notes = nlohmann::json::array();
    if (!record.decision) notes.push_back("no stage set a decision (is xray.detect in the pipeline?)");
    if (m.incomplete) notes.push_back("the scan was cut short (incomplete)");
    if (repeat > 0) notes.push_back("scan id arrived " + std::to_string(repeat + 1) + " times");
    nlohmann::json report = {
        {"scan_id", m.scan_id},
        {"timestamps",
         {{"capture_time_ns", m.capture_time_ns},
          {"capture_time", iso8601_utc_ms(m.capture_time_ns)},
          {"report_time_ns", now_ns},
          {"report_time", iso8601_utc_ms(now_ns)}}},
        {"device", m.source_device},
        {"sequence", m.sequence},
        {"width", image.cols},
        {"height", image.rows},
        {"pixel_pitch_mm", m.pixel_pitch_mm},
        {"incomplete", m.incomplete},
        {attr::kDecision, record.decision ? nlohmann::json(*record.decision) : nlohmann::json(nullptr)},
        {"regions", regions},
        {attr::kTimings,
         m.attributes.contains(attr::kTimings) ? m.attributes[attr::kTimings] : nlohmann::json::object()},
        {"image_source", render::image_source(*frame)},
        {"files", files},
        {attr::kTip,
         {{"inserted",
           m.attributes.contains(attr::kTip) ? m.attributes[attr::kTip] : nlohmann::json::array()},
          {attr::kDetections, tip_detections}}},
        {"notes", notes}};
    // Declarations and risk (risk.declaration), when the lane joins them.
    for (const char* joined : {"declaration", "risk"})
      if (m.attributes.contains(joined)) report[joined] = m.attributes[joined];
    if (record.has_truth) {
      // Simulated scans: how this scan's regions fared against the truth (docs/reports.md).
      const eval::ScanOutcome o = eval::evaluate_scan(record);
      nlohmann::json truth = nlohmann::json::array();
      for (std::size_t i = 0; i < record.truth.size(); ++i) {
        if (record.truth[i].tip) continue;
        const auto& b = record.truth[i].box;
        truth.push_back(
            {{"class", record.truth[i].cls}, {"box", {b.x, b.y, b.w, b.h}}, {"found", bool(o.found[i])}});
      }
      report["evaluation"] = {{"truth", truth}, {"false_alarms", o.false_alarms}};
    }
    const std::string report_text = report.dump(2) + "\n";
    if (auto s = report::write_text(dir_ / (stem + ".json"), report_text); !s.is_ok())
      return not_written(ctx, frame, s);
    ++files_;
    FramePtr passed = frame->clone();
    passed->metadata().attributes["report"] = {{"file", stem + ".json"},
                                               {"sha256", audit::sha256_hex(report_text)}};
    ctx.emit(0, std::move(passed));
    ++scans_;
    ++decisions_[record.decision.value_or("none")];
    return Status::ok();
  }

  Status finish(StageContext&) override {
    if (not_written_ > 0)
      return Status::error("sink.report: " + std::to_string(not_written_) +
                           " scans' reports could not be written: " + last_problem_);
    return Status::ok();
  }

  nlohmann::json summary() const override {
    return {{"output", fs::absolute(dir_).string()},
            {"not_written", not_written_},
            {"written", files_ > 0},
            {"scans", scans_},
            {"files", files_},
            {"decisions", decisions_},
            {"references_not_written", references_}};
  }

 private:
  fs::path dir_;            // parameter `dir`
  bool overwrite_ = false;  // parameter `overwrite`
  std::map<std::uint64_t, int> seen_;
  std::map<std::string, std::uint64_t> decisions_;
  std::uint64_t scans_ = 0;
  std::uint64_t files_ = 0;
  std::uint64_t references_ = 0;
  std::uint64_t not_written_ = 0;
  std::string last_problem_;

  // A report that cannot be written (a full disk) stops nothing else: the scan goes on to
  // the sinks behind `out` without a report hash, is counted, and finish() fails the run.
  Status not_written(StageContext& ctx, const FramePtr& frame, const Status& problem) {
    last_problem_ = problem.message();
    if (not_written_++ % 100 == 0) spdlog::error("sink.report: {}", last_problem_);
    FramePtr passed = frame->clone();
    passed->metadata().attributes["report"] = nullptr;
    ctx.emit(0, std::move(passed));
    return Status::ok();
  }
};

}  // namespace
}  // namespace oi::xray

OI_REGISTER_STAGE(oi::xray::ReportSink, "sink.report",
                  "Per-scan operator report: colour image with boxes, raw 16-bit planes, JSON.");
