// Re-identification metrics: torchreid's eval_market1501 (torchreid/metrics/rank.py), line
// by line; comments point out where its behaviour is worth knowing.
#include "oi/cctv/reid_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "oi/error.hpp"

namespace oi::cctv {

double ReidMetrics::rank(int k) const {
  if (k < 1) throw oi::Error("ReidMetrics::rank: k must be at least 1, not " + std::to_string(k));
  if (cmc.empty()) return 0.0;
  return cmc[static_cast<std::size_t>(std::min<int>(k, static_cast<int>(cmc.size()))) - 1];
}

ReidMetrics evaluate_market1501(std::span<const float> distances, const std::vector<ReidItem>& query,
                                const std::vector<ReidItem>& gallery, int max_rank) {
  const std::size_t nq = query.size();
  const std::size_t ng = gallery.size();
  if (distances.size() != nq * ng) {
    throw oi::Error("evaluate_market1501: " + std::to_string(distances.size()) + " distances for " +
                    std::to_string(nq) + " queries x " + std::to_string(ng) +
                    " gallery items; pass a row-major queries x gallery matrix");
  }
  if (max_rank < 1) throw oi::Error("evaluate_market1501: max_rank must be at least 1");
  for (const float d : distances) {
    if (std::isnan(d)) throw oi::Error("evaluate_market1501: a distance is NaN; check the embeddings");
  }
  // torchreid shortens the curve to the gallery's size (with a warning).
  const std::size_t ranks =
      std::min<std::size_t>(static_cast<std::size_t>(max_rank), std::max<std::size_t>(ng, 1));

  ReidMetrics m;
  m.queries = nq;
  m.cmc.assign(ranks, 0.0);
  m.average_precision.assign(nq, 0.0);
  m.first_match_rank.assign(nq, 0);
  std::vector<std::size_t> order(ng);
  std::vector<char> matches;
  matches.reserve(ng);
  double ap_sum = 0.0;
  for (std::size_t q = 0; q < nq; ++q) {
    const float* row = distances.data() + q * ng;
    std::iota(order.begin(), order.end(), std::size_t{0});
    // numpy's argsort (quicksort) leaves ties in no particular order; here they keep gallery
    // order, so results are reproducible.
    std::stable_sort(order.begin(), order.end(),
                     [row](std::size_t a, std::size_t b) { return row[a] < row[b]; });
    matches.clear();
    for (const std::size_t g : order) {
      const bool same_identity = gallery[g].identity == query[q].identity;
      if (same_identity && gallery[g].camera == query[q].camera) continue;  // the protocol's removal
      matches.push_back(same_identity ? 1 : 0);
    }
    const std::size_t relevant = static_cast<std::size_t>(std::count(matches.begin(), matches.end(), 1));
    if (relevant == 0) {
      ++m.skipped_queries;  // "this condition is true when query identity does not appear in gallery"
      continue;
    }
    ++m.valid_queries;
    const std::size_t first =
        static_cast<std::size_t>(std::find(matches.begin(), matches.end(), 1) - matches.begin());
    m.first_match_rank[q] = static_cast<int>(first) + 1;
    // cmc = raw_cmc.cumsum(); cmc[cmc > 1] = 1; all_cmc.append(cmc[:max_rank]).
    for (std::size_t k = first; k < ranks; ++k) m.cmc[k] += 1.0;
    // AP = sum_i (hits up to i) / (i + 1) * raw_cmc[i] / num_rel.
    double hits = 0.0, precision_sum = 0.0;
    for (std::size_t i = 0; i < matches.size(); ++i) {
      if (matches[i] == 0) continue;
      hits += 1.0;
      precision_sum += hits / static_cast<double>(i + 1);
    }
    const double ap = precision_sum / static_cast<double>(relevant);
    m.average_precision[q] = ap;
    ap_sum += ap;
  }
  if (m.valid_queries == 0) {
    throw oi::Error("evaluate_market1501: no query has a gallery item of its identity from another camera (" +
                    std::to_string(nq) + " queries, " + std::to_string(ng) +
                    " gallery items); the split cannot be evaluated");
  }
  for (double& c : m.cmc) c /= static_cast<double>(m.valid_queries);
  m.map = ap_sum / static_cast<double>(m.valid_queries);
  return m;
}

namespace {

void check_rows(std::span<const float> a, std::span<const float> b, std::size_t dim, const char* what) {
  if (dim == 0 || a.size() % dim != 0 || b.size() % dim != 0) {
    throw oi::Error(std::string(what) + ": the inputs (" + std::to_string(a.size()) + " and " +
                    std::to_string(b.size()) + " values) are not whole rows of " + std::to_string(dim));
  }
}

}  // namespace

std::vector<float> euclidean_distances(std::span<const float> query, std::span<const float> gallery,
                                       std::size_t dim) {
  check_rows(query, gallery, dim, "euclidean_distances");
  const std::size_t nq = query.size() / dim, ng = gallery.size() / dim;
  std::vector<float> out(nq * ng);
  for (std::size_t q = 0; q < nq; ++q) {
    const float* a = query.data() + q * dim;
    for (std::size_t g = 0; g < ng; ++g) {
      const float* b = gallery.data() + g * dim;
      double sum = 0.0;
      for (std::size_t k = 0; k < dim; ++k) {
        const double d = static_cast<double>(a[k]) - b[k];
        sum += d * d;
      }
      out[q * ng + g] = static_cast<float>(std::sqrt(sum));
    }
  }
  return out;
}

std::vector<float> cosine_distances(std::span<const float> query, std::span<const float> gallery,
                                    std::size_t dim) {
  check_rows(query, gallery, dim, "cosine_distances");
  const std::size_t nq = query.size() / dim, ng = gallery.size() / dim;
  auto norms = [dim](std::span<const float> rows) {
    std::vector<double> n(rows.size() / dim);
    for (std::size_t r = 0; r < n.size(); ++r) {
      double s = 0.0;
      for (std::size_t k = 0; k < dim; ++k) s += static_cast<double>(rows[r * dim + k]) * rows[r * dim + k];
      n[r] = std::sqrt(s);
    }
    return n;
  };
  const std::vector<double> qn = norms(query), gn = norms(gallery);
  std::vector<float> out(nq * ng);
  for (std::size_t q = 0; q < nq; ++q) {
    const float* a = query.data() + q * dim;
    for (std::size_t g = 0; g < ng; ++g) {
      const float* b = gallery.data() + g * dim;
      if (qn[q] == 0.0 || gn[g] == 0.0) {
        out[q * ng + g] = 1.0f;
        continue;
      }
      double dot = 0.0;
      for (std::size_t k = 0; k < dim; ++k) dot += static_cast<double>(a[k]) * b[k];
      out[q * ng + g] = static_cast<float>(1.0 - dot / (qn[q] * gn[g]));
    }
  }
  return out;
}

nlohmann::json to_json(const ReidMetrics& m) {
  return {{"rank1", m.rank(1)},
          {"rank5", m.rank(5)},
          {"rank10", m.rank(10)},
          {"rank20", m.rank(20)},
          {"map", m.map},
          {"queries", m.queries},
          {"valid_queries", m.valid_queries},
          {"skipped_queries", m.skipped_queries}};
}

}  // namespace oi::cctv
