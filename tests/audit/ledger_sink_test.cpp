// sink.ledger behind sink.report's `out` port, with scans built in the test: every scan is
// recorded with the SHA-256 of its raw planes (checked against the report's 16-bit PNGs read
// back by OpenCV) and of its report file; the run ends sealed and verifies against the key; a
// key others may read is refused at start; a full disk keeps the records pending, retries them,
// and fails the run with a count when they still cannot be written.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <opencv2/imgcodecs.hpp>

#include "file_size_limit.hpp"
#include "oi/audit/ledger.hpp"
#include "oi/error.hpp"
#include "oi/pipeline.hpp"
#include "oi/pipeline_spec.hpp"
#include "oi/plugin_registry.hpp"
#include "oi/xray/contract.hpp"
#include "pipeline_run.hpp"
#include "test_stages.hpp"

namespace oi {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

FramePtr make_scan(std::uint64_t id, const std::string& decision) {
  auto f = Frame::create(std::string(oi::xray::frame_kind::kScan));
  for (int c = 0; c < 2; ++c) {
    Plane& p = f->add_plane(c == 0 ? "high" : "low", PixelFormat::kU16, 96, 64);
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 96; ++x)
        p.row<std::uint16_t>(y)[x] = static_cast<std::uint16_t>(c * 30000 + y * 300 + x + id);
  }
  f->metadata().scan_id = id;
  f->metadata().end_of_scan = true;
  f->metadata().capture_time_ns = 1700000000000000000 + static_cast<std::int64_t>(id);
  f->metadata().source_device = "scanner";
  f->metadata().attributes = {
      {"detections", decision == "alarm"
                         ? json{{{"class", "narcotics"}, {"box", {5, 5, 20, 10}}, {"score", 0.8}}}
                         : json::array()},
      {"decision", decision}};
  return f;
}

FramePtr make_reference() {
  FramePtr f = make_scan(0, "clear");
  f->metadata().attributes = {{"calibration", "air"}};
  return f;
}

class LedgerSink : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* plugin : {OI_REPORT_PLUGIN, OI_LEDGER_PLUGIN}) {
      const PluginRecord& record = registry_.load_file(plugin);
      ASSERT_FALSE(record.error) << *record.error;
    }
    oi::test::register_test_scans(registry_);
    dir_ = fs::path(::testing::TempDir()) / "oi_ledger_sink" /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    key_ = dir_ / "site.key";
    public_key_ = audit::SigningKey::generate(key_);
  }

  // Runs scanner -> report -> ledger (or scanner -> ledger when `via_report` is false); an
  // error at start comes back as a failed result.
  RunResult run(std::vector<FramePtr> frames, bool via_report = true) {
    oi::test::set_test_scans(std::move(frames));
    const fs::path file = dir_ / "pipeline.yaml";
    std::ofstream(file)
        << "devices:\n  scanner: { driver: test.scans }\nstages:\n" +
               std::string(via_report ? "  report: { type: sink.report, params: { dir: out/scans } }\n"
                                      : "") +
               "  ledger: { type: sink.ledger, params: { path: out/ledger.jsonl, key: site.key, "
               "checkpoint_every: 2 } }\nconnections:\n" +
               std::string(via_report ? "  - { from: scanner.out, to: report.in }\n"
                                        "  - { from: report.out, to: ledger.in }\n"
                                      : "  - { from: scanner.out, to: ledger.in }\n");
    test::PipelineRun run = test::run_pipeline_file(file, registry_);
    summaries_ = run.summaries;
    return run.result;
  }

  std::vector<json> records() const {
    std::ifstream in(dir_ / "out" / "ledger.jsonl");
    std::vector<json> out;
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }

  PluginRegistry registry_;
  fs::path dir_, key_;
  audit::PublicKey public_key_;
  json summaries_ = json::object();
};

std::string file_sha256(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return audit::sha256_hex(std::string(std::istreambuf_iterator<char>(in), {}));
}

