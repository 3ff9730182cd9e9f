#include "byte_tracker.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "oi/error.hpp"

namespace oi::cctv {
namespace {

bool usable(const Detection& d) {
  return std::isfinite(d.box.x) && std::isfinite(d.box.y) && std::isfinite(d.box.w) &&
         std::isfinite(d.box.h) && d.box.w > 0 && d.box.h > 0 && std::isfinite(d.score);
}

// L2-normalised copy; empty when the vector is empty or zero.
std::vector<float> normalised(const std::vector<float>& v) {
  double norm = 0.0;
  for (float x : v) norm += static_cast<double>(x) * x;
  if (!(norm > 0.0) || !std::isfinite(norm)) return {};
  const double scale = 1.0 / std::sqrt(norm);
  std::vector<float> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(v[i] * scale);
  return out;
}

}  // namespace

double cosine_distance(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.empty() || a.size() != b.size()) return 1.0;
  double dot = 0.0, na = 0.0, nb = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  if (!(na > 0.0) || !(nb > 0.0)) return 1.0;
  const double d = 1.0 - dot / std::sqrt(na * nb);
  return std::isfinite(d) ? std::clamp(d, 0.0, 1.0) : 1.0;
}

std::vector<std::string> problems(const TrackerParams& p) {
  std::vector<std::string> out;
  if (!(p.low_threshold <= p.high_threshold))
    out.push_back("low_threshold (" + std::to_string(p.low_threshold) + ") is above high_threshold (" +
                  std::to_string(p.high_threshold) + "); set low_threshold <= high_threshold");
  if (!(p.new_track_threshold >= p.high_threshold))
    out.push_back("new_track_threshold (" + std::to_string(p.new_track_threshold) +
                  ") is below high_threshold (" + std::to_string(p.high_threshold) +
                  "): only high-score detections start tracks; set new_track_threshold >= high_threshold");
  for (const auto& [name, value] : {std::pair{"match_threshold", p.match_threshold},
                                    std::pair{"low_match_threshold", p.low_match_threshold},
                                    std::pair{"tentative_match_threshold", p.tentative_match_threshold}}) {
    if (!(value >= 0.0 && value <= 2.0))
      out.push_back(std::string(name) + " (" + std::to_string(value) + ") must lie in [0, 2] (a cost)");
  }
  if (p.track_buffer < 0) out.push_back("track_buffer must be >= 0 frames");
  if (p.min_hits < 1) out.push_back("min_hits must be >= 1");
  if (!(p.appearance_weight >= 0.0 && p.appearance_weight <= 1.0))
    out.push_back("appearance_weight must lie in [0, 1]");
  if (!(p.embedding_momentum >= 0.0 && p.embedding_momentum < 1.0))
    out.push_back("embedding_momentum must lie in [0, 1)");
  if (!(p.duplicate_iou > 0.0 && p.duplicate_iou <= 1.0)) out.push_back("duplicate_iou must lie in (0, 1]");
  if (!(p.noise.position > 0.0) || !(p.noise.velocity > 0.0))
    out.push_back("the Kalman noise weights must be > 0");
  return out;
}

ByteTracker::ByteTracker(TrackerParams params) : params_(params) {
  const std::vector<std::string> found = problems(params_);
  if (!found.empty()) {
    std::string text = "tracker parameters: ";
    for (std::size_t i = 0; i < found.size(); ++i) text += (i ? "; " : "") + found[i];
    throw Error(text);
  }
}

void ByteTracker::reset() {
  counters_.tracks_removed += static_cast<std::int64_t>(tracks_.size());
  tracks_.clear();
  first_frame_ = true;
}

double ByteTracker::cost(const TrackedObject& track, const Detection& detection, bool fuse) const {
  const double overlap = iou(track.filter.box(), detection.box);
  // The motion gate: boxes that do not overlap the prediction are never matched, whatever
  // their appearance says (re-identification across gaps is the next stage's job).
  if (overlap <= 0.0) return kInfeasibleCost;
  double c = 1.0 - overlap * (fuse ? std::clamp(detection.score, 0.0, 1.0) : 1.0);
  if (params_.appearance_weight > 0.0 && !track.embedding.empty() &&
      detection.embedding.size() == track.embedding.size()) {
    const double w = params_.appearance_weight;
    c = (1.0 - w) * c + w * cosine_distance(track.embedding, detection.embedding);
  }
  return c;
}

