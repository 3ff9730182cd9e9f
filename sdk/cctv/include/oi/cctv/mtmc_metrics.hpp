#pragma once
/// @file
/// Cross-camera identity metrics (MTMC IDF1, Ristani et al. 2016, "Performance Measures and a
/// Data Set for Multi-Target, Multi-Camera Tracking"): the Identity metric of metrics.hpp over
/// the frames of every camera together, truth identities being the site-wide persons and
/// tracker identities the global identities reid.associate gives (Track::global_identity).
/// One truth person is assigned to one global identity for the whole site, so a person who
/// keeps their identity from camera to camera scores, and one who gets a new identity in each
/// camera loses every frame outside the camera of the identity they were assigned.
/// @code
/// std::vector<oi::cctv::CameraFrames> cameras(2);
/// cameras[0].frames = {{{{1, box}}, {track_with_global_identity_7}}};  // gate
/// cameras[1].frames = {{{{1, box2}}, {track_with_global_identity_7}}}; // corridor
/// const oi::cctv::IdentityMetrics m = oi::cctv::evaluate_cross_camera_identity(cameras);
/// // m.idf1() == 1
/// @endcode

#include <cstdint>
#include <string>
#include <vector>

#include "oi/cctv/metrics.hpp"

namespace oi::cctv {

/// One frame of one camera: the truth (ids are site-wide identities) and the tracks.
struct CameraFrame {
  std::vector<TruthObject> truth;  ///< distractors marked as for evaluate_identity()
  std::vector<Track> tracks;       ///< the tracker's tracks with their global_identity
};

/// One camera's frames (any order; each frame is matched on its own).
struct CameraFrames {
  std::string camera;               ///< name, for messages
  std::vector<CameraFrame> frames;  ///< evaluated frames
};

/// The cross-camera sequence: every camera's frames one after the other, each track's id
/// replaced by its global identity. A track without one (global_identity -1: its tracklet was
/// too young to be matched) stands for an identity of its own per camera and track id, so its
/// boxes count against the tracker, as a wrong identity would.
EvalSequence cross_camera_sequence(const std::vector<CameraFrames>& cameras);

/// MTMC IDF1, IDP, IDR: evaluate_identity() on cross_camera_sequence(cameras).
/// @throws oi::Error when a frame holds a truth id or a global identity twice (one person in
/// two places of one picture), naming the camera and the frame.
IdentityMetrics evaluate_cross_camera_identity(const std::vector<CameraFrames>& cameras);

}  // namespace oi::cctv
