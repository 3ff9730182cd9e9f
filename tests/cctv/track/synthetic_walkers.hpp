#pragma once
// Synthetic detections of persons walking along piecewise-straight paths, with box noise,
// missed detections and scores, and the identity bookkeeping the tracking tests check: which
// track id followed which person, and how often that changed.

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "oi/cctv/contract.hpp"

namespace oi::cctv::test {

/// A point of a walker's path: the box's top-left corner at a frame.
struct Waypoint {
  int frame = 0;
  double x = 0, y = 0;
};

/// One person: a box of fixed size moving linearly between waypoints; present from the first
/// waypoint's frame to the last's.
struct Walker {
  std::int64_t identity = 0;
  double w = 40, h = 100;
  std::vector<Waypoint> path;
  std::vector<float> appearance;  ///< the person's true embedding; empty: detections carry none

  /// The box at `frame`, or false when the walker is not in view.
  bool box_at(int frame, Box& box) const;
};

/// A straight walk from (x, y) at `first` with velocity (vx, vy) pixels/frame until `last`.
Walker straight_walker(std::int64_t identity, double x, double y, double vx, double vy, int first, int last);

/// How detections are made from the walkers.
struct DetectorModel {
  double noise_px = 1.5;    ///< standard deviation of each box coordinate
  double miss_rate = 0.0;   ///< probability a visible person gets no detection
  double score_min = 0.75;  ///< scores drawn uniformly in [score_min, score_max]
  double score_max = 0.95;
  double embedding_noise = 0.05;  ///< per-component standard deviation added to the appearance
  std::uint32_t seed = 1;
};

/// One frame: its detections and the truth behind them.
struct SyntheticFrame {
  std::vector<Detection> detections;
  std::vector<std::int64_t> detection_identity;  ///< walker of each detection
  std::vector<GroundTruthPerson> truth;          ///< every walker in view
};

/// Frames 0 .. frames-1 of the walkers as `model` sees them.
std::vector<SyntheticFrame> render(const std::vector<Walker>& walkers, int frames,
                                   const DetectorModel& model);

/// How well a tracker kept identities: tracks are matched to truth boxes per frame (optimal
/// assignment, IoU >= 0.5, last frame's pairs kept where they still overlap, as CLEAR MOT).
struct IdentityReport {
  std::map<std::int64_t, std::set<std::int64_t>> ids_of_person;  ///< identity -> track ids it had
  std::map<std::int64_t, std::set<std::int64_t>> persons_of_id;  ///< track id -> identities it followed
  std::map<std::int64_t, int> frames_matched;                    ///< identity -> frames with a track
  std::map<std::int64_t, int> frames_in_view;                    ///< identity -> frames in view
  int switches = 0;          ///< times a person's matched track id differed from its previous one
  int unmatched_tracks = 0;  ///< reported tracks on no person (false tracks)

  /// Adds one frame's reported tracks.
  void add(const std::vector<GroundTruthPerson>& truth, const std::vector<Track>& tracks);
  /// frames_matched / frames_in_view of one person.
  double coverage(std::int64_t identity) const;

 private:
  std::map<std::int64_t, std::int64_t> last_id_;
};

}  // namespace oi::cctv::test
