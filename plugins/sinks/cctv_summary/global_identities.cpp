// Global identities: per identity the cameras and tracklets with a crop each; MTMC IDF1.
#include "global_identities.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "oi/cctv/mtmc_metrics.hpp"
#include "thumbnails.hpp"

namespace oi::cctv::summary {

void GlobalIdentities::add(const Frame& frame, const std::string& camera, const std::vector<Track>& tracks) {
  const Plane* image = rgb8_image(frame);
  std::set<std::int64_t> matched;
  try {
    for (const WatchlistHit& hit : watchlist_hits_of(frame.metadata()))
      if (hit.status != "rejected") matched.insert(hit.track);
  } catch (const std::exception&) {
    image = nullptr;  // a malformed hit list: no crop rather than an unblurred one
  }
  for (const Track& t : tracks) {
    if (t.global_identity < 0) continue;
    GlobalIdentity& g = identities_[t.global_identity];
    g.id = t.global_identity;
    if (std::find(g.cameras.begin(), g.cameras.end(), camera) == g.cameras.end()) g.cameras.push_back(camera);
    auto it = std::find_if(g.tracklets.begin(), g.tracklets.end(), [&](const IdentityTracklet& x) {
      return x.camera == camera && x.track_id == t.id;
    });
    if (it == g.tracklets.end()) {
      g.tracklets.push_back({camera, t.id, 0, 0.0, {}});
      it = std::prev(g.tracklets.end());
    }
    ++it->frames;
    // Keep the crop of the tallest box wholly inside the picture (10 % taller to replace it).
    // Privacy by default: a person who matched no watchlist entry is shown blurred.
    if (image == nullptr || t.box.h <= it->crop_height * 1.1) continue;
    std::vector<unsigned char> jpeg = person_crop_jpeg(*image, t.box, crop_height_, !matched.count(t.id));
    if (jpeg.empty()) continue;
    it->jpeg = std::move(jpeg);
    it->crop_height = t.box.h;
  }
}

std::vector<const GlobalIdentity*> GlobalIdentities::reunited() const {
  std::vector<const GlobalIdentity*> out;
  for (const auto& [id, g] : identities_) {
    if (g.tracklets.size() > 1) out.push_back(&g);
  }
  return out;
}

nlohmann::json cross_camera_figures(const std::vector<const CameraRecord*>& cameras) {
  std::vector<const CameraRecord*> usable;
  for (const CameraRecord* c : cameras) {
    if (!c->tracking_truth || c->frames_with_tracks == 0) continue;
    if (c->truth_origin() == "frames" || cameras.size() == 1) usable.push_back(c);
  }
  bool any_global = false;
  std::vector<CameraFrames> frames;
  for (const CameraRecord* c : usable) {
    CameraFrames cf;
    cf.camera = c->name;
    for (const FrameRecord& f : c->frames) {
      if (!f.evaluated) continue;
      CameraFrame frame;
      for (const TruthPerson& p : f.truth) frame.truth.push_back(p.object);
      frame.tracks = f.tracks;
      for (const Track& t : f.tracks) any_global = any_global || t.global_identity >= 0;
      cf.frames.push_back(std::move(frame));
    }
    frames.push_back(std::move(cf));
  }
  if (frames.empty() || !any_global) return nullptr;
  const IdentityMetrics m = evaluate_cross_camera_identity(frames);
  nlohmann::json j = to_json(m);
  std::vector<std::string> names;
  for (const CameraFrames& cf : frames) names.push_back(cf.camera);
  j["cameras"] = names;
  j["definition"] =
      "Identity metric (Ristani et al. 2016) over every camera's frames together: truth persons are "
      "site-wide, tracker identities are the tracks' global_identity (a track without one counts as an "
      "identity of its own); IoU >= 0.5";
  return j;
}

}  // namespace oi::cctv::summary
