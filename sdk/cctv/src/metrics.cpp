// Tracking metrics with TrackEval's definitions. Each function follows the Python it names
// (trackeval/metrics/clear.py, identity.py, hota.py; the preprocessing of
// trackeval/datasets/mot_challenge_2d_box.py), including its edge cases, so that the figures
// agree with TrackEval's on the same MOTChallenge files; comments point out where that
// behaviour is surprising.
#include "oi/cctv/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <string>
#include <unordered_map>

#include "oi/cctv/assignment.hpp"
#include "oi/error.hpp"

namespace oi::cctv {
namespace {

// The pairs (row, column) of a maximum-score assignment of `score` (rows x cols, row-major):
// scipy's linear_sum_assignment(-score), as TrackEval calls it.
std::vector<std::pair<int, int>> max_score_pairs(const std::vector<double>& score, int rows, int cols) {
  CostMatrix cost(static_cast<std::size_t>(std::max(rows, 0)), static_cast<std::size_t>(std::max(cols, 0)));
  for (std::size_t r = 0; r < cost.rows(); ++r) {
    for (std::size_t c = 0; c < cost.cols(); ++c) cost.at(r, c) = -score[r * cost.cols() + c];
  }
  const Assignment assigned = solve_assignment(cost);
  std::vector<std::pair<int, int>> pairs;
  for (std::size_t r = 0; r < assigned.row_to_col.size(); ++r) {
    if (assigned.row_to_col[r] >= 0) pairs.emplace_back(static_cast<int>(r), assigned.row_to_col[r]);
  }
  return pairs;
}

// numpy's np.finfo('float').eps, which TrackEval subtracts from its thresholds.
constexpr double kEps = std::numeric_limits<double>::epsilon();

// A sequence with ids relabelled 0..n-1 (ascending, as TrackEval's np.unique) and the IoU
// matrix of every frame, distractors already removed.
struct IndexedFrame {
  std::vector<int> gt;      // truth id indices
  std::vector<int> tr;      // tracker id indices
  std::vector<double> sim;  // gt.size() x tr.size(), row-major IoU
  double at(std::size_t g, std::size_t t) const { return sim[g * tr.size() + t]; }
};

struct IndexedSequence {
  std::vector<IndexedFrame> frames;
  int num_gt_ids = 0;
  int num_tr_ids = 0;
  std::int64_t num_gt_dets = 0;
  std::int64_t num_tr_dets = 0;
};

template <class T>
void check_unique_ids(const std::vector<T>& objects, std::size_t frame, const char* what) {
  std::vector<std::int64_t> ids;
  ids.reserve(objects.size());
  for (const T& o : objects) ids.push_back(o.id);
  std::sort(ids.begin(), ids.end());
  const auto dup = std::adjacent_find(ids.begin(), ids.end());
  if (dup != ids.end()) {
    throw Error("tracking metrics: frame " + std::to_string(frame) + " holds " + what + " id " +
                std::to_string(*dup) + " twice; ids must be unique within a frame (fix the " + what +
                " source)");
  }
}

std::vector<double> iou_matrix(const std::vector<Box>& truth, const std::vector<Box>& boxes) {
  std::vector<double> sim(truth.size() * boxes.size());
  for (std::size_t g = 0; g < truth.size(); ++g) {
    for (std::size_t t = 0; t < boxes.size(); ++t) sim[g * boxes.size() + t] = iou(truth[g], boxes[t]);
  }
  return sim;
}

// Pairs matched at IoU >= 0.5 by maximum total IoU: TrackEval's preprocessing and CLEAR
// without the continuation bonus.
std::vector<std::pair<int, int>> match_at_half(const std::vector<double>& sim, int rows, int cols) {
  std::vector<double> score(sim);
  for (double& s : score) {
    if (s < kMatchIou - kEps) s = 0.0;
  }
  std::vector<std::pair<int, int>> pairs;
  for (const auto& [r, c] : max_score_pairs(score, rows, cols)) {
    if (score[static_cast<std::size_t>(r) * cols + c] > kEps) pairs.emplace_back(r, c);
  }
  return pairs;
}

// MOTChallenge step 2 and 4 for one frame: the boxes matched to a distractor go, then the
// distractors. Returns the kept box indices; `removed` counts the boxes that went.
std::vector<std::size_t> boxes_off_distractors(const std::vector<TruthObject>& truth,
                                               const std::vector<Box>& boxes, std::int64_t& removed) {
  std::vector<std::size_t> kept(boxes.size());
  std::iota(kept.begin(), kept.end(), 0);
  const bool any_distractor =
      std::any_of(truth.begin(), truth.end(), [](const TruthObject& o) { return o.distractor; });
  if (!any_distractor || boxes.empty()) return kept;
  std::vector<Box> truth_boxes;
  for (const TruthObject& o : truth) truth_boxes.push_back(o.box);
  std::vector<char> drop(boxes.size(), 0);
  for (const auto& [g, t] : match_at_half(iou_matrix(truth_boxes, boxes), static_cast<int>(truth.size()),
                                          static_cast<int>(boxes.size()))) {
    if (truth[static_cast<std::size_t>(g)].distractor) drop[static_cast<std::size_t>(t)] = 1;
  }
  kept.clear();
  for (std::size_t t = 0; t < boxes.size(); ++t) {
    if (drop[t]) {
      ++removed;
    } else {
      kept.push_back(t);
    }
  }
  return kept;
}

IndexedSequence index_sequence(const EvalSequence& clean) {
  std::map<std::int64_t, int> gt_index, tr_index;
  for (const EvalFrame& f : clean) {
    for (const TruthObject& o : f.truth) gt_index.emplace(o.id, 0);
    for (const TrackedObject& o : f.tracks) tr_index.emplace(o.id, 0);
  }
  int next = 0;
  for (auto& [id, index] : gt_index) index = next++;
  next = 0;
  for (auto& [id, index] : tr_index) index = next++;
  IndexedSequence out;
  out.num_gt_ids = static_cast<int>(gt_index.size());
  out.num_tr_ids = static_cast<int>(tr_index.size());
  out.frames.reserve(clean.size());
  for (const EvalFrame& f : clean) {
    IndexedFrame x;
    std::vector<Box> gt_boxes, tr_boxes;
    for (const TruthObject& o : f.truth) {
      x.gt.push_back(gt_index[o.id]);
      gt_boxes.push_back(o.box);
    }
    for (const TrackedObject& o : f.tracks) {
      x.tr.push_back(tr_index[o.id]);
      tr_boxes.push_back(o.box);
    }
    x.sim = iou_matrix(gt_boxes, tr_boxes);
    out.num_gt_dets += static_cast<std::int64_t>(x.gt.size());
    out.num_tr_dets += static_cast<std::int64_t>(x.tr.size());
    out.frames.push_back(std::move(x));
  }
  return out;
}

// ---- CLEAR (trackeval/metrics/clear.py, eval_sequence) ----
ClearMetrics clear_of(const IndexedSequence& d) {
  ClearMetrics res;
  if (d.num_tr_dets == 0) {
    res.fn = d.num_gt_dets;
    res.ml = d.num_gt_ids;
    return res;  // TrackEval returns before counting frames: frames stays 0
  }
  if (d.num_gt_dets == 0) {
    res.fp = d.num_tr_dets;
    return res;
  }
  const auto G = static_cast<std::size_t>(d.num_gt_ids);
  std::vector<double> gt_id_count(G, 0), gt_matched_count(G, 0), gt_frag_count(G, 0);
  // -1 stands for TrackEval's NaN. The tracker matched at the identity's last match scores
  // IDSW; the one matched in the previous frame gets the continuation bonus.
  std::vector<int> prev_tracker_id(G, -1), prev_timestep_tracker_id(G, -1);
  for (const IndexedFrame& f : d.frames) {
    const std::size_t ng = f.gt.size(), nt = f.tr.size();
    // A frame without truth or without tracks leaves prev_timestep_tracker_id as it was (as in
    // TrackEval): a gap of such frames neither breaks the bonus nor counts a fragmentation.
    if (ng == 0) {
      res.fp += static_cast<std::int64_t>(nt);
      continue;
    }
    if (nt == 0) {
      res.fn += static_cast<std::int64_t>(ng);
      for (int g : f.gt) gt_id_count[static_cast<std::size_t>(g)] += 1;
      continue;
    }
    std::vector<double> score(ng * nt);
    for (std::size_t g = 0; g < ng; ++g) {
      for (std::size_t t = 0; t < nt; ++t) {
        const double sim = f.at(g, t);
        const bool continues = prev_timestep_tracker_id[static_cast<std::size_t>(f.gt[g])] == f.tr[t];
        score[g * nt + t] = sim < kMatchIou - kEps ? 0.0 : 1000.0 * (continues ? 1 : 0) + sim;
      }
    }
    std::vector<std::pair<int, int>> matches;
    for (const auto& [g, t] : max_score_pairs(score, static_cast<int>(ng), static_cast<int>(nt))) {
      if (score[static_cast<std::size_t>(g) * nt + t] > kEps) matches.emplace_back(g, t);
    }
    for (const auto& [g, t] : matches) {
      const int prev = prev_tracker_id[static_cast<std::size_t>(f.gt[g])];
      if (prev >= 0 && prev != f.tr[t]) ++res.idsw;
    }
    for (int g : f.gt) gt_id_count[static_cast<std::size_t>(g)] += 1;
    for (const auto& [g, t] : matches) gt_matched_count[static_cast<std::size_t>(f.gt[g])] += 1;
    std::vector<char> not_previously_tracked(G);
    for (std::size_t g = 0; g < G; ++g) not_previously_tracked[g] = prev_timestep_tracker_id[g] < 0;
    std::fill(prev_timestep_tracker_id.begin(), prev_timestep_tracker_id.end(), -1);
    for (const auto& [g, t] : matches) {
      prev_tracker_id[static_cast<std::size_t>(f.gt[g])] = f.tr[t];
      prev_timestep_tracker_id[static_cast<std::size_t>(f.gt[g])] = f.tr[t];
    }
    for (std::size_t g = 0; g < G; ++g) {
      if (not_previously_tracked[g] && prev_timestep_tracker_id[g] >= 0) gt_frag_count[g] += 1;
    }
    const auto nm = static_cast<std::int64_t>(matches.size());
    res.tp += nm;
    res.fn += static_cast<std::int64_t>(ng) - nm;
    res.fp += static_cast<std::int64_t>(nt) - nm;
    for (const auto& [g, t] : matches)
      res.motp_sum += f.at(static_cast<std::size_t>(g), static_cast<std::size_t>(t));
  }
  for (std::size_t g = 0; g < G; ++g) {
    if (gt_id_count[g] <= 0) continue;
    const double ratio = gt_matched_count[g] / gt_id_count[g];
    if (ratio > 0.8) {
      ++res.mt;
    } else if (ratio >= 0.2) {
      ++res.pt;
    }
    if (gt_frag_count[g] > 0) res.frag += static_cast<std::int64_t>(gt_frag_count[g]) - 1;
  }
  res.ml = d.num_gt_ids - res.mt - res.pt;
  res.frames = static_cast<std::int64_t>(d.frames.size());
  return res;
}

// Connected groups of truth and tracker ids that share at least one potential match; the
// global assignment decomposes over them exactly (ids without any potential match add the
// same cost whatever they are assigned to), which keeps a run with thousands of short tracks
// from building one huge matrix.
struct Groups {
  std::vector<int> parent;
  explicit Groups(int n) : parent(static_cast<std::size_t>(n)) { std::iota(parent.begin(), parent.end(), 0); }
  int find(int x) {
    while (parent[static_cast<std::size_t>(x)] != x) {
      parent[static_cast<std::size_t>(x)] =
          parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(x)])];
      x = parent[static_cast<std::size_t>(x)];
    }
    return x;
  }
  void join(int a, int b) { parent[static_cast<std::size_t>(find(a))] = find(b); }
};

