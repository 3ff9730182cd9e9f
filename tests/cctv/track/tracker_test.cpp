// The ByteTrack tracker on synthetic sequences: persons walking and crossing, a partial
// occlusion bridged by low-score detections, the lost-track buffer, appearance embeddings.
#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "byte_tracker.hpp"
#include "oi/error.hpp"
#include "synthetic_walkers.hpp"

namespace oi::cctv {
namespace {

using test::DetectorModel;
using test::IdentityReport;
using test::SyntheticFrame;
using test::Walker;

Detection det(Box box, double score) {
  Detection d;
  d.box = box;
  d.score = score;
  return d;
}

IdentityReport run(ByteTracker& tracker, const std::vector<SyntheticFrame>& frames) {
  IdentityReport report;
  for (const SyntheticFrame& f : frames) report.add(f.truth, tracker.update(f.detections));
  return report;
}

// Prints who had which ids, for a failing test.
std::string describe(const IdentityReport& r) {
  std::ostringstream out;
  for (const auto& [person, ids] : r.ids_of_person) {
    out << "person " << person << ": ids";
    for (std::int64_t id : ids) out << ' ' << id;
    out << " coverage " << r.coverage(person) << '\n';
  }
  out << "switches " << r.switches << ", false tracks " << r.unmatched_tracks;
  return out.str();
}

void expect_one_id_each(const IdentityReport& r, double min_coverage) {
  for (const auto& [person, ids] : r.ids_of_person) {
    EXPECT_EQ(ids.size(), 1u) << "person " << person << "\n" << describe(r);
    EXPECT_GE(r.coverage(person), min_coverage) << "person " << person << "\n" << describe(r);
  }
  for (const auto& [id, persons] : r.persons_of_id) EXPECT_EQ(persons.size(), 1u) << "track " << id;
  EXPECT_EQ(r.switches, 0) << describe(r);
}

TEST(CctvTrack, WalkersCrossingKeepOneIdEach) {
  // Six persons on a 768 x 576 view: two pairs crossing head-on (one walks in front of the
  // other), one overtaking pair, and people entering late and leaving early. 5 % of the
  // detections are missing; a person behind another is detected with a low score. Ten
  // detector seeds (a sweep of 200 had one seed with a swap: persons 1 and 2 cross at the
  // same depth, their boxes 10 px apart, within the detector's noise; docs/cctv.md).
  std::vector<Walker> walkers = {
      test::straight_walker(1, 20, 200, 3.0, 0.2, 0, 199),    // left to right
      test::straight_walker(2, 700, 215, -2.5, 0.0, 0, 199),  // right to left: crosses 1
      test::straight_walker(3, 100, 380, 1.5, -0.3, 10, 180),
      test::straight_walker(4, 650, 330, -2.0, 0.4, 20, 199),  // crosses 3 at an angle
      test::straight_walker(5, 50, 60, 2.2, 0.1, 0, 150),
      test::straight_walker(6, 10, 40, 1.0, 0.15, 30, 199),  // 5 overtakes it
  };
  for (Walker& w : walkers) w.h = 90 + 4 * static_cast<double>(w.identity), w.w = w.h * 0.4;
  for (std::uint32_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE("detector seed " + std::to_string(seed));
    DetectorModel model;
    model.miss_rate = 0.05;
    model.noise_px = 1.5;
    model.seed = seed;
    std::vector<SyntheticFrame> frames = test::render(walkers, 200, model);
    // Occlusion: where two truth boxes overlap, the one further from the camera (its feet
    // higher up in the picture) scores low, as a detector scores a half-hidden person.
    int occluded = 0;
    for (SyntheticFrame& f : frames) {
      for (std::size_t i = 0; i < f.detections.size(); ++i) {
        const GroundTruthPerson* self = nullptr;
        for (const GroundTruthPerson& p : f.truth)
          if (p.identity == f.detection_identity[i]) self = &p;
        for (const GroundTruthPerson& other : f.truth) {
          if (&other == self || iou(self->box, other.box) <= 0.1 || self->box.bottom() >= other.box.bottom())
            continue;
          f.detections[i].score = 0.3;
          ++occluded;
          break;
        }
      }
    }
    ASSERT_GT(occluded, 10) << "the scenario should contain occlusions";
    ByteTracker tracker;
    const IdentityReport report = run(tracker, frames);
    // Coverage: a track is reported only in frames with a detection (5 % are missing).
    expect_one_id_each(report, 0.85);
    EXPECT_EQ(report.ids_of_person.size(), walkers.size());
    EXPECT_GT(tracker.counters().low_score_matches, 0);
    EXPECT_EQ(report.unmatched_tracks, 0);
  }
}

TEST(CctvTrack, CrowdOfRandomWalkersFewSwitches) {
  // A regression guard on a harder mix: 20 seeds of 20 persons walking straight in random
  // directions for 300 frames (5 % missed, the person behind an overlap scored 0.3), 120 000
  // person-frames. Measured when written: 16 switches, 91.7 % covered; ByteTrack as published
  // (lost tracks out of round 2, no joint pass) made 103 and covered 86.4 %.
  int switches = 0, false_tracks = 0;
  long in_view = 0, matched = 0;
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> x(0, 700), y(50, 400), speed(-3, 3), height(60, 140);
    std::vector<Walker> walkers;
    for (int i = 0; i < 20; ++i) {
      Walker w = test::straight_walker(i + 1, x(rng), y(rng), speed(rng), speed(rng) * 0.3, 0, 299);
      w.h = height(rng);
      w.w = w.h * 0.4;
      walkers.push_back(w);
    }
    DetectorModel model;
    model.miss_rate = 0.05;
    model.noise_px = 1.5;
    model.seed = seed;
    std::vector<SyntheticFrame> frames = test::render(walkers, 300, model);
    for (SyntheticFrame& f : frames) {
      for (std::size_t i = 0; i < f.detections.size(); ++i) {
        const GroundTruthPerson* self = nullptr;
        for (const GroundTruthPerson& p : f.truth)
          if (p.identity == f.detection_identity[i]) self = &p;
        for (const GroundTruthPerson& other : f.truth) {
          if (&other == self || iou(self->box, other.box) <= 0.1 || self->box.bottom() >= other.box.bottom())
            continue;
          f.detections[i].score = 0.3;
          break;
        }
      }
    }
    ByteTracker tracker;
    const IdentityReport r = run(tracker, frames);
    switches += r.switches;
    false_tracks += r.unmatched_tracks;
    for (const auto& [person, n] : r.frames_in_view) {
      in_view += n;
      const auto it = r.frames_matched.find(person);
      matched += it == r.frames_matched.end() ? 0 : it->second;
    }
  }
  EXPECT_LE(switches, 25);
  EXPECT_GE(static_cast<double>(matched) / static_cast<double>(in_view), 0.9);
  EXPECT_EQ(false_tracks, 0);
}

TEST(CctvTrack, LowScoreDetectionsKeepAnOccludedTrackAlive) {
  // One person, half hidden behind a pillar in frames 30-49: the detector still sees it, but
  // scores it 0.3, below high_threshold.
  const std::vector<Walker> walkers = {test::straight_walker(1, 50, 200, 2.5, 0.0, 0, 99)};
  std::vector<SyntheticFrame> frames = test::render(walkers, 100, DetectorModel{});
  for (int f = 30; f < 50; ++f) frames[static_cast<std::size_t>(f)].detections[0].score = 0.3;

  ByteTracker byte_track;  // second round on
  TrackerParams single_round;
  single_round.low_threshold = single_round.high_threshold;  // low-score detections ignored
  ByteTracker high_only(single_round);
  std::set<std::int64_t> ids_during_occlusion;
  for (int f = 0; f < 100; ++f) {
    const std::vector<Track> a = byte_track.update(frames[static_cast<std::size_t>(f)].detections);
    const std::vector<Track> b = high_only.update(frames[static_cast<std::size_t>(f)].detections);
    if (f >= 1) {
      ASSERT_EQ(a.size(), 1u) << "frame " << f << ": the track must be reported through the occlusion";
      EXPECT_EQ(a[0].id, 1);
      EXPECT_EQ(a[0].state, track_state::kConfirmed);
    }
    if (f >= 30 && f < 50) {
      EXPECT_TRUE(b.empty()) << "frame " << f << ": without the second round the track is lost";
      ids_during_occlusion.insert(a[0].id);
    }
  }
  EXPECT_EQ(ids_during_occlusion, (std::set<std::int64_t>{1}));
  EXPECT_EQ(byte_track.counters().low_score_matches, 20);
  EXPECT_EQ(byte_track.counters().tracks_refound, 0);
  // The high-only tracker lost it and found it again after the pillar (within its buffer).
  EXPECT_EQ(high_only.counters().tracks_refound, 1);
  EXPECT_EQ(high_only.counters().tracks_started, 1);
}

// A person walking, unseen for `missed` frames from frame 20: the id it has afterwards.
std::int64_t id_after_gap(int missed, const TrackerParams& params, bool via_steps) {
  const std::vector<Walker> walkers = {test::straight_walker(1, 50, 200, 2.0, 0.5, 0, 120)};
  DetectorModel model;
  model.noise_px = 1.0;
  const std::vector<SyntheticFrame> frames = test::render(walkers, 121, model);
  ByteTracker tracker(params);
  std::int64_t id = -1;
  for (int f = 0; f <= 120; ++f) {
    const bool hidden = f >= 20 && f < 20 + missed;
    std::vector<Track> tracks;
    if (via_steps) {
      if (hidden) continue;
      // The frames of the gap never arrive: one update that steps over them.
      tracks =
          tracker.update(frames[static_cast<std::size_t>(f)].detections, f == 20 + missed ? missed + 1 : 1);
    } else {
      tracks =
          tracker.update(hidden ? std::vector<Detection>{} : frames[static_cast<std::size_t>(f)].detections);
    }
    if (f == 20 + missed + 2) {  // a new track needs min_hits frames to be reported
      EXPECT_EQ(tracks.size(), 1u);
      if (!tracks.empty()) id = tracks[0].id;
    }
  }
  return id;
}

TEST(CctvTrack, LostTrackKeepsItsIdWithinTheBufferOnly) {
  TrackerParams params;  // track_buffer 30
  EXPECT_EQ(id_after_gap(5, params, false), 1);
  EXPECT_EQ(id_after_gap(30, params, false), 1) << "missed exactly track_buffer frames: still re-found";
  EXPECT_EQ(id_after_gap(31, params, false), 2) << "missed more than track_buffer frames: a new id";
  // The same through a time gap (frames that never arrive).
  EXPECT_EQ(id_after_gap(30, params, true), 1);
  EXPECT_EQ(id_after_gap(31, params, true), 2);
  params.track_buffer = 10;
  EXPECT_EQ(id_after_gap(10, params, false), 1);
  EXPECT_EQ(id_after_gap(11, params, false), 2);
}

TEST(CctvTrack, OutputLostReportsPredictedBoxes) {
  TrackerParams params;
  params.output_lost = true;
  ByteTracker tracker(params);
  const std::vector<Walker> walkers = {test::straight_walker(1, 50, 200, 2.0, 0.0, 0, 40)};
  const std::vector<SyntheticFrame> frames = test::render(walkers, 41, DetectorModel{});
  for (int f = 0; f < 20; ++f) tracker.update(frames[static_cast<std::size_t>(f)].detections);
  const std::vector<Track> lost = tracker.update({});
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].state, track_state::kLost);
  EXPECT_EQ(lost[0].id, 1);
  Box truth;
  walkers[0].box_at(20, truth);
  EXPECT_GT(iou(lost[0].box, truth), 0.8) << "the lost track's box is the prediction";
  params.output_lost = false;
  ByteTracker quiet(params);
  for (int f = 0; f < 20; ++f) quiet.update(frames[static_cast<std::size_t>(f)].detections);
  EXPECT_TRUE(quiet.update({}).empty());
}

