// sink.report and sink.summary with scans built in the test: files parse, images decode,
// summary.json has exactly the documented keys, TIP never reaches the operator as a threat,
// bad parameters are clear errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <regex>
#include <set>

#include "file_size_limit.hpp"
#include "oi/error.hpp"
#include "oi/pipeline.hpp"
#include "oi/pipeline_spec.hpp"
#include "oi/plugin_registry.hpp"
#include "oi/xray/contract.hpp"
#include "test_stages.hpp"

namespace oi {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr int kW = 120, kH = 80;
const cv::Vec3b kBackground(40, 90, 200);  // BGR of the uniform rgb plane (R 200, G 90, B 40)

// A scan with u16 channels whose pixels encode (channel, x, y) and, unless `rgb` is false, a
// uniform rgb8 plane, so that any drawn pixel shows.
FramePtr make_scan(std::uint64_t id, json attributes, bool rgb = true) {
  auto f = Frame::create(std::string(oi::xray::frame_kind::kScan));
  for (int c = 0; c < 2; ++c) {
    Plane& p = f->add_plane(c == 0 ? "high" : "low", PixelFormat::kU16, kW, kH);
    for (int y = 0; y < kH; ++y) {
      for (int x = 0; x < kW; ++x)
        p.row<std::uint16_t>(y)[x] = static_cast<std::uint16_t>(c * 30000 + y * 200 + x);
    }
  }
  if (rgb) {
    Plane& p = f->add_plane("rgb", PixelFormat::kRGB8, kW, kH);
    for (int y = 0; y < kH; ++y) {
      for (int x = 0; x < kW; ++x) {
        p.row<std::uint8_t>(y)[3 * x] = kBackground[2];
        p.row<std::uint8_t>(y)[3 * x + 1] = kBackground[1];
        p.row<std::uint8_t>(y)[3 * x + 2] = kBackground[0];
      }
    }
  }
  f->metadata().scan_id = id;
  f->metadata().end_of_scan = true;
  f->metadata().capture_time_ns = 1700000000123456789;
  f->metadata().source_device = "scanner";
  f->metadata().attributes = std::move(attributes);
  return f;
}

json read_json(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  return json::parse(in);
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::set<std::string> keys(const json& j) {
  std::set<std::string> k;
  for (const auto& [key, value] : j.items()) k.insert(key);
  return k;
}

// The three scans most tests use: a firearm found + a TIP knife, a clear scan, a shielding
// scan decided cannot_clear.
const json kFirearm = {{"class", "firearm"}, {"box", {10, 10, 30, 20}}, {"score", 0.9}};
const json kTipKnife = {{"class", "knife"}, {"box", {70, 40, 30, 20}}, {"score", 0.8}, {"tip", true}};

std::vector<FramePtr> three_scans() {
  return {
      make_scan(1, {{"ground_truth", {{{"class", "firearm"}, {"box", {12, 10, 28, 20}}}}},
                    {"tip", {{{"class", "knife"}, {"box", {70, 40, 30, 20}}, {"tip_id", "k1"}}}},
                    {"detections", {kFirearm, kTipKnife}},
                    {"decision", "alarm"},
                    {"timings_ms", {{"correct", 1.5}, {"detect", 4.25}}}}),
      make_scan(2, {{"ground_truth", json::array()}, {"detections", json::array()}, {"decision", "clear"}}),
      make_scan(3, {{"ground_truth", {{{"class", "shielding"}, {"box", {0, 0, 50, 50}}}}},
                    {"detections", {{{"class", "shielding"}, {"box", {0, 0, 50, 50}}, {"score", 0.7}}}},
                    {"decision", "cannot_clear"}})};
}

class ReportSinks : public ::testing::Test {
 protected:
  void SetUp() override {
    const PluginRecord& record = registry_.load_file(OI_REPORT_PLUGIN);
    ASSERT_FALSE(record.error) << *record.error;
    oi::test::register_test_scans(registry_);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / "oi_report_sinks" / info->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }

  // Scanner -> report and summary; without `report_params`, scanner -> summary alone.
  PipelineSpec load(const std::string& report_params, const std::string& summary_params) {
    const fs::path file = dir_ / "pipeline.yaml";
    const bool report = !report_params.empty();
    std::ofstream(file) << "devices:\n  scanner: { driver: test.scans }\nstages:\n" +
                               (report
                                    ? "  report: { type: sink.report, params: { " + report_params + " } }\n"
                                    : std::string()) +
                               "  summary: { type: sink.summary, params: { " + summary_params +
                               " } }\n"
                               "connections:\n" +
                               (report ? "  - { from: scanner.out, to: report.in }\n" : "") +
                               "  - { from: scanner.out, to: summary.in }\n";
    return load_pipeline(file, registry_);
  }

  RunResult run(std::vector<FramePtr> frames, const std::string& report_params = "dir: out/scans",
                const std::string& summary_params = "dir: out, reports: scans") {
    oi::test::set_test_scans(std::move(frames));
    PipelineSpec spec = load(report_params, summary_params);
    Pipeline pipeline(spec, registry_);
    RunOptions options;
    options.threads = 2;
    RunResult result = pipeline.run(options);
    for (const auto& [name, summary] : pipeline.stage_summaries()) summaries_[name] = summary;
    return result;
  }

  PluginRegistry registry_;
  fs::path dir_;
  json summaries_ = json::object();
};

TEST_F(ReportSinks, ReportFilesParseAndImagesDecode) {
  const RunResult result = run(three_scans());
  ASSERT_TRUE(result.ok) << result.error;
  const fs::path out = dir_ / "out" / "scans";
  const json j = read_json(out / "scan_000001.json");
  EXPECT_EQ(j["scan_id"], 1);
  EXPECT_EQ(j["device"], "scanner");
  EXPECT_EQ(j["decision"], "alarm");
  EXPECT_EQ(j["timestamps"]["capture_time_ns"], 1700000000123456789);
  EXPECT_EQ(j["timestamps"]["capture_time"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(j["timings_ms"], json({{"correct", 1.5}, {"detect", 4.25}}));
  EXPECT_EQ(j["image_source"], "rgb");
  EXPECT_EQ(j["evaluation"]["truth"][0]["found"], true);

  const cv::Mat colour = cv::imread((out / "scan_000001.png").string(), cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(colour.empty());
  ASSERT_EQ(colour.type(), CV_8UC3);
  ASSERT_EQ(colour.cols, kW);
  ASSERT_EQ(colour.rows, kH);
  EXPECT_EQ(colour.at<cv::Vec3b>(70, 5), kBackground);            // untouched image
  EXPECT_EQ(colour.at<cv::Vec3b>(29, 38), cv::Vec3b(0, 0, 255));  // firearm box's bottom edge, red
  for (const char* channel : {"high", "low"}) {
    const cv::Mat raw =
        cv::imread((out / (std::string("scan_000001_") + channel + ".png")).string(), cv::IMREAD_UNCHANGED);
    ASSERT_EQ(raw.type(), CV_16UC1) << channel;
    const int c = std::string(channel) == "high" ? 0 : 1;
    EXPECT_EQ(raw.at<std::uint16_t>(7, 9), c * 30000 + 7 * 200 + 9) << channel;
  }
  EXPECT_EQ(read_json(out / "scan_000003.json")["decision"], "cannot_clear");
  EXPECT_EQ(summaries_["report"]["scans"], 3);
}

TEST_F(ReportSinks, TipDetectionsNeverAppearAsOperatorThreats) {
  ASSERT_TRUE(run(three_scans()).ok);
  const fs::path out = dir_ / "out" / "scans";
  const json j = read_json(out / "scan_000001.json");
  ASSERT_EQ(j["regions"].size(), 1u);
  EXPECT_EQ(j["regions"][0]["class"], "firearm");
  EXPECT_FALSE(j["regions"][0].contains("tip"));
  ASSERT_EQ(j["tip"]["detections"].size(), 1u);
  EXPECT_EQ(j["tip"]["detections"][0]["class"], "knife");
  EXPECT_EQ(j["tip"]["inserted"][0]["tip_id"], "k1");
  // The TIP box is not drawn: its whole outline keeps the image's colour.
  const cv::Mat colour = cv::imread((out / "scan_000001.png").string(), cv::IMREAD_COLOR);
  for (int x = 70; x < 100; ++x) {
    ASSERT_EQ(colour.at<cv::Vec3b>(40, x), kBackground) << x;
    ASSERT_EQ(colour.at<cv::Vec3b>(59, x), kBackground) << x;
  }
  // The summary's thumbnail caption lists the firearm only, and TIP is not a false alarm.
  const std::string html = read_text(dir_ / "out" / "summary.html");
  EXPECT_THAT(html, HasSubstr("firearm 0.90"));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("knife 0.80")));
  const json s = read_json(dir_ / "out" / "summary.json");
  EXPECT_EQ(s["evaluation"]["counts"]["false_alarms"], 0);
  EXPECT_EQ(s["evaluation"]["tip"]["found"], 1);
}

TEST_F(ReportSinks, SummaryJsonHasExactlyTheRequiredKeys) {
  ASSERT_TRUE(run(three_scans()).ok);
  const json s = read_json(dir_ / "out" / "summary.json");
  // Required keys, plus the documented extras of docs/reports.md and nothing else.
  const std::set<std::string> top = {
      "scans",      "decisions", "throughput_scans_per_s", "evaluation", "scans_without_decision",
      "references", "elapsed_s"};
  EXPECT_EQ(keys(s), top);
  EXPECT_EQ(keys(s["decisions"]), (std::set<std::string>{"clear", "alarm", "cannot_clear"}));
  EXPECT_EQ(s["scans"], 3);
  EXPECT_EQ(s["decisions"]["clear"], 1);
  EXPECT_EQ(s["decisions"]["alarm"], 1);
  EXPECT_EQ(s["decisions"]["cannot_clear"], 1);
  EXPECT_TRUE(s["throughput_scans_per_s"].is_number());
  const json& e = s["evaluation"];
  EXPECT_EQ(keys(e), (std::set<std::string>{"recall", "false_alarms_per_scan", "scan_pd", "scan_pfa",
                                            "counts", "tip", "pd_pfa_curve", "classes", "pd_at_pfa"}));
  EXPECT_EQ(keys(e["recall"]), (std::set<std::string>{"firearm", "narcotics", "shielding", "knife"}));
  EXPECT_EQ(e["recall"]["firearm"], 1.0);
  EXPECT_EQ(e["recall"]["shielding"], 1.0);
  EXPECT_TRUE(e["recall"]["narcotics"].is_null());
  EXPECT_EQ(e["false_alarms_per_scan"], 0.0);
  EXPECT_EQ(e["scan_pd"], 1.0);  // scan 3 (shielding, cannot_clear) counts; scan 1 carries TIP: excluded
  EXPECT_EQ(e["scan_pfa"], 0.0);
  EXPECT_EQ(e["counts"]["scans_excluded_from_scan_pd_pfa_tip"], 1);
}

TEST_F(ReportSinks, SummaryHtmlIsSelfContainedWithThumbnailsAndCurve) {
  ASSERT_TRUE(run(three_scans()).ok);
  const std::string html = read_text(dir_ / "out" / "summary.html");
  EXPECT_THAT(html, HasSubstr("<svg"));
  EXPECT_THAT(html, HasSubstr("<polyline"));
  // The per-class table and a FROC curve for each class that has objects (firearm, shielding).
  EXPECT_THAT(html, HasSubstr("Per class: visible and shielded objects, FROC"));
  EXPECT_THAT(html, HasSubstr("false alarms per scan (firearm)"));
  EXPECT_THAT(html, HasSubstr("false alarms per scan (shielding)"));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("false alarms per scan (knife)")));
  EXPECT_THAT(html, HasSubstr("Scan Pd at a fixed Pfa"));
  EXPECT_THAT(html, HasSubstr("href=\"scans/scan_000001.json\""));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("<script")));
  // Two thumbnails (alarm, cannot_clear), each a PNG that decodes.
  const std::regex img("data:image/png;base64,([A-Za-z0-9+/=]+)");
  int count = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), img); it != std::sregex_iterator();
       ++it, ++count) {
    const std::string b64 = (*it)[1];
    std::vector<unsigned char> bytes;
    unsigned value = 0;
    int bits = -8;
    for (char c : b64) {
      if (c == '=') break;
      value = (value << 6) +
              static_cast<unsigned>(
                  std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/").find(c));
      bits += 6;
      if (bits >= 0) {
        bytes.push_back(static_cast<unsigned char>((value >> bits) & 0xFF));
        bits -= 8;
      }
    }
    const cv::Mat thumb = cv::imdecode(bytes, cv::IMREAD_COLOR);
    ASSERT_FALSE(thumb.empty()) << "thumbnail " << count;
    EXPECT_EQ(thumb.cols, kW);  // smaller than thumbnail_size: not enlarged
  }
  EXPECT_EQ(count, 2);
}