std::uint64_t pair_key(int g, int t) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(g)) << 32) | static_cast<std::uint32_t>(t);
}

// ---- Identity (trackeval/metrics/identity.py, eval_sequence) ----
IdentityMetrics identity_of(const IndexedSequence& d) {
  IdentityMetrics res;
  if (d.num_tr_dets == 0) {
    res.idfn = d.num_gt_dets;
    return res;
  }
  if (d.num_gt_dets == 0) {
    res.idfp = d.num_tr_dets;
    return res;
  }
  std::unordered_map<std::uint64_t, double> potential;  // (gt, tracker) -> frames with IoU >= 0.5
  std::vector<double> gt_id_count(static_cast<std::size_t>(d.num_gt_ids), 0);
  std::vector<double> tr_id_count(static_cast<std::size_t>(d.num_tr_ids), 0);
  for (const IndexedFrame& f : d.frames) {
    for (std::size_t g = 0; g < f.gt.size(); ++g) {
      for (std::size_t t = 0; t < f.tr.size(); ++t) {
        if (f.at(g, t) >= kMatchIou) potential[pair_key(f.gt[g], f.tr[t])] += 1;
      }
    }
    for (int g : f.gt) gt_id_count[static_cast<std::size_t>(g)] += 1;
    for (int t : f.tr) tr_id_count[static_cast<std::size_t>(t)] += 1;
  }
  // TrackEval minimises IDFN + IDFP over a (G+T) x (G+T) matrix whose extra rows and columns
  // leave an id unassigned. Assigning truth g to tracker t saves 2 x potential(g, t) against
  // leaving both unassigned, so the minimum is sum(gt counts) + sum(tracker counts) - 2 x the
  // maximum-weight matching on `potential`, solved here group by group.
  Groups groups(d.num_gt_ids + d.num_tr_ids);
  for (const auto& [key, count] : potential) {
    groups.join(static_cast<int>(key >> 32), d.num_gt_ids + static_cast<int>(key & 0xffffffffu));
  }
  std::map<int, std::pair<std::vector<int>, std::vector<int>>> members;  // root -> (gts, trackers)
  for (const auto& [key, count] : potential) {
    (void)count;
    const int g = static_cast<int>(key >> 32), t = static_cast<int>(key & 0xffffffffu);
    members[groups.find(g)].first.push_back(g);
    members[groups.find(g)].second.push_back(t);
  }
  double matched = 0;
  for (auto& [root, m] : members) {
    (void)root;
    auto& [gts, trs] = m;
    std::sort(gts.begin(), gts.end());
    gts.erase(std::unique(gts.begin(), gts.end()), gts.end());
    std::sort(trs.begin(), trs.end());
    trs.erase(std::unique(trs.begin(), trs.end()), trs.end());
    std::vector<double> score(gts.size() * trs.size(), 0.0);
    for (std::size_t i = 0; i < gts.size(); ++i) {
      for (std::size_t j = 0; j < trs.size(); ++j) {
        const auto it = potential.find(pair_key(gts[i], trs[j]));
        if (it != potential.end()) score[i * trs.size() + j] = it->second;
      }
    }
    for (const auto& [i, j] :
         max_score_pairs(score, static_cast<int>(gts.size()), static_cast<int>(trs.size()))) {
      matched += score[static_cast<std::size_t>(i) * trs.size() + j];
    }
  }
  const double gt_total = std::accumulate(gt_id_count.begin(), gt_id_count.end(), 0.0);
  const double tr_total = std::accumulate(tr_id_count.begin(), tr_id_count.end(), 0.0);
  res.idfn = static_cast<std::int64_t>(std::llround(gt_total - matched));
  res.idfp = static_cast<std::int64_t>(std::llround(tr_total - matched));
  res.idtp = static_cast<std::int64_t>(std::llround(gt_total)) - res.idfn;
  return res;
}

