// The evaluation maths on hand-made cases: IoU, the centre rule, recall, false alarms per
// scan, scan Pd / Pfa (cannot_clear and shielding), the curve, TIP kept apart, strict parsing.
#include "evaluation.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace oi::xray::eval {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

json truth(const std::string& cls, std::vector<double> box) { return {{"class", cls}, {"box", box}}; }
json det(const std::string& cls, std::vector<double> box, double score, bool tip = false) {
  json j = {{"class", cls}, {"box", box}, {"score", score}};
  if (tip) j["tip"] = true;
  return j;
}

ScanRecord scan(std::uint64_t id, json attributes) {
  ScanRecord r;
  const std::string err = parse_scan(id, attributes, r);
  EXPECT_EQ(err, "");
  return r;
}

TEST(Evaluation, IouOfKnownBoxes) {
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0);
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {5, 0, 10, 10}), 50.0 / 150.0);
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {20, 20, 5, 5}), 0.0);
  EXPECT_DOUBLE_EQ(iou({0, 0, 0, 10}, {0, 0, 10, 10}), 0.0);
}

TEST(Evaluation, MatchesByIouAtThresholdOrByContainingTheCentre) {
  // IoU exactly 0.3 (a 10x3 strip inside a 10x10 truth, away from its centre (5, 5)) matches,
  // 0.29 does not.
  const Box t{0, 0, 10, 10};
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 3}, t), 0.3);
  EXPECT_TRUE(matches({0, 0, 10, 3}, t));
  EXPECT_FALSE(matches({0, 0, 10, 2.9}, t));
  EXPECT_FALSE(matches({0, 6, 10, 10}, t));
  // A tiny box around the centre: IoU 0.04, yet found.
  EXPECT_LT(iou({4, 4, 2, 2}, t), 0.3);
  EXPECT_TRUE(matches({4, 4, 2, 2}, t));
  // A huge box containing the truth: low IoU, contains the centre.
  EXPECT_TRUE(matches({-100, -100, 300, 300}, t));
  EXPECT_TRUE(contains_centre({5, 5, 1, 1}, t));  // edge included
  EXPECT_FALSE(contains_centre({5.01, 5, 1, 1}, t));
}

TEST(Evaluation, RecallFalseAlarmsAndScanPdPfa) {
  std::vector<ScanRecord> scans;
  // Scan 1: firearm found, narcotics missed, one false alarm; alarm.
  scans.push_back(
      scan(1, {{"ground_truth", {truth("firearm", {0, 0, 10, 10}), truth("narcotics", {50, 50, 20, 20})}},
               {"detections", {det("firearm", {1, 1, 10, 10}, 0.9), det("knife", {200, 200, 5, 5}, 0.4)}},
               {"decision", "alarm"}}));
  // Scan 2: narcotics detected with the wrong class -> missed and a false alarm; clear.
  scans.push_back(scan(2, {{"ground_truth", {truth("narcotics", {0, 0, 10, 10})}},
                           {"detections", {det("firearm", {0, 0, 10, 10}, 0.6)}},
                           {"decision", "clear"}}));
  // Scan 3: clear scan, decided clear.
  scans.push_back(scan(3, {{"ground_truth", json::array()}, {"decision", "clear"}}));
  // Scan 4: clear scan with a wedge_step (ignored), decided alarm (false alarm at scan level).
  scans.push_back(scan(4, {{"ground_truth", {truth("wedge_step", {0, 0, 5, 5})}},
                           {"detections", {det("narcotics", {0, 0, 5, 5}, 0.3)}},
                           {"decision", "alarm"}}));
  // Scan 5: no ground truth: not evaluated.
  scans.push_back(scan(5, {{"detections", {det("firearm", {0, 0, 5, 5}, 0.9)}}, {"decision", "alarm"}}));

  const RunEvaluation r = evaluate_run(scans);
  EXPECT_EQ(r.scans_evaluated, 4);
  EXPECT_EQ(r.scans_without_truth, 1);
  EXPECT_EQ(r.objects.at("firearm"), 1);
  EXPECT_EQ(r.objects.at("narcotics"), 2);
  EXPECT_DOUBLE_EQ(*r.recall("firearm"), 1.0);
  EXPECT_DOUBLE_EQ(*r.recall("narcotics"), 0.0);
  EXPECT_FALSE(r.recall("shielding").has_value());  // no objects: unknown, not 0 or 1
  EXPECT_EQ(r.ignored_truth.at("wedge_step"), 1);
  EXPECT_EQ(r.false_alarms, 3);  // knife (1), firearm on narcotics (2), narcotics on wedge (4)
  EXPECT_DOUBLE_EQ(*r.false_alarms_per_scan(), 3.0 / 4.0);
  EXPECT_EQ(r.threat_scans, 2);
  EXPECT_DOUBLE_EQ(*r.scan_pd(), 0.5);   // 1 alarm, 2 clear
  EXPECT_DOUBLE_EQ(*r.scan_pfa(), 0.5);  // 3 clear, 4 alarm

  const json j = r.to_json();
  EXPECT_TRUE(j["recall"]["shielding"].is_null());
  EXPECT_EQ(j["counts"]["objects"]["narcotics"]["objects"], 2);
}