TEST(CctvTrack, TentativeTracksNeedMinHits) {
  TrackerParams params;
  params.min_hits = 3;
  ByteTracker tracker(params);
  const Detection person = det(Box{100, 100, 40, 100}, 0.9);
  // The first frame confirms at once (nothing to compare with)...
  EXPECT_EQ(tracker.update({person}).size(), 1u);
  // ...a later newcomer is reported from its third frame on.
  const Detection newcomer = det(Box{400, 100, 40, 100}, 0.9);
  EXPECT_EQ(tracker.update({person, newcomer}).size(), 1u);
  EXPECT_EQ(tracker.update({person, newcomer}).size(), 1u);
  const std::vector<Track> third = tracker.update({person, newcomer});
  ASSERT_EQ(third.size(), 2u);
  EXPECT_EQ(third[1].id, 2);
  // A one-frame false detection never becomes a track and its id is not reported.
  const Detection flash = det(Box{600, 300, 40, 100}, 0.95);
  EXPECT_EQ(tracker.update({person, newcomer, flash}).size(), 2u);
  EXPECT_EQ(tracker.update({person, newcomer}).size(), 2u);
  EXPECT_EQ(tracker.next_id(), 4) << "the flash used id 3, which is never given again";
  // Detections below new_track_threshold do not start tracks; unusable ones are counted.
  tracker.update({person, newcomer, det(Box{600, 300, 40, 100}, 0.65)});
  EXPECT_EQ(tracker.next_id(), 4);
  tracker.update(
      {person, newcomer, det(Box{600, 300, -4, 100}, 0.9), det(Box{std::nan(""), 300, 40, 100}, 0.9)});
  EXPECT_EQ(tracker.counters().invalid_detections, 2);
}

