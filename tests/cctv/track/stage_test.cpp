// cctv.track as a plugin stage: frames with detections in, frames with tracks out; several
// cameras through one node; a new camera, a camera whose clock goes back and unreadable
// detections are handled and counted in the summary.
#include <gtest/gtest.h>

#include "oi/cctv/contract.hpp"
#include "stage_under_test.hpp"
#include "synthetic_walkers.hpp"

namespace oi::cctv {
namespace {

using oi::test::StageUnderTest;
using test::DetectorModel;
using test::SyntheticFrame;
using test::Walker;

const PluginRegistry& registry() { return oi::test::plugin_registry(OI_CCTV_TRACK_PLUGIN); }

std::vector<SyntheticFrame> scene(std::uint32_t seed, int frames = 60) {
  const std::vector<Walker> walkers = {test::straight_walker(1, 20, 200, 3.0, 0.2, 0, frames - 1),
                                       test::straight_walker(2, 600, 215, -2.5, 0.0, 5, frames - 1)};
  DetectorModel model;
  model.seed = seed;
  model.miss_rate = 0.1;
  return test::render(walkers, frames, model);
}

FramePtr camera_frame(const std::string& source, std::uint64_t sequence,
                      const std::vector<Detection>& detections) {
  FramePtr frame = Frame::create(std::string(kFrameKind));
  frame->metadata().source_device = source;
  frame->metadata().sequence = sequence;
  frame->metadata().capture_time_ns =
      1'700'000'000'000'000'000 + static_cast<std::int64_t>(sequence) * 40'000'000;
  frame->metadata().attributes[attr::kDetections] = to_json_list(detections);
  return frame;
}

std::vector<Track> run(StageUnderTest& stage, FramePtr in) {
  FramePtr out;
  const Status s = stage.run(std::move(in), out);
  EXPECT_TRUE(s.is_ok()) << s.message();
  if (!out) {
    ADD_FAILURE() << "no frame out";
    return {};
  }
  EXPECT_TRUE(out->metadata().attributes[attr::kTimings].contains("track"));
  return tracks_of(out->metadata());
}

void expect_same(const std::vector<Track>& a, const std::vector<Track>& b, int frame) {
  ASSERT_EQ(a.size(), b.size()) << "frame " << frame;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id) << "frame " << frame;
    EXPECT_NEAR(a[i].box.x, b[i].box.x, 1e-9) << "frame " << frame;
    EXPECT_NEAR(a[i].box.h, b[i].box.h, 1e-9) << "frame " << frame;
  }
}

