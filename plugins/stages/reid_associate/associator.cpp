#include "associator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "oi/cctv/assignment.hpp"

namespace oi::cctv::reid {

std::vector<std::string> problems(const AssociatorParams& p) {
  std::vector<std::string> out;
  if (p.min_observations < 1) out.push_back("`min_observations` must be at least 1");
  if (!(p.max_distance >= 0.0 && p.max_distance <= 2.0))
    out.push_back("`max_distance` must lie in [0, 2] (a cosine distance)");
  if (p.gallery_per_identity < 1) out.push_back("`gallery_per_identity` must be at least 1");
  if (!(p.tracklet_end_s > 0.0)) out.push_back("`tracklet_end_s` must be above 0");
  if (p.tracklet_keep_s < p.tracklet_end_s)
    out.push_back(
        "`tracklet_keep_s` must not be below `tracklet_end_s` (an ended tracklet is kept after it ends)");
  if (!(p.forget_after_s > 0.0)) out.push_back("`forget_after_s` must be above 0");
  if (p.max_identities < 1) out.push_back("`max_identities` must be at least 1");
  return out;
}

nlohmann::json AssociatorStats::to_json() const {
  return {{"tracklets", tracklets},
          {"matched_tracklets", matched_tracklets},
          {"identities_created", identities_created},
          {"joined_across_cameras", joined_across_cameras},
          {"reentries", reentries},
          {"merged_at_end", merged_at_end},
          {"refound_tracklets", refound},
          {"identities_forgotten", forgotten},
          {"identities_evicted", evicted},
          {"tracklets_without_embedding", without_embedding},
          {"bad_embeddings", bad_embeddings}};
}

namespace {

constexpr double kNsPerS = 1e9;

double seconds_between(std::int64_t from_ns, std::int64_t to_ns) {
  return static_cast<double>(to_ns - from_ns) / kNsPerS;
}

// Cosine distance of two L2-normalised vectors: 1 - a.b, in [0, 2].
double cosine_distance(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) dot += static_cast<double>(a[i]) * b[i];
  return std::clamp(1.0 - dot, 0.0, 2.0);
}

}  // namespace

std::vector<float> Associator::Tracklet::mean() const {
  if (embedded == 0) return {};
  double norm = 0.0;
  for (double v : sum) norm += v * v;
  norm = std::sqrt(norm);
  if (!(norm > 0.0)) return {};
  std::vector<float> out(sum.size());
  for (std::size_t i = 0; i < sum.size(); ++i) out[i] = static_cast<float>(sum[i] / norm);
  return out;
}

Associator::Associator(AssociatorParams params, SiteMap site) : params_(params), site_(std::move(site)) {}

void Associator::update(const std::string& camera, std::int64_t time_ns, std::vector<Track>& tracks) {
  camera_clock_[camera] = std::max(camera_clock_[camera], time_ns);
  std::vector<Tracklet*> ready;
  std::vector<Tracklet*> of_track(tracks.size(), nullptr);
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    const Track& track = tracks[i];
    const Key key{camera, track.id};
    auto [it, inserted] = tracklets_.try_emplace(key);
    Tracklet& t = it->second;
    if (inserted) {
      t.camera = camera;
      t.track_id = track.id;
      t.first_ns = time_ns;
      ++stats_.tracklets;
    } else if (t.ended) {
      // The tracker found the track again: the same tracklet, the same identity.
      t.ended = false;
      ++stats_.refound;
      if (auto id = identities_.find(t.identity); id != identities_.end()) {
        bool taken = false;  // meanwhile another track of this camera joined the identity
        for (const Key& other : id->second.live) taken = taken || other.first == camera;
        if (taken) {
          // One person cannot be two tracks of one picture: this one is matched afresh.
          t.identity = -1;
          t.observations = 0;
          t.sum.clear();
          t.embedded = 0;
          t.first_ns = time_ns;
        } else {
          id->second.live.insert(key);
        }
      }
    }
    t.last_ns = std::max(t.last_ns, time_ns);
    ++t.observations;
    if (!track.embedding.empty()) {
      double norm = 0.0;
      bool finite = true;
      for (float v : track.embedding) {
        finite = finite && std::isfinite(v);
        norm += static_cast<double>(v) * v;
      }
      if (dimension_ == 0 && finite && norm > 0.0) dimension_ = track.embedding.size();
      if (!finite || !(norm > 0.0) || track.embedding.size() != dimension_) {
        ++stats_.bad_embeddings;
      } else {
        norm = std::sqrt(norm);
        if (t.sum.empty()) t.sum.assign(dimension_, 0.0);
        for (std::size_t k = 0; k < dimension_; ++k) t.sum[k] += track.embedding[k] / norm;
        ++t.embedded;
      }
    }
    if (t.identity >= 0) {
      if (auto id = identities_.find(t.identity); id != identities_.end()) {
        if (time_ns >= id->second.last_ns) {
          id->second.last_ns = time_ns;
          id->second.last_camera = camera;
        }
      }
    } else if (t.observations >= params_.min_observations) {
      ready.push_back(&t);
    }
    of_track[i] = &t;
  }
  if (!ready.empty()) match(ready);
  // One identity, one track per picture: should two tracks of this frame share one, the
  // younger tracklet is matched afresh.
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      Tracklet* a = of_track[i];
      Tracklet* b = of_track[j];
      if (a->identity < 0 || a->identity != b->identity) continue;
      Tracklet& younger = a->first_ns >= b->first_ns ? *a : *b;
      if (auto id = identities_.find(younger.identity); id != identities_.end())
        id->second.live.erase({younger.camera, younger.track_id});
      younger.identity = -1;
      younger.observations = 0;
      younger.sum.clear();
      younger.embedded = 0;
      younger.first_ns = time_ns;
    }
  }
  for (std::size_t i = 0; i < tracks.size(); ++i) tracks[i].global_identity = of_track[i]->identity;
  expire(camera, time_ns);
}