// ---- HOTA (trackeval/metrics/hota.py, eval_sequence) ----
HotaMetrics hota_of(const IndexedSequence& d) {
  constexpr int A = HotaMetrics::kAlphas;
  HotaMetrics res;
  if (d.num_tr_dets == 0) {
    res.fn.fill(static_cast<double>(d.num_gt_dets));
    res.loc_a_by_alpha.fill(1.0);
    return res;
  }
  if (d.num_gt_dets == 0) {
    res.fp.fill(static_cast<double>(d.num_tr_dets));
    res.loc_a_by_alpha.fill(1.0);
    return res;
  }
  // Global alignment: per frame each pair's IoU normalised by the row and column sums (a soft
  // count of how much the pair could match), summed over the sequence.
  std::unordered_map<std::uint64_t, double> potential;
  std::vector<double> gt_id_count(static_cast<std::size_t>(d.num_gt_ids), 0);
  std::vector<double> tr_id_count(static_cast<std::size_t>(d.num_tr_ids), 0);
  for (const IndexedFrame& f : d.frames) {
    const std::size_t ng = f.gt.size(), nt = f.tr.size();
    std::vector<double> row_sum(ng, 0), col_sum(nt, 0);
    for (std::size_t g = 0; g < ng; ++g) {
      for (std::size_t t = 0; t < nt; ++t) {
        row_sum[g] += f.at(g, t);
        col_sum[t] += f.at(g, t);
      }
    }
    for (std::size_t g = 0; g < ng; ++g) {
      for (std::size_t t = 0; t < nt; ++t) {
        const double denom = col_sum[t] + row_sum[g] - f.at(g, t);
        if (denom > kEps) potential[pair_key(f.gt[g], f.tr[t])] += f.at(g, t) / denom;
      }
    }
    for (int g : f.gt) gt_id_count[static_cast<std::size_t>(g)] += 1;
    for (int t : f.tr) tr_id_count[static_cast<std::size_t>(t)] += 1;
  }
  auto global_alignment = [&](int g, int t) {
    const auto it = potential.find(pair_key(g, t));
    const double p = it == potential.end() ? 0.0 : it->second;
    return p / (gt_id_count[static_cast<std::size_t>(g)] + tr_id_count[static_cast<std::size_t>(t)] - p);
  };
  std::unordered_map<std::uint64_t, std::array<double, A>> matches_count;
  std::array<double, A> loc_sum{};
  for (const IndexedFrame& f : d.frames) {
    const std::size_t ng = f.gt.size(), nt = f.tr.size();
    if (ng == 0) {
      for (int a = 0; a < A; ++a) res.fp[a] += static_cast<double>(nt);
      continue;
    }
    if (nt == 0) {
      for (int a = 0; a < A; ++a) res.fn[a] += static_cast<double>(ng);
      continue;
    }
    std::vector<double> score(ng * nt);
    for (std::size_t g = 0; g < ng; ++g) {
      for (std::size_t t = 0; t < nt; ++t)
        score[g * nt + t] = global_alignment(f.gt[g], f.tr[t]) * f.at(g, t);
    }
    // One assignment for every alpha; a pair counts at alpha when its IoU reaches it.
    const auto pairs = max_score_pairs(score, static_cast<int>(ng), static_cast<int>(nt));
    for (int a = 0; a < A; ++a) {
      const double alpha = HotaMetrics::alpha(a);
      double num_matches = 0;
      for (const auto& [g, t] : pairs) {
        const double sim = f.at(static_cast<std::size_t>(g), static_cast<std::size_t>(t));
        if (sim < alpha - kEps) continue;
        num_matches += 1;
        loc_sum[a] += sim;
        matches_count[pair_key(f.gt[static_cast<std::size_t>(g)], f.tr[static_cast<std::size_t>(t)])][a] += 1;
      }
      res.tp[a] += num_matches;
      res.fn[a] += static_cast<double>(ng) - num_matches;
      res.fp[a] += static_cast<double>(nt) - num_matches;
    }
  }
  for (int a = 0; a < A; ++a) {
    double ass_a = 0, ass_re = 0, ass_pr = 0;
    for (const auto& [key, counts] : matches_count) {
      const double mc = counts[a];
      if (mc == 0) continue;
      const double gc = gt_id_count[static_cast<std::size_t>(key >> 32)];
      const double tc = tr_id_count[static_cast<std::size_t>(key & 0xffffffffu)];
      ass_a += mc * (mc / std::max(1.0, gc + tc - mc));
      ass_re += mc * (mc / std::max(1.0, gc));
      ass_pr += mc * (mc / std::max(1.0, tc));
    }
    res.ass_a_by_alpha[a] = ass_a / std::max(1.0, res.tp[a]);
    res.ass_re_by_alpha[a] = ass_re / std::max(1.0, res.tp[a]);
    res.ass_pr_by_alpha[a] = ass_pr / std::max(1.0, res.tp[a]);
    res.loc_a_by_alpha[a] = std::max(1e-10, loc_sum[a]) / std::max(1e-10, res.tp[a]);
  }
  return res;
}

