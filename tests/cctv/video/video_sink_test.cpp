// sink.video driven frame by frame from the build tree's plugin: frames with tracks made in
// the test go in, and ffprobe reads the videos back (they play: frame count, size, codec,
// frame rate); two sources give two videos; the JSON lines hold the tracks; a changed frame
// size is resized into the camera's video and counted; bad frames are clear errors.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <utility>

#include "file_size_limit.hpp"
#include "oi/error.hpp"
#include "oi/frame_cv.hpp"
#include "scratch.hpp"
#include "video_test_support.hpp"

namespace oi::cctv::video::testing {
namespace {

// The context of finish(): the sink takes and emits nothing there.
class FinishContext final : public StageContext {
 public:
  FramePtr take(std::size_t) override { return nullptr; }
  void emit(std::size_t, FramePtr) override {}
  bool stop_requested() const override { return false; }
  const std::string& stage_name() const override { return name_; }
  const StageSpec& spec() const override { return spec_; }

 private:
  std::string name_ = "video";
  StageSpec spec_;
};

// sink.video from the plugin library, started with `params` over its defaults.
class VideoSinkUnderTest {
  static nlohmann::json with_dir(nlohmann::json params, const fs::path& dir) {
    params["dir"] = dir.string();
    return params;
  }

 public:
  /// `dir` plus `params`.
  explicit VideoSinkUnderTest(const fs::path& dir, nlohmann::json params = nlohmann::json::object())
      : stage_(oi::test::plugin_registry(OI_SINK_VIDEO_PLUGIN), "sink.video",
               with_dir(std::move(params), dir), "video") {}
  Status feed(FramePtr frame) {
    FramePtr out;
    return stage_.run(std::move(frame), out);
  }
  void feed_ok(FramePtr frame) {
    const Status s = feed(std::move(frame));
    ASSERT_TRUE(s.is_ok()) << s.message();
  }
  Status finish() {
    FinishContext ctx;
    return stage_.stage().finish(ctx);
  }
  nlohmann::json summary() const { return stage_.summary(); }

