// sink.summary: the run's summary.json and summary.html, with the evaluation against ground
// truth when scans carry it, and a short table that `oi run` prints. Format: docs/reports.md.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "evaluation.hpp"
#include "oi/plugin.hpp"
#include "oi/xray/contract.hpp"
#include "render.hpp"
#include "report_files.hpp"
#include "summary_html.hpp"

namespace fs = std::filesystem;

namespace oi::xray {
namespace {

std::string fixed(const nlohmann::json& v, const char* format = "%.3f") {
  if (!v.is_number()) return "n/a";
  char text[64];
  std::snprintf(text, sizeof text, format, v.get<double>());
  return text;
}

class SummarySink final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.describe(
        "Writes `summary.json` for the run (scans, decisions, throughput and, when scans carry ground truth, "
        "the evaluation: per-class recall, false alarms per scan, scan Pd and Pfa, TIP accounting, Pd–Pfa "
        "curve) and a self-contained `summary.html` (the table, the Pd–Pfa curve as SVG, thumbnails of "
        "alarmed and cannot-clear scans with their boxes). `oi run` prints a short table and the path of "
        "summary.html at the end. TIP-flagged detections are never counted as real threats. See "
        "docs/reports.md.");
    spec.input("in", PortType::of(oi::xray::frame_kind::kScan),
               "inspected whole scans (after xray.detect / xray.colorize)");
    spec.param("dir", dir_).without_default().describe("Output folder; created when missing.");
    spec.param("overwrite", overwrite_)
        .describe(
            "Allow replacing summary.json / summary.html in `dir`. Off: their presence is an error at "
            "start.");
    spec.param("thumbnail_size", thumbnail_size_).describe("Longer side of a thumbnail in pixels (32-2048).");
    spec.param("max_thumbnails", max_thumbnails_)
        .describe("Most thumbnails in summary.html (0-10000); further alarmed scans are counted, not shown.");
    spec.param("reports", reports_)
        .describe(
            "Folder of sink.report's files relative to `dir` (e.g. `scans`), to link each thumbnail to its "
            "report; empty: no links.");
  }

  std::vector<std::string> validate(const StageConfig&) const override {
    std::vector<std::string> problems = report::validate_dir(dir_);
    if (thumbnail_size_ < 32 || thumbnail_size_ > 2048) {
      problems.push_back("`thumbnail_size` is " + std::to_string(thumbnail_size_) +
                         "; use 32 to 2048 pixels");
    }
    if (max_thumbnails_ < 0 || max_thumbnails_ > 10000) {
      problems.push_back("`max_thumbnails` is " + std::to_string(max_thumbnails_) + "; use 0 to 10000");
    }
    return problems;
  }

  void start(const StageConfig&) override {
    report::prepare_dir(dir_, overwrite_, "a summary");
    started_ = std::chrono::steady_clock::now();
    started_ok_ = true;
  }

  Status process(StageContext& ctx) override {
    FramePtr frame = ctx.take(0);
    if (!frame) return Status::ok();
    if (auto whole = oi::xray::not_a_whole_scan(*frame, "sink.summary")) return Status::error(*whole);
    const FrameMetadata& m = frame->metadata();
    eval::ScanRecord record;
    bool reference = false;
    if (Status s = report::read_incoming(m, record, reference); !s.is_ok()) return s;
    if (reference) {
      ++references_;
      return Status::ok();
    }
    if (record.decision) {
      ++decisions_[*record.decision];
    } else {
      ++without_decision_;
    }
    const int repeat = seen_[m.scan_id]++;
    if (record.decision && *record.decision != decision::kClear) {
      if (auto s = add_thumbnail(*frame, record, repeat); !s.is_ok()) return s;
    }
    scans_.push_back(std::move(record));
    last_scan_ = std::chrono::steady_clock::now();
    return Status::ok();
  }

  Status finish(StageContext&) override { return write(); }

  // A run stopped by an error still leaves a summary of what arrived, also when nothing did
  // (docs/reports.md): the operator learns that the run produced no scans, not nothing.
  void stop() override {
    if (!started_ok_ || written_) return;
    (void)write();  // a failure is kept in write_error_: summary() says so
  }

  nlohmann::json summary() const override {
    nlohmann::json table = nlohmann::json::array();
    table.push_back({"scans", std::to_string(summary_["scans"].get<std::uint64_t>())});
    const nlohmann::json& d = summary_["decisions"];
    table.push_back(
        {"decisions", "clear " + d[decision::kClear].dump() + ", alarm " + d[decision::kAlarm].dump() +
                          ", cannot_clear " + d[decision::kCannotClear].dump() +
                          (without_decision_ > 0 ? ", none " + std::to_string(without_decision_) : "")});
    if (summary_.contains("evaluation")) {
      const nlohmann::json& e = summary_["evaluation"];
      for (const char* cls : {threat::kFirearm, threat::kNarcotics, threat::kKnife, threat::kShielding}) {
        const nlohmann::json& c = e["counts"]["objects"][cls];
        if (std::string(cls) == threat::kKnife && c["objects"] == 0) continue;
        std::string line =
            fixed(e["recall"][cls]) + " (" + c["found"].dump() + "/" + c["objects"].dump() + ")";
        // Objects behind shielding cannot be seen: the visible ones' recall, and whether the
        // shielding alarm covered the others.
        const nlohmann::json& k = e["classes"][cls];
        if (std::string(cls) != threat::kShielding && k["shielded"]["objects"].get<int>() > 0) {
          line += "; visible " + fixed(k["visible"]["recall"]) + " (" + k["visible"]["found"].dump() + "/" +
                  k["visible"]["objects"].dump() + "), shielded " + k["shielded"]["objects"].dump() + ", " +
                  k["shielded"]["covered_by_shielding_alarm"].dump() + " inside a shielding alarm";
        }
        table.push_back({std::string("recall ") + cls, line});
      }
      table.push_back({"false alarms per scan", fixed(e["false_alarms_per_scan"])});
      table.push_back({"scan Pd / Pfa", fixed(e["scan_pd"]) + " / " + fixed(e["scan_pfa"])});
      std::string at;
      for (const auto& p : e["pd_at_pfa"])
        at += (at.empty() ? "" : ", ") + fixed(p["pd"]) + " at " + fixed(p["pfa"], "%.2f");
      table.push_back({"scan Pd at Pfa", at});
    } else {
      table.push_back({"evaluation", "none (no ground truth)"});
    }
    table.push_back({"throughput", fixed(summary_["throughput_scans_per_s"], "%.2f") + " scans/s"});
    return {{"output", fs::absolute(dir_ / "summary.html").string()},
            {"written", wrote_files_},
            {"error", write_error_.empty() ? nlohmann::json(nullptr) : nlohmann::json(write_error_)},
            {"summary_json", fs::absolute(dir_ / "summary.json").string()},
            {"table", table}};
  }

