#include "oi/cctv/mtmc_metrics.hpp"

#include <set>

#include "oi/error.hpp"

namespace oi::cctv {

namespace {

// Ids of tracks without a global identity: negative, one per (camera, track id), clear of the
// global identities (which are >= 0).
std::int64_t own_identity(std::size_t camera, std::int64_t track_id) {
  constexpr std::int64_t kTrackIdsPerCamera = std::int64_t{1} << 40;
  return -1 -
         (static_cast<std::int64_t>(camera) * kTrackIdsPerCamera + (track_id & (kTrackIdsPerCamera - 1)));
}

}  // namespace

EvalSequence cross_camera_sequence(const std::vector<CameraFrames>& cameras) {
  EvalSequence sequence;
  for (std::size_t c = 0; c < cameras.size(); ++c) {
    const CameraFrames& camera = cameras[c];
    for (std::size_t f = 0; f < camera.frames.size(); ++f) {
      const CameraFrame& frame = camera.frames[f];
      EvalFrame out;
      out.truth = frame.truth;
      std::set<std::int64_t> seen;
      for (const Track& t : frame.tracks) {
        const std::int64_t id = t.global_identity >= 0 ? t.global_identity : own_identity(c, t.id);
        if (!seen.insert(id).second) {
          throw Error(
              "cross-camera identity: camera '" + camera.camera + "' frame " + std::to_string(f) +
              " holds global identity " + std::to_string(id) +
              " on two tracks; one person cannot be in two places of one picture (fix the association)");
        }
        out.tracks.push_back({id, t.box});
      }
      sequence.push_back(std::move(out));
    }
  }
  return sequence;
}

IdentityMetrics evaluate_cross_camera_identity(const std::vector<CameraFrames>& cameras) {
  return evaluate_identity(cross_camera_sequence(cameras));
}

}  // namespace oi::cctv
