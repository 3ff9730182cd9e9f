#pragma once
// The global identities of a run as sink.cctv_summary reports them (reid.associate sets them
// on the tracks): per identity the cameras it was seen in and its tracklets (camera, track id),
// with a crop of each tracklet for the page; and the cross-camera IDF1 of the run.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "camera_record.hpp"
#include "oi/cctv/contract.hpp"
#include "oi/frame.hpp"

namespace oi::cctv::summary {

/// One tracklet of an identity: its camera and track id, its frames and its best crop.
struct IdentityTracklet {
  std::string camera;
  std::int64_t track_id = 0;
  std::int64_t frames = 0;
  double crop_height = 0;  ///< box height of the kept crop (pixels of the frame)
  std::vector<unsigned char> jpeg;
};

/// Everything seen of one global identity.
struct GlobalIdentity {
  std::int64_t id = 0;
  std::vector<std::string> cameras;         ///< in the order first seen
  std::vector<IdentityTracklet> tracklets;  ///< in the order first seen
};

/// Collects the identities frame by frame.
class GlobalIdentities {
 public:
  /// `crop_height`: height of the kept crops in pixels (0: no crops).
  explicit GlobalIdentities(int crop_height = 96) : crop_height_(crop_height) {}

  /// The tracks of one frame of `camera`; crops come from the frame's rgb8 image when it has one.
  void add(const Frame& frame, const std::string& camera, const std::vector<Track>& tracks);

  /// True when some track carried a global identity.
  bool any() const { return !identities_.empty(); }
  const std::map<std::int64_t, GlobalIdentity>& identities() const { return identities_; }
  /// Identities seen in several cameras or in several tracklets (re-entries).
  std::vector<const GlobalIdentity*> reunited() const;

 private:
  int crop_height_;
  std::map<std::int64_t, GlobalIdentity> identities_;
};

/// The cross-camera Identity metric (MTMC IDF1) of the evaluated frames of `cameras` whose
/// truth identities are the same persons in every camera (the simulator's ground truth, or
/// a single camera's truth), as JSON; null when no camera qualifies or no track carried a
/// global identity.
nlohmann::json cross_camera_figures(const std::vector<const CameraRecord*>& cameras);

}  // namespace oi::cctv::summary
