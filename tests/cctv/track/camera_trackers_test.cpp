// Per-camera state: sources interleaved equal each alone, a new source gets a fresh tracker,
// a clock going backwards resets that source only, gaps are counted from sequence and time.
#include "camera_trackers.hpp"

#include <gtest/gtest.h>

#include "synthetic_walkers.hpp"

namespace oi::cctv {
namespace {

using test::DetectorModel;
using test::SyntheticFrame;
using test::Walker;

constexpr std::int64_t kFrameNs = 40'000'000;  // 25 frames/s

std::vector<SyntheticFrame> scene(std::uint32_t seed) {
  std::vector<Walker> walkers = {test::straight_walker(1, 20, 200, 3.0, 0.2, 0, 79),
                                 test::straight_walker(2, 700, 215, -2.5, 0.0, 0, 79),
                                 test::straight_walker(3, 100, 380, 1.5, -0.3, 10, 79)};
  DetectorModel model;
  model.seed = seed;
  model.miss_rate = 0.1;
  return test::render(walkers, 80, model);
}

FrameClock clock_at(int frame) {
  return FrameClock{static_cast<std::uint64_t>(frame), 1'000'000'000 + frame * kFrameNs};
}

void expect_same_tracks(const std::vector<Track>& a, const std::vector<Track>& b, int frame) {
  ASSERT_EQ(a.size(), b.size()) << "frame " << frame;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id) << "frame " << frame;
    EXPECT_DOUBLE_EQ(a[i].box.x, b[i].box.x) << "frame " << frame;
    EXPECT_DOUBLE_EQ(a[i].box.y, b[i].box.y) << "frame " << frame;
    EXPECT_EQ(a[i].age, b[i].age) << "frame " << frame;
  }
}

TEST(CctvTrack, SourcesInterleavedEqualEachAlone) {
  const std::vector<SyntheticFrame> cam_a = scene(1), cam_b = scene(2);
  CameraTrackers alone_a, alone_b, together;
  for (int f = 0; f < 80; ++f) {
    const auto& da = cam_a[static_cast<std::size_t>(f)].detections;
    const auto& db = cam_b[static_cast<std::size_t>(f)].detections;
    const SourceUpdate a = alone_a.update("cam-a", clock_at(f), da);
    const SourceUpdate b = alone_b.update("cam-b", clock_at(f), db);
    // Interleaved, in an uneven order; camera b's clock is offset.
    SourceUpdate tb, ta;
    if (f % 3 == 0) {
      tb = together.update("cam-b", FrameClock{clock_at(f).sequence + 1000, clock_at(f).time_ns + 7}, db);
      ta = together.update("cam-a", clock_at(f), da);
    } else {
      ta = together.update("cam-a", clock_at(f), da);
      tb = together.update("cam-b", FrameClock{clock_at(f).sequence + 1000, clock_at(f).time_ns + 7}, db);
    }
    expect_same_tracks(a.tracks, ta.tracks, f);
    expect_same_tracks(b.tracks, tb.tracks, f);
    EXPECT_EQ(ta.new_source, f == 0);
    EXPECT_EQ(tb.new_source, f == 0);
  }
  EXPECT_EQ(together.sources(), 2u);
  // Each camera numbers its own tracks from 1.
  EXPECT_EQ(together.tracker("cam-a")->next_id(), alone_a.tracker("cam-a")->next_id());
  EXPECT_EQ(together.tracker("cam-b")->next_id(), alone_b.tracker("cam-b")->next_id());
  EXPECT_EQ(together.summary()["cam-a"]["frames"], 80);
}

TEST(CctvTrack, NewSourceMidRunGetsAFreshTracker) {
  const std::vector<SyntheticFrame> frames = scene(3);
  CameraTrackers trackers;
  for (int f = 0; f < 40; ++f)
    trackers.update("cam-a", clock_at(f), frames[static_cast<std::size_t>(f)].detections);
  const SourceUpdate first = trackers.update("cam-new", clock_at(40), frames[40].detections);
  EXPECT_TRUE(first.new_source);
  ASSERT_FALSE(first.tracks.empty()) << "a camera's first frame confirms its tracks at once";
  EXPECT_EQ(first.tracks.front().id, 1);
  EXPECT_EQ(trackers.sources(), 2u);
  EXPECT_EQ(trackers.tracker("unknown"), nullptr);
  EXPECT_FALSE(trackers.update("cam-new", clock_at(41), frames[41].detections).new_source);
}

TEST(CctvTrack, ClockGoingBackwardsResetsThatSourceOnly) {
  const std::vector<SyntheticFrame> frames = scene(4);
  CameraTrackers trackers;
  std::int64_t highest_id = 0;
  for (int f = 0; f < 50; ++f) {
    trackers.update("cam-b", clock_at(f), frames[static_cast<std::size_t>(f)].detections);
    for (const Track& t :
         trackers.update("cam-a", clock_at(f), frames[static_cast<std::size_t>(f)].detections).tracks)
      highest_id = std::max(highest_id, t.id);
  }
  // cam-a's sequence restarts (a reconnected camera): reset, ids keep counting.
  const SourceUpdate restarted =
      trackers.update("cam-a", FrameClock{3, clock_at(50).time_ns}, frames[50].detections);
  ASSERT_TRUE(restarted.reset_reason.has_value());
  EXPECT_NE(restarted.reset_reason->find("sequence went back from 49 to 3"), std::string::npos);
  ASSERT_FALSE(restarted.tracks.empty());
  for (const Track& t : restarted.tracks) EXPECT_GT(t.id, highest_id) << "ids are never reused";
  EXPECT_EQ(trackers.resets(), 1);
  // Time going back (a file that looped) resets as well.
  const SourceUpdate looped =
      trackers.update("cam-a", FrameClock{4, clock_at(2).time_ns}, frames[51].detections);
  ASSERT_TRUE(looped.reset_reason.has_value());
  EXPECT_NE(looped.reset_reason->find("time went back"), std::string::npos);
  EXPECT_EQ(trackers.resets(), 2);
  // cam-b is untouched.
  const SourceUpdate b = trackers.update("cam-b", clock_at(50), frames[50].detections);
  EXPECT_FALSE(b.reset_reason.has_value());
  EXPECT_EQ(trackers.summary()["cam-b"]["resets"], 0);
  EXPECT_EQ(trackers.summary()["cam-a"]["resets"], 2);
}

TEST(CctvTrack, GapsAreCountedFromSequenceAndTime) {
  CameraTrackers trackers;
  const std::vector<Detection> none;
  for (int f = 0; f <= 9; ++f) EXPECT_EQ(trackers.update("c", clock_at(f), none).steps, 1);
  // Two frames dropped between device and tracker: the sequence says so (and the time).
  EXPECT_EQ(trackers.update("c", clock_at(12), none).steps, 3);
  // The camera skipped frames without counting them: only the time tells (its clock has been
  // regular so far).
  EXPECT_EQ(trackers.update("c", FrameClock{13, clock_at(17).time_ns}, none).steps, 5);
  EXPECT_EQ(trackers.summary()["c"]["missed_frames"], 6);
  EXPECT_NEAR(trackers.summary()["c"]["frame_interval_ms"].get<double>(), 40.0, 1e-6);
  // A camera that stopped for a minute: 1500 frames at 25 frames/s.
  CameraTrackers stopped;
  for (int f = 0; f <= 9; ++f) stopped.update("c", clock_at(f), none);
  EXPECT_EQ(stopped.update("c", FrameClock{10, clock_at(10 + 1500).time_ns}, none).steps, 1501);
  // Frames made in code (sequence and time 0) step one frame at a time.
  CameraTrackers bare;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bare.update("x", FrameClock{}, none).steps, 1);
  EXPECT_EQ(bare.resets(), 0);
  // gap_from: sequence ignores the time; a fixed frame rate replaces the estimate.
  CameraTrackers by_sequence({}, ClockParams{0.0, GapFrom::kSequence});
  by_sequence.update("c", clock_at(0), none);
  EXPECT_EQ(by_sequence.update("c", FrameClock{1, clock_at(9).time_ns}, none).steps, 1);
  CameraTrackers fixed_rate({}, ClockParams{10.0, GapFrom::kTime});
  fixed_rate.update("c", FrameClock{0, 0}, none);
  EXPECT_EQ(fixed_rate.update("c", FrameClock{0, 300'000'000}, none).steps, 3);  // 0.3 s at 10 Hz
}

