// Global identities: per identity the cameras and tracklets with a crop each; MTMC IDF1.
#include "global_identities.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>

#include "oi/cctv/mtmc_metrics.hpp"
#include "oi/frame_cv.hpp"
#include "privacy_blur.hpp"

namespace oi::cctv::summary {

void GlobalIdentities::add(const Frame& frame, const std::string& camera, const std::vector<Track>& tracks) {
  const Plane* image = nullptr;
  if (frame.has_plane(plane::kImage)) {
    const Plane& p = frame.plane(plane::kImage);
    if (p.format == PixelFormat::kRGB8 && p.width > 0 && p.height > 0 && p.valid()) image = &p;
  }
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
    if (crop_height_ <= 0 || image == nullptr || t.box.h < 8 || t.box.w < 4) continue;
    if (t.box.h <= it->crop_height * 1.1) continue;
    const cv::Rect r(static_cast<int>(std::lround(t.box.x)), static_cast<int>(std::lround(t.box.y)),
                     static_cast<int>(std::lround(t.box.w)), static_cast<int>(std::lround(t.box.h)));
    if (r.x < 0 || r.y < 0 || r.x + r.width > image->width || r.y + r.height > image->height) continue;
    const double scale = static_cast<double>(crop_height_) / r.height;
    cv::Mat crop;
    cv::resize(as_mat(*image)(r), crop,
               cv::Size(std::max(1, static_cast<int>(std::lround(r.width * scale))), crop_height_), 0, 0,
               cv::INTER_AREA);
    // Privacy by default: a person who matched no watchlist entry is shown blurred.
    if (!matched.count(t.id))
      privacy::blur_boxes(crop, {Box{0, 0, static_cast<double>(crop.cols), static_cast<double>(crop.rows)}});
    cv::cvtColor(crop, crop, cv::COLOR_RGB2BGR);
    std::vector<unsigned char> jpeg;
    if (!cv::imencode(".jpg", crop, jpeg, {cv::IMWRITE_JPEG_QUALITY, 85})) continue;
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