double ratio(double num, double den) { return num / std::max(1.0, den); }

template <std::size_t N, class F>
double mean_over_alphas(F value) {
  double sum = 0;
  for (std::size_t a = 0; a < N; ++a) sum += value(static_cast<int>(a));
  return sum / N;
}

}  // namespace

// ---- preprocessing ----

EvalSequence remove_distractors(const EvalSequence& sequence) {
  EvalSequence out;
  out.reserve(sequence.size());
  for (std::size_t i = 0; i < sequence.size(); ++i) {
    const EvalFrame& f = sequence[i];
    check_unique_ids(f.truth, i, "truth");
    check_unique_ids(f.tracks, i, "track");
    std::vector<Box> boxes;
    for (const TrackedObject& o : f.tracks) boxes.push_back(o.box);
    std::int64_t removed = 0;
    EvalFrame clean;
    for (std::size_t t : boxes_off_distractors(f.truth, boxes, removed)) clean.tracks.push_back(f.tracks[t]);
    for (const TruthObject& o : f.truth) {
      if (!o.distractor) clean.truth.push_back(o);
    }
    out.push_back(std::move(clean));
  }
  return out;
}

// ---- derived figures (TrackEval's _compute_final_fields) ----

double ClearMetrics::mota() const {
  return ratio(static_cast<double>(tp - fp - idsw), static_cast<double>(tp + fn));
}
double ClearMetrics::moda() const {
  return ratio(static_cast<double>(tp - fp), static_cast<double>(tp + fn));
}
double ClearMetrics::motp() const { return ratio(motp_sum, static_cast<double>(tp)); }
double ClearMetrics::recall() const { return ratio(static_cast<double>(tp), static_cast<double>(tp + fn)); }
double ClearMetrics::precision() const {
  return ratio(static_cast<double>(tp), static_cast<double>(tp + fp));
}
double ClearMetrics::fp_per_frame() const {
  return ratio(static_cast<double>(fp), static_cast<double>(frames));
}

