// Per-camera records and their figures.
#include "camera_record.hpp"

#include <set>

namespace oi::cctv::summary {

NotEvaluated& NotEvaluated::operator+=(const NotEvaluated& o) {
  skipped += o.skipped;
  no_truth += o.no_truth;
  not_annotated += o.not_annotated;
  return *this;
}

nlohmann::json NotEvaluated::to_json() const {
  return {{"skipped", skipped}, {"no_truth", no_truth}, {"not_annotated", not_annotated}, {"total", total()}};
}

EvalSequence CameraRecord::sequence() const {
  EvalSequence seq;
  for (const FrameRecord& f : frames) {
    if (!f.evaluated) continue;
    EvalFrame e;
    for (const TruthPerson& p : f.truth) e.truth.push_back(p.object);
    for (const Track& t : f.tracks) e.tracks.push_back({t.id, t.box});
    seq.push_back(std::move(e));
  }
  return seq;
}

std::int64_t CameraRecord::annotated_frames_missing() const {
  if (truth_file == nullptr) return 0;
  std::set<std::int64_t> seen;
  for (const FrameRecord& f : frames) seen.insert(f.number);
  std::int64_t missing = 0;
  for (const auto& [number, lines] : truth_file->frames) missing += seen.count(number) == 0 ? 1 : 0;
  return missing;
}

std::string CameraRecord::truth_origin() const {
  if (truth_file != nullptr) return "file";
  for (const FrameRecord& f : frames) {
    if (f.evaluated) return "frames";
  }
  return "none";
}

nlohmann::json camera_figures(const DetectionMetrics& detection, const TrackingMetrics& tracking,
                              bool have_tracks, std::int64_t frames, std::int64_t evaluated) {
  using nlohmann::json;
  json j = {{"frames", frames}, {"evaluated_frames", evaluated}};
  const bool have_truth = evaluated > 0;
  j["gt_boxes"] = have_truth ? json(tracking.truth_boxes) : json(nullptr);
  j["gt_persons"] = have_truth ? json(tracking.truth_ids) : json(nullptr);
  j["distractor_boxes"] = have_truth ? json(tracking.distractor_boxes) : json(nullptr);
  const bool have_detection = have_truth && detection.frames > 0;
  j["det_precision"] = have_detection ? json(detection.precision()) : json(nullptr);
  j["det_recall"] = have_detection ? json(detection.recall()) : json(nullptr);
  j["false_boxes_per_frame"] = have_detection ? json(detection.false_per_frame()) : json(nullptr);
  const bool track_figures = have_truth && have_tracks;
  auto figure = [&](const char* key, json value) {
    j[key] = track_figures ? std::move(value) : json(nullptr);
  };
  figure("mota", tracking.clear.mota());
  figure("motp", tracking.clear.motp());
  figure("idf1", tracking.identity.idf1());
  figure("idp", tracking.identity.idp());
  figure("idr", tracking.identity.idr());
  figure("hota", tracking.hota.hota());
  figure("det_a", tracking.hota.det_a());
  figure("ass_a", tracking.hota.ass_a());
  figure("id_switches", tracking.clear.idsw);
  figure("fragmentations", tracking.clear.frag);
  figure("mt", tracking.clear.mt);
  figure("pt", tracking.clear.pt);
  figure("ml", tracking.clear.ml);
  j["detection"] = have_detection ? to_json(detection) : json(nullptr);
  j["tracking"] = track_figures ? to_json(tracking) : json(nullptr);
  return j;
}

}  // namespace oi::cctv::summary
