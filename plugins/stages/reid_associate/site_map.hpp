#pragma once
/// @file
/// The site map reid.associate gates its matches with (docs/reid.md, "Association"): the
/// cameras of a site, which camera leads to which and how long the walk between them takes
/// (a transit-time window), how soon a person may come back into the same camera (the
/// re-entry window), and which cameras see the same floor (overlapping views). A YAML file:
/// @code
/// cameras: [gate, corridor, baggage, exit]
/// reentry: { min_s: 0, max_s: 60 }
/// links:
///   - { from: gate, to: corridor, min_s: 2, max_s: 15 }          # one way
///   - { from: corridor, to: baggage, min_s: 5, max_s: 40, two_way: true }
/// overlaps: [[baggage, exit]]                                    # optional
/// @endcode
/// Times are seconds of the site clock (frames' capture_time_ns): a transit is the time from
/// the end of a person's tracklet in `from` to the start of their tracklet in `to`.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace oi::cctv::reid {

/// A time window in seconds, both ends included.
struct TimeWindow {
  double min_s = 0.0;
  double max_s = 0.0;
  /// True when `seconds` lies in the window.
  bool contains(double seconds) const { return seconds >= min_s && seconds <= max_s; }
};

/// A directed link: persons leaving camera `from` appear in camera `to` within `window`.
struct CameraLink {
  std::string from;
  std::string to;
  TimeWindow window;
};

/// A site map (see the file comment).
struct SiteMap {
  std::vector<std::string> cameras;  ///< every camera of the site
  std::vector<CameraLink> links;     ///< directed; a two-way link in the file gives two entries
  /// Time from the end of a tracklet to the start of the next one of the same person in the
  /// same camera (leaving the picture and coming back, or a track broken by an occlusion).
  TimeWindow reentry{0.0, 60.0};
  /// Pairs of cameras that see the same floor: a person may be in both at once.
  std::vector<std::pair<std::string, std::string>> overlaps;
  /// Where the map came from (a file name, or "<default>"), for messages.
  std::string origin = "<default>";

  /// True when `camera` is listed.
  bool has_camera(const std::string& camera) const;
  /// The transit window from `from` to `to`, nullopt when no link leads there.
  std::optional<TimeWindow> transit(const std::string& from, const std::string& to) const;
  /// True when the two cameras are listed as overlapping (either order).
  bool overlapping(const std::string& a, const std::string& b) const;
};

/// Parses a site map from YAML `text`; `origin` names it in messages (a file name).
/// @throws oi::ConfigError with one diagnostic per problem, each at its file:line: not a
/// mapping, unknown keys, a camera listed twice, links or overlaps naming unknown cameras,
/// windows with min_s > max_s or negative times, a link from a camera to itself.
SiteMap parse_site_map(const std::string& text, const std::string& origin);

/// Reads and parses a site map file. @throws oi::ConfigError when it cannot be read or is bad.
SiteMap load_site_map(const std::filesystem::path& file);

}  // namespace oi::cctv::reid
