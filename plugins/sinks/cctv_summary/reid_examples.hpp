#pragma once
// Re-identification as a run shows it, for frames with the simulator's ground truth: every
// tracklet (camera, track id) gets the mean of its tracks' embeddings and the truth person it
// followed most; each tracklet is then a query against the tracklets of the other cameras
// (the Market-1501 protocol of oi/cctv/reid_metrics.hpp), giving the run's tracklet-level
// rank-k and mAP, and summary.html shows for a few sample queries the top-5 gallery crops,
// right and wrong marked.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "oi/cctv/contract.hpp"
#include "oi/frame.hpp"

namespace oi::cctv::summary {

/// One tracklet of a run as the re-identification examples use it.
struct ReidTracklet {
  std::string camera;
  std::int64_t track_id = 0;
  std::int64_t frames = 0;                     ///< frames the track was reported in
  std::int64_t embedded = 0;                   ///< of which with an embedding
  std::vector<double> embedding_sum;           ///< sum of the L2-normalised per-frame embeddings
  std::map<std::int64_t, std::int64_t> votes;  ///< truth identity -> frames it matched (IoU >= 0.5)
  double crop_height = 0;                      ///< box height of the kept crop (pixels of the frame)
  std::vector<unsigned char> jpeg;             ///< the crop (unblurred: a simulated person)

  /// The truth person the tracklet followed in at least half of its frames, -1 when none did.
  std::int64_t identity() const;
};

/// One gallery tracklet in a query's ranking.
struct RankedTracklet {
  std::size_t tracklet = 0;  ///< index into ReidExamples::tracklets()
  double distance = 0;       ///< cosine distance to the query
  bool right = false;        ///< the same truth person as the query
};

/// A sample query and the head of its ranking.
struct ReidExample {
  std::size_t query = 0;  ///< index into ReidExamples::tracklets()
  int first_match_rank = 0;
  std::vector<RankedTracklet> top;
};

/// The evaluation of a run's tracklets.
struct ReidRunFigures {
  nlohmann::json figures;  ///< summary.json's `reid` (null when no query is valid)
  std::vector<ReidExample> examples;
};

/// Collects the tracklets frame by frame.
class ReidExamples {
 public:
  /// `crop_height`: height of the kept crops in pixels.
  explicit ReidExamples(int crop_height = 96) : crop_height_(crop_height) {}

  /// The tracks and the simulator's truth of one frame of `camera`. Frames without truth or
  /// tracks without an embedding add nothing.
  void add(const Frame& frame, const std::string& camera, const std::vector<Track>& tracks,
           const std::vector<GroundTruthPerson>& truth);

  /// True when some tracklet carried embeddings.
  bool any() const { return !tracklets_.empty(); }
  const std::vector<ReidTracklet>& tracklets() const { return tracklets_; }

  /// Ranks every tracklet that followed a truth person against the others (same person in
  /// the same camera excluded) and picks `examples` sample queries, evenly spread over the
  /// valid ones, with their first `top` gallery tracklets.
  ReidRunFigures evaluate(int examples, int top) const;

 private:
  int crop_height_;
  std::vector<ReidTracklet> tracklets_;
  std::map<std::pair<std::string, std::int64_t>, std::size_t> index_;
};

}  // namespace oi::cctv::summary