 private:
  oi::test::StageUnderTest stage_;
};

fs::path scratch(const std::string& name) { return oi::test::scratch_dir("oi-cctv-video", name); }

TEST(CctvVideo, TwoSourcesGiveTwoPlayableVideos) {
  FFPROBE_OR_SKIP(probe_exe);
  const fs::path dir = scratch("two_sources");
  {
    VideoSinkUnderTest sink(dir);
    // Interleaved like a multi-source input delivers them; the second camera names itself.
    for (int i = 0; i < 12; ++i) {
      sink.feed_ok(camera_frame("cam_a", i));
      if (i < 9) {
        FramePtr b = camera_frame("cam_b", i, 192, 144, 3);
        b->metadata().attributes[attr::kCamera] = "Hall West";
        sink.feed_ok(b);
      }
    }
    ASSERT_TRUE(sink.finish().is_ok());
    const nlohmann::json s = sink.summary();
    EXPECT_EQ(s["frames"], 21);
    EXPECT_EQ(s["output"], fs::absolute(dir).string());
    ASSERT_EQ(s["videos"].size(), 2u) << s.dump(2);
    EXPECT_EQ(s["cameras"][0]["fps_from"], "capture times") << "frames 100 ms apart";
    EXPECT_DOUBLE_EQ(s["cameras"][0]["fps"].get<double>(), 10.0);
  }
  const Probe a = ffprobe(probe_exe, dir / "cam_a.avi");
  EXPECT_EQ(a.frames, 12);
  EXPECT_EQ(a.width, 160);
  EXPECT_EQ(a.height, 120);
  EXPECT_EQ(a.codec, "mjpeg");
  EXPECT_EQ(a.frame_rate, "10/1");
  const Probe b = ffprobe(probe_exe, dir / "Hall_West.avi");
  EXPECT_EQ(b.frames, 9);
  EXPECT_EQ(b.width, 192);
  EXPECT_EQ(b.height, 144);
}

TEST(CctvVideo, JsonLinesHoldEveryFrameWithItsTracksAndDetections) {
  const fs::path dir = scratch("json_lines");
  {
    VideoSinkUnderTest sink(dir, {{"fps", 10.0}});
    for (int i = 0; i < 6; ++i) {
      FramePtr f = camera_frame("cam_a", i);
      if (i == 2) {
        GroundTruthPerson p;
        p.identity = 42;
        p.box = {10, 30, 24, 60};
        p.visible = 0.75;
        f->metadata().attributes[attr::kGroundTruth] = to_json_list(std::vector<GroundTruthPerson>{p});
      }
      if (i == 3) {  // embeddings stay out of the operator's file
        auto& tracks = f->metadata().attributes[attr::kTracks];
        tracks[0]["embedding"] = std::vector<float>(128, 0.5f);
      }
      sink.feed_ok(f);
    }
    ASSERT_TRUE(sink.finish().is_ok());
  }
  const std::vector<nlohmann::json> lines = read_json_lines(dir / "cam_a.frames.jsonl");
  ASSERT_EQ(lines.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    const nlohmann::json& l = lines[i];
    EXPECT_EQ(l["frame_index"], i);
    EXPECT_EQ(l["video_frame"], i);
    EXPECT_EQ(l["camera"], "cam_a");
    EXPECT_EQ(l["source"], "cam_a");
    EXPECT_EQ(l["capture_time_ns"], i * 100'000'000LL);
    ASSERT_EQ(l["tracks"].size(), 1u) << l.dump();
    EXPECT_EQ(l["tracks"][0]["id"], 7);
    EXPECT_DOUBLE_EQ(l["tracks"][0]["box"][0].get<double>(), 10.0 + 4.0 * i);
    EXPECT_FALSE(l["tracks"][0].contains("embedding"));
    ASSERT_EQ(l["detections"].size(), 1u);
    EXPECT_DOUBLE_EQ(l["detections"][0]["score"].get<double>(), 0.8);
    EXPECT_EQ(l.contains("ground_truth"), i == 2) << l.dump();
  }
  EXPECT_EQ(lines[2]["ground_truth"][0]["identity"], 42);
}

TEST(CctvVideo, ChangedFrameSizeIsResizedIntoTheCamerasVideoAndCounted) {
  FFPROBE_OR_SKIP(probe_exe);
  const fs::path dir = scratch("resize");
  {
    VideoSinkUnderTest sink(dir, {{"fps", 10.0}});
    for (int i = 0; i < 10; ++i) sink.feed_ok(camera_frame("cam_a", i, i < 5 ? 160 : 320, i < 5 ? 120 : 240));
    ASSERT_TRUE(sink.finish().is_ok());
    const nlohmann::json s = sink.summary();
    EXPECT_EQ(s["resized_frames"], 5) << s.dump(2);
    EXPECT_EQ(s["cameras"][0]["resized_frames"], 5);
  }
  const Probe p = ffprobe(probe_exe, dir / "cam_a.avi");
  EXPECT_EQ(p.frames, 10) << "one video per camera, every frame in it";
  EXPECT_EQ(p.width, 160);
  EXPECT_EQ(p.height, 120);
  const std::vector<nlohmann::json> lines = read_json_lines(dir / "cam_a.frames.jsonl");
  ASSERT_EQ(lines.size(), 10u);
  EXPECT_FALSE(lines[4].contains("resized"));
  EXPECT_EQ(lines[5]["resized"], true);
  EXPECT_EQ(lines[5]["width"], 320) << "the JSON keeps the camera's own pixels";
}

TEST(CctvVideo, FrameWithoutTheImagePlaneIsAClearError) {
  const fs::path dir = scratch("no_plane");
  VideoSinkUnderTest sink(dir);
  FramePtr f = Frame::create(std::string(kFrameKind));
  f->add_plane(plane::kForeground, PixelFormat::kU8, 16, 16);
  f->metadata().source_device = "cam_a";
  f->metadata().sequence = 5;
  const Status s = sink.feed(f);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("no plane 'image'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("it has: foreground"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("'cam_a'"), std::string::npos) << s.message();
}

TEST(CctvVideo, ImagePlaneOfAnotherFormatIsAClearError) {
  const fs::path dir = scratch("f32_plane");
  VideoSinkUnderTest sink(dir);
  FramePtr f = Frame::create(std::string(kFrameKind));
  f->add_plane(plane::kImage, PixelFormat::kF32, 16, 16);
  f->metadata().source_device = "cam_a";
  const Status s = sink.feed(f);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("is f32, not rgb8 or u8"), std::string::npos) << s.message();
}

// Ground truth is drawn only when asked (`draw_truth`), as thin boxes where the truth is.
TEST(CctvVideo, GroundTruthIsDrawnOnlyWhenAsked) {
  auto first_frame = [](const fs::path& dir, bool draw_truth, const FramePtr& original) {
    {
      VideoSinkUnderTest sink(dir, {{"fps", 10.0}, {"draw_truth", draw_truth}});
      sink.feed_ok(original);
      EXPECT_TRUE(sink.finish().is_ok());
    }
    cv::VideoCapture capture((dir / "cam_a.avi").string());
    cv::Mat frame;
    capture.read(frame);
    return frame;
  };
  const FramePtr original = camera_frame("cam_a", 0, 320, 240);
  GroundTruthPerson p;
  p.identity = 3;
  p.box = {200, 100, 30, 80};
  original->metadata().attributes[attr::kGroundTruth] = to_json_list(std::vector<GroundTruthPerson>{p});
  const cv::Mat source = as_mat(original->plane(plane::kImage));  // RGB
  auto difference = [&](const cv::Mat& written, int x, int y) {
    const cv::Vec3b w = written.at<cv::Vec3b>(y, x);  // BGR
    const cv::Vec3b s = source.at<cv::Vec3b>(y, x);
    return std::abs(w[2] - s[0]) + std::abs(w[1] - s[1]) + std::abs(w[0] - s[2]);
  };
  const cv::Mat shown = first_frame(scratch("truth_on"), true, original);
  const cv::Mat hidden = first_frame(scratch("truth_off"), false, original);
  ASSERT_FALSE(shown.empty());
  ASSERT_FALSE(hidden.empty());
  EXPECT_GT(difference(shown, 200, 130), 90) << "no truth box edge at x = 200";
  EXPECT_LT(difference(hidden, 200, 130), 30) << "truth drawn although draw_truth is off";
}

TEST(CctvVideo, MalformedTracksAttributeNamesTheStageToFix) {
  const fs::path dir = scratch("bad_tracks");
  VideoSinkUnderTest sink(dir);
  FramePtr f = camera_frame("cam_a", 0);
  f->metadata().attributes[attr::kTracks] = "not a list";
  const Status s = sink.feed(f);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("tracks"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("fix the stage that wrote it"), std::string::npos) << s.message();
}

TEST(CctvVideo, ScaleAndTheMp4Codecs) {
  FFPROBE_OR_SKIP(probe_exe);
  struct Case {
    const char* codec;
    double scale;
    int width, height;  // camera frames
    const char* file;
    const char* probe_codec;
    int out_width, out_height;
  };
  for (const Case& c : {Case{"mjpg", 0.5, 160, 120, "cam_a.avi", "mjpeg", 80, 60},
                        Case{"mp4v", 1.0, 160, 120, "cam_a.mp4", "mpeg4", 160, 120},
                        Case{"h264", 1.0, 161, 121, "cam_a.mp4", "h264", 160, 120}}) {
    SCOPED_TRACE(c.codec);
    const fs::path dir = scratch(std::string("codec_") + c.codec);
    {
      VideoSinkUnderTest sink(dir, {{"codec", c.codec}, {"scale", c.scale}, {"fps", 25.0}});
      for (int i = 0; i < 8; ++i) sink.feed_ok(camera_frame("cam_a", i, c.width, c.height));
      ASSERT_TRUE(sink.finish().is_ok());
    }
    const Probe p = ffprobe(probe_exe, dir / c.file);
    EXPECT_EQ(p.frames, 8);
    EXPECT_EQ(p.codec, c.probe_codec);
    EXPECT_EQ(p.width, c.out_width);
    EXPECT_EQ(p.height, c.out_height);
    EXPECT_EQ(p.frame_rate, "25/1") << "`fps` wins over capture times";
  }
}

TEST(CctvVideo, OneFrameCameraStillGetsACompleteVideo) {
  FFPROBE_OR_SKIP(probe_exe);
  const fs::path dir = scratch("one_frame");
  {
    VideoSinkUnderTest sink(dir);
    sink.feed_ok(camera_frame("cam_a", 0));
    ASSERT_TRUE(sink.finish().is_ok());
    EXPECT_EQ(sink.summary()["cameras"][0]["fps_from"], "fallback") << "one frame gives no rate";
  }
  EXPECT_EQ(ffprobe(probe_exe, dir / "cam_a.avi").frames, 1);
}

TEST(CctvVideo, StopWithoutFinishStillLeavesCompleteVideos) {
  FFPROBE_OR_SKIP(probe_exe);
  const fs::path dir = scratch("stopped");
  {
    // 5 frames: fewer than the sink holds to measure the rate, so the writer opens in stop().
    VideoSinkUnderTest sink(dir);
    for (int i = 0; i < 5; ++i) sink.feed_ok(camera_frame("cam_a", i));
  }  // destroyed: stop() without finish(), as after an error elsewhere in the pipeline
  EXPECT_EQ(ffprobe(probe_exe, dir / "cam_a.avi").frames, 5);
  EXPECT_EQ(read_json_lines(dir / "cam_a.frames.jsonl").size(), 5u);
}

// A full disk, as a file-size limit. OpenCV's VideoWriter reports no failed write, so the sink
// checks each video as it closes it: a video cut off fails the run naming it and is moved away
// from its name. The JSON lines go out line by line: a line that does not fit is its frame's
// error, and the file keeps whole lines only, one per frame written.
TEST(CctvVideo, AFullDiskFailsTheRunNamingTheFileAndLeavesNoCutFileUnderItsName) {
  // 20 frames of 160 x 120 make about 6 KB of JSON lines and more video than 8000 bytes.
  for (const std::string codec : {"mjpg", "mp4v"}) {
    SCOPED_TRACE(codec);
    const fs::path dir = scratch("full_disk_" + codec);
    const fs::path video = dir / (codec == "mjpg" ? "cam_a.avi" : "cam_a.mp4");
    VideoSinkUnderTest sink(dir, {{"fps", 10.0}, {"codec", codec}});
    Status finished = Status::ok();
    {
      const oi::test::FileSizeLimit full_disk(8000);
      ASSERT_TRUE(full_disk.ok());
      for (int i = 0; i < 20; ++i) sink.feed_ok(camera_frame("cam_a", i));
      finished = sink.finish();
    }
    ASSERT_FALSE(finished.is_ok()) << "a cut video was taken for a whole one";
    const std::string& message = finished.message();
    EXPECT_NE(message.find("stage 'video'"), std::string::npos) << message;
    EXPECT_NE(message.find("cannot write " + video.string() + ": the video is cut off"), std::string::npos)
        << message;
    EXPECT_NE(message.find("free space or choose another output folder"), std::string::npos) << message;
    EXPECT_FALSE(fs::exists(video)) << "a cut video was left under the video's name";
    EXPECT_TRUE(fs::exists(video.string() + ".partial")) << "what was written is kept beside it";
    const nlohmann::json s = sink.summary();
    EXPECT_TRUE(s["videos"].empty()) << s.dump(2);
    EXPECT_EQ(s["cameras"][0]["video_cut"], true);
    EXPECT_EQ(read_json_lines(dir / "cam_a.frames.jsonl").size(), 20u);
  }

  // Files up to 3000 bytes: the JSON lines fill up at a frame, which is refused naming the file.
  const fs::path dir = scratch("full_disk_json");
  VideoSinkUnderTest sink(dir, {{"fps", 10.0}});
  Status fed = Status::ok(), finished = Status::ok();
  std::size_t written = 0;
  {
    const oi::test::FileSizeLimit full_disk(3000);
    ASSERT_TRUE(full_disk.ok());
    for (int i = 0; i < 20 && fed.is_ok(); ++i) {
      fed = sink.feed(camera_frame("cam_a", i));
      if (fed.is_ok()) ++written;
    }
    finished = sink.finish();
  }
  ASSERT_FALSE(fed.is_ok()) << "20 frames' JSON lines went into 3000 bytes";
  EXPECT_NE(fed.message().find("cannot write " + (dir / "cam_a.frames.jsonl").string()), std::string::npos)
      << fed.message();
  EXPECT_NE(fed.message().find("frame " + std::to_string(written) + " of camera 'cam_a' and those after it"),
            std::string::npos)
      << fed.message();
  EXPECT_GT(written, 0u);
  EXPECT_EQ(read_json_lines(dir / "cam_a.frames.jsonl").size(), written) << "whole lines, one per frame";
  EXPECT_EQ(sink.summary()["frames"], written);
  EXPECT_FALSE(finished.is_ok());
  EXPECT_FALSE(fs::exists(dir / "cam_a.avi"));
}

TEST(CctvVideo, RefusesAFolderWithEarlierVideosUnlessOverwrite) {
  const fs::path dir = scratch("overwrite");
  {
    VideoSinkUnderTest sink(dir, {{"fps", 10.0}});
    sink.feed_ok(camera_frame("cam_a", 0));
    ASSERT_TRUE(sink.finish().is_ok());
  }
  try {
    VideoSinkUnderTest again(dir);
    FAIL() << "a folder with earlier videos was accepted without overwrite";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("overwrite: true"), std::string::npos) << e.what();
  }
  VideoSinkUnderTest replacing(dir, {{"overwrite", true}, {"fps", 10.0}});
  replacing.feed_ok(camera_frame("cam_a", 0));
  EXPECT_TRUE(replacing.finish().is_ok());
}

// Saturated colours next to dark areas, as boxes and labels on a camera picture are: every
// frame decodes without an error (OpenCV 4.6's own MJPEG writer fails this; the sink uses
// FFmpeg's encoders).
TEST(CctvVideo, SaturatedColoursDecodeWithoutErrorsInEveryCodec) {
  FFPROBE_OR_SKIP(probe_exe);
  for (const char* codec : {"mjpg", "mp4v", "h264"}) {
    SCOPED_TRACE(codec);
    const fs::path dir = scratch(std::string("saturated_") + codec);
    {
      VideoSinkUnderTest sink(dir, {{"fps", 10.0}, {"codec", codec}});
      cv::RNG rng(7);
      for (int i = 0; i < 120; ++i) {
        FramePtr f = camera_frame("cam_a", i);
        cv::Mat image = as_mat(f->plane(plane::kImage));
        image.setTo(cv::Scalar(30, 30, 30));
        for (int k = 0; k < 6; ++k) {
          const cv::Rect r(rng.uniform(0, 150), rng.uniform(0, 110), rng.uniform(5, 60), rng.uniform(5, 60));
          const cv::Scalar colour(rng.uniform(0, 2) * 255, rng.uniform(0, 2) * 255, rng.uniform(0, 2) * 255);
          cv::rectangle(image, r, colour, rng.uniform(0, 2) ? cv::FILLED : 2);
        }
        sink.feed_ok(f);
      }
      ASSERT_TRUE(sink.finish().is_ok());
    }
    const Probe p =
        ffprobe(probe_exe, dir / (std::string("cam_a") + (codec == std::string("mjpg") ? ".avi" : ".mp4")));
    EXPECT_EQ(p.frames, 120);
  }
}

// The picture itself: the track's box is drawn where the track is, the header darkens the
// top, and pixels away from any annotation keep the camera's picture (MJPEG is lossy: the
// comparisons have margins).
TEST(CctvVideo, AnnotationsAreDrawnWhereTheTrackIs) {
  const fs::path dir = scratch("pixels");
  const FramePtr original = camera_frame("cam_a", 0, 320, 240);
  {
    VideoSinkUnderTest sink(dir, {{"fps", 10.0}, {"draw_detections", false}});
    sink.feed_ok(original);
    ASSERT_TRUE(sink.finish().is_ok());
  }
  cv::VideoCapture capture((dir / "cam_a.avi").string());
  ASSERT_TRUE(capture.isOpened());
  cv::Mat written;
  ASSERT_TRUE(capture.read(written));
  ASSERT_EQ(written.cols, 320);
  const cv::Mat source = as_mat(original->plane(plane::kImage));  // RGB
  auto difference = [&](int x, int y) {
    const cv::Vec3b w = written.at<cv::Vec3b>(y, x);  // BGR
    const cv::Vec3b s = source.at<cv::Vec3b>(y, x);
    return std::abs(w[2] - s[0]) + std::abs(w[1] - s[1]) + std::abs(w[0] - s[2]);
  };
  // Track box [10, 30, 24, 60]: its left edge at x = 10, halfway down.
  EXPECT_GT(difference(10, 70), 90) << "no box edge where the track is";
  EXPECT_LT(difference(250, 200), 30) << "the picture away from annotations changed";
  // The header's text starts a few rows down: the top rows are the darkened band alone.
  const double band = cv::mean(written.rowRange(0, 2))[1];  // green, BGR
  const double under = cv::mean(source.rowRange(0, 2))[1];  // green, RGB
  EXPECT_LT(band, under * 0.6) << "the header band darkens the top";
}

// Trails: the foot points (bottom centre) of a track's last `trail` boxes are joined by a line
// in the track's colour; `trail: 0` draws none.
TEST(CctvVideo, TrailsJoinTheFootPointsOfATrack) {
  auto last_frame = [](const fs::path& dir, int trail) {
    {
      VideoSinkUnderTest sink(dir, {{"fps", 10.0}, {"draw_detections", false}, {"trail", trail}});
      for (int i = 0; i < 10; ++i) sink.feed_ok(camera_frame("cam_a", i, 320, 240));
      EXPECT_TRUE(sink.finish().is_ok());
    }
    cv::VideoCapture capture((dir / "cam_a.avi").string());
    cv::Mat frame, last;
    while (capture.read(frame)) last = frame.clone();
    return last;
  };
  const cv::Mat with = last_frame(scratch("trail_on"), 30);
  const cv::Mat without = last_frame(scratch("trail_off"), 0);
  ASSERT_FALSE(with.empty());
  ASSERT_FALSE(without.empty());
  // Frame 0's box is [10, 30, 24, 60] (foot at 22, 90); frame 9's starts at x = 46. Between
  // them, on the feet's row, only the trail is drawn.
  auto at = [](const cv::Mat& m, int x, int y) { return m.at<cv::Vec3b>(y, x); };
  const cv::Vec3b on = at(with, 30, 90), off = at(without, 30, 90);
  const int difference = std::abs(on[0] - off[0]) + std::abs(on[1] - off[1]) + std::abs(on[2] - off[2]);
  EXPECT_GT(difference, 90) << "no trail between the first and the last foot point";
}

}  // namespace
}  // namespace oi::cctv::video::testing

