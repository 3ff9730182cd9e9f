// sim.cctv run by the real `oi`, as a user runs it: two cameras of one site, each into a
// sink.image, write their pictures and ground truth on one clock; a camera that is lost mid-run
// is faulted, restarted by the supervisor and its missed frames counted.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <string>

#include "process.hpp"
#include "scratch.hpp"

namespace fs = std::filesystem;

namespace {

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

// Two cameras of one site; the gate's signal is lost after 4 frames and comes back 3 frames
// later when `reconnect` (else the supervisor ignores it from then on).
std::string pipeline(const fs::path& out, bool reconnect) {
  return std::string(R"(name: sim.cctv two cameras
devices:
  gate:
    driver: sim.cctv
    params: { camera: gate, seed: 21, frames: 10, width: 192, height: 144, stop_after: 4, reconnect_after: )") +
         (reconnect ? "3" : "0") + (reconnect ? "" : ", on_fault: ignore") + R"( }
  corridor:
    driver: sim.cctv
    params: { camera: corridor, seed: 21, frames: 10, width: 192, height: 144 }
stages:
  gate_sink:
    type: sink.image
    params: { dir: ")" +
         out.string() + R"(", prefix: gate_ }
  corridor_sink:
    type: sink.image
    params: { dir: ")" +
         out.string() + R"(", prefix: corridor_ }
connections:
  - { from: gate.out, to: gate_sink.in }
  - { from: corridor.out, to: corridor_sink.in }
)";
}

// frame_index -> metadata of every frame the sink wrote with `prefix`.
std::map<int, nlohmann::json> frames_of(const fs::path& dir, const std::string& prefix) {
  std::map<int, nlohmann::json> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || entry.path().extension() != ".json") continue;
    const nlohmann::json j = read_json(entry.path());
    out[j["attributes"]["frame_index"].get<int>()] = j;
  }
  return out;
}

TEST(SimCctv, RunsUnderOiWithTwoCamerasOnOneClockAndSurvivesALostCamera) {
  const fs::path root = oi::test::scratch_dir("oi-sim-cctv", "pipeline");
  std::ofstream(root / "pipeline.yaml") << pipeline(root / "out", true);
  const oi::test::ProcessResult r = oi::test::run_process(
      {OI_EXE, "run", (root / "pipeline.yaml").string(), "--stats", (root / "stats.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  const auto gate = frames_of(root / "out", "gate_");
  const auto corridor = frames_of(root / "out", "corridor_");
  ASSERT_EQ(corridor.size(), 10u);
  EXPECT_EQ(gate.size(), 7u) << "frames 4-6 were lost while the camera was away";
  for (int lost : {4, 5, 6}) EXPECT_EQ(gate.count(lost), 0u) << lost;
  std::set<std::int64_t> identities;
  for (const auto& [index, j] : gate) {
    EXPECT_EQ(j["attributes"]["camera"], "gate");
    EXPECT_EQ(j["source_device"], "gate");
    ASSERT_TRUE(corridor.count(index));
    EXPECT_EQ(j["capture_time_ns"], corridor.at(index)["capture_time_ns"]) << "one clock: frame " << index;
    for (const auto& p : j["attributes"]["ground_truth"])
      identities.insert(p["identity"].get<std::int64_t>());
  }
  EXPECT_FALSE(identities.empty());
  const cv::Mat image =
      cv::imread((root / "out" / "gate_000000_000000_image.png").string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(image.empty());
  EXPECT_EQ(image.cols, 192);
  EXPECT_EQ(image.rows, 144);

  const nlohmann::json stats = read_json(root / "stats.json");
  const nlohmann::json& summary = stats["summaries"]["gate"];
  EXPECT_EQ(summary["faults"], 1);
  EXPECT_EQ(summary["restarts"], 1);
  EXPECT_EQ(summary["lost"], 3);
  EXPECT_EQ(summary["frames"], 7);
}

TEST(SimCctv, ACameraThatNeverComesBackEndsItsStreamAndTheOthersRunOn) {
  const fs::path root = oi::test::scratch_dir("oi-sim-cctv", "never-back");
  std::ofstream(root / "pipeline.yaml") << pipeline(root / "out", false);
  const oi::test::ProcessResult r = oi::test::run_process(
      {OI_EXE, "run", (root / "pipeline.yaml").string(), "--stats", (root / "stats.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(frames_of(root / "out", "gate_").size(), 4u);
  EXPECT_EQ(frames_of(root / "out", "corridor_").size(), 10u);
  const nlohmann::json stats = read_json(root / "stats.json");
  EXPECT_EQ(stats["summaries"]["gate"]["gave_up"], true);
  EXPECT_NE(stats["summaries"]["gate"]["last_fault"].get<std::string>().find("lost its video signal"),
            std::string::npos);
}

}  // namespace
