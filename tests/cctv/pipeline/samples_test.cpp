// The two CCTV samples end to end, as a user runs them: `oi run samples/cctv/pipeline.yaml`
// (four simulated cameras into one chain) and `oi run samples/cctv_video/pipeline.yaml`
// (vtest.avi from opencv-doc), each shortened; `oi run` ends with the per-camera table and the
// path of summary.html, and the annotated videos play (ffprobe counts their frames).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "../video/video_test_support.hpp"
#include "process.hpp"

namespace fs = std::filesystem;

namespace {

using ::testing::HasSubstr;

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("oi-cctv-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

TEST(CctvSamples, FourSimulatedCamerasRunThroughOneChainToVideosAndASummary) {
  FFPROBE_OR_SKIP(ffprobe_exe);
  const fs::path out = scratch("site");
  std::vector<std::string> argv = {OI_EXE,
                                   "run",
                                   std::string(OI_SOURCE_DIR) + "/samples/cctv/pipeline.yaml",
                                   "--set",
                                   "summary.dir=" + out.string(),
                                   "--set",
                                   "video.dir=" + (out / "videos").string(),
                                   "--set",
                                   "detect.backend=cpu"};
  for (const char* camera : {"gate", "corridor", "baggage", "exit"}) {
    argv.insert(argv.end(), {"--set", std::string(camera) + ".frames=40"});
  }
  const oi::test::ProcessResult r = oi::test::run_process(argv);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // The run ends with the table and the page's path.
  EXPECT_THAT(r.out, HasSubstr("all cameras")) << r.out;
  EXPECT_THAT(r.out, HasSubstr((out / "summary.html").string())) << r.out;

  const nlohmann::json summary = read_json(out / "summary.json");
  for (const char* camera : {"gate", "corridor", "baggage", "exit"}) {
    SCOPED_TRACE(camera);
    const nlohmann::json& c = summary["cameras"][camera];
    EXPECT_EQ(c["frames"], 40);
    EXPECT_GT(c["gt_boxes"].get<int>(), 0);
    const oi::cctv::video::testing::Probe probe =
        oi::cctv::video::testing::ffprobe(ffprobe_exe, out / "videos" / (std::string(camera) + ".avi"));
    EXPECT_EQ(probe.frames, 40);
    EXPECT_EQ(probe.width, 768);
    EXPECT_EQ(probe.height, 576);
    EXPECT_TRUE(fs::exists(out / "mot" / camera / "tracks.txt"));
  }
}

TEST(CctvSamples, RealFootageRunsThroughDetectAndTrackToAnAnnotatedVideo) {
  FFPROBE_OR_SKIP(ffprobe_exe);
  const fs::path vtest = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
  if (!fs::exists(vtest))
    GTEST_SKIP() << vtest << " is missing: install opencv-doc (scripts/install-deps.sh)";
  const fs::path out = scratch("video");
  // 120 frames hold the annotated frames 31 and 101 of vtest_truth.txt.
  const oi::test::ProcessResult r = oi::test::run_process(
      {OI_EXE, "run", std::string(OI_SOURCE_DIR) + "/samples/cctv_video/pipeline.yaml", "--set",
       "summary.dir=" + out.string(), "--set", "video.dir=" + (out / "videos").string(), "--set",
       "detect.backend=cpu", "--max-frames", "120"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr((out / "summary.html").string())) << r.out;
  const nlohmann::json summary = read_json(out / "summary.json");
  ASSERT_TRUE(summary["cameras"].is_object()) << summary.dump(2);
  ASSERT_EQ(summary["cameras"].size(), 1u) << summary.dump(2);
  const nlohmann::json& c = summary["cameras"].begin().value();
  EXPECT_EQ(c["evaluated_frames"], 2) << c.dump(2);
  const fs::path video = out / "videos" / "camera.avi";
  const oi::cctv::video::testing::Probe probe = oi::cctv::video::testing::ffprobe(ffprobe_exe, video);
  EXPECT_EQ(probe.frames, 120);
  EXPECT_EQ(probe.width, 768);
}

}  // namespace