ClearMetrics& ClearMetrics::operator+=(const ClearMetrics& o) {
  tp += o.tp;
  fn += o.fn;
  fp += o.fp;
  idsw += o.idsw;
  mt += o.mt;
  pt += o.pt;
  ml += o.ml;
  frag += o.frag;
  frames += o.frames;
  motp_sum += o.motp_sum;
  return *this;
}

double IdentityMetrics::idf1() const {
  return ratio(static_cast<double>(idtp), static_cast<double>(idtp) + 0.5 * idfp + 0.5 * idfn);
}
double IdentityMetrics::idp() const {
  return ratio(static_cast<double>(idtp), static_cast<double>(idtp + idfp));
}
double IdentityMetrics::idr() const {
  return ratio(static_cast<double>(idtp), static_cast<double>(idtp + idfn));
}

IdentityMetrics& IdentityMetrics::operator+=(const IdentityMetrics& o) {
  idtp += o.idtp;
  idfn += o.idfn;
  idfp += o.idfp;
  return *this;
}

double HotaMetrics::det_a(int a) const { return ratio(tp[a], tp[a] + fn[a] + fp[a]); }
double HotaMetrics::det_re(int a) const { return ratio(tp[a], tp[a] + fn[a]); }
double HotaMetrics::det_pr(int a) const { return ratio(tp[a], tp[a] + fp[a]); }
double HotaMetrics::hota(int a) const { return std::sqrt(det_a(a) * ass_a_by_alpha[a]); }