TEST_F(ReportSinks, OiRunPrintsATableAndThePathOfSummaryHtml) {
  ASSERT_TRUE(run(three_scans()).ok);
  const json& s = summaries_["summary"];
  EXPECT_EQ(s["output"], fs::absolute(dir_ / "out" / "summary.html").string());
  std::map<std::string, std::string> rows;
  for (const auto& row : s["table"]) rows[row[0]] = row[1];
  EXPECT_EQ(rows["scans"], "3");
  EXPECT_EQ(rows["decisions"], "clear 1, alarm 1, cannot_clear 1");
  EXPECT_EQ(rows["recall firearm"], "1.000 (1/1)");
  EXPECT_EQ(rows["recall narcotics"], "n/a (0/0)");
  EXPECT_EQ(rows["false alarms per scan"], "0.000");
  EXPECT_THAT(rows["throughput"], HasSubstr("scans/s"));
}

TEST_F(ReportSinks, AFullDiskFailsTheRunNamingSummaryHtmlAndLeavesTheEarlierFileWhole) {
  // A first run leaves summary.json and summary.html; the second writes over them with files
  // limited to a size between the two, as a full disk: summary.json is written, summary.html
  // is not, and the earlier summary.html stays as it was. (The summary alone: sink.report's
  // files would fail first.)
  ASSERT_TRUE(run(three_scans(), "", "dir: out").ok);
  const fs::path html = dir_ / "out" / "summary.html";
  const std::string earlier = read_text(html);
  const auto json_size = fs::file_size(dir_ / "out" / "summary.json");
  ASSERT_GT(earlier.size(), json_size + 4000) << "summary.html is not the larger file";
  RunResult result;
  {
    const oi::test::FileSizeLimit full_disk(json_size + 2000);
    ASSERT_TRUE(full_disk.ok());
    result = run(three_scans(), "", "dir: out, overwrite: true");
  }
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("stage 'summary' (type 'sink.summary'"));
  EXPECT_THAT(result.error, HasSubstr("cannot write " + html.string() + ": "));
  EXPECT_EQ(summaries_["summary"]["written"], false);
  EXPECT_THAT(summaries_["summary"]["error"].get<std::string>(), HasSubstr(html.string()));
  EXPECT_EQ(read_text(html), earlier);
  EXPECT_EQ(read_json(dir_ / "out" / "summary.json")["scans"], 3);
  for (const auto& entry : fs::directory_iterator(dir_ / "out"))
    EXPECT_NE(entry.path().extension(), ".partial") << "a temporary file was left: " << entry.path();
}

