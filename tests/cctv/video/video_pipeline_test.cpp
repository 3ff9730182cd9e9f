// Two real cameras, one sink: a YAML pipeline with two opencv.camera devices (a clip the test
// writes, and Debian's vtest.avi when opencv-doc is installed) connected to one sink.video
// node, run in-process; each camera gets its own playable video of its own size.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "oi/pipeline.hpp"
#include "oi/pipeline_spec.hpp"
#include "oi/plugin_registry.hpp"
#include "scratch.hpp"
#include "video_test_support.hpp"

namespace oi::cctv::video::testing {
namespace {

constexpr const char* kVtest = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";

// A clip of `frames` frames: a bright square walking across a dark floor.
void write_clip(const fs::path& file, int frames, cv::Size size) {
  cv::VideoWriter writer(file.string(), cv::CAP_FFMPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10.0,
                         size);
  ASSERT_TRUE(writer.isOpened()) << file;
  for (int i = 0; i < frames; ++i) {
    cv::Mat m(size, CV_8UC3, cv::Scalar(40, 40, 40));
    cv::rectangle(m, cv::Rect(5 + 6 * i, size.height / 3, 20, 40), cv::Scalar(220, 200, 180), cv::FILLED);
    writer.write(m);
  }
}

PluginRegistry& registry() {
  static PluginRegistry* r = [] {
    auto* loaded = new PluginRegistry();  // never destroyed: stages may outlive any scope
    loaded->load_default_locations();
    return loaded;
  }();
  return *r;
}

TEST(CctvVideo, TwoOpenCvCamerasFeedOneSinkAndGetAVideoEach) {
  FFPROBE_OR_SKIP(probe_exe);
  if (registry().find("opencv.camera") == nullptr || registry().find("sink.video") == nullptr) {
    GTEST_SKIP() << "the build tree lacks the opencv.camera or sink.video plugin";
  }
  const fs::path dir = oi::test::scratch_dir("oi-cctv-video", "pipeline");
  const fs::path clip = dir / "entrance.avi";
  write_clip(clip, 12, {160, 120});
  const bool have_vtest = fs::exists(kVtest);
  const fs::path second = have_vtest ? fs::path(kVtest) : dir / "hall.avi";
  if (!have_vtest) write_clip(second, 20, {192, 144});

  const std::string yaml =
      "devices:\n"
      "  entrance: { driver: opencv.camera, uri: " +
      clip.string() +
      ", params: { pace: fast } }\n"
      "  hall: { driver: opencv.camera, uri: " +
      second.string() +
      ", params: { pace: fast } }\n"
      "stages:\n"
      "  video: { type: sink.video, params: { dir: " +
      (dir / "out").string() +
      ", fps: 10 } }\n"
      "connections:\n"
      "  - { from: entrance.out, to: video.in }\n"
      "  - { from: hall.out, to: video.in }\n";
  PipelineSpec spec = load_pipeline_text(yaml, "two_cameras.yaml", dir.string(), registry());
  Pipeline pipeline(spec, registry());
  RunOptions options;
  options.threads = 2;
  options.max_frames = 12;  // the clip's length; the second camera stops there too
  const RunResult result = pipeline.run(options);
  ASSERT_TRUE(result.ok) << result.error;

  nlohmann::json summary;
  for (const auto& [name, s] : pipeline.stage_summaries()) {
    if (name == "video") summary = s;
  }
  ASSERT_EQ(summary["videos"].size(), 2u) << summary.dump(2);
  EXPECT_EQ(summary["frames"], 24);

  const Probe entrance = ffprobe(probe_exe, dir / "out" / "entrance.avi");
  EXPECT_EQ(entrance.frames, 12);
  EXPECT_EQ(entrance.width, 160);
  EXPECT_EQ(entrance.codec, "mjpeg");
  EXPECT_EQ(entrance.frame_rate, "10/1");
  const Probe hall = ffprobe(probe_exe, dir / "out" / "hall.avi");
  EXPECT_EQ(hall.frames, 12);
  EXPECT_EQ(hall.width, have_vtest ? 768 : 192);
  EXPECT_EQ(hall.height, have_vtest ? 576 : 144);
  const std::vector<nlohmann::json> lines = read_json_lines(dir / "out" / "hall.frames.jsonl");
  ASSERT_EQ(lines.size(), 12u);
  EXPECT_EQ(lines.back()["frame_index"], 11) << "opencv.camera sets no frame_index: the sink counts";
  EXPECT_EQ(lines.back()["source"], "hall");
}

}  // namespace
}  // namespace oi::cctv::video::testing