double HotaMetrics::hota() const {
  return mean_over_alphas<kAlphas>([this](int a) { return hota(a); });
}
double HotaMetrics::det_a() const {
  return mean_over_alphas<kAlphas>([this](int a) { return det_a(a); });
}
double HotaMetrics::ass_a() const {
  return mean_over_alphas<kAlphas>([this](int a) { return ass_a_by_alpha[a]; });
}
double HotaMetrics::det_re() const {
  return mean_over_alphas<kAlphas>([this](int a) { return det_re(a); });
}
double HotaMetrics::det_pr() const {
  return mean_over_alphas<kAlphas>([this](int a) { return det_pr(a); });
}
double HotaMetrics::ass_re() const {
  return mean_over_alphas<kAlphas>([this](int a) { return ass_re_by_alpha[a]; });
}
double HotaMetrics::ass_pr() const {
  return mean_over_alphas<kAlphas>([this](int a) { return ass_pr_by_alpha[a]; });
}
double HotaMetrics::loc_a() const {
  return mean_over_alphas<kAlphas>([this](int a) { return loc_a_by_alpha[a]; });
}

HotaMetrics& HotaMetrics::operator+=(const HotaMetrics& o) {
  for (int a = 0; a < kAlphas; ++a) {
    const double total = tp[a] + o.tp[a];
    auto weighted = [&](double mine, double theirs) {
      return (mine * tp[a] + theirs * o.tp[a]) / std::max(1.0, total);
    };
    ass_a_by_alpha[a] = weighted(ass_a_by_alpha[a], o.ass_a_by_alpha[a]);
    ass_re_by_alpha[a] = weighted(ass_re_by_alpha[a], o.ass_re_by_alpha[a]);
    ass_pr_by_alpha[a] = weighted(ass_pr_by_alpha[a], o.ass_pr_by_alpha[a]);
    loc_a_by_alpha[a] =
        std::max(1e-10, loc_a_by_alpha[a] * tp[a] + o.loc_a_by_alpha[a] * o.tp[a]) / std::max(1e-10, total);
    tp[a] = total;
    fn[a] += o.fn[a];
    fp[a] += o.fp[a];
  }
  return *this;
}

