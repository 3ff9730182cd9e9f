#pragma once
/// @file
/// Online cross-camera association (docs/reid.md, "Association"). Every (camera, track id)
/// is a tracklet: its first and last time on the site clock, the mean of the track's
/// appearance embeddings, its number of observations. Once a tracklet has `min_observations`
/// it is matched against the global identities: an identity is a candidate when the site map
/// allows the walk — its latest tracklet ended in a camera linked to this one and the gap
/// lies in the link's transit window, or it ended in this camera within the re-entry window —
/// and it is not visible at the same time in another camera that does not overlap this one.
/// The cost is the smallest cosine distance between the tracklet's embedding and the
/// identity's stored tracklet embeddings (at most `gallery_per_identity`); the tracklets that
/// become ready in one frame are assigned together by the Hungarian solver with the limit
/// `max_distance` (oi/cctv/assignment.hpp); a tracklet left over starts a new identity.
/// Memory is bounded: identities unseen for `forget_after_s` are dropped, and beyond
/// `max_identities` the one unseen longest is evicted; ended tracklets are kept
/// `tracklet_keep_s` (so a track the tracker re-finds keeps its identity), then dropped.
/// @code
/// oi::cctv::reid::Associator a(params, site_map);
/// a.update("gate", frame_time_ns, tracks);  // sets tracks[i].global_identity
/// @endcode

#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "oi/cctv/contract.hpp"
#include "site_map.hpp"

namespace oi::cctv::reid {

/// What the association is tuned with.
struct AssociatorParams {
  int min_observations = 10;      ///< frames a tracklet needs before it is matched
  double max_distance = 0.45;     ///< largest cosine distance a match may have
  int gallery_per_identity = 8;   ///< tracklet embeddings kept per identity (newest)
  double tracklet_end_s = 1.0;    ///< a tracklet unseen this long in its camera has ended
  double tracklet_keep_s = 10.0;  ///< an ended tracklet is kept this long (re-found tracks)
  double forget_after_s = 600.0;  ///< identities unseen this long are dropped
  int max_identities = 10000;     ///< more identities than this: the one unseen longest goes
  /// When a tracklet that started an identity of its own ends, match its whole-tracklet
  /// embedding once more (same gates, same max_distance) against older identities; on a match
  /// its identity is merged into the older one, so later tracklets find the person under one
  /// identity. Frames already passed on keep the identity they were given.
  bool rematch_at_end = false;
};

/// Problems with a parameter set (empty when fine), as `oi validate` lists them.
std::vector<std::string> problems(const AssociatorParams& params);

/// Counters reported in the stage's summary.
struct AssociatorStats {
  std::int64_t tracklets = 0;              ///< tracklets seen
  std::int64_t matched_tracklets = 0;      ///< tracklets matched (assigned a global identity)
  std::int64_t identities_created = 0;     ///< new identities
  std::int64_t joined_across_cameras = 0;  ///< tracklets joined to an identity last seen in another camera
  std::int64_t reentries = 0;              ///< tracklets joined to an identity last seen in the same camera
  std::int64_t merged_at_end = 0;          ///< identities merged into an older one when their tracklet ended
  std::int64_t refound = 0;                ///< ended tracklets that came back (same camera and track id)
  std::int64_t forgotten = 0;              ///< identities dropped after forget_after_s
  std::int64_t evicted = 0;                ///< identities dropped by the max_identities cap
  std::int64_t without_embedding = 0;      ///< tracklets matched without any embedding: new identities
  std::int64_t bad_embeddings = 0;         ///< track embeddings ignored (wrong dimension, not finite)
  nlohmann::json to_json() const;
};

/// One identity as summaries see it.
struct IdentityInfo {
  std::int64_t id = 0;
  std::vector<std::string> cameras;  ///< in the order it was first seen in them
  std::int64_t tracklets = 0;
  std::int64_t first_ns = 0, last_ns = 0;
};

/// The association state of a site; not thread-safe (the stage locks it).
class Associator {
 public:
  Associator(AssociatorParams params, SiteMap site);

  /// One frame of `camera` at `time_ns` (site clock) with its tracks: updates the tracklets,
  /// matches those that became ready and sets every track's global_identity (-1 while its
  /// tracklet is younger than min_observations). Tracks with an empty embedding count as
  /// observations without appearance.
  void update(const std::string& camera, std::int64_t time_ns, std::vector<Track>& tracks);

  const AssociatorStats& stats() const { return stats_; }
  /// Identities kept now.
  std::size_t identities() const { return identities_.size(); }
  /// Tracklets kept now (live and recently ended).
  std::size_t tracklets() const { return tracklets_.size(); }
  /// Every identity kept now, by id.
  std::vector<IdentityInfo> identity_list() const;
  const AssociatorParams& params() const { return params_; }
  const SiteMap& site() const { return site_; }

 private:
  struct Tracklet {
    std::string camera;
    std::int64_t track_id = 0;
    std::int64_t first_ns = 0, last_ns = 0;
    std::int64_t observations = 0;
    std::vector<double> sum;  // sum of the L2-normalised embeddings
    std::int64_t embedded = 0;
    std::int64_t identity = -1;
    bool ended = false;
    std::vector<float> mean() const;  // L2-normalised mean; empty when none
  };
  struct Identity {
    std::int64_t id = 0;
    std::deque<std::vector<float>> gallery;  // ended tracklets' embeddings, newest last
    std::vector<std::string> cameras;
    std::int64_t tracklets = 0;
    std::int64_t first_ns = 0;
    std::int64_t last_ns = 0;                             // last observation of any of its tracklets
    std::string last_camera;                              // camera of that observation
    std::set<std::pair<std::string, std::int64_t>> live;  // its tracklets not ended
  };
  using Key = std::pair<std::string, std::int64_t>;

  double cost(const Tracklet& t, const Identity& identity) const;
  bool admissible(const Tracklet& t, const Identity& identity) const;
  void assign(Tracklet& t, Identity& identity);
  void end_tracklet(Tracklet& t);
  std::map<std::int64_t, Identity>::iterator rematch(Tracklet& t,
                                                     std::map<std::int64_t, Identity>::iterator own);
  void expire(const std::string& camera, std::int64_t now_ns);
  void enforce_cap();
  void match(std::vector<Tracklet*>& ready);

  AssociatorParams params_;
  SiteMap site_;
  std::map<Key, Tracklet> tracklets_;
  std::map<std::int64_t, Identity> identities_;
  std::map<std::string, std::int64_t> camera_clock_;  // latest frame time per camera
  std::int64_t next_identity_ = 1;
  std::size_t dimension_ = 0;  // of the embeddings, set by the first one
  AssociatorStats stats_;
};

}  // namespace oi::cctv::reid