void ByteTracker::match(TrackedObject& track, const Detection& detection, bool update_embedding) {
  track.filter.update(detection.box);
  track.score = detection.score;
  track.last_matched_step = step_;
  ++track.hits;
  if (track.state == State::kLost) {
    ++counters_.tracks_refound;
    track.state = State::kConfirmed;
  } else if (track.state == State::kTentative && track.hits >= params_.min_hits) {
    track.state = State::kConfirmed;
    ++counters_.tracks_confirmed;
  }
  if (!update_embedding || detection.embedding.empty()) return;
  std::vector<float> fresh = normalised(detection.embedding);
  if (fresh.empty()) return;
  if (track.embedding.size() != fresh.size()) {
    track.embedding = std::move(fresh);  // first embedding, or the descriptor changed
    return;
  }
  const double m = params_.embedding_momentum;
  std::vector<float> mixed(fresh.size());
  for (std::size_t i = 0; i < fresh.size(); ++i)
    mixed[i] = static_cast<float>(m * track.embedding[i] + (1.0 - m) * fresh[i]);
  std::vector<float> renormalised = normalised(mixed);
  if (!renormalised.empty()) track.embedding = std::move(renormalised);
}

Track ByteTracker::report(const TrackedObject& t) const {
  Track out;
  out.id = t.id;
  out.box = t.filter.box();
  out.score = t.score;
  out.state = t.state == State::kLost ? track_state::kLost : track_state::kConfirmed;
  out.age = step_ - t.start_step;
  out.embedding = t.embedding;
  return out;
}

