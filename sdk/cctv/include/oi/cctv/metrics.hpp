#pragma once
/// @file
/// Tracking and detection metrics with TrackEval's definitions (github.com/JonathonLuiten/
/// TrackEval, trackeval/metrics/clear.py, identity.py, hota.py), so that figures from
/// sink.cctv_summary compare with published MOTChallenge results:
/// - CLEAR MOT (Bernardin & Stiefelhagen 2008): MOTA, MOTP, ID switches, fragmentations,
///   mostly tracked / partly tracked / mostly lost;
/// - Identity (Ristani et al. 2016): IDF1, IDP, IDR from one global assignment of truth
///   identities to track ids;
/// - HOTA (Luiten et al. 2021): HOTA, DetA, AssA, DetRe, DetPr, AssRe, AssPr, LocA, each the
///   mean over the localisation thresholds alpha = 0.05, 0.10, ..., 0.95;
/// - per-frame detection precision and recall at IoU 0.5 (no identities).
///
/// "Don't care" truth follows MOTChallenge's preprocessing: per frame the tracker's boxes are
/// matched (Hungarian, IoU >= 0.5) against all truth boxes, distractors included; a box
/// matched to a distractor is removed, then the distractors are removed. A distractor is
/// never a miss and a box on it is never a false positive. sink.cctv_summary marks persons
/// less than 50 % visible or under 40 px tall as distractors (DistractorRule).
/// @code
/// oi::cctv::EvalSequence seq(2);
/// seq[0].truth = {{1, {10, 10, 20, 60}}};
/// seq[0].tracks = {{7, {11, 10, 20, 60}}};
/// seq[1] = seq[0];
/// const oi::cctv::TrackingMetrics m = oi::cctv::evaluate_tracking(seq);
/// // m.clear.mota() == 1, m.identity.idf1() == 1, m.hota.hota() > 0.9
/// @endcode

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "oi/cctv/contract.hpp"

namespace oi::cctv {

/// A ground-truth object in one frame.
struct TruthObject {
  std::int64_t id = 0;      ///< identity; unique within a frame
  Box box;                  ///< where it is
  bool distractor = false;  ///< "don't care": neither a miss when missed nor a false box when found
};

/// A tracker's (or detector's) box in one frame.
struct TrackedObject {
  std::int64_t id = 0;  ///< track id; unique within a frame (ignored by detection metrics)
  Box box;              ///< where it is
};

/// One frame of a sequence: the truth and the tracker's output.
struct EvalFrame {
  std::vector<TruthObject> truth;     ///< truth objects, distractors included
  std::vector<TrackedObject> tracks;  ///< the tracker's boxes (or the detector's, for detection metrics)
};

/// One camera's frames in time order. Frames left out (not annotated) are simply absent.
using EvalSequence = std::vector<EvalFrame>;

/// Which truth persons are "don't care" (MOTChallenge's distractors): too little of them is
/// visible, or they are too small to ask a detector for.
struct DistractorRule {
  double min_visible = 0.5;     ///< visible fraction below this: distractor
  double min_height_px = 40.0;  ///< box height below this (pixels): distractor
  /// True when `person` is a distractor under this rule.
  bool is_distractor(const GroundTruthPerson& person) const {
    return person.visible < min_visible || person.box.h < min_height_px;
  }
  /// The truth object of `person`, marked by this rule.
  TruthObject truth_of(const GroundTruthPerson& person) const {
    return {person.identity, person.box, is_distractor(person)};
  }
};

/// MOTChallenge's preprocessing of one sequence (see the file comment): removes the tracker's
/// boxes matched to a distractor, then the distractors. The result has no distractors.
/// @throws oi::Error when an id appears twice in one frame (truth or tracks), naming the
/// frame (its index in `sequence`) and the id, as TrackEval does.
EvalSequence remove_distractors(const EvalSequence& sequence);

/// CLEAR MOT counts of one or more sequences (TrackEval's CLEAR). Matching per frame:
/// Hungarian on IoU >= 0.5, where a pair that continues the previous frame's match scores
/// 1000 + IoU, so that a track keeps its person while it still overlaps enough.
struct ClearMetrics {
  std::int64_t tp = 0;      ///< matched truth boxes
  std::int64_t fn = 0;      ///< missed truth boxes
  std::int64_t fp = 0;      ///< tracker boxes matched to nothing
  std::int64_t idsw = 0;    ///< a truth identity matched to another track id than at its last match
  std::int64_t mt = 0;      ///< mostly tracked: identities matched in more than 80 % of their frames
  std::int64_t pt = 0;      ///< partly tracked: 20 % to 80 %
  std::int64_t ml = 0;      ///< mostly lost: under 20 %
  std::int64_t frag = 0;    ///< fragmentations: times a tracked identity was resumed after a gap
  std::int64_t frames = 0;  ///< frames evaluated (0 when either side is empty, as in TrackEval)
  double motp_sum = 0.0;    ///< sum of the IoU of every match