namespace oi::cctv::video::testing {
namespace {

// A frame whose person box [40, 20, 40, 80] holds a fine black-and-white checkerboard: sharp
// when shown, nearly uniform when blurred.
FramePtr checkered_person(bool hit) {
  FramePtr f = camera_frame("cam_a", 0, 160, 120);
  cv::Mat image = as_mat(f->plane(plane::kImage));
  for (int y = 20; y < 100; ++y)
    for (int x = 40; x < 80; ++x)
      image.at<cv::Vec3b>(y, x) = ((x / 2 + y / 2) % 2) ? cv::Vec3b(255, 255, 255) : cv::Vec3b(0, 0, 0);
  FrameMetadata& m = f->metadata();
  Track t;
  t.id = 3;
  t.box = {40, 20, 40, 80};
  m.attributes[attr::kTracks] = to_json_list(std::vector<Track>{t});
  m.attributes[attr::kDetections] = nlohmann::json::array();
  if (hit) {
    WatchlistHit h;
    h.track = 3;
    h.entry = "W-000001";
    h.score = 0.9;
    h.alert = "A-1";
    h.status = "unconfirmed";
    m.attributes[attr::kWatchlistHits] = to_json_list(std::vector<WatchlistHit>{h});
  }
  return f;
}

// Standard deviation of the grey values inside the person, away from the drawn box edges.
double person_detail(const fs::path& video) {
  cv::VideoCapture capture(video.string());
  cv::Mat written;
  if (!capture.read(written)) return -1;
  cv::Mat grey;
  cv::cvtColor(written(cv::Rect(46, 30, 28, 60)), grey, cv::COLOR_BGR2GRAY);
  cv::Scalar mean, deviation;
  cv::meanStdDev(grey, mean, deviation);
  return deviation[0];
}

TEST(CctvVideo, PersonsWithoutAWatchlistHitAreBlurredByDefault) {
  const fs::path blurred = scratch("privacy-default"), shown = scratch("privacy-hit");
  {
    VideoSinkUnderTest sink(blurred, {{"fps", 10.0}});
    sink.feed_ok(checkered_person(false));
    ASSERT_TRUE(sink.finish().is_ok());
    EXPECT_EQ(sink.summary()["persons_blurred"], 1);
  }
  {
    VideoSinkUnderTest sink(shown, {{"fps", 10.0}});
    sink.feed_ok(checkered_person(true));
    ASSERT_TRUE(sink.finish().is_ok());
  }
  const double hidden_detail = person_detail(blurred / "cam_a.avi");
  const double shown_detail = person_detail(shown / "cam_a.avi");
  EXPECT_GT(shown_detail, 80.0) << "the matched person is shown";
  EXPECT_LT(hidden_detail, 25.0) << "the unmatched person is blurred";
}

TEST(CctvVideo, TurningTheBlurOffNeedsAnAuditLogAndIsRecorded) {
  const fs::path dir = scratch("privacy-off");
  EXPECT_THROW(VideoSinkUnderTest(dir, {{"privacy_blur", false}}), ConfigError);
  const fs::path log = dir / "audit" / "audit.jsonl";
  {
    VideoSinkUnderTest sink(dir / "videos",
                            {{"fps", 10.0}, {"privacy_blur", false}, {"audit_log", log.string()}});
    sink.feed_ok(checkered_person(false));
    ASSERT_TRUE(sink.finish().is_ok());
  }
  EXPECT_GT(person_detail(dir / "videos" / "cam_a.avi"), 80.0) << "shown unblurred, as set";
  const std::string text = oi::test::read_text(log);
  EXPECT_NE(text.find("\"setting\""), std::string::npos) << text;
  EXPECT_NE(text.find("privacy_blur"), std::string::npos) << text;
}

}  // namespace
}  // namespace oi::cctv::video::testing
