// Evaluation maths; definitions are in docs/reports.md ("Evaluation").
#include "evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>

namespace oi::xray::eval {
namespace {

bool is_evaluated(const std::string& cls) {
  const auto& c = evaluated_classes();
  return std::find(c.begin(), c.end(), cls) != c.end();
}

std::optional<double> ratio(int num, int den) {
  if (den <= 0) return std::nullopt;
  return static_cast<double>(num) / den;
}

nlohmann::json to_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

// Reads the `tip` flag of a detection or truth entry; a non-boolean flag is an error because
// mistaking a TIP for a real threat (or the reverse) is exactly what must not happen.
std::string read_tip_flag(const nlohmann::json& entry, bool& tip) {
  tip = false;
  auto it = entry.find("tip");
  if (it == entry.end() || it->is_null()) return {};
  if (!it->is_boolean()) return "`tip` is " + it->dump() + ", expected true or false";
  tip = it->get<bool>();
  return {};
}

std::string parse_truth_list(const std::string& where, const nlohmann::json& list, bool all_tip,
                             ScanRecord& record) {
  if (!list.is_array()) return where + " is not a list (it is " + std::string(list.type_name()) + ")";
  for (std::size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& e = list[i];
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (!e.is_object() || !e.contains("class") || !e["class"].is_string()) {
      return at + " has no string `class`: " + e.dump();
    }
    const std::string cls = e["class"].get<std::string>();
    if (!is_evaluated(cls)) {
      ++record.ignored_truth[cls];
      continue;
    }
    TruthObject t;
    t.cls = cls;
    if (!e.contains("box")) return at + " (" + cls + ") has no `box`";
    if (std::string err = parse_box(e["box"], t.box); !err.empty()) return at + " (" + cls + "): " + err;
    if (std::string err = read_tip_flag(e, t.tip); !err.empty()) return at + ": " + err;
    t.tip = t.tip || all_tip;
    if (auto h = e.find("hidden_fraction"); h != e.end() && !h->is_null()) {
      if (!h->is_number() || !(h->get<double>() >= 0.0 && h->get<double>() <= 1.0))
        return at + " (" + cls + "): `hidden_fraction` is " + h->dump() + ", expected a number in [0, 1]";
      t.hidden_fraction = h->get<double>();
    }
    for (const char* key : {"part", "concealment", "shape"}) {
      if (auto k = e.find(key); k != e.end() && k->is_string()) {
        t.kind = k->get<std::string>();
        break;
      }
    }
    record.truth.push_back(std::move(t));
  }
  return {};
}

// Per class: the strata, and the FROC curve from every truth object's best score and every
// false alarm's score.
std::map<std::string, ClassEvaluation> class_evaluations(const std::vector<ScanRecord>& scans,
                                                         int evaluated) {
  std::map<std::string, ClassEvaluation> out;
  std::map<std::string, std::vector<std::pair<double, bool>>> truth_scores;  // best score, visible
  std::map<std::string, std::vector<double>> false_alarm_scores;
  for (const std::string& cls : evaluated_classes()) out[cls];
  for (const ScanRecord& s : scans) {
    if (!s.has_truth) continue;
    const ScanMatches m = match_scan(s);
    for (std::size_t i = 0; i < s.truth.size(); ++i) {
      const TruthObject& t = s.truth[i];
      if (t.tip) continue;
      ClassEvaluation& c = out[t.cls];
      const bool found = std::isfinite(m.best_score[i]);
      ++c.objects;
      c.found += found;
      if (!t.kind.empty()) {
        ++c.kinds[t.kind].first;
        c.kinds[t.kind].second += found;
      }
      if (t.visible()) {
        ++c.visible;
        c.visible_found += found;
      } else {
        ++c.shielded;
        c.shielded_found += found;
        bool covered = false;
        for (const Detection& d : s.detections)
          covered = covered || (!d.tip && d.cls == threat::kShielding && contains_centre(d.box, t.box));
        c.shielded_covered += covered;
      }
      truth_scores[t.cls].push_back({m.best_score[i], t.visible()});
    }
    for (std::size_t k = 0; k < s.detections.size(); ++k) {
      if (m.kind[k] != ScanMatches::kFalseAlarm) continue;
      ++out[s.detections[k].cls].false_alarms;
      false_alarm_scores[s.detections[k].cls].push_back(s.detections[k].score);
    }
  }
  for (auto& [cls, c] : out) {
    std::set<double, std::greater<>> levels;
    for (const auto& [score, visible] : truth_scores[cls])
      if (std::isfinite(score)) levels.insert(score);
    for (double score : false_alarm_scores[cls]) levels.insert(score);
    std::vector<double> thresholds(levels.begin(), levels.end());
    thresholds.insert(thresholds.begin(), std::numeric_limits<double>::infinity());
    for (double level : thresholds) {
      FrocPoint p;
      p.threshold = std::isinf(level) ? (thresholds.size() > 1 ? thresholds[1] + 1.0 : 1.0) : level;
      for (const auto& [score, visible] : truth_scores[cls]) {
        if (score < level) continue;
        ++p.found;
        p.found_visible += visible;
      }
      for (double score : false_alarm_scores[cls]) p.false_alarms += score >= level;
      p.recall = c.objects ? static_cast<double>(p.found) / c.objects : 0.0;
      p.recall_visible = ratio(p.found_visible, c.visible);
      p.false_alarms_per_scan = evaluated ? static_cast<double>(p.false_alarms) / evaluated : 0.0;
      c.froc.push_back(p);
    }
  }
  return out;
}

}  // namespace

std::string parse_box(const nlohmann::json& j, Box& box) {
  if (!j.is_array() || j.size() != 4) return "`box` must be [x, y, w, h], got " + j.dump();
  for (const auto& v : j) {
    if (!v.is_number() || !std::isfinite(v.get<double>()))
      return "`box` must hold 4 finite numbers, got " + j.dump();
  }
  box = {j[0].get<double>(), j[1].get<double>(), j[2].get<double>(), j[3].get<double>()};
  if (box.w < 0 || box.h < 0) return "`box` has a negative width or height: " + j.dump();
  return {};
}

std::string parse_scan(std::uint64_t scan_id, const nlohmann::json& attributes, ScanRecord& record) {
  record = ScanRecord{};
  record.scan_id = scan_id;
  const std::string scan = "scan " + std::to_string(scan_id) + ": ";
  if (!attributes.is_object()) return scan + "attributes are not an object";

  if (auto it = attributes.find(attr::kGroundTruth); it != attributes.end()) {
    record.has_truth = true;
    if (std::string err = parse_truth_list("`ground_truth`", *it, false, record); !err.empty())
      return scan + err;
  }
  // TIP insertions (xray.tip) are truth for TIP accounting only, never real threats.
  if (auto it = attributes.find(attr::kTip); it != attributes.end()) {
    if (std::string err = parse_truth_list("`tip`", *it, true, record); !err.empty()) return scan + err;
  }
  if (auto it = attributes.find(attr::kDetections); it != attributes.end()) {
    if (!it->is_array())
      return scan + "`detections` is not a list; xray.detect writes a list of {class, box, score}";
    for (std::size_t i = 0; i < it->size(); ++i) {
      const nlohmann::json& e = (*it)[i];
      const std::string at = "`detections`[" + std::to_string(i) + "]";
      Detection d;
      if (!e.is_object() || !e.contains("class") || !e["class"].is_string()) {
        return scan + at + " has no string `class`: " + e.dump();
      }
      d.cls = e["class"].get<std::string>();
      if (!e.contains("box")) return scan + at + " (" + d.cls + ") has no `box`";
      if (std::string err = parse_box(e["box"], d.box); !err.empty())
        return scan + at + " (" + d.cls + "): " + err;
      if (!e.contains("score") || !e["score"].is_number())
        return scan + at + " (" + d.cls + ") has no numeric `score`";
      d.score = e["score"].get<double>();
      if (std::string err = read_tip_flag(e, d.tip); !err.empty()) return scan + at + ": " + err;
      d.raw = e;
      record.detections.push_back(std::move(d));
    }
  }
  if (auto it = attributes.find(attr::kDecision); it != attributes.end()) {
    if (!it->is_string())
      return scan + "`decision` is " + it->dump() + ", expected clear, alarm or cannot_clear";
    const std::string d = it->get<std::string>();
    if (d != decision::kClear && d != decision::kAlarm && d != decision::kCannotClear) {
      return scan + "`decision` is '" + d + "', expected clear, alarm or cannot_clear";
    }
    record.decision = d;
  }
  return {};
}

ScanMatches match_scan(const ScanRecord& scan) {
  ScanMatches m;
  m.best_score.assign(scan.truth.size(), -std::numeric_limits<double>::infinity());
  m.kind.assign(scan.detections.size(), ScanMatches::kMatched);
  for (std::size_t k = 0; k < scan.detections.size(); ++k) {
    const Detection& d = scan.detections[k];
    bool matched_real = false, matched_tip = false;
    for (std::size_t i = 0; i < scan.truth.size(); ++i) {
      const TruthObject& t = scan.truth[i];
      if (t.cls != d.cls || !matches(d.box, t.box)) continue;
      // A TIP-flagged detection only ever finds TIP truth, and a real one only real truth
      // (or, counted apart, a TIP insertion the tip stage failed to flag).
      if (t.tip) {
        matched_tip = true;
        if (d.tip) m.best_score[i] = std::max(m.best_score[i], d.score);
      } else if (!d.tip) {
        matched_real = true;
        m.best_score[i] = std::max(m.best_score[i], d.score);
      }
    }
    if (d.tip)
      m.kind[k] = ScanMatches::kTipFlagged;
    else if (!matched_real)
      m.kind[k] = matched_tip ? ScanMatches::kTipUnflagged : ScanMatches::kFalseAlarm;
  }
  return m;
}

ScanOutcome evaluate_scan(const ScanRecord& scan, double threshold) {
  ScanOutcome out;
  for (const TruthObject& t : scan.truth) {
    if (t.tip) {
      out.carries_tip = true;
    } else {
      out.carries_threat = true;
      out.carries_shielding = out.carries_shielding || t.cls == threat::kShielding;
    }
  }
  const ScanMatches m = match_scan(scan);
  for (double best : m.best_score) out.found.push_back(best >= threshold);
  for (std::size_t k = 0; k < scan.detections.size(); ++k) {
    if (scan.detections[k].tip) out.carries_tip = true;
    if (scan.detections[k].score < threshold) continue;
    out.false_alarms += m.kind[k] == ScanMatches::kFalseAlarm;
    out.tip_unflagged += m.kind[k] == ScanMatches::kTipUnflagged;
  }
  return out;
}

std::string decision_from_detections(const ScanRecord& scan, double threshold) {
  bool shielding = false;
  for (const Detection& d : scan.detections) {
    if (d.tip || d.score < threshold) continue;
    if (d.cls == threat::kShielding) {
      shielding = true;
    } else {
      return decision::kAlarm;
    }
  }
  return shielding ? decision::kCannotClear : decision::kClear;
}

bool scan_detected(const std::string& decision, bool carries_shielding) {
  return decision == xray::decision::kAlarm ||
         (decision == xray::decision::kCannotClear && carries_shielding);
}

std::optional<double> RunEvaluation::recall(const std::string& cls) const {
  auto o = objects.find(cls);
  auto f = found.find(cls);
  return ratio(f == found.end() ? 0 : f->second, o == objects.end() ? 0 : o->second);
}
std::optional<double> RunEvaluation::false_alarms_per_scan() const {
  return ratio(false_alarms, scans_evaluated);
}
std::optional<double> RunEvaluation::scan_pd() const { return ratio(threat_scans_detected, threat_scans); }
std::optional<double> RunEvaluation::scan_pfa() const { return ratio(clear_scans_not_cleared, clear_scans); }

std::optional<std::pair<double, double>> RunEvaluation::pd_at_pfa(double pfa) const {
  if (threat_scans == 0 || clear_scans == 0) return std::nullopt;
  std::optional<std::pair<double, double>> best;
  for (const CurvePoint& p : curve) {
    if (p.pfa <= pfa + 1e-12 && (!best || p.pd > best->first)) best = std::make_pair(p.pd, p.threshold);
  }
  return best;
}

nlohmann::json RunEvaluation::to_json() const {
  nlohmann::json recall_j = nlohmann::json::object();
  nlohmann::json counts = nlohmann::json::object();
  for (const std::string& cls : evaluated_classes()) {
    recall_j[cls] = eval::to_json(recall(cls));
    counts[cls] = {{"objects", objects.count(cls) ? objects.at(cls) : 0},
                   {"found", found.count(cls) ? found.at(cls) : 0}};
  }
  nlohmann::json curve_j = nlohmann::json::array();
  for (const CurvePoint& p : curve) {
    curve_j.push_back({{"threshold", p.threshold},
                       {"pd", p.pd},
                       {"pfa", p.pfa},
                       {"false_alarms_per_scan", p.false_alarms_per_scan}});
  }
  nlohmann::json classes_j = nlohmann::json::object();
  for (const auto& [cls, c] : classes) {
    nlohmann::json froc = nlohmann::json::array();
    for (const FrocPoint& p : c.froc) {
      froc.push_back({{"threshold", p.threshold},
                      {"found", p.found},
                      {"found_visible", p.found_visible},
                      {"false_alarms", p.false_alarms},
                      {"recall", p.recall},
                      {"recall_visible", eval::to_json(p.recall_visible)},
                      {"false_alarms_per_scan", p.false_alarms_per_scan}});
    }
    classes_j[cls] = {{"objects", c.objects},
                      {"found", c.found},
                      {"recall", eval::to_json(ratio(c.found, c.objects))},
                      {"false_alarms", c.false_alarms},
                      {"false_alarms_per_scan", eval::to_json(ratio(c.false_alarms, scans_evaluated))},
                      {"visible",
                       {{"objects", c.visible},
                        {"found", c.visible_found},
                        {"recall", eval::to_json(ratio(c.visible_found, c.visible))}}},
                      {"shielded",
                       {{"objects", c.shielded},
                        {"found", c.shielded_found},
                        {"covered_by_shielding_alarm", c.shielded_covered},
                        {"coverage", eval::to_json(ratio(c.shielded_covered, c.shielded))}}},
                      {"froc", froc}};
    nlohmann::json kinds = nlohmann::json::object();
    for (const auto& [kind, n] : c.kinds)
      kinds[kind] = {
          {"objects", n.first}, {"found", n.second}, {"recall", eval::to_json(ratio(n.second, n.first))}};
    classes_j[cls]["kinds"] = std::move(kinds);
  }
  nlohmann::json pd_at_pfa_j = nlohmann::json::array();
  for (double pfa : {0.01, 0.05, 0.10}) {
    const auto p = pd_at_pfa(pfa);
    pd_at_pfa_j.push_back({{"pfa", pfa},
                           {"pd", p ? nlohmann::json(p->first) : nlohmann::json(nullptr)},
                           {"threshold", p ? nlohmann::json(p->second) : nlohmann::json(nullptr)}});
  }
  return {{"recall", recall_j},
          {"classes", classes_j},
          {"pd_at_pfa", pd_at_pfa_j},
          {"false_alarms_per_scan", eval::to_json(false_alarms_per_scan())},
          {"scan_pd", eval::to_json(scan_pd())},
          {"scan_pfa", eval::to_json(scan_pfa())},
          {"counts",
           {{"objects", counts},
            {"false_alarms", false_alarms},
            {"scans_evaluated", scans_evaluated},
            {"scans_without_ground_truth", scans_without_truth},
            {"scans_excluded_from_scan_pd_pfa_tip", scans_excluded_tip},
            {"scans_without_decision", scans_without_decision},
            {"threat_scans", threat_scans},
            {"threat_scans_detected", threat_scans_detected},
            {"clear_scans", clear_scans},
            {"clear_scans_not_cleared", clear_scans_not_cleared},
            {"ignored_truth_objects", ignored_truth}}},
          {"tip",
           {{"inserted", tip_inserted},
            {"found", tip_found},
            {"detection_rate", eval::to_json(ratio(tip_found, tip_inserted))},
            {"tip_detections", tip_detections},
            {"tip_detections_unmatched", tip_detections_unmatched},
            {"unflagged_detections_on_tip", tip_unflagged}}},
          {"pd_pfa_curve", curve_j}};
}

RunEvaluation evaluate_run(const std::vector<ScanRecord>& scans) {
  RunEvaluation r;
  std::set<double> thresholds;
  for (const ScanRecord& s : scans) {
    if (!s.has_truth) {
      ++r.scans_without_truth;
      continue;
    }
    ++r.scans_evaluated;
    for (const auto& [cls, n] : s.ignored_truth) r.ignored_truth[cls] += n;
    const ScanOutcome o = evaluate_scan(s);
    for (std::size_t i = 0; i < s.truth.size(); ++i) {
      const TruthObject& t = s.truth[i];
      if (t.tip) {
        ++r.tip_inserted;
        if (o.found[i]) ++r.tip_found;
      } else {
        ++r.objects[t.cls];
        if (o.found[i]) ++r.found[t.cls];
      }
    }
    for (const Detection& d : s.detections) {
      if (!d.tip) {
        thresholds.insert(d.score);
        continue;
      }
      ++r.tip_detections;
      bool matched = false;
      for (const TruthObject& t : s.truth)
        matched = matched || (t.tip && t.cls == d.cls && matches(d.box, t.box));
      if (!matched) ++r.tip_detections_unmatched;
    }
    r.false_alarms += o.false_alarms;
    r.tip_unflagged += o.tip_unflagged;
    if (!s.decision) ++r.scans_without_decision;
    // The scan decision covers the whole image: with a projected threat in it, an alarm
    // cannot be credited to (or blamed on) the real content, so such scans sit out Pd/Pfa.
    if (o.carries_tip) {
      ++r.scans_excluded_tip;
      continue;
    }
    const std::string decision = s.decision.value_or(xray::decision::kClear);
    if (o.carries_threat) {
      ++r.threat_scans;
      if (scan_detected(decision, o.carries_shielding)) ++r.threat_scans_detected;
    } else {
      ++r.clear_scans;
      if (decision != xray::decision::kClear) ++r.clear_scans_not_cleared;
    }
  }

  // The curve re-decides every scan from its detections at each threshold; it starts above
  // the highest score (nothing detected: Pd = Pfa = 0) and ends at the lowest.
  std::vector<double> levels(thresholds.rbegin(), thresholds.rend());
  levels.insert(levels.begin(), std::numeric_limits<double>::infinity());
  for (double level : levels) {
    int threat = 0, detected = 0, clear = 0, not_cleared = 0, fa = 0, evaluated = 0;
    for (const ScanRecord& s : scans) {
      if (!s.has_truth) continue;
      ++evaluated;
      const ScanOutcome o = evaluate_scan(s, level);
      fa += o.false_alarms;
      if (o.carries_tip) continue;
      const std::string decision = decision_from_detections(s, level);
      if (o.carries_threat) {
        ++threat;
        if (scan_detected(decision, o.carries_shielding)) ++detected;
      } else {
        ++clear;
        if (decision != xray::decision::kClear) ++not_cleared;
      }
    }
    CurvePoint p;
    // "Above the highest score" is written as a finite number: JSON has no infinity.
    p.threshold = std::isinf(level) ? (levels.size() > 1 ? levels[1] + 1.0 : 1.0) : level;
    p.pd = threat ? static_cast<double>(detected) / threat : 0.0;
    p.pfa = clear ? static_cast<double>(not_cleared) / clear : 0.0;
    p.false_alarms_per_scan = evaluated ? static_cast<double>(fa) / evaluated : 0.0;
    r.curve.push_back(p);
  }
  r.classes = class_evaluations(scans, r.scans_evaluated);
  return r;
}

}  // namespace oi::xray::eval