  /// Multiple object tracking accuracy, 1 - (FN + FP + IDSW) / truth boxes (may be negative).
  double mota() const;
  /// Multiple object detection accuracy: MOTA without ID switches.
  double moda() const;
  /// Mean IoU of the matches (TrackEval's MOTP; 1 is perfect, unlike the original's distance).
  double motp() const;
  /// TP / (TP + FN).
  double recall() const;
  /// TP / (TP + FP).
  double precision() const;
  /// FP / frames.
  double fp_per_frame() const;
  /// Adds another sequence's counts (TrackEval's combine_sequences: sums).
  ClearMetrics& operator+=(const ClearMetrics& other);
};

/// Identity counts of one or more sequences (TrackEval's Identity): each truth identity is
/// assigned to at most one track id for the whole sequence (global minimum-cost assignment;
/// a frame where both are present with IoU >= 0.5 counts as an identity true positive).
struct IdentityMetrics {
  std::int64_t idtp = 0;  ///< truth boxes covered by their identity's assigned track
  std::int64_t idfn = 0;  ///< truth boxes not covered by it
  std::int64_t idfp = 0;  ///< tracker boxes not on their id's assigned identity

  /// 2 IDTP / (2 IDTP + IDFP + IDFN).
  double idf1() const;
  /// IDTP / (IDTP + IDFP).
  double idp() const;
  /// IDTP / (IDTP + IDFN).
  double idr() const;
  /// Adds another sequence's counts (sums).
  IdentityMetrics& operator+=(const IdentityMetrics& other);
};

/// HOTA of one or more sequences (TrackEval's HOTA), per localisation threshold alpha.
/// Per frame, truth and tracker boxes are matched by Hungarian on (global alignment of the
/// two ids over the whole sequence) x IoU; a match counts at alpha when its IoU >= alpha.
struct HotaMetrics {
  /// Number of thresholds.
  static constexpr int kAlphas = 19;
  /// Threshold `a` (0-based): 0.05 + 0.05 a, computed as numpy's arange(0.05, 0.99, 0.05)
  /// computes it, so that an IoU on a threshold falls on the same side as in TrackEval.
  static double alpha(int a) { return 0.05 + 0.05 * a; }

  std::array<double, kAlphas> tp{};               ///< matched pairs per alpha
  std::array<double, kAlphas> fn{};               ///< unmatched truth boxes per alpha
  std::array<double, kAlphas> fp{};               ///< unmatched tracker boxes per alpha
  std::array<double, kAlphas> ass_a_by_alpha{};   ///< association accuracy per alpha
  std::array<double, kAlphas> ass_re_by_alpha{};  ///< association recall per alpha
  std::array<double, kAlphas> ass_pr_by_alpha{};  ///< association precision per alpha
  std::array<double, kAlphas> loc_a_by_alpha{};   ///< mean IoU of the matches per alpha (1 when none)

  /// TP / (TP + FN + FP) at threshold `a`.
  double det_a(int a) const;
  /// TP / (TP + FN) at threshold `a`.
  double det_re(int a) const;
  /// TP / (TP + FP) at threshold `a`.
  double det_pr(int a) const;
  /// sqrt(DetA AssA) at threshold `a`.
  double hota(int a) const;