TrackingMetrics& TrackingMetrics::operator+=(const TrackingMetrics& o) {
  clear += o.clear;
  identity += o.identity;
  hota += o.hota;
  truth_boxes += o.truth_boxes;
  tracker_boxes += o.tracker_boxes;
  truth_ids += o.truth_ids;
  tracker_ids += o.tracker_ids;
  distractor_boxes += o.distractor_boxes;
  boxes_on_distractors += o.boxes_on_distractors;
  return *this;
}

// ---- evaluation entry points ----

ClearMetrics evaluate_clear(const EvalSequence& sequence) {
  return clear_of(index_sequence(remove_distractors(sequence)));
}

IdentityMetrics evaluate_identity(const EvalSequence& sequence) {
  return identity_of(index_sequence(remove_distractors(sequence)));
}

HotaMetrics evaluate_hota(const EvalSequence& sequence) {
  return hota_of(index_sequence(remove_distractors(sequence)));
}

TrackingMetrics evaluate_tracking(const EvalSequence& sequence) {
  const EvalSequence clean = remove_distractors(sequence);
  const IndexedSequence d = index_sequence(clean);
  TrackingMetrics m;
  m.clear = clear_of(d);
  m.identity = identity_of(d);
  m.hota = hota_of(d);
  m.truth_boxes = d.num_gt_dets;
  m.tracker_boxes = d.num_tr_dets;
  m.truth_ids = d.num_gt_ids;
  m.tracker_ids = d.num_tr_ids;
  for (std::size_t i = 0; i < sequence.size(); ++i) {
    for (const TruthObject& o : sequence[i].truth) m.distractor_boxes += o.distractor ? 1 : 0;
    m.boxes_on_distractors += static_cast<std::int64_t>(sequence[i].tracks.size()) -
                              static_cast<std::int64_t>(clean[i].tracks.size());
  }
  return m;
}

// ---- detection ----

double DetectionMetrics::precision() const {
  return ratio(static_cast<double>(tp), static_cast<double>(tp + fp));
}
double DetectionMetrics::recall() const {
  return ratio(static_cast<double>(tp), static_cast<double>(tp + fn));
}
double DetectionMetrics::false_per_frame() const {
  return ratio(static_cast<double>(fp), static_cast<double>(frames));
}

DetectionMetrics& DetectionMetrics::operator+=(const DetectionMetrics& o) {
  frames += o.frames;
  truth += o.truth;
  tp += o.tp;
  fn += o.fn;
  fp += o.fp;
  on_distractors += o.on_distractors;
  return *this;
}