TEST(CctvTrack, StageDeclaresAMultiSourceVideoInput) {
  StageUnderTest stage(registry(), "cctv.track", nlohmann::json::object(), "track");
  StageSpec spec;
  stage.stage().setup(spec);
  ASSERT_EQ(spec.inputs().size(), 1u);
  EXPECT_TRUE(spec.inputs()[0].multi_source);
  for (const char* name : {"high_threshold", "low_threshold", "new_track_threshold", "match_threshold",
                           "track_buffer", "min_hits", "appearance_weight", "output_lost", "frame_rate_hz"})
    EXPECT_NE(spec.find_param(name), nullptr) << name;
  EXPECT_DOUBLE_EQ(spec.find_param("high_threshold")->default_value()->get<double>(), 0.6);
  EXPECT_DOUBLE_EQ(spec.find_param("low_threshold")->default_value()->get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(spec.find_param("new_track_threshold")->default_value()->get<double>(), 0.7);
  EXPECT_DOUBLE_EQ(spec.find_param("match_threshold")->default_value()->get<double>(), 0.8);
  EXPECT_EQ(spec.find_param("track_buffer")->default_value()->get<int>(), 30);
}

TEST(CctvTrack, StageCamerasInterleavedEqualEachAlone) {
  const std::vector<SyntheticFrame> a = scene(1), b = scene(2);
  StageUnderTest alone_a(registry(), "cctv.track", nlohmann::json::object(), "track");
  StageUnderTest alone_b(registry(), "cctv.track", nlohmann::json::object(), "track");
  StageUnderTest together(registry(), "cctv.track", nlohmann::json::object(), "track");
  for (int f = 0; f < 60; ++f) {
    const auto seq = static_cast<std::uint64_t>(f);
    const std::vector<Track> ta =
        run(alone_a, camera_frame("cam-a", seq, a[static_cast<std::size_t>(f)].detections));
    const std::vector<Track> tb =
        run(alone_b, camera_frame("cam-b", seq, b[static_cast<std::size_t>(f)].detections));
    const std::vector<Track> ja =
        run(together, camera_frame("cam-a", seq, a[static_cast<std::size_t>(f)].detections));
    const std::vector<Track> jb =
        run(together, camera_frame("cam-b", seq, b[static_cast<std::size_t>(f)].detections));
    expect_same(ta, ja, f);
    expect_same(tb, jb, f);
  }
  const nlohmann::json summary = together.summary();
  EXPECT_EQ(summary["frames"], 120);
  EXPECT_EQ(summary["sources"], 2);
  EXPECT_EQ(summary["cameras"]["cam-a"]["frames"], 60);
  EXPECT_EQ(summary["resets"], 0);
}

TEST(CctvTrack, StageCountsNewCamerasResetsAndBadFrames) {
  const std::vector<SyntheticFrame> frames = scene(5);
  StageUnderTest stage(registry(), "cctv.track", nlohmann::json::object(), "track");
  for (int f = 0; f < 30; ++f)
    run(stage,
        camera_frame("cam-a", static_cast<std::uint64_t>(f), frames[static_cast<std::size_t>(f)].detections));
  // A camera the node has never seen: its own tracker, ids from 1.
  const std::vector<Track> fresh = run(stage, camera_frame("cam-late", 500, frames[30].detections));
  ASSERT_FALSE(fresh.empty());
  EXPECT_EQ(fresh.front().id, 1);
  EXPECT_EQ(stage.summary()["sources"], 2);
  // cam-a's sequence goes back: reset, counted; the frame is still tracked.
  const std::vector<Track> after_reset = run(stage, camera_frame("cam-a", 2, frames[31].detections));
  EXPECT_FALSE(after_reset.empty());
  for (const Track& t : after_reset) EXPECT_GT(t.id, 2) << "ids of cam-a keep counting after a reset";
  EXPECT_EQ(stage.summary()["resets"], 1);
  EXPECT_EQ(stage.summary()["cameras"]["cam-a"]["resets"], 1);
  EXPECT_EQ(stage.summary()["cameras"]["cam-late"]["resets"], 0);
  // Unreadable detections: passed on without tracks, counted.
  FramePtr bad = camera_frame("cam-a", 3, {});
  bad->metadata().attributes[attr::kDetections] = nlohmann::json::array({{{"box", "nowhere"}}});
  FramePtr out;
  ASSERT_TRUE(stage.run(bad, out).is_ok());
  ASSERT_NE(out, nullptr);
  EXPECT_FALSE(out->metadata().attributes.contains(attr::kTracks));
  EXPECT_EQ(stage.summary()["bad_frames"], 1);
  EXPECT_EQ(stage.summary()["cameras"]["cam-a"]["bad_frames"], 1);
  // Detections of another class are passed over, counted.
  std::vector<Detection> bags = frames[32].detections;
  for (Detection& d : bags) d.object_class = "bag";
  EXPECT_TRUE(run(stage, camera_frame("cam-late", 501, bags)).empty());
  EXPECT_EQ(stage.summary()["other_class_detections"], bags.size());
}

TEST(CctvTrack, StageParametersReachTheTracker) {
  // output_lost: a track unseen in a frame is reported as lost.
  const std::vector<SyntheticFrame> frames = scene(6);
  StageUnderTest stage(registry(), "cctv.track", {{"output_lost", true}, {"min_hits", 1}}, "track");
  for (int f = 0; f < 10; ++f)
    run(stage,
        camera_frame("cam", static_cast<std::uint64_t>(f), frames[static_cast<std::size_t>(f)].detections));
  const std::vector<Track> lost = run(stage, camera_frame("cam", 10, {}));
  ASSERT_FALSE(lost.empty());
  for (const Track& t : lost) EXPECT_EQ(t.state, track_state::kLost);
  // Inconsistent thresholds are refused at start with both names.
  try {
    StageUnderTest bad(registry(), "cctv.track", {{"low_threshold", 0.8}, {"high_threshold", 0.5}}, "track");
    ADD_FAILURE() << "start() accepted low_threshold above high_threshold";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("low_threshold"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("high_threshold"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace oi::cctv
