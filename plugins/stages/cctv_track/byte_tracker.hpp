#pragma once
/// @file
/// One camera's multi-object tracker: ByteTrack's two-stage association with BoT-SORT's box
/// Kalman filter and appearance fusion (docs/cctv.md, "Tracking"). A frame's detections are
/// matched in three rounds, each an optimal assignment (oi/cctv/assignment.hpp) with a cost
/// limit:
///  1. high-score detections (score >= high_threshold) against confirmed and lost tracks, by
///     IoU with the predicted box (times the detection's score when fuse_score), fused with
///     the cosine distance of appearance embeddings when both sides carry one;
///  2. low-score detections (low_threshold <= score < high_threshold) against the tracks
///     still unmatched, confirmed and lost (ByteTrack: confirmed only), by IoU alone: a partly
///     occluded person keeps its track;
///  3. the remaining high-score detections against tentative tracks.
/// Between 2 and 3 the tracks and detections matched in rounds 1 and 2 are assigned once more,
/// jointly (the rounds choose which detections continue tracks; the joint pass which track
/// each continues): two persons crossing, the front one detected with a high score and the
/// one behind with a low score, are otherwise swapped whenever the front detection overlaps
/// the wrong prediction slightly more.
/// Unmatched confirmed tracks become lost and are predicted on; a lost track that misses more
/// than track_buffer consecutive frames is removed. Unmatched tentative tracks are removed.
/// Detections still unmatched with score >= new_track_threshold start tentative tracks, which
/// are confirmed after min_hits consecutive frames with a detection (at once in the first
/// frame). Ids start at 1 and are never reused, also across reset().

#include <cstdint>
#include <string>
#include <vector>

#include "box_kalman.hpp"
#include "oi/cctv/assignment.hpp"
#include "oi/cctv/contract.hpp"

namespace oi::cctv {

/// The tracker's parameters. The defaults are ByteTrack's and BoT-SORT's (MOT17 settings);
/// cctv.track exposes each as a parameter of the same name.
struct TrackerParams {
  double high_threshold = 0.6;             ///< detections at or above it enter the first round
  double low_threshold = 0.1;              ///< detections below it are ignored; between: the second round
  double new_track_threshold = 0.7;        ///< an unmatched detection needs this score to start a track
  double match_threshold = 0.8;            ///< largest cost the first round accepts (cost = 1 - IoU, fused)
  double low_match_threshold = 0.5;        ///< largest cost (1 - IoU) of the second round
  double tentative_match_threshold = 0.7;  ///< largest cost of the third round
  int track_buffer = 30;                   ///< consecutive frames a lost track may miss and still be re-found
  int min_hits = 2;                        ///< frames with a detection a new track needs to be confirmed
  bool fuse_score = true;  ///< rounds 1 and 3: cost = 1 - IoU x score (ByteTrack's MOT17 setting)
  /// Weight of the appearance (cosine) distance in the cost where track and detection both
  /// have an embedding; 0: IoU only. Only pairs whose boxes overlap are ever matched.
  double appearance_weight = 0.5;
  /// A track's embedding: momentum x old + (1 - momentum) x new, each L2-normalised
  /// (BoT-SORT's exponential moving average); updated from high-score detections only.
  double embedding_momentum = 0.9;
  /// A confirmed track and a lost one overlapping this much are one person twice: the younger
  /// is removed (ByteTrack's remove_duplicate_stracks).
  double duplicate_iou = 0.85;
  bool output_lost = false;  ///< also report lost tracks (state lost, predicted box)
  KalmanNoise noise;         ///< the Kalman filter's noise weights
};

/// What is inconsistent about `params` (one message per problem, naming the parameters and
/// what to change); empty when they are usable.
std::vector<std::string> problems(const TrackerParams& params);

/// Running counts of one tracker, for summaries and tests.
struct TrackerCounters {
  std::int64_t frames = 0;            ///< update() calls
  std::int64_t missed_frames = 0;     ///< frames skipped over (steps - 1 summed)
  std::int64_t tracks_started = 0;    ///< ids handed out (tentative tracks included)
  std::int64_t tracks_confirmed = 0;  ///< tracks that became confirmed
  std::int64_t tracks_refound = 0;    ///< lost tracks matched again (id kept)
  std::int64_t tracks_removed = 0;  ///< tracks dropped (lost too long, tentative unmatched, duplicate, reset)
  std::int64_t low_score_matches = 0;    ///< tracks continued by a low-score detection
  std::int64_t joint_reassignments = 0;  ///< tracks the joint pass gave another detection than the rounds
  std::int64_t invalid_detections = 0;   ///< detections ignored: box not finite or empty, score not finite
};

/// One camera's tracker. Not thread-safe; one per source.
class ByteTracker {
 public:
  /// @throws oi::Error when problems(params) is not empty.
  explicit ByteTracker(TrackerParams params = {});

  /// Tracks one frame. `steps` is the number of frames since the previous call: 1 normally,
  /// more when frames were missed (the Kalman filter predicts that far). Returns the confirmed
  /// tracks matched in this frame (state confirmed, the filtered box) in id order, followed
  /// by the lost ones (state lost, the predicted box) when output_lost.
  std::vector<Track> update(const std::vector<Detection>& detections, int steps = 1);

  /// Drops every track; the next update() is treated as a first frame. Ids keep counting:
  /// an id is never given to two persons of one camera.
  void reset();

  /// Tracks currently held (tentative, confirmed and lost).
  std::size_t size() const { return tracks_.size(); }
  /// The id the next new track gets.
  std::int64_t next_id() const { return next_id_; }
  const TrackerCounters& counters() const { return counters_; }
  const TrackerParams& params() const { return params_; }

 private:
  enum class State { kTentative, kConfirmed, kLost };
  struct TrackedObject {
    TrackedObject(std::int64_t id_, const Box& first, const KalmanNoise& noise)
        : id(id_), filter(first, noise) {}
    std::int64_t id = 0;
    BoxKalmanFilter filter;
    State state = State::kTentative;
    double score = 0.0;
    int hits = 0;                 // consecutive frames with a detection
    std::int64_t start_step = 0;  // step at which it was created
    std::int64_t last_matched_step = 0;
    std::vector<float> embedding;  // L2-normalised moving average; empty when none
  };

  double cost(const TrackedObject& track, const Detection& detection, bool fuse) const;
  void match(TrackedObject& track, const Detection& detection, bool update_embedding);
  Track report(const TrackedObject& track) const;

  TrackerParams params_;
  std::vector<TrackedObject> tracks_;
  std::int64_t next_id_ = 1;
  std::int64_t step_ = 0;  // frames since creation (missed ones included)
  bool first_frame_ = true;
  TrackerCounters counters_;
};

/// Cosine distance 1 - a.b / (|a| |b|), clamped to [0, 1]; 1 when either is empty, zero or
/// they differ in length.
double cosine_distance(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace oi::cctv