TEST(Evaluation, CannotClearDetectsShieldingScansOnly) {
  std::vector<ScanRecord> scans;
  scans.push_back(
      scan(1, {{"ground_truth", {truth("shielding", {0, 0, 10, 10})}}, {"decision", "cannot_clear"}}));
  scans.push_back(
      scan(2, {{"ground_truth", {truth("firearm", {0, 0, 10, 10})}}, {"decision", "cannot_clear"}}));
  scans.push_back(scan(3, {{"ground_truth", json::array()}, {"decision", "cannot_clear"}}));
  const RunEvaluation r = evaluate_run(scans);
  EXPECT_EQ(r.threat_scans, 2);
  EXPECT_EQ(r.threat_scans_detected, 1);
  EXPECT_DOUBLE_EQ(*r.scan_pd(), 0.5);
  EXPECT_DOUBLE_EQ(*r.scan_pfa(), 1.0);  // cannot_clear on a clear scan is not "clear"
  EXPECT_TRUE(scan_detected("alarm", false));
  EXPECT_FALSE(scan_detected("cannot_clear", false));
  EXPECT_TRUE(scan_detected("cannot_clear", true));
  EXPECT_FALSE(scan_detected("clear", true));
}

TEST(Evaluation, TipIsAccountedApartAndNeverAsARealThreat) {
  std::vector<ScanRecord> scans;
  // A clear scan with a TIP firearm, found by a TIP-flagged detection; the decision alarms.
  scans.push_back(scan(1, {{"ground_truth", json::array()},
                           {"tip", {{{"class", "firearm"}, {"box", {0, 0, 10, 10}}, {"tip_id", "g17"}}}},
                           {"detections", {det("firearm", {0, 0, 10, 10}, 0.9, true)}},
                           {"decision", "alarm"}}));
  // A real narcotics object that only a TIP-flagged detection covers: not found, and the TIP
  // detection is no false alarm; a TIP truth in ground_truth itself counts as TIP too.
  scans.push_back(scan(2, {{"ground_truth",
                            {truth("narcotics", {0, 0, 10, 10}),
                             {{"class", "knife"}, {"box", {50, 50, 5, 5}}, {"tip", true}}}},
                           {"detections", {det("narcotics", {0, 0, 10, 10}, 0.8, true)}},
                           {"decision", "alarm"}}));
  // A real detection on an unflagged TIP insertion: counted apart, not a false alarm.
  scans.push_back(scan(3, {{"ground_truth", json::array()},
                           {"tip", {{{"class", "knife"}, {"box", {0, 0, 10, 10}}}}},
                           {"detections", {det("knife", {0, 0, 10, 10}, 0.7)}},
                           {"decision", "alarm"}}));
  const RunEvaluation r = evaluate_run(scans);
  EXPECT_EQ(r.objects.count("firearm"), 0u);  // TIP truth is not a real object
  EXPECT_EQ(r.objects.at("narcotics"), 1);
  EXPECT_EQ(r.found.count("narcotics") ? r.found.at("narcotics") : 0, 0);
  EXPECT_EQ(r.false_alarms, 0);
  EXPECT_EQ(r.tip_inserted, 3);
  EXPECT_EQ(r.tip_found, 1);
  EXPECT_EQ(r.tip_detections, 2);
  EXPECT_EQ(r.tip_detections_unmatched, 1);  // the TIP narcotics detection on scan 2
  EXPECT_EQ(r.tip_unflagged, 1);
  EXPECT_EQ(r.scans_excluded_tip, 3);  // their decisions cannot be credited to real content
  EXPECT_FALSE(r.scan_pd().has_value());
  EXPECT_FALSE(r.scan_pfa().has_value());
  EXPECT_EQ(decision_from_detections(scans[0], 0.0), "clear");  // a TIP detection never alarms
}