bool Associator::admissible(const Tracklet& t, const Identity& identity) const {
  // Never an identity that is visible while this tracklet is, in a camera that does not see
  // the same floor (its own camera included: one person, one track).
  for (const Key& key : identity.live) {
    const auto it = tracklets_.find(key);
    if (it == tracklets_.end()) continue;
    // A tracklet not yet ended may still be in its picture (a track the tracker misses for a
    // few frames comes back with its id): the person cannot be here as well.
    const Tracklet& other = it->second;
    if (!site_.overlapping(other.camera, t.camera)) return false;
  }
  if (identity.tracklets == 0) return false;
  const double gap_s = seconds_between(identity.last_ns, t.first_ns);
  if (identity.last_camera == t.camera) return site_.reentry.contains(gap_s);
  if (site_.overlapping(identity.last_camera, t.camera)) return gap_s <= site_.reentry.max_s;
  const auto window = site_.transit(identity.last_camera, t.camera);
  return window && window->contains(gap_s);
}

double Associator::cost(const Tracklet& t, const Identity& identity) const {
  const std::vector<float> mine = t.mean();
  if (mine.empty()) return kInfeasibleCost;
  double best = kInfeasibleCost;
  for (const std::vector<float>& g : identity.gallery) {
    if (g.size() == mine.size()) best = std::min(best, cosine_distance(mine, g));
  }
  for (const Key& key : identity.live) {
    const auto it = tracklets_.find(key);
    if (it == tracklets_.end() || &it->second == &t) continue;
    const std::vector<float> other = it->second.mean();
    if (other.size() == mine.size()) best = std::min(best, cosine_distance(mine, other));
  }
  return best;
}

void Associator::assign(Tracklet& t, Identity& identity) {
  if (identity.tracklets > 0) {
    if (identity.last_camera == t.camera) {
      ++stats_.reentries;
    } else {
      ++stats_.joined_across_cameras;
    }
  } else {
    identity.first_ns = t.first_ns;
  }
  ++stats_.matched_tracklets;
  ++identity.tracklets;
  t.identity = identity.id;
  identity.live.insert({t.camera, t.track_id});
  if (std::find(identity.cameras.begin(), identity.cameras.end(), t.camera) == identity.cameras.end())
    identity.cameras.push_back(t.camera);
  if (t.last_ns >= identity.last_ns) {
    identity.last_ns = t.last_ns;
    identity.last_camera = t.camera;
  }
}