 private:
  Status add_thumbnail(const Frame& frame, const eval::ScanRecord& record, int repeat) {
    if (thumbnails_.size() >= static_cast<std::size_t>(max_thumbnails_)) {
      ++thumbnails_left_out_;
      return Status::ok();
    }
    Result<cv::Mat> rendered = render::scan_image(frame);
    if (!rendered.ok())
      return Status::error("scan " + std::to_string(record.scan_id) + ": " + rendered.status().message());
    const cv::Mat image = std::move(rendered.value());
    cv::Mat small;
    const double scale = render::fit(image, static_cast<int>(thumbnail_size_), small);
    std::vector<eval::Detection> shown;
    std::string labels;
    for (const eval::Detection& d : record.detections) {
      if (d.tip) continue;  // the operator's view: projected threats are not shown as threats
      shown.push_back(d);
      char text[96];
      std::snprintf(text, sizeof text, "%s%s %.2f", labels.empty() ? "" : ", ", d.cls.c_str(), d.score);
      labels += text;
    }
    render::draw_detections(small, shown, scale);
    std::vector<unsigned char> png;
    if (!cv::imencode(".png", small, png)) {
      return Status::error("cannot encode the thumbnail of scan " + std::to_string(record.scan_id));
    }
    report::Thumbnail t;
    t.scan_id = record.scan_id;
    t.decision = *record.decision;
    t.labels = labels.empty() ? "no regions" : labels;
    t.png_base64 = render::base64(png);
    if (!reports_.empty())
      t.report_file = (fs::path(reports_) / (report::scan_stem(record.scan_id, repeat) + ".json")).string();
    thumbnails_.push_back(std::move(t));
    return Status::ok();
  }

  Status write() {
    written_ = true;
    const double seconds =
        scans_.empty() ? 0.0 : std::chrono::duration<double>(last_scan_ - started_).count();
    nlohmann::json s = {{"scans", scans_.size()},
                        {"decisions",
                         {{decision::kClear, decisions_[decision::kClear]},
                          {decision::kAlarm, decisions_[decision::kAlarm]},
                          {decision::kCannotClear, decisions_[decision::kCannotClear]}}},
                        {"throughput_scans_per_s",
                         seconds > 0 ? nlohmann::json(scans_.size() / seconds) : nlohmann::json(nullptr)},
                        {"scans_without_decision", without_decision_},
                        {"references", references_},
                        {"elapsed_s", seconds}};
    bool any_truth = false;
    for (const auto& r : scans_) any_truth = any_truth || r.has_truth;
    if (any_truth) s["evaluation"] = eval::evaluate_run(scans_).to_json();
    summary_ = s;
    Status st = report::write_json(dir_ / "summary.json", s);
    if (st.is_ok())
      st = report::write_text(dir_ / "summary.html",
                              report::summary_html(s, thumbnails_, thumbnails_left_out_));
    wrote_files_ = st.is_ok();
    if (!st.is_ok()) write_error_ = st.message();
    return st;
  }

  // Parameters; validate() checks the thumbnail ranges.
  fs::path dir_;                       // dir
  bool overwrite_ = false;             // overwrite
  std::int64_t thumbnail_size_ = 320;  // thumbnail_size
  std::int64_t max_thumbnails_ = 200;  // max_thumbnails
  std::string reports_;                // reports

  std::vector<eval::ScanRecord> scans_;
  std::map<std::string, std::uint64_t> decisions_;
  std::map<std::uint64_t, int> seen_;
  std::uint64_t without_decision_ = 0;
  std::uint64_t references_ = 0;
  std::vector<report::Thumbnail> thumbnails_;
  std::size_t thumbnails_left_out_ = 0;
  std::chrono::steady_clock::time_point started_{}, last_scan_{};
  bool written_ = false;      // write() was tried
  bool wrote_files_ = false;  // and both files were written
  bool started_ok_ = false;   // start() prepared the folder
  std::string write_error_;   // why the last write failed
  nlohmann::json summary_ = {
      {"scans", 0},
      {"decisions", {{decision::kClear, 0}, {decision::kAlarm, 0}, {decision::kCannotClear, 0}}},
      {"throughput_scans_per_s", nullptr}};
};

}  // namespace
}  // namespace oi::xray

OI_REGISTER_STAGE(oi::xray::SummarySink, "sink.summary",
                  "Run summary (summary.json, summary.html) with evaluation against ground truth.");
