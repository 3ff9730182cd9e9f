// The tracking metrics (oi/cctv/metrics.hpp) on tiny sequences whose figures are worked out
// by hand in the comments, with TrackEval's definitions (trackeval/metrics/clear.py,
// identity.py, hota.py). Notation: gt A, B are truth identities; 7, 8, ... are track ids;
// "A~7" means track 7 lies on A in that frame (IoU 1 unless said otherwise). Persons stand
// far apart, so boxes of different persons never overlap.
#include "oi/cctv/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "oi/cctv/assignment.hpp"
#include "oi/error.hpp"

namespace oi::cctv {
namespace {

constexpr double kTol = 1e-9;
constexpr std::int64_t kA = 1, kB = 2, kC = 3;

// Where person `id` stands (persons 200 px apart, 40 x 100 px).
Box at(std::int64_t id) { return {200.0 * static_cast<double>(id), 50, 40, 100}; }

TruthObject truth(std::int64_t id) { return {id, at(id), false}; }
TrackedObject track(std::int64_t id, std::int64_t on) { return {id, at(on)}; }

// n frames of `frame`.
EvalSequence repeat(const EvalFrame& frame, int n) {
  return EvalSequence(static_cast<std::size_t>(n), frame);
}

// ---- the assignment solver ----

TEST(CctvMetrics, HungarianFindsTheMinimumCostAssignment) {
  // Costs 3x3 (rows 4 1 3 / 2 0 5 / 3 2 2). Of the 6 permutations the cheapest is row 0 ->
  // column 1, 1 -> 0, 2 -> 2: 1 + 2 + 2 = 5. Greedy on the smallest entry first would take
  // (1,1) = 0, then (2,2) = 2 and (0,0) = 4: 6.
  EXPECT_EQ(solve_assignment(CostMatrix::from_rows({{4, 1, 3}, {2, 0, 5}, {3, 2, 2}})).row_to_col,
            (std::vector<int>{1, 0, 2}));
  // Rectangular both ways: 2 rows x 3 columns, and its transpose.
  EXPECT_EQ(solve_assignment(CostMatrix::from_rows({{5, 1, 9}, {1, 5, 9}})).row_to_col,
            (std::vector<int>{1, 0}));
  EXPECT_EQ(solve_assignment(CostMatrix::from_rows({{5, 1}, {1, 5}, {9, 9}})).row_to_col,
            (std::vector<int>{1, 0, -1}));
  EXPECT_TRUE(solve_assignment(CostMatrix(0, 4)).row_to_col.empty());
  EXPECT_EQ(solve_assignment(CostMatrix(2, 0)).row_to_col, (std::vector<int>{-1, -1}));
}

// ---- tracking ----

TEST(CctvMetrics, PerfectTrackingScoresOneEverywhere) {
  // A~7 and B~8 in 3 frames. CLEAR: TP 6, FN 0, FP 0, IDSW 0 -> MOTA 1, MOTP 1 (IoU 1).
  // Identity: A-7 and B-8 overlap in all 3 frames -> IDTP 6, IDF1 1.
  // HOTA: each frame's IoU matrix is diag(1, 1); the soft count of A-7 is 1 / (1 + 1 - 1) = 1
  // a frame, 3 in all; alignment 3 / (3 + 3 - 3) = 1. Every alpha: TP 6 -> DetA 1; AssA =
  // (3 x 3/3 + 3 x 3/3) / 6 = 1; HOTA 1; LocA 1.
  const TrackingMetrics m =
      evaluate_tracking(repeat({{truth(kA), truth(kB)}, {track(7, kA), track(8, kB)}}, 3));
  EXPECT_EQ(m.clear.tp, 6);
  EXPECT_EQ(m.clear.fn, 0);
  EXPECT_EQ(m.clear.fp, 0);
  EXPECT_EQ(m.clear.idsw, 0);
  EXPECT_EQ(m.clear.frag, 0);
  EXPECT_EQ(m.clear.mt, 2);
  EXPECT_EQ(m.clear.frames, 3);
  EXPECT_DOUBLE_EQ(m.clear.mota(), 1.0);
  EXPECT_DOUBLE_EQ(m.clear.motp(), 1.0);
  EXPECT_EQ(m.identity.idtp, 6);
  EXPECT_DOUBLE_EQ(m.identity.idf1(), 1.0);
  EXPECT_DOUBLE_EQ(m.identity.idp(), 1.0);
  EXPECT_DOUBLE_EQ(m.identity.idr(), 1.0);
  EXPECT_NEAR(m.hota.hota(), 1.0, kTol);
  EXPECT_NEAR(m.hota.det_a(), 1.0, kTol);
  EXPECT_NEAR(m.hota.ass_a(), 1.0, kTol);
  EXPECT_NEAR(m.hota.loc_a(), 1.0, kTol);
  EXPECT_EQ(m.truth_ids, 2);
  EXPECT_EQ(m.tracker_ids, 2);
}

TEST(CctvMetrics, IdentitySwitchMidSequence) {
  // One person A in 6 frames: A~7 in frames 1-4, then A~8 in frames 5-6 (the tracker gave A a
  // new id).
  // CLEAR: every frame matches (TP 6, FN 0, FP 0); frame 5 matches A to 8 while A's last match
  // was 7: IDSW 1. MOTA = 1 - (0 + 0 + 1) / 6 = 5/6. A was tracked from frame 1 without a gap:
  // Frag 0; 6/6 frames matched: MT 1.
  // Identity: A is in 6 frames, 7 in 4, 8 in 2; A-7 overlap 4 times, A-8 twice. The best
  // assignment is A->7: IDTP 4, IDFN 6 - 4 = 2, IDFP (4 - 4) + 2 (all of 8) = 2.
  // IDF1 = 2 x 4 / (2 x 4 + 2 + 2) = 8/12 = 2/3; IDP = 4/6; IDR = 4/6.
  // HOTA: one pair a frame, IoU 1, so every alpha has TP 6, FN 0, FP 0: DetA 1.
  // AssA = sum over pairs of matches x matches / (A's frames + track's frames - matches), / TP
  //      = (4 x 4/(6 + 4 - 4) + 2 x 2/(6 + 2 - 2)) / 6 = (16/6 + 4/6) / 6 = 20/36 = 5/9.
  // HOTA = sqrt(DetA x AssA) = sqrt(5/9) = 0.745356. AssRe = (4 x 4/6 + 2 x 2/6) / 6 = 5/9;
  // AssPr = (4 x 4/4 + 2 x 2/2) / 6 = 1.
  EvalSequence seq = repeat({{truth(kA)}, {track(7, kA)}}, 6);
  seq[4].tracks = {track(8, kA)};
  seq[5].tracks = {track(8, kA)};
  const TrackingMetrics m = evaluate_tracking(seq);
  EXPECT_EQ(m.clear.tp, 6);
  EXPECT_EQ(m.clear.idsw, 1);
  EXPECT_EQ(m.clear.frag, 0);
  EXPECT_EQ(m.clear.mt, 1);
  EXPECT_NEAR(m.clear.mota(), 5.0 / 6.0, kTol);
  EXPECT_EQ(m.identity.idtp, 4);
  EXPECT_EQ(m.identity.idfn, 2);
  EXPECT_EQ(m.identity.idfp, 2);
  EXPECT_NEAR(m.identity.idf1(), 2.0 / 3.0, kTol);
  EXPECT_NEAR(m.identity.idp(), 2.0 / 3.0, kTol);
  EXPECT_NEAR(m.identity.idr(), 2.0 / 3.0, kTol);
  EXPECT_NEAR(m.hota.det_a(), 1.0, kTol);
  EXPECT_NEAR(m.hota.ass_a(), 5.0 / 9.0, kTol);
  EXPECT_NEAR(m.hota.ass_re(), 5.0 / 9.0, kTol);
  EXPECT_NEAR(m.hota.ass_pr(), 1.0, kTol);
  EXPECT_NEAR(m.hota.hota(), std::sqrt(5.0 / 9.0), kTol);
  EXPECT_NEAR(m.hota.hota(), 0.745356, 1e-6);
}

TEST(CctvMetrics, MissedFrame) {
  // A in 5 frames; A~7 in frames 1, 2, 4, 5; frame 3 has no track at all.
  // CLEAR: TP 4, FN 1, FP 0, IDSW 0; MOTA = 1 - 1/5 = 0.8; recall 0.8. A is matched in 4/5 =
  // 0.8 of its frames, and MT needs more than 0.8: PT 1, MT 0. TrackEval skips a frame
  // without tracks before it forgets the previous frame's matches, so frame 4 continues frame
  // 2's match: Frag 0 (the FragmentedTrack test has the gap that counts).
  // Identity: A 5 frames, 7 4 frames, overlap 4: IDTP 4, IDFN 1, IDFP 0;
  // IDF1 = 8 / (8 + 0 + 1) = 8/9; IDP 1; IDR 0.8.
  // HOTA: alignment A-7 = 4 / (5 + 4 - 4) = 0.8 (only the product's order matters here). Every
  // alpha: TP 4, FN 1 (frame 3), FP 0: DetA = 4/5. AssA = 4 x 4/(5 + 4 - 4) / 4 = 0.8.
  // HOTA = sqrt(0.8 x 0.8) = 0.8; DetRe 0.8, DetPr 1, AssRe 0.8, AssPr 1.
  EvalSequence seq = repeat({{truth(kA)}, {track(7, kA)}}, 5);
  seq[2].tracks.clear();
  const TrackingMetrics m = evaluate_tracking(seq);
  EXPECT_EQ(m.clear.tp, 4);
  EXPECT_EQ(m.clear.fn, 1);
  EXPECT_EQ(m.clear.fp, 0);
  EXPECT_EQ(m.clear.idsw, 0);
  EXPECT_EQ(m.clear.frag, 0);
  EXPECT_EQ(m.clear.mt, 0);
  EXPECT_EQ(m.clear.pt, 1);
  EXPECT_EQ(m.clear.ml, 0);
  EXPECT_NEAR(m.clear.mota(), 0.8, kTol);
  EXPECT_NEAR(m.clear.recall(), 0.8, kTol);
  EXPECT_EQ(m.identity.idtp, 4);
  EXPECT_EQ(m.identity.idfn, 1);
  EXPECT_EQ(m.identity.idfp, 0);
  EXPECT_NEAR(m.identity.idf1(), 8.0 / 9.0, kTol);
  EXPECT_NEAR(m.identity.idr(), 0.8, kTol);
  EXPECT_NEAR(m.hota.det_a(), 0.8, kTol);
  EXPECT_NEAR(m.hota.ass_a(), 0.8, kTol);
  EXPECT_NEAR(m.hota.hota(), 0.8, kTol);
  EXPECT_NEAR(m.hota.det_re(), 0.8, kTol);
  EXPECT_NEAR(m.hota.det_pr(), 1.0, kTol);
  EXPECT_NEAR(m.hota.ass_re(), 0.8, kTol);
  EXPECT_NEAR(m.hota.ass_pr(), 1.0, kTol);
}

TEST(CctvMetrics, FalsePositiveTrack) {
  // A~7 in 4 frames; in frames 2 and 3 a ghost track 9 stands where nobody is (at C's place,
  // C absent).
  // CLEAR: TP 4, FN 0, FP 2, IDSW 0: MOTA = 1 - 2/4 = 0.5; precision 4/6.
  // Identity: A-7 overlap 4; 9 overlaps nobody: IDTP 4, IDFN 0, IDFP 2;
  // IDF1 = 8 / (8 + 2 + 0) = 0.8; IDP 4/6; IDR 1.
  // HOTA: alignment A-7 = 4 / (4 + 4 - 4) = 1, A-9 = 0. Every alpha: TP 4, FN 0, FP 2:
  // DetA = 4/6; AssA = 4 x 4/4 / 4 = 1; HOTA = sqrt(2/3) = 0.816497; DetPr 4/6; DetRe 1.
  EvalSequence seq = repeat({{truth(kA)}, {track(7, kA)}}, 4);
  seq[1].tracks.push_back(track(9, kC));
  seq[2].tracks.push_back(track(9, kC));
  const TrackingMetrics m = evaluate_tracking(seq);
  EXPECT_EQ(m.clear.tp, 4);
  EXPECT_EQ(m.clear.fp, 2);
  EXPECT_EQ(m.clear.idsw, 0);
  EXPECT_NEAR(m.clear.mota(), 0.5, kTol);
  EXPECT_NEAR(m.clear.precision(), 4.0 / 6.0, kTol);
  EXPECT_NEAR(m.clear.fp_per_frame(), 0.5, kTol);
  EXPECT_EQ(m.identity.idtp, 4);
  EXPECT_EQ(m.identity.idfp, 2);
  EXPECT_EQ(m.identity.idfn, 0);
  EXPECT_NEAR(m.identity.idf1(), 0.8, kTol);
  EXPECT_NEAR(m.identity.idp(), 4.0 / 6.0, kTol);
  EXPECT_NEAR(m.hota.det_a(), 4.0 / 6.0, kTol);
  EXPECT_NEAR(m.hota.ass_a(), 1.0, kTol);
  EXPECT_NEAR(m.hota.hota(), std::sqrt(2.0 / 3.0), kTol);
  EXPECT_NEAR(m.hota.det_pr(), 4.0 / 6.0, kTol);
  EXPECT_NEAR(m.hota.det_re(), 1.0, kTol);
}

TEST(CctvMetrics, FragmentedTrack) {
  // A and B in 6 frames; B~20 throughout; A~10 in frames 1-2 and 5-6, A untracked in frames
  // 3-4 (the tracker still reports B there, so the gap is seen).
  // CLEAR: TP 6 (B) + 4 (A) = 10, FN 2, FP 0. A resumes in frame 5 with its old id: no IDSW,
  // but A went tracked -> untracked -> tracked: Frag 1. MOTA = 1 - 2/12 = 5/6. B: 6/6 -> MT;
  // A: 4/6 -> PT.
  // Identity: A-10 overlap 4 (A 6 frames, 10 4 frames), B-20 6: IDTP 10, IDFN 2, IDFP 0;
  // IDF1 = 20 / (20 + 0 + 2) = 10/11.
  // HOTA: alignment A-10 = 4 / (6 + 4 - 4) = 2/3, B-20 = 1. Every alpha: TP 10, FN 2, FP 0:
  // DetA = 10/12; AssA = (4 x 4/6 + 6 x 6/6) / 10 = (8/3 + 6) / 10 = 13/15;
  // HOTA = sqrt(10/12 x 13/15) = sqrt(13/18) = 0.849837.
  EvalSequence seq = repeat({{truth(kA), truth(kB)}, {track(10, kA), track(20, kB)}}, 6);
  seq[2].tracks = {track(20, kB)};
  seq[3].tracks = {track(20, kB)};
  TrackingMetrics m = evaluate_tracking(seq);
  EXPECT_EQ(m.clear.tp, 10);
  EXPECT_EQ(m.clear.fn, 2);
  EXPECT_EQ(m.clear.idsw, 0);
  EXPECT_EQ(m.clear.frag, 1);
  EXPECT_EQ(m.clear.mt, 1);
  EXPECT_EQ(m.clear.pt, 1);
  EXPECT_NEAR(m.clear.mota(), 5.0 / 6.0, kTol);
  EXPECT_EQ(m.identity.idtp, 10);
  EXPECT_NEAR(m.identity.idf1(), 10.0 / 11.0, kTol);
  EXPECT_NEAR(m.hota.det_a(), 10.0 / 12.0, kTol);
  EXPECT_NEAR(m.hota.ass_a(), 13.0 / 15.0, kTol);
  EXPECT_NEAR(m.hota.hota(), std::sqrt(13.0 / 18.0), kTol);

  // The same, but A comes back as a new track 11: now also an ID switch (A's last match was
  // 10). MOTA = 1 - (2 + 0 + 1)/12 = 0.75. Identity: A overlaps 10 in 2 frames and 11 in 2;
  // either is A's track: IDTP 2 + 6 (B) = 8, IDFN 6 - 2 = 4, IDFP 2 (the other track):
  // IDF1 = 16 / (16 + 2 + 4) = 8/11.
  seq[4].tracks = {track(11, kA), track(20, kB)};
  seq[5].tracks = {track(11, kA), track(20, kB)};
  m = evaluate_tracking(seq);
  EXPECT_EQ(m.clear.idsw, 1);
  EXPECT_EQ(m.clear.frag, 1);
  EXPECT_NEAR(m.clear.mota(), 0.75, kTol);
  EXPECT_EQ(m.identity.idtp, 8);
  EXPECT_NEAR(m.identity.idf1(), 8.0 / 11.0, kTol);
}

TEST(CctvMetrics, DistractorsAreIgnored) {
  // 3 frames: A (fully visible, 100 px) ~7; B is 30 % visible and ~8; C is 100 % visible but
  // 30 px tall and untracked. Under the default rule (visible >= 0.5, height >= 40 px) B and C
  // are distractors: track 8 is removed (neither TP nor FP), C is no miss. What is left is A~7
  // alone: TP 3, FN 0, FP 0: MOTA, IDF1, HOTA all 1.
  const DistractorRule rule;
  const GroundTruthPerson a{kA, at(kA), 1.0}, b{kB, at(kB), 0.3}, c{kC, {600, 50, 12, 30}, 1.0};
  EXPECT_FALSE(rule.is_distractor(a));
  EXPECT_TRUE(rule.is_distractor(b));
  EXPECT_TRUE(rule.is_distractor(c));
  // On the limits: exactly 50 % visible and exactly 40 px tall count.
  EXPECT_FALSE(rule.is_distractor({4, {0, 0, 16, 40}, 0.5}));
  const EvalFrame frame{{rule.truth_of(a), rule.truth_of(b), rule.truth_of(c)}, {track(7, kA), track(8, kB)}};
  const TrackingMetrics m = evaluate_tracking(repeat(frame, 3));
  EXPECT_EQ(m.clear.tp, 3);
  EXPECT_EQ(m.clear.fn, 0);
  EXPECT_EQ(m.clear.fp, 0);
  EXPECT_DOUBLE_EQ(m.clear.mota(), 1.0);
  EXPECT_DOUBLE_EQ(m.identity.idf1(), 1.0);
  EXPECT_NEAR(m.hota.hota(), 1.0, kTol);
  EXPECT_EQ(m.truth_boxes, 3);
  EXPECT_EQ(m.tracker_boxes, 3);
  EXPECT_EQ(m.distractor_boxes, 6);
  EXPECT_EQ(m.boxes_on_distractors, 3);
  EXPECT_EQ(m.truth_ids, 1);

  // Without the rule B and C count: TP 6 (A, B), FN 3 (C), MOTA = 1 - 3/9 = 2/3.
  EvalFrame counted = frame;
  for (TruthObject& t : counted.truth) t.distractor = false;
  EXPECT_NEAR(evaluate_clear(repeat(counted, 3)).mota(), 2.0 / 3.0, kTol);

  // A box that overlaps a distractor only a little (IoU < 0.5) is still a false positive.
  EvalFrame near = frame;
  near.tracks[1].box.x += 25;  // 15 of 40 px overlap: IoU = 15/65
  EXPECT_EQ(evaluate_clear(repeat(near, 3)).fp, 3);
}

TEST(CctvMetrics, DetectionPrecisionRecallWithDistractors) {
  // Truth: A, B, and distractor C. Detections: on A (IoU 1); on C (removed, not a false box);
  // at an empty place (false box); on B shifted by 24 of 40 px (IoU 16/64 = 0.25 < 0.5: a
  // false box, and B is missed). TP 1, FN 1 (B), FP 2, on distractors 1:
  // precision 1/3, recall 1/2, 2 false boxes in 1 frame.
  const std::vector<TruthObject> t = {truth(kA), truth(kB), {kC, at(kC), true}};
  Box shifted = at(kB);
  shifted.x += 24;
  const DetectionMetrics m = evaluate_detections(t, {at(kA), at(kC), at(5), shifted});
  EXPECT_EQ(m.frames, 1);
  EXPECT_EQ(m.truth, 2);
  EXPECT_EQ(m.tp, 1);
  EXPECT_EQ(m.fn, 1);
  EXPECT_EQ(m.fp, 2);
  EXPECT_EQ(m.on_distractors, 1);
  EXPECT_NEAR(m.precision(), 1.0 / 3.0, kTol);
  EXPECT_NEAR(m.recall(), 0.5, kTol);
  EXPECT_NEAR(m.false_per_frame(), 2.0, kTol);
}

TEST(CctvMetrics, DetectionMatchingIsOptimalNotGreedy) {
  // g1 = [0, 10], g2 = [3, 13], a = [2, 12], b = [6, 16] along x (all 10 x 10). IoU: a-g1
  // 8/12 = 0.667, a-g2 9/11 = 0.818, b-g2 7/13 = 0.538, b-g1 4/16 = 0.25. Greedy (best pair
  // first) takes a-g2 and leaves b and g1 unmatched (1 TP); the Hungarian matching takes
  // a-g1 and b-g2 (2 TP, total IoU 1.205 > 0.818).
  const std::vector<TruthObject> t = {{1, {0, 0, 10, 10}}, {2, {3, 0, 10, 10}}};
  const DetectionMetrics m = evaluate_detections(t, {{2, 0, 10, 10}, {6, 0, 10, 10}});
  EXPECT_EQ(m.tp, 2);
  EXPECT_EQ(m.fp, 0);
  EXPECT_EQ(m.fn, 0);
}

TEST(CctvMetrics, LocalisationAtHalfIoU) {
  // A~7 in 2 frames with IoU exactly 0.5 (truth [0, 0, 100, 100], track its upper half).
  // CLEAR and Identity match at IoU >= 0.5: MOTA 1, IDF1 1, but MOTP = 0.5.
  // HOTA: at alpha 0.05 ... 0.50 (10 thresholds) the pair matches: TP 2, DetA 1; the soft
  // count is 0.5 / (0.5 + 0.5 - 0.5) = 1 a frame, so AssA = 2 x 2/(2 + 2 - 2) / 2 = 1 and
  // HOTA_alpha = 1. At 0.55 ... 0.95 (9 thresholds) nothing matches: TP 0, FN 2, FP 2,
  // HOTA_alpha 0. HOTA = DetA = AssA = 10/19. LocA is 0.5 where pairs match and, as in
  // TrackEval, 1 where none does: (10 x 0.5 + 9 x 1) / 19 = 14/19.
  const EvalSequence seq = repeat({{{kA, {0, 0, 100, 100}}}, {{7, {0, 0, 100, 50}}}}, 2);
  const TrackingMetrics m = evaluate_tracking(seq);
  EXPECT_DOUBLE_EQ(m.clear.mota(), 1.0);
  EXPECT_DOUBLE_EQ(m.clear.motp(), 0.5);
  EXPECT_DOUBLE_EQ(m.identity.idf1(), 1.0);
  EXPECT_NEAR(m.hota.hota(9), 1.0, kTol);
  EXPECT_NEAR(m.hota.hota(10), 0.0, kTol);
  EXPECT_NEAR(m.hota.hota(), 10.0 / 19.0, kTol);
  EXPECT_NEAR(m.hota.det_a(), 10.0 / 19.0, kTol);
  EXPECT_NEAR(m.hota.ass_a(), 10.0 / 19.0, kTol);
  EXPECT_NEAR(m.hota.loc_a(), 14.0 / 19.0, kTol);
}

TEST(CctvMetrics, TrackEvalKeepsContinuingMatchesAndGlobalAlignment) {
  // TrackEval's known behaviour, reasoned from its code: A~7 (IoU 1) in frames 1-4; in frame 5
  // A is overlapped by 7 with IoU 0.6 and by a new track 8 with IoU 0.7.
  // CLEAR scores a pair that continues the previous frame's match 1000 + IoU: 7 keeps A
  // (1000.6 > 0.7), 8 is a false positive and there is no ID switch (matching by IoU alone
  // would switch A to 8). TP 5, FP 1, IDSW 0: MOTA = (5 - 1 - 0)/5 = 0.8.
  // Identity: A-7 overlap 5 (0.6 >= 0.5), A-8 1: A->7: IDTP 5, IDFN 0, IDFP 1; IDF1 = 10/11.
  // HOTA matches by alignment x IoU: A-7's soft count is 1 x 4 + 0.6 / (1.3 + 0.6 - 0.6) =
  // 4.4615, alignment 4.4615 / (5 + 5 - 4.4615) = 0.806, score 0.806 x 0.6 = 0.48; A-8's is
  // 0.7/1.3 = 0.538, alignment 0.538 / (5 + 1 - 0.538) = 0.099, score 0.069. So frame 5 pairs
  // A with 7 for every alpha, and at alpha 0.65 A counts as missed although 8 would have
  // matched: DetA(0.65) = TP 4 / (4 + FN 1 + FP 2) = 4/7 (5/6 had it taken 8); at 0.5 both
  // would give TP 5, FN 0, FP 1: 5/6.
  EvalSequence seq = repeat({{{kA, {0, 0, 100, 100}}}, {{7, {0, 0, 100, 100}}}}, 5);
  seq[4].tracks = {{7, {0, 0, 100, 60}}, {8, {0, 0, 100, 70}}};
  const TrackingMetrics m = evaluate_tracking(seq);
  EXPECT_EQ(m.clear.tp, 5);
  EXPECT_EQ(m.clear.fp, 1);
  EXPECT_EQ(m.clear.idsw, 0);
  EXPECT_NEAR(m.clear.mota(), 0.8, kTol);
  EXPECT_EQ(m.identity.idtp, 5);
  EXPECT_EQ(m.identity.idfp, 1);
  EXPECT_NEAR(m.identity.idf1(), 10.0 / 11.0, kTol);
  EXPECT_NEAR(HotaMetrics::alpha(12), 0.65, 1e-12);
  EXPECT_NEAR(m.hota.det_a(12), 4.0 / 7.0, kTol);
  EXPECT_NEAR(m.hota.det_a(9), 5.0 / 6.0, kTol);
}

TEST(CctvMetrics, SequencesCombineAsTrackEvalCombinesThem) {
  // The switch sequence (AssA 5/9 at every alpha, TP 6) and the perfect one (AssA 1, TP 6):
  // counts add, AssA is the TP-weighted mean (5/9 x 6 + 1 x 6) / 12 = 7/9, DetA 1.
  EvalSequence switched = repeat({{truth(kA)}, {track(7, kA)}}, 6);
  switched[4].tracks = {track(8, kA)};
  switched[5].tracks = {track(8, kA)};
  TrackingMetrics all = evaluate_tracking(switched);
  all += evaluate_tracking(repeat({{truth(kA), truth(kB)}, {track(7, kA), track(8, kB)}}, 3));
  EXPECT_EQ(all.clear.tp, 12);
  EXPECT_EQ(all.clear.idsw, 1);
  EXPECT_NEAR(all.clear.mota(), 11.0 / 12.0, kTol);
  EXPECT_EQ(all.identity.idtp, 10);
  EXPECT_NEAR(all.hota.ass_a(), 7.0 / 9.0, kTol);
  EXPECT_NEAR(all.hota.det_a(), 1.0, kTol);
  EXPECT_NEAR(all.hota.hota(), std::sqrt(7.0 / 9.0), kTol);
}

TEST(CctvMetrics, EmptySidesFollowTrackEval) {
  // No tracks at all: everything missed, every truth identity mostly lost, HOTA 0, LocA 1.
  const TrackingMetrics none = evaluate_tracking(repeat({{truth(kA)}, {}}, 3));
  EXPECT_EQ(none.clear.fn, 3);
  EXPECT_EQ(none.clear.ml, 1);
  EXPECT_DOUBLE_EQ(none.clear.mota(), 0.0);
  EXPECT_EQ(none.identity.idfn, 3);
  EXPECT_DOUBLE_EQ(none.hota.hota(), 0.0);
  EXPECT_DOUBLE_EQ(none.hota.loc_a(), 1.0);
  // No truth at all: every track a false positive; MOTA = -FP / max(1, 0) = -2.
  const TrackingMetrics ghosts = evaluate_tracking(repeat({{}, {track(7, kA)}}, 2));
  EXPECT_EQ(ghosts.clear.fp, 2);
  EXPECT_DOUBLE_EQ(ghosts.clear.mota(), -2.0);
  EXPECT_EQ(ghosts.identity.idfp, 2);
  EXPECT_DOUBLE_EQ(ghosts.identity.idf1(), 0.0);
  // An empty sequence.
  const TrackingMetrics empty = evaluate_tracking({});
  EXPECT_EQ(empty.clear.tp + empty.clear.fn + empty.clear.fp, 0);
}

TEST(CctvMetrics, DuplicateIdInAFrameIsAClearError) {
  EvalSequence seq = repeat({{truth(kA)}, {track(7, kA), track(7, kB)}}, 2);
  try {
    (void)evaluate_tracking(seq);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("frame 0 holds track id 7 twice"), std::string::npos) << e.what();
  }
}

TEST(CctvMetrics, JsonCarriesCountsFiguresAndCurves) {
  const TrackingMetrics m = evaluate_tracking(repeat({{truth(kA)}, {track(7, kA)}}, 2));
  const nlohmann::json j = to_json(m);
  EXPECT_DOUBLE_EQ(j["clear"]["mota"].get<double>(), 1.0);
  EXPECT_EQ(j["identity"]["idtp"].get<int>(), 2);
  EXPECT_EQ(j["hota"]["alpha"].size(), 19u);
  EXPECT_DOUBLE_EQ(j["hota"]["alpha"][0].get<double>(), 0.05);
  EXPECT_DOUBLE_EQ(j["hota"]["alpha"][18].get<double>(), 0.95);
  EXPECT_EQ(j["hota"]["by_alpha"]["hota"].size(), 19u);
  const nlohmann::json d = to_json(evaluate_detections({truth(kA)}, {at(kA)}));
  EXPECT_DOUBLE_EQ(d["recall"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(d["precision"].get<double>(), 1.0);
}

}  // namespace
}  // namespace oi::cctv
