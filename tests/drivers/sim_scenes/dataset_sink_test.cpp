// sink.dataset with scans built in the test: files, pixels, JSON contents, references,
// missing ground truth, repeated scan ids, refusing to write over a data set, bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <opencv2/imgcodecs.hpp>

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

// A 2-channel scan whose pixels encode (channel, x, y) so that any mix-up shows.
FramePtr make_scan(std::uint64_t scan_id, int width, int height, nlohmann::json attributes) {
  auto f = Frame::create(std::string(oi::xray::frame_kind::kScan));
  for (int c = 0; c < 2; ++c) {
    Plane& p = f->add_plane(c == 0 ? "high" : "low", PixelFormat::kU16, width, height);
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x)
        p.row<std::uint16_t>(y)[x] = static_cast<std::uint16_t>(c * 30000 + y * 100 + x + scan_id);
    }
  }
  f->metadata().scan_id = scan_id;
  f->metadata().end_of_scan = true;
  f->metadata().pixel_pitch_mm = 0.8;
  f->metadata().source_device = "scanner";
  f->metadata().attributes = std::move(attributes);
  return f;
}

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  return nlohmann::json::parse(in);
}

class DatasetSink : public ::testing::Test {
 protected:
  void SetUp() override {
    const PluginRecord& record = registry_.load_file(OI_DATASET_PLUGIN);
    ASSERT_FALSE(record.error) << *record.error;
    oi::test::register_test_scans(registry_);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / "oi_dataset_sink" / info->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    oi::test::set_test_scans({});
  }

  RunResult run(const std::string& sink_params,
                std::vector<std::pair<std::string, nlohmann::json>>* summaries = nullptr) {
    const fs::path file = dir_ / "pipeline.yaml";
    std::ofstream(file) << "devices:\n  scanner: { driver: test.scans }\n"
                           "stages:\n  data: { type: sink.dataset, params: { " +
                               sink_params +
                               " } }\n"
                               "connections:\n  - { from: scanner.out, to: data.in }\n";
    PipelineSpec spec = load_pipeline(file, registry_);
    Pipeline pipeline(spec, registry_);
    RunOptions options;
    options.threads = 2;
    RunResult result = pipeline.run(options);
    if (summaries) *summaries = pipeline.stage_summaries();
    return result;
  }

  static void feed(std::vector<FramePtr> frames) { oi::test::set_test_scans(std::move(frames)); }

  PluginRegistry registry_;
  fs::path dir_;
};

const nlohmann::json kTruth = nlohmann::json::array({{{"class", "firearm"},
                                                      {"material", "steel"},
                                                      {"box", {3, 4, 5, 6}},
                                                      {"hidden_fraction", 0.0},
                                                      {"thickness_cm", 1.2}}});
const nlohmann::json kTube = {{"kv", 160}, {"ma", 1.0}, {"filtration", "1 mm Al"}};

TEST_F(DatasetSink, WritesChannelsAsSixteenBitPngsAndTheGroundTruthAsJson) {
  FramePtr dark = make_scan(0, 16, 4, {{"calibration", "dark"}});
  FramePtr air = make_scan(0, 16, 4, {{"calibration", "air"}, {"tube", kTube}});
  FramePtr scan =
      make_scan(7, 16, 10,
                {{"ground_truth", kTruth}, {"tube", kTube}, {"scene", {{"kind", "parcels"}}}, {"blocks", 3}});
  feed({dark, air, scan});
  std::vector<std::pair<std::string, nlohmann::json>> summaries;
  const RunResult result = run("dir: out, prefix: lane1", &summaries);
  ASSERT_TRUE(result.ok) << result.error;
  const fs::path out = dir_ / "out";

  for (const auto& [file, frame] :
       std::vector<std::pair<std::string, FramePtr>>{{"lane1_000007", scan}, {"dark", dark}, {"air", air}}) {
    for (const char* channel : {"high", "low"}) {
      const cv::Mat image =
          cv::imread((out / (file + "_" + channel + ".png")).string(), cv::IMREAD_UNCHANGED);
      ASSERT_FALSE(image.empty()) << file << " " << channel;
      ASSERT_EQ(image.type(), CV_16UC1);
      const Plane& p = frame->plane(channel);
      ASSERT_EQ(image.cols, p.width);
      ASSERT_EQ(image.rows, p.height);
      for (int y = 0; y < p.height; ++y) {
        for (int x = 0; x < p.width; ++x)
          ASSERT_EQ(image.at<std::uint16_t>(y, x), p.row<std::uint16_t>(y)[x]);
      }
    }
  }
  const nlohmann::json j = read_json(out / "lane1_000007.json");
  EXPECT_EQ(j["scan_id"], 7);
  EXPECT_EQ(j["width"], 16);
  EXPECT_EQ(j["height"], 10);
  EXPECT_EQ(j["tube"], kTube);
  EXPECT_EQ(j["scene"]["kind"], "parcels");
  EXPECT_EQ(j["ground_truth"], kTruth);
  EXPECT_EQ(j["ground_truth_known"], true);
  EXPECT_EQ(j["files"]["high"], "lane1_000007_high.png");
  EXPECT_EQ(j["attributes"]["blocks"], 3);
  EXPECT_TRUE(j["notes"].empty());

  const nlohmann::json index = read_json(out / "dataset.json");
  ASSERT_EQ(index["scans"].size(), 1u);
  EXPECT_EQ(index["scans"][0]["json"], "lane1_000007.json");
  ASSERT_EQ(index["references"].size(), 2u);
  EXPECT_EQ(index["references"][0]["calibration"], "dark");
  EXPECT_EQ(index["references"][1]["files"]["low"], "air_low.png");
  EXPECT_EQ(index["references"][1]["tube"], kTube);

  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0].second["scans"], 1);
  EXPECT_EQ(summaries[0].second["references"], 2);
  EXPECT_EQ(summaries[0].second["truth_objects"], 1);
  EXPECT_EQ(summaries[0].second["output"], fs::absolute(out).string());
}