DetectionMetrics evaluate_detections(const std::vector<TruthObject>& truth,
                                     const std::vector<Box>& detections) {
  DetectionMetrics m;
  m.frames = 1;
  std::vector<Box> kept;
  for (std::size_t t : boxes_off_distractors(truth, detections, m.on_distractors))
    kept.push_back(detections[t]);
  std::vector<Box> truth_boxes;
  for (const TruthObject& o : truth) {
    if (!o.distractor) truth_boxes.push_back(o.box);
  }
  const auto matches = match_at_half(iou_matrix(truth_boxes, kept), static_cast<int>(truth_boxes.size()),
                                     static_cast<int>(kept.size()));
  m.truth = static_cast<std::int64_t>(truth_boxes.size());
  m.tp = static_cast<std::int64_t>(matches.size());
  m.fn = m.truth - m.tp;
  m.fp = static_cast<std::int64_t>(kept.size()) - m.tp;
  return m;
}

// ---- JSON ----

nlohmann::json to_json(const ClearMetrics& m) {
  return {{"tp", m.tp},
          {"fn", m.fn},
          {"fp", m.fp},
          {"idsw", m.idsw},
          {"frag", m.frag},
          {"mt", m.mt},
          {"pt", m.pt},
          {"ml", m.ml},
          {"frames", m.frames},
          {"mota", m.mota()},
          {"moda", m.moda()},
          {"motp", m.motp()},
          {"recall", m.recall()},
          {"precision", m.precision()},
          {"fp_per_frame", m.fp_per_frame()}};
}

nlohmann::json to_json(const IdentityMetrics& m) {
  return {{"idtp", m.idtp},   {"idfn", m.idfn}, {"idfp", m.idfp},
          {"idf1", m.idf1()}, {"idp", m.idp()}, {"idr", m.idr()}};
}

nlohmann::json to_json(const HotaMetrics& m) {
  nlohmann::json alphas = nlohmann::json::array();
  nlohmann::json by_alpha = {{"hota", nlohmann::json::array()},   {"det_a", nlohmann::json::array()},
                             {"ass_a", nlohmann::json::array()},  {"det_re", nlohmann::json::array()},
                             {"det_pr", nlohmann::json::array()}, {"ass_re", nlohmann::json::array()},
                             {"ass_pr", nlohmann::json::array()}, {"loc_a", nlohmann::json::array()}};
  for (int a = 0; a < HotaMetrics::kAlphas; ++a) {
    alphas.push_back(std::round(HotaMetrics::alpha(a) * 100.0) / 100.0);
    by_alpha["hota"].push_back(m.hota(a));
    by_alpha["det_a"].push_back(m.det_a(a));
    by_alpha["ass_a"].push_back(m.ass_a_by_alpha[a]);
    by_alpha["det_re"].push_back(m.det_re(a));
    by_alpha["det_pr"].push_back(m.det_pr(a));
    by_alpha["ass_re"].push_back(m.ass_re_by_alpha[a]);
    by_alpha["ass_pr"].push_back(m.ass_pr_by_alpha[a]);
    by_alpha["loc_a"].push_back(m.loc_a_by_alpha[a]);
  }
  return {{"hota", m.hota()},     {"det_a", m.det_a()},   {"ass_a", m.ass_a()},   {"det_re", m.det_re()},
          {"det_pr", m.det_pr()}, {"ass_re", m.ass_re()}, {"ass_pr", m.ass_pr()}, {"loc_a", m.loc_a()},
          {"alpha", alphas},      {"by_alpha", by_alpha}};
}

nlohmann::json to_json(const TrackingMetrics& m) {
  return {{"clear", to_json(m.clear)},
          {"identity", to_json(m.identity)},
          {"hota", to_json(m.hota)},
          {"truth_boxes", m.truth_boxes},
          {"tracker_boxes", m.tracker_boxes},
          {"truth_ids", m.truth_ids},
          {"tracker_ids", m.tracker_ids},
          {"distractor_boxes", m.distractor_boxes},
          {"boxes_on_distractors", m.boxes_on_distractors}};
}

nlohmann::json to_json(const DetectionMetrics& m) {
  return {{"frames", m.frames},
          {"truth", m.truth},
          {"tp", m.tp},
          {"fn", m.fn},
          {"fp", m.fp},
          {"on_distractors", m.on_distractors},
          {"precision", m.precision()},
          {"recall", m.recall()},
          {"false_per_frame", m.false_per_frame()}};
}

}  // namespace oi::cctv
