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

// samples/cctv_reid: the same four cameras through embed, association and the watchlist.
// The run ends with the re-ID line and the summary page; the enrolled persons raise alerts that
// stay unconfirmed; unmatched persons are blurred in the videos; the audit log verifies.
TEST(CctvSamples, ReidSampleAssociatesSearchesTheWatchlistAndBlursTheUnmatched) {
  FFPROBE_OR_SKIP(ffprobe_exe);
  const fs::path out = scratch("reid");
  const std::vector<std::string> argv = {OI_EXE,
                                         "run",
                                         std::string(OI_SOURCE_DIR) + "/samples/cctv_reid/pipeline.yaml",
                                         "--set",
                                         "summary.dir=" + out.string(),
                                         "--set",
                                         "video.dir=" + (out / "videos").string(),
                                         "--set",
                                         "watch.watchlist=" + (out / "watchlist.json").string(),
                                         "--set",
                                         "watch.alerts_dir=" + (out / "run").string(),
                                         "--set",
                                         "watch.audit_log=" + (out / "audit.jsonl").string(),
                                         "--set",
                                         "detect.backend=cpu",
                                         "--max-frames",
                                         "40",
                                         "--stats",
                                         (out / "stats.json").string()};
  const oi::test::ProcessResult r = oi::test::run_process(argv);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("global ids")) << r.out;
  EXPECT_THAT(r.out, HasSubstr((out / "summary.html").string())) << r.out;

  const nlohmann::json summaries = read_json(out / "stats.json")["summaries"];
  EXPECT_EQ(summaries["watch"]["searchable_entries"], 3);  // the three enrolled persons
  EXPECT_GT(summaries["watch"]["searches"].get<int>(), 0);
  EXPECT_EQ(summaries["watch"]["alerts_confirmed"], 0);
  EXPECT_TRUE(summaries["video"]["privacy_blur"].get<bool>());
  EXPECT_GT(summaries["video"]["persons_blurred"].get<int>(), 0);
  EXPECT_GT(summaries["embed"]["embedded_detections"].get<int>(), 0);
  for (const char* camera : {"gate", "corridor", "baggage", "exit"}) {
    const oi::cctv::video::testing::Probe probe =
        oi::cctv::video::testing::ffprobe(ffprobe_exe, out / "videos" / (std::string(camera) + ".avi"));
    EXPECT_EQ(probe.frames, 40) << camera;
  }
  const oi::test::ProcessResult verify =
      oi::test::run_process({OI_EXE, "audit", "verify", (out / "audit.jsonl").string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  const oi::test::ProcessResult alerts =
      oi::test::run_process({OI_EXE, "watchlist", "alerts", (out / "run" / "alerts.jsonl").string()});
  EXPECT_EQ(alerts.exit_code, 0) << alerts.err;
  // Nobody confirmed anything: every alert of the run is unconfirmed.
  EXPECT_THAT(alerts.out, ::testing::Not(::testing::ContainsRegex("A-[0-9]+ +confirmed"))) << alerts.out;
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

// samples/cctv_video/reid.yaml: vtest.avi with re-identification. People who leave the
// square and come back (in the first 250 frames, at least one) are reunited under one global
// identity; the summary counts the identities and shows the reunited ones.
TEST(CctvSamples, RealFootageWithReidReunitesTrackletsUnderGlobalIdentities) {
  const fs::path vtest = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
  if (!fs::exists(vtest))
    GTEST_SKIP() << vtest << " is missing: install opencv-doc (scripts/install-deps.sh)";
  const fs::path out = scratch("video_reid");
  const oi::test::ProcessResult r = oi::test::run_process(
      {OI_EXE, "run", std::string(OI_SOURCE_DIR) + "/samples/cctv_video/reid.yaml", "--set",
       "summary.dir=" + out.string(), "--set", "video.dir=" + (out / "videos").string(), "--set",
       "detect.backend=cpu", "--max-frames", "250"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("global ids")) << r.out;
  const nlohmann::json summary = read_json(out / "summary.json");
  const nlohmann::json& g = summary["global_identities"];
  ASSERT_TRUE(g.is_object()) << summary.dump(2);
  std::int64_t tracklets = 0;
  for (const nlohmann::json& id : g["identities"]) tracklets += id["tracklets"].get<std::int64_t>();
  EXPECT_GT(g["count"].get<std::int64_t>(), 0);
  EXPECT_LT(g["count"].get<std::int64_t>(), tracklets) << "no tracklet was reunited";
  EXPECT_GE(g["reentered"].get<std::int64_t>(), 1);
  EXPECT_EQ(g["in_several_cameras"], 0);  // one camera
  EXPECT_FALSE(summary.contains("reid")) << "real footage has no simulator truth: no tracklet ranking";
  std::ifstream page(out / "summary.html");
  const std::string html((std::istreambuf_iterator<char>(page)), std::istreambuf_iterator<char>());
  EXPECT_THAT(html, HasSubstr("Reunited identities"));
  EXPECT_FALSE(fs::is_empty(out / "thumbs" / "identities"));
}

}  // namespace