TEST_F(ReportSinks, WithoutRgbTheImageIsAGreyRenderingOfHigh) {
  ASSERT_TRUE(run({make_scan(5, {{"detections", json::array()}, {"decision", "clear"}}, false)}).ok);
  const json j = read_json(dir_ / "out" / "scans" / "scan_000005.json");
  EXPECT_EQ(j["image_source"], "high (grey)");
  EXPECT_FALSE(j.contains("evaluation"));
  const cv::Mat grey = cv::imread((dir_ / "out" / "scans" / "scan_000005.png").string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(grey.empty());
  EXPECT_EQ(grey.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 0));                  // lowest count
  EXPECT_EQ(grey.at<cv::Vec3b>(kH - 1, kW - 1), cv::Vec3b(255, 255, 255));  // highest
  const json s = read_json(dir_ / "out" / "summary.json");
  EXPECT_FALSE(s.contains("evaluation"));  // no ground truth: no evaluation
}

TEST_F(ReportSinks, MalformedDetectionsFailTheRunNamingTheScan) {
  const RunResult result = run({make_scan(9, {{"detections", {{{"class", "firearm"}, {"score", 0.5}}}}})});
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("scan 9: `detections`[0] (firearm) has no `box`"));
}

TEST_F(ReportSinks, BadParametersAreClearErrors) {
  // dir is required.
  try {
    load("overwrite: true", "dir: out");
    FAIL() << "a missing dir was accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("dir"));
  }
  // dir naming a file, and out-of-range thumbnails.
  std::ofstream(dir_ / "file.txt") << "x";
  try {
    load("dir: file.txt", "dir: out, thumbnail_size: 5");
    FAIL() << "bad parameters were accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("file.txt exists and is not a folder"));
    EXPECT_THAT(e.what(), HasSubstr("`thumbnail_size` is 5; use 32 to 2048 pixels"));
  }
  // Writing over earlier reports needs overwrite: true.
  ASSERT_TRUE(run(three_scans()).ok);
  const RunResult again = [&] {
    try {
      return run(three_scans());
    } catch (const ConfigError& e) {
      RunResult r;
      r.ok = false;
      r.error = e.what();
      return r;
    }
  }();
  EXPECT_FALSE(again.ok);
  EXPECT_THAT(again.error, HasSubstr("set `overwrite: true`"));
  EXPECT_TRUE(run(three_scans(), "dir: out/scans, overwrite: true", "dir: out, overwrite: true").ok);
}

}  // namespace
}  // namespace oi