TEST(Evaluation, CurveGoesFromNothingToEverythingOverTheThreshold) {
  std::vector<ScanRecord> scans;
  scans.push_back(scan(1, {{"ground_truth", {truth("firearm", {0, 0, 10, 10})}},
                           {"detections", {det("firearm", {0, 0, 10, 10}, 0.8)}},
                           {"decision", "alarm"}}));
  scans.push_back(scan(2, {{"ground_truth", {truth("shielding", {0, 0, 10, 10})}},
                           {"detections", {det("shielding", {0, 0, 10, 10}, 0.5)}},
                           {"decision", "cannot_clear"}}));
  scans.push_back(scan(3, {{"ground_truth", json::array()},
                           {"detections", {det("narcotics", {0, 0, 10, 10}, 0.3)}},
                           {"decision", "alarm"}}));
  const RunEvaluation r = evaluate_run(scans);
  ASSERT_EQ(r.curve.size(), 4u);  // above the highest score, then 0.8, 0.5, 0.3
  EXPECT_GT(r.curve[0].threshold, 0.8);
  EXPECT_DOUBLE_EQ(r.curve[0].pd, 0.0);
  EXPECT_DOUBLE_EQ(r.curve[0].pfa, 0.0);
  EXPECT_DOUBLE_EQ(r.curve[1].threshold, 0.8);
  EXPECT_DOUBLE_EQ(r.curve[1].pd, 0.5);
  EXPECT_DOUBLE_EQ(r.curve[2].pd, 1.0);
  EXPECT_DOUBLE_EQ(r.curve[2].pfa, 0.0);
  EXPECT_DOUBLE_EQ(r.curve[3].pfa, 1.0);
  EXPECT_DOUBLE_EQ(r.curve[3].false_alarms_per_scan, 1.0 / 3.0);
}

TEST(Evaluation, MalformedAttributesAreErrorsThatNameTheScanAndEntry) {
  ScanRecord r;
  EXPECT_THAT(parse_scan(7, {{"detections", {{{"class", "firearm"}, {"box", {1, 2, 3}}, {"score", 1}}}}}, r),
              HasSubstr("scan 7: `detections`[0] (firearm): `box` must be [x, y, w, h]"));
  EXPECT_THAT(parse_scan(7, {{"detections", {{{"class", "firearm"}, {"box", {1, 2, 3, 4}}}}}}, r),
              HasSubstr("no numeric `score`"));
  EXPECT_THAT(parse_scan(7, {{"detections", {det("firearm", {1, 2, 3, 4}, 1)}}, {"decision", "maybe"}}, r),
              HasSubstr("`decision` is 'maybe'"));
  EXPECT_THAT(parse_scan(7, {{"ground_truth", {{{"box", {1, 2, 3, 4}}}}}}, r),
              HasSubstr("`ground_truth`[0] has no string `class`"));
  EXPECT_THAT(
      parse_scan(
          7, {{"detections", {{{"class", "knife"}, {"box", {1, 2, 3, 4}}, {"score", 1}, {"tip", "yes"}}}}},
          r),
      HasSubstr("`tip` is \"yes\""));
  EXPECT_THAT(parse_scan(7, {{"ground_truth", "none"}}, r), HasSubstr("`ground_truth` is not a list"));
  EXPECT_THAT(
      parse_scan(
          7, {{"ground_truth", {{{"class", "narcotics"}, {"box", {1, 2, 3, 4}}, {"hidden_fraction", 2}}}}},
          r),
      HasSubstr("`ground_truth`[0] (narcotics): `hidden_fraction` is 2, expected a number in [0, 1]"));
}