// Two persons walking side by side with the same speed whose paths merge, run together for
// 20 frames and part crossing over: A (upper) ends below B. Motion cannot tell them apart at
// the parting; IoU prefers the swap whenever the detector's noise does.
std::vector<SyntheticFrame> merge_and_part(bool with_embeddings, std::uint32_t seed) {
  Walker a, b;
  a.identity = 1;
  b.identity = 2;
  a.path = {{0, 100, 60}, {30, 160, 106}, {50, 200, 106}, {80, 260, 200}};
  b.path = {{0, 100, 160}, {30, 160, 112}, {50, 200, 112}, {80, 260, 20}};
  if (with_embeddings) {
    // Similar-looking persons (cosine distance about 0.45): dark coats, one with a bag.
    a.appearance = {0.8f, 0.5f, 0.2f, 0.1f, 0.0f, 0.3f, 0.1f, 0.0f};
    b.appearance = {0.3f, 0.6f, 0.0f, 0.0f, 0.6f, 0.0f, 0.2f, 0.4f};
  }
  DetectorModel model;
  model.noise_px = 1.0;
  model.embedding_noise = 0.05;
  model.seed = seed;
  return test::render({a, b}, 81, model);
}

TEST(CctvTrack, EmbeddingsSeparateCrossingPersonsWithSimilarMotion) {
  int iou_only_switches = 0, weight_zero_switches = 0;
  for (std::uint32_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE("detector seed " + std::to_string(seed));
    {
      ByteTracker tracker;
      iou_only_switches += run(tracker, merge_and_part(false, seed)).switches;
    }
    const std::vector<SyntheticFrame> frames = merge_and_part(true, seed);
    const double distance =
        cosine_distance(frames[0].detections[0].embedding, frames[0].detections[1].embedding);
    ASSERT_GT(distance, 0.2);
    ASSERT_LT(distance, 0.7);
    {
      TrackerParams params;
      params.appearance_weight = 0.0;  // embeddings present but not used: IoU alone again
      ByteTracker tracker(params);
      weight_zero_switches += run(tracker, frames).switches;
    }
    ByteTracker tracker;  // appearance_weight 0.5
    const IdentityReport fused = run(tracker, frames);
    expect_one_id_each(fused, 0.95);
    // Tracks carry their smoothed embedding.
    const std::vector<Track> last = tracker.update(frames.back().detections);
    ASSERT_EQ(last.size(), 2u);
    EXPECT_EQ(last[0].embedding.size(), 8u);
  }
  // The scenario defeats IoU alone in some seeds, or it would test nothing.
  EXPECT_GT(iou_only_switches, 0);
  EXPECT_GT(weight_zero_switches, 0);
}

