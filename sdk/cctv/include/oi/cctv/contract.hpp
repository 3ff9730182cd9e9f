#pragma once
/// @file
/// The camera contract: the names and records every camera component agrees on. Camera
/// drivers (sim.cctv, opencv.camera, genicam.camera) emit `video.frame` frames with the
/// plane `image` (rgb8); cctv.detect adds attr::kDetections, cctv.track attr::kTracks; the
/// simulator adds attr::kGroundTruth; sinks and tools read them. An out-of-tree stage
/// includes this header instead of writing the strings:
/// @code
/// #include <oi/cctv/contract.hpp>
/// for (const oi::cctv::Track& t : oi::cctv::tracks_of(frame.metadata())) use(t.id, t.box);
/// @endcode
/// Link `OpenInspect::cctv` (find_package(OpenInspect COMPONENTS cctv)).
///
/// Sources. A pipeline may feed several cameras into one chain (an input declared with
/// PortSpec::multi_source); every frame names its camera in FrameMetadata::source_device (the
/// device node's name), and a stateful stage keeps its state per source_of(metadata).

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oi/frame.hpp"

namespace oi::cctv {

/// Version of this contract; changes when a name or record changes meaning.
inline constexpr int kContractVersion = 1;

/// The frame kind of every camera frame (the core's oi::frame_kind::kVideo).
inline constexpr std::string_view kFrameKind = oi::frame_kind::kVideo;

/// Planes.
namespace plane {
inline constexpr const char* kImage = "image";  ///< camera: the picture, rgb8
/// cctv.detect (when asked to keep it): foreground mask after clean-up, u8 0/255
inline constexpr const char* kForeground = "foreground";
}  // namespace plane

/// Frame attributes.
namespace attr {
/// camera: the camera's name within its site (sim.cctv) or the device node's name
inline constexpr const char* kCamera = "camera";
/// camera: the frame's index in its stream (0 first), an int; sim.cctv sets it, and it is
/// the MOTChallenge frame number minus one
inline constexpr const char* kFrameIndex = "frame_index";
/// simulator: list of GroundTruthPerson records (one per person at least partly in view)
inline constexpr const char* kGroundTruth = "ground_truth";
/// cctv.detect: list of Detection records
inline constexpr const char* kDetections = "detections";
/// cctv.track: list of Track records (confirmed tracks updated or predicted in this frame)
inline constexpr const char* kTracks = "tracks";
/// reid.watchlist: list of WatchlistHit records (tracks that matched a watchlist entry)
inline constexpr const char* kWatchlistHits = "watchlist_hits";
/// each stage adds {"<node>": ms}
inline constexpr const char* kTimings = "timings_ms";
}  // namespace attr

/// Object classes.
namespace object_class {
inline constexpr const char* kPerson = "person";
}  // namespace object_class

/// An axis-aligned box `[x, y, w, h]` in pixels of the image plane.
struct Box {
  double x = 0, y = 0, w = 0, h = 0;
  double area() const { return w > 0 && h > 0 ? w * h : 0.0; }
  double bottom() const { return y + h; }
  double centre_x() const { return x + w / 2.0; }
};

/// Intersection over union; 0 when either box is empty.
double iou(const Box& a, const Box& b);

/// IoU a detection or track needs with a truth box to match it (MOTChallenge and TrackEval's
/// CLEAR and Identity metrics use 0.5).
inline constexpr double kMatchIou = 0.5;

/// A person detection (attr::kDetections).
struct Detection {
  Box box;
  double score = 1.0;                                ///< confidence in [0, 1]
  std::string object_class = object_class::kPerson;  ///< what was detected
  std::vector<float> embedding;                      ///< appearance descriptor, empty when none
};

/// Track states (ByteTrack's): a new track is tentative until it was matched in enough
/// frames, confirmed while matched, lost while unmatched within its buffer, removed after.
namespace track_state {
inline constexpr const char* kTentative = "tentative";
inline constexpr const char* kConfirmed = "confirmed";
inline constexpr const char* kLost = "lost";
inline constexpr const char* kRemoved = "removed";
}  // namespace track_state

/// A track in one frame (attr::kTracks). Ids are unique per source and never reused.
struct Track {
  std::int64_t id = 0;
  Box box;
  double score = 1.0;  ///< score of the detection it was matched to
  std::string state = track_state::kConfirmed;
  std::int64_t age = 0;          ///< frames since the track was created
  std::vector<float> embedding;  ///< appearance descriptor, empty when none
  /// reid.associate: the site-wide identity the track belongs to (the same person in every
  /// camera and on re-entry); -1 until it is assigned
  std::int64_t global_identity = -1;
};

/// One person of the simulator's ground truth (attr::kGroundTruth).
struct GroundTruthPerson {
  std::int64_t identity = 0;  ///< global identity, the same in every camera of the site
  Box box;                    ///< the whole body, also where occluded (clipped to the image)
  double visible = 1.0;       ///< fraction of the body's pixels that are visible, [0, 1]
};

/// A track that matched a watchlist entry (attr::kWatchlistHits). Persons without a hit are
/// blurred in every saved image and video (privacy by default; docs/reid.md).
struct WatchlistHit {
  std::int64_t track = 0;  ///< Track::id in this frame's camera
  std::string entry;       ///< the watchlist entry's id
  double score = 0;        ///< similarity, [-1, 1]
  std::string alert;       ///< the alert it raised
  std::string status;      ///< "unconfirmed", "confirmed" or "rejected" when the frame was made
};

/// The source (camera) a frame belongs to: its metadata's source_device.
inline const std::string& source_of(const FrameMetadata& metadata) { return metadata.source_device; }

/// JSON forms: Box as [x, y, w, h]; the records as objects with the member names ("class"
/// for object_class; "embedding" only when not empty; "global_identity" only when assigned).
nlohmann::json to_json(const Box& box);
nlohmann::json to_json(const Detection& d);
nlohmann::json to_json(const Track& t);
nlohmann::json to_json(const GroundTruthPerson& p);
nlohmann::json to_json(const WatchlistHit& h);
/// The JSON array of a list of records.
template <class T>
nlohmann::json to_json_list(const std::vector<T>& items) {
  nlohmann::json list = nlohmann::json::array();
  for (const T& item : items) list.push_back(to_json(item));
  return list;
}

/// Readers: throw oi::Error naming the attribute and what is wrong with it. An absent
/// attribute reads as an empty list.
Box box_from_json(const nlohmann::json& j);
std::vector<Detection> detections_of(const FrameMetadata& metadata);
std::vector<Track> tracks_of(const FrameMetadata& metadata);
std::vector<GroundTruthPerson> ground_truth_of(const FrameMetadata& metadata);
std::vector<WatchlistHit> watchlist_hits_of(const FrameMetadata& metadata);

}  // namespace oi::cctv
