#pragma once
/// @file
/// Re-identification metrics with the Market-1501 protocol as torchreid computes them
/// (github.com/KaiyangZhou/deep-person-reid, torchreid/metrics/rank.py, eval_market1501), so
/// that figures compare with published ones:
/// - every query ranks the whole gallery by distance (ascending; ties keep gallery order);
/// - gallery items with the query's identity AND the query's camera are removed from its
///   ranking (they are the same person seen by the same camera: too easy);
/// - a query with no gallery item of its identity left is skipped (counted in
///   `skipped_queries`, not in the averages);
/// - CMC at rank k: the share of the valid queries whose first correct match is among the
///   first k items of their ranking;
/// - AP of one query: the mean over its correct matches of the precision at each one's rank,
///   (1/R) * sum over correct matches at rank i of (correct matches up to i) / i; mAP is the
///   mean over the valid queries.
/// @code
/// // two queries, three gallery items; distances row-major, queries x gallery
/// std::vector<oi::cctv::ReidItem> query = {{1, 0}, {2, 0}};
/// std::vector<oi::cctv::ReidItem> gallery = {{1, 1}, {2, 1}, {1, 0}};
/// std::vector<float> d = {0.5f, 0.2f, 0.1f,   // query 1: gallery 2 (same camera) is removed
///                         0.3f, 0.4f, 0.9f};
/// const auto m = oi::cctv::evaluate_market1501(d, query, gallery);
/// // query 1: ranking {1 (wrong), 0 (right)}: first match at rank 2, AP 1/2
/// // query 2: ranking {0 (wrong), 1 (right), 2 (wrong)}: rank 2, AP 1/2
/// // m.rank(1) == 0, m.rank(2) == 1, m.map == 0.5
/// @endcode

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

namespace oi::cctv {

/// A query or gallery item: who it shows and which camera saw it.
struct ReidItem {
  std::int64_t identity = 0;  ///< the person (ground-truth identity)
  std::int64_t camera = 0;    ///< the camera that saw them
};

/// The protocol's result over one query set and one gallery.
struct ReidMetrics {
  /// cmc[k - 1] is rank-k accuracy, k = 1 .. max_rank. A valid query whose ranking has fewer
  /// than k items counts as matched at k (its match is within the ranking).
  std::vector<double> cmc;
  double map = 0.0;                 ///< mean average precision over the valid queries
  std::size_t queries = 0;          ///< all queries
  std::size_t valid_queries = 0;    ///< queries with at least one correct match left
  std::size_t skipped_queries = 0;  ///< queries without one (not in the averages)
  /// Per query, in query order: the average precision, and the 1-based rank of its first
  /// correct match; both 0 for a skipped query.
  std::vector<double> average_precision;
  std::vector<int> first_match_rank;

  /// Rank-k accuracy (1 <= k <= cmc.size(); the last value for larger k). @throws oi::Error
  /// when k < 1.
  double rank(int k) const;
};

/// Evaluates `distances` (row-major, query.size() rows x gallery.size() columns; smaller is
/// more similar) with the Market-1501 protocol (see the file comment). `max_rank` is the
/// length of the CMC curve (torchreid's default is 50).
/// @throws oi::Error when the sizes disagree, a distance is NaN, max_rank < 1, or no query is
/// valid (torchreid asserts the same: "all query identities do not appear in gallery").
ReidMetrics evaluate_market1501(std::span<const float> distances, const std::vector<ReidItem>& query,
                                const std::vector<ReidItem>& gallery, int max_rank = 50);

/// Euclidean distances (not squared) between the rows of `query` (nq x dim) and `gallery`
/// (ng x dim), both row-major: nq x ng values, row-major.
std::vector<float> euclidean_distances(std::span<const float> query, std::span<const float> gallery,
                                       std::size_t dim);
/// Cosine distances 1 - cos(angle) between the rows; a zero row is at distance 1 from
/// everything.
std::vector<float> cosine_distances(std::span<const float> query, std::span<const float> gallery,
                                    std::size_t dim);

/// {"rank1", "rank5", "rank10", "rank20", "map", "queries", "valid_queries",
/// "skipped_queries"} (ranks past the curve's end take its last value).
nlohmann::json to_json(const ReidMetrics& metrics);

}  // namespace oi::cctv