TEST(CctvTrack, LostTrackIsRefoundAtItsPrediction) {
  // Track 1 misses a frame and is lost; the next detection lies where the filter predicted
  // it: the lost track takes it back instead of a new track starting.
  TrackerParams params;
  params.min_hits = 1;
  ByteTracker tracker(params);
  for (int f = 0; f < 5; ++f) tracker.update({det(Box{100.0 + f, 100, 40, 100}, 0.9)});
  EXPECT_EQ(tracker.update({}).size(), 0u);  // lost, predicted on
  // Same place as the prediction: re-found, not duplicated.
  const std::vector<Track> back = tracker.update({det(Box{107, 100, 40, 100}, 0.9)});
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].id, 1);
  EXPECT_EQ(tracker.counters().tracks_refound, 1);
}

TEST(CctvTrack, TrackerRefusesInconsistentParameters) {
  TrackerParams p;
  p.low_threshold = 0.7;
  p.high_threshold = 0.6;
  EXPECT_FALSE(problems(p).empty());
  EXPECT_THROW(ByteTracker{p}, Error);
  TrackerParams q;
  q.new_track_threshold = 0.5;
  ASSERT_EQ(problems(q).size(), 1u);
  EXPECT_NE(problems(q)[0].find("new_track_threshold"), std::string::npos);
  EXPECT_TRUE(problems(TrackerParams{}).empty());
}

TEST(CctvTrack, ResetKeepsCountingIds) {
  ByteTracker tracker;
  tracker.update({det(Box{100, 100, 40, 100}, 0.9), det(Box{300, 100, 40, 100}, 0.9)});
  tracker.reset();
  EXPECT_EQ(tracker.size(), 0u);
  const std::vector<Track> after = tracker.update({det(Box{100, 100, 40, 100}, 0.9)});
  ASSERT_EQ(after.size(), 1u) << "the first frame after a reset confirms at once";
  EXPECT_EQ(after[0].id, 3);
}

}  // namespace
}  // namespace oi::cctv
