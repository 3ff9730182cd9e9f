// samples/sim_dataset end to end, as a user runs it: `oi run` with a seed and a scan count
// writes a labelled data set (both channels as 16-bit PNG, ground truth JSON per scan, dark and
// air references once), and the same seed writes the same data set again.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "process.hpp"

namespace fs = std::filesystem;

namespace {

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

oi::test::ProcessResult write_dataset(const fs::path& dir, int seed) {
  return oi::test::run_process({OI_EXE, "run",
                                std::string(OI_SOURCE_DIR) + "/samples/sim_dataset/pipeline.yaml", "--set",
                                "scanner.seed=" + std::to_string(seed), "--set", "scanner.scans=3", "--set",
                                "scanner.pixels_per_line=256", "--set", "scanner.threat_rate=1", "--set",
                                "dataset.dir=" + dir.string(), "--quiet"});
}

TEST(SimDatasetSample, WritesALabelledDataSetReproducibleBySeed) {
  const fs::path root = fs::temp_directory_path() / ("oi-sim-dataset-" + std::to_string(::getpid()));
  fs::remove_all(root);
  oi::test::ProcessResult r = write_dataset(root / "a", 11);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json index = read_json(root / "a" / "dataset.json");
  ASSERT_EQ(index["scans"].size(), 3u) << index.dump(2);
  ASSERT_EQ(index["references"].size(), 2u) << "dark and air, once per run: " << index.dump(2);
  int threats = 0;
  for (const auto& scan : index["scans"]) {
    const nlohmann::json j = read_json(root / "a" / scan["json"].get<std::string>());
    EXPECT_EQ(j["ground_truth_known"], true);
    for (const auto& t : j["ground_truth"]) {
      ++threats;
      ASSERT_EQ(t["box"].size(), 4u);
      EXPECT_GT(t["box"][2].get<int>(), 0);
    }
    ASSERT_TRUE(j.contains("tube"));
    for (const auto& [channel, image] : scan["files"].items()) {
      const cv::Mat m = cv::imread((root / "a" / image.get<std::string>()).string(), cv::IMREAD_UNCHANGED);
      ASSERT_FALSE(m.empty()) << image;
      EXPECT_EQ(m.depth(), CV_16U);
      EXPECT_EQ(m.cols, 256);
    }
  }
  EXPECT_GE(threats, 3) << "threat_rate 1: every scan carries a threat";

  r = write_dataset(root / "b", 11);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& scan : index["scans"]) {
    for (const auto& [channel, image] : scan["files"].items()) {
      const std::string name = image.get<std::string>();
      EXPECT_EQ(read_bytes(root / "a" / name), read_bytes(root / "b" / name))
          << name << " differs for the same seed";
    }
  }
  fs::remove_all(root);
}

}  // namespace
