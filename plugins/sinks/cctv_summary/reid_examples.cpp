// Re-identification examples of a run with simulator truth: tracklet embeddings, the
// Market-1501 protocol over them, sample queries with their top gallery tracklets.
#include "reid_examples.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "oi/cctv/reid_metrics.hpp"
#include "oi/error.hpp"
#include "thumbnails.hpp"

namespace oi::cctv::summary {

std::int64_t ReidTracklet::identity() const {
  std::int64_t best = -1, best_votes = 0;
  for (const auto& [id, n] : votes) {
    if (n > best_votes) best = id, best_votes = n;
  }
  return 2 * best_votes >= frames && best_votes > 0 ? best : -1;
}

void ReidExamples::add(const Frame& frame, const std::string& camera, const std::vector<Track>& tracks,
                       const std::vector<GroundTruthPerson>& truth) {
  if (truth.empty() && tracks.empty()) return;
  const Plane* image = rgb8_image(frame);
  for (const Track& t : tracks) {
    if (t.embedding.empty()) continue;
    const auto key = std::make_pair(camera, t.id);
    auto found = index_.find(key);
    if (found == index_.end()) {
      found = index_.emplace(key, tracklets_.size()).first;
      ReidTracklet fresh;
      fresh.camera = camera;
      fresh.track_id = t.id;
      tracklets_.push_back(std::move(fresh));
    }
    ReidTracklet& r = tracklets_[found->second];
    ++r.frames;
    double norm = 0;
    for (float v : t.embedding) norm += static_cast<double>(v) * v;
    norm = std::sqrt(norm);
    if (norm > 0 && std::isfinite(norm) &&
        (r.embedding_sum.empty() || r.embedding_sum.size() == t.embedding.size())) {
      r.embedding_sum.resize(t.embedding.size(), 0.0);
      for (std::size_t k = 0; k < t.embedding.size(); ++k) r.embedding_sum[k] += t.embedding[k] / norm;
      ++r.embedded;
    }
    // The truth person this box covers best (IoU >= 0.5).
    std::int64_t person = -1;
    double best = 0.5;
    for (const GroundTruthPerson& p : truth) {
      const double o = iou(t.box, p.box);
      if (o >= best) best = o, person = p.identity;
    }
    if (person >= 0) ++r.votes[person];
    // The crop of the tallest box wholly in the picture; simulated persons are shown unblurred.
    if (image != nullptr && t.box.h > r.crop_height * 1.1) {
      std::vector<unsigned char> jpeg = person_crop_jpeg(*image, t.box, crop_height_, false);
      if (!jpeg.empty()) r.jpeg = std::move(jpeg), r.crop_height = t.box.h;
    }
  }
}

ReidRunFigures ReidExamples::evaluate(int examples, int top) const {
  ReidRunFigures out;
  out.figures = nullptr;
  // The gallery: every tracklet with an embedding; the queries: those that followed a person.
  // A tracklet that followed nobody is a distractor with an identity of its own.
  std::vector<std::size_t> items;
  std::size_t dim = 0;
  for (std::size_t i = 0; i < tracklets_.size(); ++i) {
    const ReidTracklet& t = tracklets_[i];
    if (t.embedded == 0) continue;
    if (dim == 0) dim = t.embedding_sum.size();
    if (t.embedding_sum.size() == dim) items.push_back(i);
  }
  std::map<std::string, std::int64_t> camera_index;
  std::vector<ReidItem> gallery;
  std::vector<float> vectors;
  std::vector<std::size_t> queries;
  std::int64_t next_distractor = -2;
  for (std::size_t i : items) {
    const ReidTracklet& t = tracklets_[i];
    const std::int64_t id = t.identity();
    const auto cam = camera_index.emplace(t.camera, static_cast<std::int64_t>(camera_index.size())).first;
    gallery.push_back({id >= 0 ? id : next_distractor--, cam->second});
    if (id >= 0) queries.push_back(gallery.size() - 1);
    double norm = 0;
    for (double v : t.embedding_sum) norm += v * v;
    norm = std::sqrt(norm);
    for (double v : t.embedding_sum) vectors.push_back(static_cast<float>(norm > 0 ? v / norm : 0.0));
  }
  if (queries.empty() || camera_index.size() < 2) return out;
  std::vector<ReidItem> query;
  std::vector<float> query_vectors;
  for (std::size_t q : queries) {
    query.push_back(gallery[q]);
    query_vectors.insert(query_vectors.end(), vectors.begin() + static_cast<std::ptrdiff_t>(q * dim),
                         vectors.begin() + static_cast<std::ptrdiff_t>((q + 1) * dim));
  }
  const std::vector<float> d = cosine_distances(query_vectors, vectors, dim);
  ReidMetrics m;
  try {
    m = evaluate_market1501(d, query, gallery, 20);
  } catch (const Error&) {
    return out;  // no query has its person in another camera's tracklets
  }
  out.figures = to_json(m);
  out.figures["tracklets"] = items.size();
  out.figures["tracklets_without_person"] = items.size() - queries.size();
  out.figures["definition"] =
      "tracklet-level Market-1501 protocol: a tracklet's embedding is the mean of its tracks' "
      "embeddings; its person is the truth person its boxes cover (IoU >= 0.5) in at least half of its "
      "frames; every such tracklet is a query against all tracklets, the same person in the same camera "
      "excluded; tracklets that followed nobody are distractors; cosine distance";

  // Sample queries: evenly spread over the valid ones, in the order the tracklets began.
  std::vector<std::size_t> valid;
  for (std::size_t q = 0; q < query.size(); ++q)
    if (m.first_match_rank[q] > 0) valid.push_back(q);
  const std::size_t wanted = std::min(valid.size(), static_cast<std::size_t>(std::max(0, examples)));
  for (std::size_t e = 0; e < wanted; ++e) {
    const std::size_t q = valid[(e * valid.size()) / wanted];
    ReidExample ex;
    ex.query = items[queries[q]];
    ex.first_match_rank = m.first_match_rank[q];
    std::vector<std::size_t> order;
    for (std::size_t g = 0; g < gallery.size(); ++g) {
      const bool same = gallery[g].identity == query[q].identity && gallery[g].camera == query[q].camera;
      if (!same) order.push_back(g);
    }
    const float* row = d.data() + q * gallery.size();
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return row[a] < row[b]; });
    for (std::size_t k = 0; k < order.size() && static_cast<int>(k) < top; ++k) {
      const std::size_t g = order[k];
      ex.top.push_back({items[g], row[g], gallery[g].identity == query[q].identity});
    }
    out.examples.push_back(std::move(ex));
  }
  return out;
}

}  // namespace oi::cctv::summary