void Associator::match(std::vector<Tracklet*>& ready) {
  // Candidates: every identity some ready tracklet may join.
  std::vector<std::int64_t> columns;
  std::vector<std::vector<std::pair<std::size_t, double>>> admissible_pairs(ready.size());
  std::map<std::int64_t, std::size_t> column_of;
  for (std::size_t r = 0; r < ready.size(); ++r) {
    for (const auto& [id, identity] : identities_) {
      if (!admissible(*ready[r], identity)) continue;
      const double c = cost(*ready[r], identity);
      if (!(c <= params_.max_distance)) continue;
      auto [it, inserted] = column_of.try_emplace(id, columns.size());
      if (inserted) columns.push_back(id);
      admissible_pairs[r].emplace_back(it->second, c);
    }
  }
  std::vector<int> row_to_col(ready.size(), -1);
  if (!columns.empty()) {
    CostMatrix matrix(ready.size(), columns.size(), kInfeasibleCost);
    for (std::size_t r = 0; r < ready.size(); ++r) {
      for (const auto& [c, value] : admissible_pairs[r]) matrix.at(r, c) = value;
    }
    row_to_col = solve_assignment_with_limit(matrix, params_.max_distance).row_to_col;
  }
  for (std::size_t r = 0; r < ready.size(); ++r) {
    Tracklet& t = *ready[r];
    if (row_to_col[r] >= 0) {
      assign(t, identities_.at(columns[static_cast<std::size_t>(row_to_col[r])]));
      continue;
    }
    if (t.embedded == 0) ++stats_.without_embedding;
    Identity fresh;
    fresh.id = next_identity_++;
    fresh.first_ns = t.first_ns;
    Identity& identity = identities_.emplace(fresh.id, std::move(fresh)).first->second;
    ++stats_.identities_created;
    assign(t, identity);
  }
  enforce_cap();
}

void Associator::end_tracklet(Tracklet& t) {
  t.ended = true;
  auto it = identities_.find(t.identity);
  if (it == identities_.end()) return;
  if (params_.rematch_at_end && it->second.tracklets == 1) it = rematch(t, it);
  Identity& identity = it->second;
  identity.live.erase({t.camera, t.track_id});
  std::vector<float> mean = t.mean();
  if (mean.empty()) return;
  identity.gallery.push_back(std::move(mean));
  while (identity.gallery.size() > static_cast<std::size_t>(params_.gallery_per_identity))
    identity.gallery.pop_front();
}

std::map<std::int64_t, Associator::Identity>::iterator Associator::rematch(
    Tracklet& t, std::map<std::int64_t, Identity>::iterator own) {
  auto best = identities_.end();
  double best_cost = params_.max_distance;
  for (auto it = identities_.begin(); it != identities_.end(); ++it) {
    if (it == own || it->second.first_ns >= own->second.first_ns) continue;  // older identities only
    if (!admissible(t, it->second)) continue;
    const double c = cost(t, it->second);
    if (c <= best_cost) {
      best_cost = c;
      best = it;
    }
  }
  if (best == identities_.end()) return own;
  Identity& into = best->second;
  const Identity& from = own->second;
  ++stats_.merged_at_end;
  if (into.last_camera == t.camera) {
    ++stats_.reentries;
  } else {
    ++stats_.joined_across_cameras;
  }
  for (const std::string& c : from.cameras) {
    if (std::find(into.cameras.begin(), into.cameras.end(), c) == into.cameras.end())
      into.cameras.push_back(c);
  }
  into.tracklets += from.tracklets;
  if (from.last_ns >= into.last_ns) {
    into.last_ns = from.last_ns;
    into.last_camera = from.last_camera;
  }
  into.live.insert({t.camera, t.track_id});
  t.identity = into.id;
  identities_.erase(own);
  return best;
}

void Associator::expire(const std::string& camera, std::int64_t now_ns) {
  for (auto it = tracklets_.begin(); it != tracklets_.end();) {
    Tracklet& t = it->second;
    if (t.camera != camera) {
      ++it;
      continue;
    }
    const double unseen_s = seconds_between(t.last_ns, now_ns);
    if (!t.ended && unseen_s > params_.tracklet_end_s) end_tracklet(t);
    if (t.ended && unseen_s > params_.tracklet_keep_s) {
      it = tracklets_.erase(it);
    } else {
      ++it;
    }
  }
  std::int64_t site_now = now_ns;
  for (const auto& [name, clock] : camera_clock_) site_now = std::max(site_now, clock);
  for (auto it = identities_.begin(); it != identities_.end();) {
    const Identity& identity = it->second;
    if (identity.live.empty() && seconds_between(identity.last_ns, site_now) > params_.forget_after_s) {
      ++stats_.forgotten;
      it = identities_.erase(it);
    } else {
      ++it;
    }
  }
}

void Associator::enforce_cap() {
  while (identities_.size() > static_cast<std::size_t>(params_.max_identities)) {
    auto oldest = identities_.begin();
    for (auto it = identities_.begin(); it != identities_.end(); ++it) {
      if (it->second.last_ns < oldest->second.last_ns) oldest = it;
    }
    ++stats_.evicted;
    identities_.erase(oldest);
  }
}

std::vector<IdentityInfo> Associator::identity_list() const {
  std::vector<IdentityInfo> out;
  for (const auto& [id, identity] : identities_)
    out.push_back({id, identity.cameras, identity.tracklets, identity.first_ns, identity.last_ns});
  return out;
}

}  // namespace oi::cctv::reid