  /// The means over the thresholds: what TrackEval reports as HOTA, DetA, ...
  double hota() const;
  double det_a() const;   ///< mean DetA
  double ass_a() const;   ///< mean AssA
  double det_re() const;  ///< mean DetRe
  double det_pr() const;  ///< mean DetPr
  double ass_re() const;  ///< mean AssRe
  double ass_pr() const;  ///< mean AssPr
  double loc_a() const;   ///< mean LocA

  /// Adds another sequence (TrackEval's combine_sequences: counts summed, AssA/AssRe/AssPr
  /// and LocA averaged weighted by TP).
  HotaMetrics& operator+=(const HotaMetrics& other);
};

/// Everything evaluate_tracking() measures for one or more sequences.
struct TrackingMetrics {
  ClearMetrics clear;                     ///< MOTA, MOTP, IDSW, Frag, MT/PT/ML
  IdentityMetrics identity;               ///< IDF1, IDP, IDR
  HotaMetrics hota;                       ///< HOTA, DetA, AssA, ...
  std::int64_t truth_boxes = 0;           ///< truth boxes after removing distractors
  std::int64_t tracker_boxes = 0;         ///< tracker boxes after removing those on distractors
  std::int64_t truth_ids = 0;             ///< distinct truth identities (summed over sequences)
  std::int64_t tracker_ids = 0;           ///< distinct track ids (summed over sequences)
  std::int64_t distractor_boxes = 0;      ///< truth boxes that were distractors
  std::int64_t boxes_on_distractors = 0;  ///< tracker boxes removed because they matched one
  /// Adds another sequence (each part as TrackEval combines sequences).
  TrackingMetrics& operator+=(const TrackingMetrics& other);
};

/// CLEAR MOT of one sequence (distractors handled by remove_distractors() first).
ClearMetrics evaluate_clear(const EvalSequence& sequence);
/// Identity metrics of one sequence (distractors handled by remove_distractors() first).
IdentityMetrics evaluate_identity(const EvalSequence& sequence);
/// HOTA of one sequence (distractors handled by remove_distractors() first).
HotaMetrics evaluate_hota(const EvalSequence& sequence);
/// All three, and the box and id counts, for one sequence.
/// @throws oi::Error when an id appears twice in one frame.
TrackingMetrics evaluate_tracking(const EvalSequence& sequence);

/// Detection counts (no identities): per frame, Hungarian on IoU >= 0.5 between truth and
/// detected boxes, after removing the detections matched to a distractor as above.
struct DetectionMetrics {
  std::int64_t frames = 0;          ///< frames counted
  std::int64_t truth = 0;           ///< truth boxes (distractors not counted)
  std::int64_t tp = 0;              ///< truth boxes found
  std::int64_t fn = 0;              ///< truth boxes missed
  std::int64_t fp = 0;              ///< detected boxes on no truth box and no distractor ("false boxes")
  std::int64_t on_distractors = 0;  ///< detected boxes on a distractor: neither TP nor FP

  /// TP / (TP + FP); 0 when nothing was detected (TrackEval's convention for CLR_Pr).
  double precision() const;
  /// TP / (TP + FN); 0 when there was no truth.
  double recall() const;
  /// FP / frames.
  double false_per_frame() const;
  /// Adds counts.
  DetectionMetrics& operator+=(const DetectionMetrics& other);
};

/// Detection counts of one frame: `detections` against `truth` (distractors marked).
DetectionMetrics evaluate_detections(const std::vector<TruthObject>& truth,
                                     const std::vector<Box>& detections);

/// JSON forms, with the counts and the derived figures under TrackEval's names in lower
/// case ("mota", "idf1", "hota", "det_a", ...); HOTA also with its per-alpha curves.
nlohmann::json to_json(const ClearMetrics& m);
nlohmann::json to_json(const IdentityMetrics& m);
nlohmann::json to_json(const HotaMetrics& m);
nlohmann::json to_json(const TrackingMetrics& m);
nlohmann::json to_json(const DetectionMetrics& m);

}  // namespace oi::cctv
