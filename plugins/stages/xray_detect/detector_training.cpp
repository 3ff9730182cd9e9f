// Simulated data sets through the real chain's CPU references (xray.correct, xray.materials)
// and candidate labelling for oi-train-detector and the accuracy benchmark
// (docs/detection.md, "Training").
#include "detector_training.hpp"

#include <algorithm>
#include <set>

#include "materials_cpu.hpp"
#include "oi/error.hpp"
#include "oi/xray/contract.hpp"

namespace oi::xray::training {
namespace {

namespace fs = std::filesystem;

}  // namespace

ClassifiedScan classify_materials(const cv::Mat& a_high, const cv::Mat& a_low, const MaterialTable& table) {
  constexpr int kStageRadius = 2;  // xray.materials' default smoothing_radius
  ClassifiedScan s;
  s.a_high = a_high;
  s.a_low = a_low;
  s.zeff.create(a_high.size(), CV_32F);
  s.material_class.create(a_high.size(), CV_8U);
  s.areal_density.create(a_high.size(), CV_32F);
  materials_reference(a_high, a_low, table, ClassThresholds{}, kStageRadius, s.zeff, s.material_class,
                      s.areal_density);
  return s;
}

MaterialTable load_material_table(const fs::path& calibration) {
  return MaterialTable::build(MaterialCalibration::load(calibration));
}

bool counts_for_recall(const nlohmann::json& truth, double hidden_limit) {
  return truth.value("class", "") == threat::kShielding || truth.value("hidden_fraction", 0.0) < hidden_limit;
}

std::vector<std::vector<int>> match_candidates(const std::vector<Candidate>& candidates,
                                               const nlohmann::json& ground_truth) {
  std::vector<std::vector<int>> out(candidates.size());
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    for (std::size_t t = 0; t < ground_truth.size(); ++t) {
      const nlohmann::json& truth = ground_truth[t];
      if (truth.value("class", "") != candidates[i].threat_class) continue;
      if (matches(to_box(candidates[i].box), to_box(box_from_json(truth.at("box")))))
        out[i].push_back(static_cast<int>(t));
    }
  }
  return out;
}

namespace {

// Validation regions of one class: score and matched truth ids (numbered over all validation
// scans), the truths that count for recall and those some candidate reaches.
struct ValidationSet {
  std::vector<std::pair<float, std::vector<int>>> regions;
  std::set<int> truths, reachable;
};

struct Choice {
  float threshold = 1.01f;
  double recall = -1, false_alarms_per_scan = 0;
};

// The highest recall whose false alarms per scan stay within `budget` (ties: fewer false
// alarms, then the middle of the thresholds with equal figures).
Choice choose_threshold(const ValidationSet& v, int scans, double budget) {
  std::vector<float> cuts{1.01f};
  for (const auto& r : v.regions) cuts.push_back(r.first);
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  Choice best;
  float plateau_end = best.threshold;  // highest threshold giving best's recall and false alarms
  for (float t : cuts) {
    std::set<int> found;
    int false_alarms = 0;
    for (const auto& [score, truths] : v.regions) {
      if (score < t) continue;
      if (truths.empty()) ++false_alarms;
      for (int id : truths)
        if (v.truths.count(id)) found.insert(id);
    }
    const double recall = v.truths.empty() ? 1.0 : double(found.size()) / double(v.truths.size());
    const double fa = double(false_alarms) / std::max(1, scans);
    if (fa > budget) continue;
    if (recall > best.recall || (recall == best.recall && fa < best.false_alarms_per_scan)) {
      best = {t, recall, fa};
      plateau_end = t;
    } else if (recall == best.recall && fa == best.false_alarms_per_scan) {
      plateau_end = t;
    }
  }
  if (best.recall < 0) return {1.01f, 0.0, 0.0};
  // The middle of the plateau of equal figures: the validation scans cannot tell its
  // thresholds apart, and the middle keeps a margin on both sides for unseen scans.
  if (plateau_end < 1.0f) best.threshold = 0.5f * (best.threshold + plateau_end);
  return best;
}

// One scan through the chain: its candidates (with features), their matches, its truths.
struct LabelledScan {
  std::vector<Candidate> candidates;
  std::vector<std::vector<int>> matches;
  nlohmann::json truth;
};
LabelledScan label_scan(const CorrectedDataset::Scan& scan, const MaterialTable& table,
                        const DetectorParams& params) {
  LabelledScan out;
  const ClassifiedScan classified = classify_materials(scan.a_high, scan.a_low, table);
  out.candidates = find_candidates(classified, compute_maps(classified, params), params, true);
  out.truth = scan.json.value(attr::kGroundTruth, nlohmann::json::array());
  out.matches = match_candidates(out.candidates, out.truth);
  return out;
}

}  // namespace