json hidden(json truth_entry, double fraction) {
  truth_entry["hidden_fraction"] = fraction;
  return truth_entry;
}

TEST(Evaluation, FrocPerClassWithVisibleAndShieldedObjectsApart) {
  std::vector<ScanRecord> scans;
  // Scan 1: narcotics A (visible) found at 0.8; narcotics B behind shielding S, not found, but
  // its centre (105, 105) lies inside the shielding detection; a narcotics false alarm at 0.6.
  scans.push_back(
      scan(1, {{"ground_truth",
                {truth("narcotics", {0, 0, 10, 10}), hidden(truth("narcotics", {100, 100, 10, 10}), 0.9),
                 truth("shielding", {95, 95, 30, 30})}},
               {"detections",
                {det("narcotics", {1, 1, 10, 10}, 0.8), det("narcotics", {300, 300, 5, 5}, 0.6),
                 det("shielding", {90, 90, 40, 40}, 0.7)}},
               {"decision", "alarm"}}));
  // Scan 2: narcotics C found twice (0.5 and 0.9: its best score is 0.9); a false alarm at 0.3.
  scans.push_back(scan(2, {{"ground_truth", {truth("narcotics", {0, 0, 10, 10})}},
                           {"detections",
                            {det("narcotics", {0, 0, 10, 10}, 0.5), det("narcotics", {1, 1, 10, 10}, 0.9),
                             det("narcotics", {200, 200, 5, 5}, 0.3)}},
                           {"decision", "alarm"}}));
  // Scan 3: nothing there; a narcotics false alarm at 0.7.
  scans.push_back(scan(3, {{"ground_truth", json::array()},
                           {"detections", {det("narcotics", {50, 50, 5, 5}, 0.7)}},
                           {"decision", "alarm"}}));
  const RunEvaluation r = evaluate_run(scans);
  const ClassEvaluation& n = r.classes.at("narcotics");
  EXPECT_EQ(n.objects, 3);
  EXPECT_EQ(n.found, 2);
  EXPECT_EQ(n.visible, 2);
  EXPECT_EQ(n.visible_found, 2);
  EXPECT_EQ(n.shielded, 1);
  EXPECT_EQ(n.shielded_found, 0);
  EXPECT_EQ(n.shielded_covered, 1);
  EXPECT_EQ(n.false_alarms, 3);
  // Thresholds: above everything, then 0.9, 0.8 (truth scores), 0.7, 0.6, 0.3 (false alarms).
  ASSERT_EQ(n.froc.size(), 6u);
  const double expected[6][4] = {// threshold, recall, recall of the visible, false alarms per scan
                                 {1.9, 0, 0, 0},
                                 {0.9, 1.0 / 3, 0.5, 0},
                                 {0.8, 2.0 / 3, 1, 0},
                                 {0.7, 2.0 / 3, 1, 1.0 / 3},
                                 {0.6, 2.0 / 3, 1, 2.0 / 3},
                                 {0.3, 2.0 / 3, 1, 1}};
  for (std::size_t i = 0; i < 6; ++i) {
    SCOPED_TRACE(i);
    EXPECT_DOUBLE_EQ(n.froc[i].threshold, expected[i][0]);
    EXPECT_DOUBLE_EQ(n.froc[i].recall, expected[i][1]);
    ASSERT_TRUE(n.froc[i].recall_visible.has_value());
    EXPECT_DOUBLE_EQ(*n.froc[i].recall_visible, expected[i][2]);
    EXPECT_DOUBLE_EQ(n.froc[i].false_alarms_per_scan, expected[i][3]);
  }
  const ClassEvaluation& s = r.classes.at("shielding");
  EXPECT_EQ(s.objects, 1);
  EXPECT_EQ(s.found, 1);
  EXPECT_EQ(r.classes.at("knife").objects, 0);
  ASSERT_EQ(r.classes.at("knife").froc.size(), 1u);  // the point above everything
  // Scan Pd at a fixed Pfa: at 0.8 both threat scans alarm and the empty one (0.7) does not.
  const auto at = r.pd_at_pfa(0.01);
  ASSERT_TRUE(at.has_value());
  EXPECT_DOUBLE_EQ(at->first, 1.0);
  EXPECT_DOUBLE_EQ(at->second, 0.8);
  const json j = r.to_json();
  EXPECT_EQ(j["classes"]["narcotics"]["shielded"]["covered_by_shielding_alarm"], 1);
  EXPECT_DOUBLE_EQ(j["classes"]["narcotics"]["visible"]["recall"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["classes"]["narcotics"]["false_alarms_per_scan"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["pd_at_pfa"][1]["pfa"].get<double>(), 0.05);
  EXPECT_DOUBLE_EQ(j["pd_at_pfa"][1]["pd"].get<double>(), 1.0);
}

// Where a class's misses are: recall per kind of object (a loose part before a concealment
// before a shape), objects without a kind left out of the breakdown.
TEST(Evaluation, RecallPerKindOfObject) {
  auto with = [](json t, const std::string& key, const std::string& value) {
    t[key] = value;
    return t;
  };
  std::vector<ScanRecord> scans;
  scans.push_back(
      scan(1, {{"ground_truth",
                {with(truth("firearm", {0, 0, 10, 10}), "shape", "pistol"),
                 with(with(truth("firearm", {100, 0, 10, 10}), "shape", "part"), "part", "barrel"),
                 with(with(truth("narcotics", {0, 100, 10, 10}), "shape", "brick"), "concealment", "food"),
                 truth("knife", {100, 100, 10, 10})}},
               {"detections", {det("firearm", {0, 0, 10, 10}, 0.9), det("knife", {100, 100, 10, 10}, 0.8)}},
               {"decision", "alarm"}}));
  scans.push_back(scan(2, {{"ground_truth",
                            {with(with(truth("firearm", {0, 0, 10, 10}), "shape", "part"), "part", "barrel"),
                             with(truth("firearm", {100, 0, 10, 10}), "shape", "pistol")}},
                           {"detections", {det("firearm", {0, 0, 10, 10}, 0.7)}},
                           {"decision", "alarm"}}));
  const RunEvaluation r = evaluate_run(scans);
  const auto& firearm = r.classes.at("firearm").kinds;
  ASSERT_EQ(firearm.size(), 2u);
  EXPECT_EQ(firearm.at("pistol"), std::make_pair(2, 1));
  EXPECT_EQ(firearm.at("barrel"), std::make_pair(2, 1));
  EXPECT_EQ(r.classes.at("narcotics").kinds.at("food"), std::make_pair(1, 0));
  EXPECT_TRUE(r.classes.at("knife").kinds.empty());
  const json j = r.to_json();
  EXPECT_EQ(j["classes"]["firearm"]["kinds"]["barrel"]["objects"], 2);
  EXPECT_EQ(j["classes"]["firearm"]["kinds"]["barrel"]["found"], 1);
  EXPECT_DOUBLE_EQ(j["classes"]["firearm"]["kinds"]["barrel"]["recall"].get<double>(), 0.5);
  EXPECT_TRUE(j["classes"]["knife"]["kinds"].empty());
}

}  // namespace
}  // namespace oi::xray::eval
