#pragma once
// What sink.cctv_summary keeps per camera (per source): every frame's truth and tracks, the
// detection counts, why frames could not be evaluated, the thumbnails; and the evaluation of
// it all at the end.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "oi/cctv/metrics.hpp"
#include "thumbnails.hpp"
#include "truth_file.hpp"

namespace oi::cctv::summary {

/// A truth person of one frame as the MOT gt file writes it.
struct TruthPerson {
  TruthObject object;    ///< id, box, distractor by the rule (or marked in the truth file)
  double visible = 1.0;  ///< visible fraction
};

/// One frame of one camera.
struct FrameRecord {
  std::int64_t number = 0;         ///< MOT frame number: frame_index (or sequence) + 1
  bool evaluated = false;          ///< it had truth (frames' ground truth or the truth file)
  std::vector<TruthPerson> truth;  ///< when evaluated
  std::vector<Track> tracks;       ///< the tracker's output (empty without tracks)
};

/// Why frames were not evaluated; each count is reported.
struct NotEvaluated {
  std::int64_t skipped = 0;        ///< the first `skip_frames` frames of the camera (a detector's warm-up)
  std::int64_t no_truth = 0;       ///< no ground_truth attribute and no truth file for the camera
  std::int64_t not_annotated = 0;  ///< the truth file names other frames only (sparse truth)
  std::int64_t total() const { return skipped + no_truth + not_annotated; }
  NotEvaluated& operator+=(const NotEvaluated& o);
  nlohmann::json to_json() const;
};

/// Everything about one camera.
struct CameraRecord {
  std::string source;                     ///< FrameMetadata::source_device
  std::string name;                       ///< attr::kCamera of its first frame, else the source
  std::string file_name;                  ///< `name` made safe for paths (unique among cameras)
  const TruthFile* truth_file = nullptr;  ///< its truth file, when `truth` names one for it
  /// Tracking figures need truth with identities linked over time: every frame's ground truth,
  /// or a truth file that annotates every frame. A sparse truth file (hand-made, identities
  /// per frame) gives detection figures only.
  bool tracking_truth = true;
  std::vector<FrameRecord> frames;
  NotEvaluated not_evaluated;
  std::int64_t frames_with_tracks = 0;      ///< frames carrying attr::kTracks
  std::int64_t frames_with_detections = 0;  ///< evaluated frames carrying attr::kDetections
  std::int64_t frames_without_image = 0;    ///< frames with no rgb8 `image` plane (no thumbnail possible)
  std::int64_t out_of_order = 0;            ///< frame numbers not above the previous one
  std::int64_t last_number = 0;
  std::int64_t first_time_ns = 0, last_time_ns = 0;
  int width = 0, height = 0;   ///< image size of the first frame with an image
  DetectionMetrics detection;  ///< over evaluated frames carrying detections
  ThumbnailPicker thumbnails;

  /// The evaluated frames as a metrics sequence.
  EvalSequence sequence() const;
  /// Frames the truth file annotates that never arrived (0 without a truth file).
  std::int64_t annotated_frames_missing() const;
  /// Where the truth came from: "frames" (attr::kGroundTruth), "file" or "none".
  std::string truth_origin() const;
};

/// The figures of one camera (or of all) in summary.json's form: the flat figures the table
/// shows, then the details. Detection figures are null when no evaluated frame carried
/// detections, tracking figures when no frame carried tracks (`have_tracks` false), all when
/// nothing was evaluated.
nlohmann::json camera_figures(const DetectionMetrics& detection, const TrackingMetrics& tracking,
                              bool have_tracks, std::int64_t frames, std::int64_t evaluated);

}  // namespace oi::cctv::summary