nlohmann::json TrainingResult::provenance() const {
  nlohmann::json classes_json = nlohmann::json::object();
  for (const auto& [cls, r] : classes)
    classes_json[cls] = {
        {"positives", r.positives},      {"negatives", r.negatives},
        {"threshold", r.threshold},      {"validation_candidate_recall", r.candidate_recall},
        {"validation_recall", r.recall}, {"validation_false_alarms_per_scan", r.false_alarms_per_scan}};
  return {{"tool", "oi-train-detector"},
          {"training_scans", training_scans},
          {"validation_scans", validation_scans},
          {"classes", classes_json},
          {"classes_left_out", left_out}};
}

TrainingResult train_region_classifier(const TrainingOptions& options) {
  const MaterialTable table = load_material_table(options.calibration);
  const DetectorParams params;  // candidates as the stage generates them by default
  TrainingResult result;
  std::map<std::string, std::vector<RegionClassifier::Sample>> samples;
  // Every data set is opened (and its index checked) before hours of work start.
  const auto open_all = [](const std::vector<fs::path>& dirs, const char* role) {
    std::vector<CorrectedDataset> sets;
    for (const fs::path& dir : dirs) {
      sets.emplace_back(dir);
      if (sets.back().size() == 0)
        throw Error(role + std::string(" data set ") + dir.string() +
                    " lists no scans; write one with samples/sim_dataset/pipeline.yaml (docs/detection.md, "
                    "\"Training\")");
    }
    if (sets.empty()) throw Error(std::string("no ") + role + " data set given");
    return sets;
  };
  const std::vector<CorrectedDataset> training_sets = open_all(options.training, "training");
  const std::vector<CorrectedDataset> validation_sets = open_all(options.validation, "validation");
  for (const CorrectedDataset& data : training_sets) {
    const fs::path& dir = data.dir();
    for (std::size_t i = 0; i < data.size(); ++i) {
      const LabelledScan s = label_scan(data.scan(i), table, params);
      ++result.training_scans;
      for (std::size_t c = 0; c < s.candidates.size(); ++c) {
        double best_iou = 0;
        for (int t : s.matches[c])
          best_iou = std::max(best_iou,
                              iou(to_box(s.candidates[c].box), to_box(box_from_json(s.truth[t].at("box")))));
        if (!s.matches[c].empty() && best_iou < kMinIou) continue;  // matched by its centre only: left out
        samples[s.candidates[c].threat_class].push_back({s.candidates[c].features, !s.matches[c].empty()});
      }
    }
    if (options.progress) options.progress(dir, data.size());
  }
  // Knives are optional: scans simulated without them (sim.xray `knives: false`) give knife
  // candidates (long metal) but no knife, and the model then leaves knives out, saying so.
  if (const auto k = samples.find(threat::kKnife); k != samples.end()) {
    if (std::none_of(k->second.begin(), k->second.end(), [](const auto& x) { return x.positive; })) {
      result.left_out[threat::kKnife] =
          "no knife in the training scans (simulate them with sim.xray `knives: true`): the model does not "
          "detect knives";
      samples.erase(k);
    }
  }
  for (const auto& [cls, rows] : samples) {
    ClassReport& r = result.classes[cls];
    r.positives =
        static_cast<int>(std::count_if(rows.begin(), rows.end(), [](const auto& x) { return x.positive; }));
    r.negatives = static_cast<int>(rows.size()) - r.positives;
  }
  result.model = RegionClassifier::train(samples, candidate_settings(params), options.forest);

  std::map<std::string, ValidationSet> validation;
  int truth_base = 0;
  for (const CorrectedDataset& data : validation_sets) {
    const fs::path& dir = data.dir();
    for (std::size_t i = 0; i < data.size(); ++i) {
      const LabelledScan s = label_scan(data.scan(i), table, params);
      ++result.validation_scans;
      for (std::size_t t = 0; t < s.truth.size(); ++t)
        if (counts_for_recall(s.truth[t], 0.5))
          validation[s.truth[t].value("class", "")].truths.insert(truth_base + int(t));
      // Scored as xray.detect scores them, duplicates suppressed as it suppresses them (over
      // all scores: a threshold applied afterwards keeps the same regions, see find_regions()).
      std::vector<Detection> scored;
      for (const Candidate& c : s.candidates)
        scored.push_back({c.threat_class, c.box, result.model->score(c.threat_class, c.features)});
      for (std::size_t c = 0; c < s.candidates.size(); ++c) {
        std::vector<int> ids;
        for (int t : s.matches[c]) ids.push_back(truth_base + t);
        validation[s.candidates[c].threat_class].reachable.insert(ids.begin(), ids.end());
      }
      for (std::size_t c : distinct_detections(scored)) {
        std::vector<int> ids;
        for (int t : s.matches[c]) ids.push_back(truth_base + t);
        validation[s.candidates[c].threat_class].regions.push_back({scored[c].score, std::move(ids)});
      }
      truth_base += static_cast<int>(s.truth.size());
    }
    if (options.progress) options.progress(dir, data.size());
  }
  for (auto& [cls, r] : result.classes) {
    if (!result.model->has_class(cls)) continue;
    const ValidationSet& v = validation[cls];
    const auto budget = options.false_alarm_budget.find(cls);
    const double allowed = budget == options.false_alarm_budget.end() ? 0.03 : budget->second;
    // A threshold chosen without truths, or above every score, would switch the class off
    // without a word: refuse to write such a model.
    if (v.truths.empty())
      throw Error("class '" + cls + "': the validation data sets hold no " + cls +
                  " object that counts for recall, so its score threshold cannot be chosen; validate on more "
                  "scans with threats (e.g. threat_rate 0.5, 300 scans)");
    const Choice c = choose_threshold(v, result.validation_scans, allowed);
    if (c.threshold > 1.0f || c.recall <= 0.0)
      throw Error("class '" + cls + "': no score threshold finds any validation " + cls + " object within " +
                  std::to_string(allowed) + " false alarms per scan; allow more false alarms (--" + cls +
                  "-false-alarms) or train on more scans");
    result.model->set_threshold(cls, c.threshold);
    r.threshold = c.threshold;
    r.recall = c.recall;
    r.false_alarms_per_scan = c.false_alarms_per_scan;
    int reachable = 0;
    for (int id : v.reachable) reachable += v.truths.count(id) ? 1 : 0;
    r.candidate_recall = v.truths.empty() ? 1.0 : double(reachable) / double(v.truths.size());
    for (double b : {0.01, 0.03, 0.05, 0.1, 0.2, 0.5}) {
      const Choice d = choose_threshold(v, result.validation_scans, b);
      r.curve.push_back({b, d.threshold, d.recall, d.false_alarms_per_scan});
    }
  }
  return result;
}

}  // namespace oi::xray::training
