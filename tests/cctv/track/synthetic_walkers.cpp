#include "synthetic_walkers.hpp"

#include <cmath>
#include <random>

#include "oi/cctv/assignment.hpp"

namespace oi::cctv::test {

bool Walker::box_at(int frame, Box& box) const {
  if (path.empty() || frame < path.front().frame || frame > path.back().frame) return false;
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    const Waypoint& a = path[i];
    const Waypoint& b = path[i + 1];
    if (frame < a.frame || frame > b.frame) continue;
    const double t = b.frame == a.frame ? 0.0 : static_cast<double>(frame - a.frame) / (b.frame - a.frame);
    box = Box{a.x + t * (b.x - a.x), a.y + t * (b.y - a.y), w, h};
    return true;
  }
  box = Box{path.back().x, path.back().y, w, h};  // a single waypoint
  return true;
}

Walker straight_walker(std::int64_t identity, double x, double y, double vx, double vy, int first, int last) {
  Walker w;
  w.identity = identity;
  w.path = {{first, x, y}, {last, x + vx * (last - first), y + vy * (last - first)}};
  return w;
}

std::vector<SyntheticFrame> render(const std::vector<Walker>& walkers, int frames,
                                   const DetectorModel& model) {
  std::mt19937 rng(model.seed);
  std::normal_distribution<double> noise(0.0, model.noise_px);
  std::normal_distribution<double> embedding_noise(0.0, model.embedding_noise);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<SyntheticFrame> out(static_cast<std::size_t>(frames));
  for (int f = 0; f < frames; ++f) {
    SyntheticFrame& frame = out[static_cast<std::size_t>(f)];
    for (const Walker& walker : walkers) {
      Box box;
      if (!walker.box_at(f, box)) continue;
      frame.truth.push_back(GroundTruthPerson{walker.identity, box, 1.0});
      // Draw every random number whether or not the detection is kept, so changing the miss
      // rate does not move the others.
      const double miss = unit(rng);
      Detection d;
      d.box = Box{box.x + noise(rng), box.y + noise(rng), box.w + noise(rng), box.h + noise(rng)};
      d.score = model.score_min + (model.score_max - model.score_min) * unit(rng);
      for (float v : walker.appearance) d.embedding.push_back(static_cast<float>(v + embedding_noise(rng)));
      if (miss < model.miss_rate) continue;
      frame.detections.push_back(std::move(d));
      frame.detection_identity.push_back(walker.identity);
    }
  }
  return out;
}

void IdentityReport::add(const std::vector<GroundTruthPerson>& truth, const std::vector<Track>& tracks) {
  CostMatrix cost(truth.size(), tracks.size());
  for (std::size_t i = 0; i < truth.size(); ++i)
    for (std::size_t j = 0; j < tracks.size(); ++j) {
      const double overlap = iou(truth[i].box, tracks[j].box);
      // CLEAR MOT (and TrackEval): a pair matched in the previous frame is kept while it
      // overlaps enough, so two persons on one spot do not count as swapping.
      const auto last = last_id_.find(truth[i].identity);
      const double continuity = last != last_id_.end() && last->second == tracks[j].id ? 1.0 : 0.0;
      cost.at(i, j) = overlap >= kMatchIou ? 1.0 - overlap - continuity : kInfeasibleCost;
    }
  const Assignment a = solve_assignment_with_limit(cost, 1.0 - kMatchIou);
  for (std::size_t i = 0; i < truth.size(); ++i) {
    const std::int64_t person = truth[i].identity;
    ++frames_in_view[person];
    if (a.row_to_col[i] < 0) continue;
    const std::int64_t id = tracks[static_cast<std::size_t>(a.row_to_col[i])].id;
    ++frames_matched[person];
    ids_of_person[person].insert(id);
    persons_of_id[id].insert(person);
    const auto last = last_id_.find(person);
    if (last != last_id_.end() && last->second != id) ++switches;
    last_id_[person] = id;
  }
  for (std::size_t j = 0; j < tracks.size(); ++j)
    if (a.col_to_row[j] < 0) ++unmatched_tracks;
}

double IdentityReport::coverage(std::int64_t identity) const {
  const auto in_view = frames_in_view.find(identity);
  if (in_view == frames_in_view.end() || in_view->second == 0) return 0.0;
  const auto matched = frames_matched.find(identity);
  return matched == frames_matched.end() ? 0.0 : static_cast<double>(matched->second) / in_view->second;
}

}  // namespace oi::cctv::test