TEST_F(LedgerSink, RecordsEveryScanWithItsPlanesAndReportAndEndsSealed) {
  const RunResult result =
      run({make_reference(), make_scan(1, "clear"), make_scan(2, "alarm"), make_scan(3, "clear")});
  ASSERT_TRUE(result.ok) << result.error;
  const std::vector<json> lines = records();
  // Scans 1, 2, a checkpoint, scan 3, the closing checkpoint; the reference frame is not a scan.
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[2]["event"], "checkpoint");
  EXPECT_EQ(lines[4]["event"], "checkpoint");
  EXPECT_EQ(summaries_["ledger"]["recorded"], 3);
  EXPECT_EQ(summaries_["report"]["references_not_written"], 1);  // and not passed on
  EXPECT_EQ(summaries_["ledger"]["checkpoints_written"], 2);

  const json& scan2 = lines[1]["fields"];
  EXPECT_EQ(lines[1]["event"], "inspection");
  EXPECT_EQ(scan2["scan_id"], 2);
  EXPECT_EQ(scan2["decision"], "alarm");
  EXPECT_EQ(scan2["detections"][0]["class"], "narcotics");
  EXPECT_TRUE(scan2["declaration_id"].is_null());
  const fs::path scans = dir_ / "out" / "scans";
  EXPECT_EQ(scan2["report"]["file"], "scan_000002.json");
  EXPECT_EQ(scan2["report"]["sha256"], file_sha256(scans / "scan_000002.json"));
  // The planes' hashes are those of the pixel values the report's 16-bit PNGs hold.
  for (const char* channel : {"high", "low"}) {
    const cv::Mat png =
        cv::imread((scans / (std::string("scan_000002_") + channel + ".png")).string(), cv::IMREAD_UNCHANGED);
    ASSERT_EQ(png.type(), CV_16UC1);
    ASSERT_TRUE(png.isContinuous());
    const std::string bytes(reinterpret_cast<const char*>(png.data), png.total() * png.elemSize());
    EXPECT_EQ(scan2["planes"][channel]["sha256"], audit::sha256_hex(bytes)) << channel;
    EXPECT_EQ(scan2["planes"][channel]["width"], 96);
  }
  const audit::LedgerVerification v = audit::verify_ledger(dir_ / "out" / "ledger.jsonl", public_key_);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.unsealed, 0u);
  EXPECT_EQ(
      audit::check_inclusion_proof(audit::prove_inclusion(dir_ / "out" / "ledger.jsonl", "3"), public_key_),
      "");
}

TEST_F(LedgerSink, AKeyOthersMayReadIsRefusedAtStart) {
  fs::permissions(key_, fs::perms::others_read, fs::perm_options::add);
  const RunResult result = run({make_scan(1, "clear")});
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("chmod 600"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("site.key"), std::string::npos) << result.error;
}

TEST_F(LedgerSink, AFullDiskKeepsRecordsPendingAndTheRunSaysHowMany) {
  // The first run leaves a sealed ledger; the second runs with a file-size limit just above it,
  // as a full disk: nothing is appended, every scan stays pending, and the run fails saying so.
  // (The ledger takes the scans straight from the scanner: the report's files would fail first.)
  ASSERT_TRUE(run({make_scan(1, "clear")}, false).ok);
  const fs::path ledger = dir_ / "out" / "ledger.jsonl";
  const auto size = fs::file_size(ledger);
  RunResult result;
  {
    const oi::test::FileSizeLimit full_disk(size + 10);
    ASSERT_TRUE(full_disk.ok());
    result = run({make_scan(2, "clear"), make_scan(3, "alarm")}, false);
  }
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("2 scans could not be recorded"), std::string::npos) << result.error;
  EXPECT_EQ(summaries_["ledger"]["pending"], 2);
  EXPECT_EQ(summaries_["ledger"]["recorded"], 0);
  EXPECT_EQ(fs::file_size(ledger), size);
  EXPECT_TRUE(audit::verify_ledger(ledger, public_key_).ok);
}

TEST_F(LedgerSink, AReportThatCannotBeWrittenStopsNothingAndTheLedgerStillGetsTheScan) {
  // The report's files cannot grow past 2000 bytes (its PNGs are bigger): every report fails,
  // every scan still reaches the ledger (with `report` null), and the run fails at its end
  // saying how many reports are missing.
  ASSERT_TRUE(run({make_scan(1, "clear")}).ok);  // the ledger, its key and folder exist
  RunResult result;
  {
    const oi::test::FileSizeLimit full_disk(fs::file_size(dir_ / "out" / "ledger.jsonl") + 20000);
    ASSERT_TRUE(full_disk.ok());
    fs::remove_all(dir_ / "out" / "scans");
    std::vector<FramePtr> big;
    for (std::uint64_t id = 2; id <= 3; ++id) {
      FramePtr f = make_scan(id, "alarm");
      Plane& high = f->add_plane("high", PixelFormat::kU16, 400, 300);
      for (int y = 0; y < 300; ++y)
        for (int x = 0; x < 400; ++x)
          high.row<std::uint16_t>(y)[x] = static_cast<std::uint16_t>((x * 7919 + y * 104729) & 0xffff);
      big.push_back(f);
    }
    result = run(big);
  }
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("2 scans' reports could not be written"), std::string::npos) << result.error;
  EXPECT_EQ(summaries_["report"]["not_written"], 2);
  EXPECT_EQ(summaries_["ledger"]["recorded"], 2);
  const std::vector<json> lines = records();
  int inspections = 0;
  for (const json& l : lines)
    if (l["event"] == "inspection" && l["fields"]["scan_id"].get<int>() >= 2) {
      ++inspections;
      EXPECT_TRUE(l["fields"]["report"].is_null());
    }
  EXPECT_EQ(inspections, 2);
}

}  // namespace
}  // namespace oi