TEST(CctvTrack, BurstyHostTimesInventNoGaps) {
  // A file read as fast as it decodes, stamped with the host clock when the queue let each
  // frame go: three frames within a millisecond, then a wait of 30 ms, again and again.
  CameraTrackers trackers;
  std::int64_t t = 0;
  for (std::uint64_t sequence = 0; sequence < 60; ++sequence) {
    t += sequence % 4 == 0 ? 30'000'000 : 300'000;
    EXPECT_EQ(trackers.update("file", FrameClock{sequence, t}, {}).steps, 1) << "frame " << sequence;
  }
  EXPECT_EQ(trackers.summary()["file"]["regular_clock"], false);
  EXPECT_EQ(trackers.summary()["file"]["missed_frames"], 0);
  // A paced camera that loses a frame now and then without counting it stays regular.
  CameraTrackers paced;
  for (int f = 0; f < 20; ++f)
    paced.update("cam", FrameClock{static_cast<std::uint64_t>(f), f * kFrameNs}, {});
  EXPECT_EQ(paced.update("cam", FrameClock{20, 22 * kFrameNs}, {}).steps, 3);
  EXPECT_EQ(paced.summary()["cam"]["regular_clock"], true);
}

TEST(CctvTrack, StreamTimeIsTheClockOfFiles) {
  FrameMetadata meta;
  meta.sequence = 9;
  meta.capture_time_ns = 123'456'789'000;
  EXPECT_EQ(clock_of(meta).time_ns, 123'456'789'000);
  meta.attributes["stream_time_ms"] = 400.0;
  EXPECT_EQ(clock_of(meta).time_ns, 400'000'000);
  EXPECT_EQ(clock_of(meta).sequence, 9u);
  meta.attributes["stream_time_ms"] = "soon";  // not a number: capture time
  EXPECT_EQ(clock_of(meta).time_ns, 123'456'789'000);
}

}  // namespace
}  // namespace oi::cctv
