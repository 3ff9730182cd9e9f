#pragma once
/// @file
/// Evaluation of X-ray threat detection against simulator ground truth: object matching,
/// per-class recall, false alarms per scan, scan-level Pd / Pfa and a Pd–Pfa curve over the
/// score threshold, with Threat Image Projection (TIP) accounted for separately. Used by
/// sink.summary (whole run) and sink.report (per scan); definitions in docs/reports.md.
///
/// The inputs are the attributes of the inspection contract (oi/xray/contract.hpp):
/// `ground_truth`, `detections`, `decision`, `tip`. Parsing is strict: a malformed entry is an
/// error that names the scan and the entry, never skipped.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "oi/xray/contract.hpp"

namespace oi::xray::eval {

/// Truth classes that are evaluated; anything else (`wedge_step`, ...) is counted as ignored.
inline const std::vector<std::string>& evaluated_classes() {
  static const std::vector<std::string> classes = {threat::kFirearm, threat::kNarcotics, threat::kShielding,
                                                   threat::kKnife};
  return classes;
}

// The match rule and its box are the inspection contract's (oi/xray/contract.hpp), shared
// with xray.detect's TIP accounting.
using xray::Box;
using xray::contains_centre;
using xray::iou;
using xray::kMinIou;
using xray::matches;

/// A truth object at least this fraction of whose box lies behind impenetrable material (the
/// simulator's `hidden_fraction`) is shielded: it cannot be seen, only the shielding around it.
inline constexpr double kShieldedFraction = 0.5;

/// One truth object (a real threat or a TIP insertion).
struct TruthObject {
  std::string cls;
  Box box;
  bool tip = false;            ///< inserted by xray.tip (attribute `tip`, or `"tip": true` in ground_truth)
  double hidden_fraction = 0;  ///< `hidden_fraction` of the truth entry; 0 when it has none
  /// What kind of object it is, for the per-kind breakdown: the truth entry's `part` (a loose
  /// firearm part), else its `concealment` (narcotics), else its `shape` (pistol, revolver,
  /// flat_pack, ...); empty when it has none of them.
  std::string kind;
  /// Not shielded (hidden_fraction below kShieldedFraction).
  bool visible() const { return hidden_fraction < kShieldedFraction; }
};

/// One detection from xray.detect.
struct Detection {
  std::string cls;
  Box box;
  double score = 0;
  bool tip = false;    ///< flagged `"tip": true` by xray.tip: a projected threat, not a real one
  nlohmann::json raw;  ///< the detection as it arrived (extra fields kept for reports)
};

/// What evaluation needs from one scan.
struct ScanRecord {
  std::uint64_t scan_id = 0;
  bool has_truth = false;                    ///< the frame carried a `ground_truth` list
  std::vector<TruthObject> truth;            ///< evaluated classes only, real and TIP
  std::map<std::string, int> ignored_truth;  ///< class -> objects not evaluated (wedge_step, ...)
  std::vector<Detection> detections;         ///< real and TIP-flagged
  std::optional<std::string> decision;       ///< absent when no stage decided
};

/// Reads a box `[x, y, w, h]`; returns an error text (empty when fine).
std::string parse_box(const nlohmann::json& j, Box& box);

/// Builds a ScanRecord from a frame's attributes. Returns an error text naming the scan,
/// attribute and entry when one is malformed (empty when fine); `record` is filled as far as
/// it got.
std::string parse_scan(std::uint64_t scan_id, const nlohmann::json& attributes, ScanRecord& record);

/// The outcome of one scan at one score threshold.
struct ScanOutcome {
  std::vector<bool> found;         ///< per entry of ScanRecord::truth
  int false_alarms = 0;            ///< real detections (score ≥ threshold) matching no real truth object
  int tip_unflagged = 0;           ///< real detections matching only a TIP insertion
  bool carries_threat = false;     ///< at least one real truth object
  bool carries_shielding = false;  ///< at least one real shielding truth object
  bool carries_tip = false;        ///< at least one TIP truth object or TIP-flagged detection
};

/// Matches one scan's detections with score ≥ `threshold` against its truth.
ScanOutcome evaluate_scan(const ScanRecord& scan, double threshold = -1e300);

/// How each of a scan's truth objects and detections fares at any threshold: a truth object is
/// found at threshold t when its best score is ≥ t; a real detection that matches no real truth
/// object of its class is a false alarm (or, when it matches a TIP insertion, an unflagged TIP).
struct ScanMatches {
  std::vector<double>
      best_score;  ///< per truth object: highest score of a detection that finds it, -inf when none
  /// per detection: 0 real and matched, 1 false alarm, 2 matches only a TIP insertion, 3 TIP-flagged
  std::vector<int> kind;
  static constexpr int kMatched = 0, kFalseAlarm = 1, kTipUnflagged = 2, kTipFlagged = 3;
};
ScanMatches match_scan(const ScanRecord& scan);

/// One point of a class's FROC curve: per-object recall against false alarms per scan, with the
/// class's detections of score ≥ `threshold`.
struct FrocPoint {
  double threshold = 0;
  int found = 0;          ///< real truth objects of the class found
  int found_visible = 0;  ///< of them, not shielded
  int false_alarms = 0;   ///< the class's false alarms
  double recall = 0;
  std::optional<double> recall_visible;  ///< null when the class has no visible object
  double false_alarms_per_scan = 0;
};

/// Per-class figures with the visible and shielded objects apart.
struct ClassEvaluation {
  int objects = 0, found = 0;
  int visible = 0, visible_found = 0;
  int shielded = 0, shielded_found = 0;
  /// Shielded objects whose centre lies inside a real shielding detection: the scan's
  /// `cannot_clear` (or alarm) covers them even though they cannot be seen.
  int shielded_covered = 0;
  int false_alarms = 0;
  std::vector<FrocPoint> froc;  ///< thresholds descending; starts above the highest score
  /// Objects and found objects per TruthObject::kind (objects without a kind left out): where
  /// a class's misses are, e.g. loose barrels against whole pistols.
  std::map<std::string, std::pair<int, int>> kinds;
};

/// The scan decision implied by detections alone (used for the curve): `alarm` when a real
/// detection of firearm, narcotics or knife has score ≥ threshold, else `cannot_clear` when a
/// real shielding detection has, else `clear`.
std::string decision_from_detections(const ScanRecord& scan, double threshold);

/// Scan-level rule: does `decision` count as detecting the threat(s) of a threat-carrying
/// scan? `alarm` always; `cannot_clear` only when the scan carries shielding.
bool scan_detected(const std::string& decision, bool carries_shielding);

/// One point of the Pd–Pfa curve.
struct CurvePoint {
  double threshold = 0;
  double pd = 0;
  double pfa = 0;
  double false_alarms_per_scan = 0;
};

/// Whole-run results. Ratios whose denominator is zero are std::nullopt (JSON null).
struct RunEvaluation {
  int scans_evaluated = 0;             ///< scans with ground truth
  int scans_without_truth = 0;         ///< not evaluated
  int scans_excluded_tip = 0;          ///< excluded from scan Pd/Pfa because they carry TIP
  std::map<std::string, int> objects;  ///< class -> real truth objects
  std::map<std::string, int> found;    ///< class -> found
  std::map<std::string, int> ignored_truth;
  int false_alarms = 0;
  int tip_unflagged = 0;
  int threat_scans = 0, threat_scans_detected = 0;
  int clear_scans = 0, clear_scans_not_cleared = 0;
  int scans_without_decision = 0;  ///< evaluated scans that carried no decision (count as clear)
  int tip_inserted = 0, tip_found = 0, tip_detections = 0, tip_detections_unmatched = 0;
  std::vector<CurvePoint> curve;                   ///< thresholds descending: Pd and Pfa grow along it
  std::map<std::string, ClassEvaluation> classes;  ///< per evaluated class (all four, also when empty)

  /// The highest scan Pd of a curve point whose Pfa is at most `pfa` (null without clear
  /// scans or threat scans), and that point's threshold.
  std::optional<std::pair<double, double>> pd_at_pfa(double pfa) const;

  std::optional<double> recall(const std::string& cls) const;
  std::optional<double> false_alarms_per_scan() const;
  std::optional<double> scan_pd() const;
  std::optional<double> scan_pfa() const;
  /// `{"recall": {...}, "false_alarms_per_scan", "scan_pd", "scan_pfa", "counts", "tip",
  /// "pd_pfa_curve", "classes" (per class: visible / shielded strata, the FROC curve and
  /// "kinds": objects, found and recall per kind),
  /// "pd_at_pfa" (at 0.01, 0.05, 0.10)}`: the required keys of summary.json plus documented extras.
  nlohmann::json to_json() const;
};

/// Evaluates a whole run. Scans without ground truth are counted, not evaluated.
RunEvaluation evaluate_run(const std::vector<ScanRecord>& scans);

}  // namespace oi::xray::eval