TEST_F(DatasetSink, MissingGroundTruthIsAnEmptyListMarkedUnknown) {
  feed({make_scan(1, 8, 4, {}), make_scan(2, 8, 4, {{"ground_truth", nlohmann::json::array()}})});
  std::vector<std::pair<std::string, nlohmann::json>> summaries;
  ASSERT_TRUE(run("dir: out", &summaries).ok);
  const nlohmann::json unknown = read_json(dir_ / "out" / "scan_000001.json");
  EXPECT_TRUE(unknown["ground_truth"].empty());
  EXPECT_EQ(unknown["ground_truth_known"], false);
  EXPECT_THAT(unknown["notes"][0].get<std::string>(), HasSubstr("no ground truth"));
  EXPECT_EQ(unknown["tube"], nullptr);
  const nlohmann::json clear = read_json(dir_ / "out" / "scan_000002.json");
  EXPECT_EQ(clear["ground_truth_known"], true);  // known and empty: a clear scan
  EXPECT_EQ(summaries[0].second["scans_without_ground_truth"], 1);
  EXPECT_THAT(read_json(dir_ / "out" / "dataset.json")["notes"][0].get<std::string>(),
              HasSubstr("no dark or air"));
}

TEST_F(DatasetSink, RepeatedScanIdsAndReferencesAreKeptUnderNewNames) {
  feed({make_scan(0, 8, 4, {{"calibration", "dark"}}), make_scan(3, 8, 4, {}),
        make_scan(0, 8, 4, {{"calibration", "dark"}}), make_scan(3, 8, 5, {})});
  ASSERT_TRUE(run("dir: out").ok);
  EXPECT_TRUE(fs::exists(dir_ / "out" / "dark_high.png"));
  EXPECT_TRUE(fs::exists(dir_ / "out" / "dark_2_high.png"));
  EXPECT_TRUE(fs::exists(dir_ / "out" / "scan_000003_high.png"));
  const nlohmann::json second = read_json(dir_ / "out" / "scan_000003_2.json");
  EXPECT_EQ(second["height"], 5);
  EXPECT_THAT(second["notes"][0].get<std::string>(), HasSubstr("arrived 2 times"));
}

TEST_F(DatasetSink, RefusesToWriteOverADataSetUnlessAskedTo) {
  feed({make_scan(1, 8, 4, {})});
  ASSERT_TRUE(run("dir: out").ok);
  try {
    run("dir: out");
    FAIL() << "wrote over an existing data set";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("already holds a data set"));
    EXPECT_THAT(e.what(), HasSubstr("overwrite: true"));
  }
  EXPECT_TRUE(run("dir: out, overwrite: true").ok);
}

TEST_F(DatasetSink, AFullDiskFailsTheRunNamingTheFileAndLeavesOnlyWholeFiles) {
  // Scans of 64 x 64 16-bit pixels: each channel's PNG is about 1.8 KB and its JSON 0.5 KB, so
  // with files limited to 1000 bytes the first scan's images cannot be written.
  feed({make_scan(1, 64, 64, {{"ground_truth", kTruth}}), make_scan(2, 64, 64, {{"ground_truth", kTruth}})});
  RunResult result;
  {
    const oi::test::FileSizeLimit full_disk(1000);
    ASSERT_TRUE(full_disk.ok());
    result = run("dir: out");
  }
  ASSERT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr((dir_ / "out").string()));
  // Files are written whole or not at all: every PNG left decodes, no temporary file remains.
  for (const auto& entry : fs::directory_iterator(dir_ / "out")) {
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(entry.path().extension() == ".png" || entry.path().extension() == ".json") << name;
    if (entry.path().extension() == ".png")
      EXPECT_FALSE(cv::imread(entry.path().string(), cv::IMREAD_UNCHANGED).empty()) << name;
  }
}

TEST_F(DatasetSink, DirIsRequired) {
  try {
    run("prefix: x");
    FAIL() << "ran without dir";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("needs parameter 'dir'"));
  }
}

TEST_F(DatasetSink, AFrameWithoutChannelsIsAnErrorNamingItsPlanes) {
  auto f = Frame::create(std::string(oi::xray::frame_kind::kScan));
  f->add_plane("rgb", PixelFormat::kU16, 4, 4);
  f->metadata().scan_id = 5;
  feed({f});
  const RunResult result = run("dir: out");
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("scan 5 has no 'high' or 'low' plane (it has: rgb)"));
}

TEST_F(DatasetSink, AnUnknownCalibrationKindIsAnError) {
  feed({make_scan(0, 4, 4, {{"calibration", "flat"}})});
  const RunResult result = run("dir: out");
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("knows 'dark' and 'air'"));
}

}  // namespace
}  // namespace oi