std::vector<Track> ByteTracker::update(const std::vector<Detection>& detections, int steps) {
  steps = std::max(steps, 1);
  step_ += steps;
  ++counters_.frames;
  counters_.missed_frames += steps - 1;
  const bool first_frame = std::exchange(first_frame_, false);

  // Tracks unseen for longer than the buffer cannot be re-found (a long gap removes them
  // before they could match); the rest predict up to where the buffer ends.
  const std::int64_t buffer = params_.track_buffer;
  std::erase_if(tracks_, [&](const TrackedObject& t) {
    const bool expired = step_ - t.last_matched_step > buffer + 1;
    if (expired) ++counters_.tracks_removed;
    return expired;
  });
  const int predict_steps = static_cast<int>(std::min<std::int64_t>(steps, buffer + 1));
  for (TrackedObject& t : tracks_) {
    if (t.state == State::kLost) t.filter.freeze_size();
    t.filter.predict(predict_steps);
  }

  // Split the detections by score.
  std::vector<const Detection*> high, low;
  for (const Detection& d : detections) {
    if (!usable(d)) {
      ++counters_.invalid_detections;
      continue;
    }
    if (d.score >= params_.high_threshold)
      high.push_back(&d);
    else if (d.score >= params_.low_threshold)
      low.push_back(&d);
  }

  // Round 1: high-score detections against confirmed and lost tracks.
  std::vector<std::size_t> pool;
  for (std::size_t i = 0; i < tracks_.size(); ++i)
    if (tracks_[i].state != State::kTentative) pool.push_back(i);
  std::vector<char> high_used(high.size(), 0), track_matched(tracks_.size(), 0);
  struct Pair {
    std::size_t track;
    const Detection* detection;
    bool high;
  };
  std::vector<Pair> pairs;  // rounds 1 and 2, applied after the joint pass below
  {
    CostMatrix c(pool.size(), high.size());
    for (std::size_t r = 0; r < pool.size(); ++r)
      for (std::size_t k = 0; k < high.size(); ++k)
        c.at(r, k) = cost(tracks_[pool[r]], *high[k], params_.fuse_score);
    const Assignment a = solve_assignment_with_limit(c, params_.match_threshold);
    for (std::size_t r = 0; r < pool.size(); ++r) {
      if (a.row_to_col[r] < 0) continue;
      const auto k = static_cast<std::size_t>(a.row_to_col[r]);
      pairs.push_back({pool[r], high[k], true});
      high_used[k] = 1;
      track_matched[pool[r]] = 1;
    }
  }

  // Round 2: low-score detections against the tracks still unmatched, IoU only: ByteTrack's
  // point, a partly hidden person scores low but is still where its track is. Unlike
  // ByteTrack, lost tracks take part: a person missed in one frame and hidden behind another
  // from the next is otherwise followed by nobody, and the neighbour's track takes the
  // hidden person's detection.
  const auto low_cost = [](const TrackedObject& track, const Detection& detection) {
    const double overlap = iou(track.filter.box(), detection.box);
    return overlap > 0.0 ? 1.0 - overlap : kInfeasibleCost;
  };
  std::size_t low_pairs = 0;
  {
    std::vector<std::size_t> remaining;
    for (std::size_t i : pool)
      if (!track_matched[i]) remaining.push_back(i);
    CostMatrix c(remaining.size(), low.size());
    for (std::size_t r = 0; r < remaining.size(); ++r)
      for (std::size_t k = 0; k < low.size(); ++k) c.at(r, k) = low_cost(tracks_[remaining[r]], *low[k]);
    const Assignment a = solve_assignment_with_limit(c, params_.low_match_threshold);
    for (std::size_t r = 0; r < remaining.size(); ++r) {
      if (a.row_to_col[r] < 0) continue;
      pairs.push_back({remaining[r], low[static_cast<std::size_t>(a.row_to_col[r])], false});
      track_matched[remaining[r]] = 1;
      ++low_pairs;
    }
  }

  // The joint pass. The rounds decide which detections continue tracks, high scores first;
  // but deciding who gets a high-score detection before the low-score ones are looked at
  // swaps two persons crossing, the one in front detected well, the one behind poorly:
  // the front detection may overlap the wrong prediction a little more. So the tracks and
  // detections the rounds matched are assigned once more, jointly, with the same costs.
  // Without round-2 matches this reproduces round 1 and is skipped.
  if (low_pairs > 0 && pairs.size() > 1) {
    CostMatrix c(pairs.size(), pairs.size());
    for (std::size_t r = 0; r < pairs.size(); ++r) {
      const TrackedObject& track = tracks_[pairs[r].track];
      for (std::size_t k = 0; k < pairs.size(); ++k) {
        const Pair& column = pairs[k];
        double value = kInfeasibleCost;
        if (column.high) {
          value = cost(track, *column.detection, params_.fuse_score);
          if (value > params_.match_threshold) value = kInfeasibleCost;
        } else {
          value = low_cost(track, *column.detection);
          if (value > params_.low_match_threshold) value = kInfeasibleCost;
        }
        c.at(r, k) = value;
      }
    }
    const Assignment a = solve_assignment(c);  // feasible: the rounds' own pairs are
    if (a.feasible) {
      std::vector<Pair> joint;
      for (std::size_t r = 0; r < pairs.size(); ++r) {
        const Pair& column = pairs[static_cast<std::size_t>(a.row_to_col[r])];
        if (a.row_to_col[r] != static_cast<int>(r)) ++counters_.joint_reassignments;
        joint.push_back({pairs[r].track, column.detection, column.high});
      }
      pairs = std::move(joint);
    }
  }
  for (const Pair& pair : pairs) {
    match(tracks_[pair.track], *pair.detection, pair.high);
    if (!pair.high) ++counters_.low_score_matches;
  }

  // Confirmed tracks left unmatched are lost from now on.
  for (std::size_t i : pool) {
    if (!track_matched[i] && tracks_[i].state == State::kConfirmed) {
      tracks_[i].state = State::kLost;
      tracks_[i].filter.freeze_size();
    }
  }

  // Round 3: the remaining high-score detections against tentative tracks.
  std::vector<std::size_t> tentative;
  for (std::size_t i = 0; i < tracks_.size(); ++i)
    if (tracks_[i].state == State::kTentative) tentative.push_back(i);
  std::vector<std::size_t> high_left;
  for (std::size_t k = 0; k < high.size(); ++k)
    if (!high_used[k]) high_left.push_back(k);
  {
    CostMatrix c(tentative.size(), high_left.size());
    for (std::size_t r = 0; r < tentative.size(); ++r)
      for (std::size_t k = 0; k < high_left.size(); ++k)
        c.at(r, k) = cost(tracks_[tentative[r]], *high[high_left[k]], params_.fuse_score);
    const Assignment a = solve_assignment_with_limit(c, params_.tentative_match_threshold);
    for (std::size_t r = 0; r < tentative.size(); ++r) {
      if (a.row_to_col[r] < 0) continue;
      const std::size_t k = high_left[static_cast<std::size_t>(a.row_to_col[r])];
      match(tracks_[tentative[r]], *high[k], true);
      high_used[k] = 1;
      track_matched[tentative[r]] = 1;
    }
  }

  // Drop what did not survive: unmatched tentative tracks, lost tracks past the buffer.
  std::vector<TrackedObject> kept;
  kept.reserve(tracks_.size() + high.size());
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    TrackedObject& t = tracks_[i];
    const bool dead = (t.state == State::kTentative && !track_matched[i]) ||
                      (t.state == State::kLost && step_ - t.last_matched_step > buffer);
    if (dead)
      ++counters_.tracks_removed;
    else
      kept.push_back(std::move(t));
  }
  tracks_ = std::move(kept);

  // New tracks from the high-score detections nobody claimed.
  for (std::size_t k = 0; k < high.size(); ++k) {
    if (high_used[k] || high[k]->score < params_.new_track_threshold) continue;
    TrackedObject t(next_id_++, high[k]->box, params_.noise);
    t.score = high[k]->score;
    t.hits = 1;
    t.start_step = step_;
    t.last_matched_step = step_;
    t.state = first_frame || params_.min_hits <= 1 ? State::kConfirmed : State::kTentative;
    ++counters_.tracks_started;
    if (t.state == State::kConfirmed) ++counters_.tracks_confirmed;
    if (!high[k]->embedding.empty()) t.embedding = normalised(high[k]->embedding);
    tracks_.push_back(std::move(t));
  }

  // One person held twice (a new confirmed track on a lost one's prediction): keep the older.
  std::vector<char> duplicate(tracks_.size(), 0);
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    if (tracks_[i].state != State::kConfirmed || tracks_[i].last_matched_step != step_) continue;
    for (std::size_t j = 0; j < tracks_.size(); ++j) {
      if (tracks_[j].state != State::kLost || duplicate[j] || duplicate[i]) continue;
      if (iou(tracks_[i].filter.box(), tracks_[j].filter.box()) <= params_.duplicate_iou) continue;
      const bool i_younger = tracks_[i].start_step > tracks_[j].start_step;
      duplicate[i_younger ? i : j] = 1;
    }
  }
  std::vector<Track> out;
  std::vector<TrackedObject> survivors;
  survivors.reserve(tracks_.size());
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    if (duplicate[i]) {
      ++counters_.tracks_removed;
      continue;
    }
    survivors.push_back(std::move(tracks_[i]));
  }
  tracks_ = std::move(survivors);

  for (const TrackedObject& t : tracks_)
    if (t.state == State::kConfirmed && t.last_matched_step == step_) out.push_back(report(t));
  std::sort(out.begin(), out.end(), [](const Track& a, const Track& b) { return a.id < b.id; });
  if (params_.output_lost) {
    const std::size_t confirmed = out.size();
    for (const TrackedObject& t : tracks_)
      if (t.state == State::kLost) out.push_back(report(t));
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(confirmed), out.end(),
              [](const Track& a, const Track& b) { return a.id < b.id; });
  }
  return out;
}

}  // namespace oi::cctv
