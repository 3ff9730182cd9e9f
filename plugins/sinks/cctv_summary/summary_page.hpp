#pragma once
// summary.html of sink.cctv_summary, in the shape and look of sink.summary's page: the
// per-camera table, HOTA/DetA/AssA over alpha as inline SVG per camera, thumbnails (JPEG
// files beside the page) with truth and track boxes, links to the MOTChallenge files.

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "html_escape.hpp"

namespace oi::cctv::summary {

/// A thumbnail as the page shows it.
struct PageThumbnail {
  std::string file;     ///< relative to the page, e.g. thumbs/cam0/frame_000012.jpg
  std::string caption;  ///< "frame 12: 3 persons, 3 tracks"
};

/// A reunited global identity as the page shows it: a crop per tracklet (file empty: none).
struct PageIdentity {
  std::int64_t id = 0;
  std::vector<std::string> cameras;
  std::vector<PageThumbnail> crops;
};

/// A gallery tracklet in a sample query's ranking: its crop and whether it is the query's person.
struct PageRanked {
  PageThumbnail crop;
  bool right = false;
};

/// A re-identification sample query as the page shows it.
struct PageReidExample {
  PageThumbnail query;
  int first_match_rank = 0;  ///< rank of the first right gallery tracklet
  std::vector<PageRanked> top;
};

/// The page for `summary` (the contents of summary.json) with `thumbnails` per camera (keyed
/// like summary["cameras"]) and, when summary["global_identities"] is there, the reunited
/// `identities`, and when summary["reid"] is there, the sample queries `reid_examples`.
std::string summary_page(const nlohmann::json& summary,
                         const std::map<std::string, std::vector<PageThumbnail>>& thumbnails,
                         const std::vector<PageIdentity>& identities = {},
                         const std::vector<PageReidExample>& reid_examples = {});

/// HOTA, DetA and AssA over alpha (summary["cameras"][name]["tracking"]["hota"]) as an
/// inline <svg> element titled `title`.
std::string hota_svg(const nlohmann::json& hota, const std::string& title);

/// HTML escaping (plugins/common/html).
inline std::string html_escape(const std::string& text) { return oi::html::escape(text); }

}  // namespace oi::cctv::summary
