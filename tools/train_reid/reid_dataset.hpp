#pragma once
/// @file
/// Re-identification data sets from the simulated site (plugins/drivers/sim_cctv) and what
/// oi-train-reid does with them: person crops cut at the ground-truth boxes of every camera
/// of a site, a Market-1501-like query/gallery split, descriptors (LOMO; the plain HSV
/// histogram of the control), the XQDA fit and the protocol's evaluation (docs/reid.md,
/// "Training and evaluation").

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "lomo.hpp"
#include "oi/cctv/contract.hpp"
#include "oi/cctv/reid_metrics.hpp"
#include "reid_model.hpp"
#include "xqda.hpp"

namespace oi::reid::training {

/// Which crops a seed gives. The defaults are the evaluation protocol's (every crop of
/// every 5 s of a 5-minute run per seed); oi-train-reid trains on one crop per identity and
/// camera taken every 10 s.
struct SamplingOptions {
  std::string site = "arrival_hall";
  double persons_per_minute = 14;  ///< the sim.cctv driver's default density
  std::int64_t frames = 3000;      ///< frames of the site clock (10 frames/s) per seed
  int every = 50;                  ///< a crop of each visible person every this many frames
  double min_visible = 0.7;        ///< share of the body that must be visible
  double min_height_px = 60;       ///< smallest box height, pixels (768 x 576 pictures)
  /// Most crops kept per (identity, camera), evenly spaced in time; 0 keeps all.
  int per_cell = 0;
};

/// One person crop with its ground truth.
struct Crop {
  std::uint64_t seed = 0;
  std::int64_t identity = 0;  ///< the site's identity (unique within a seed)
  int camera = 0;             ///< camera index in the site
  std::int64_t frame = 0;
  oi::cctv::Box box;
  double visible = 0;
  cv::Mat rgb;  ///< CV_8UC3, RGB, a copy of the box's pixels
};

/// Parses "1-8", "101-105", "1,3,5-7" into seeds. @throws oi::ConfigError on anything else.
std::vector<std::uint64_t> parse_seeds(const std::string& text);

/// The crops of every camera of the site for `seed`, in (camera, frame, identity) order.
/// Frames 0, every, 2 every, ... below `frames` are rendered with the driver's default
/// picture settings; a truth person is kept when visible >= min_visible and its box
/// (clipped to the picture) is at least min_height_px tall.
std::vector<Crop> collect_crops(std::uint64_t seed, const SamplingOptions& options);

/// Keeps at most `per_cell` crops of each (seed, identity, camera), evenly spaced in the
/// list's order (the middle one when one is kept; the first, the last and even steps between
/// when more are); all when per_cell <= 0. The kept crops keep their order.
std::vector<Crop> thin_per_cell(std::vector<Crop> crops, int per_cell);

/// The query and gallery of one seed's crops, Market-1501 style: for each (identity,
/// camera) one crop, chosen by a hash of (seed, identity, camera), is a query; every other
/// crop is in the gallery (the protocol drops same-identity same-camera gallery items).
struct Split {
  std::vector<std::size_t> query;    ///< indices into the crops
  std::vector<std::size_t> gallery;  ///< indices into the crops
};
Split market_split(const std::vector<Crop>& crops);

/// The control's descriptor: one joint HSV histogram (8 x 8 x 8 bins, OpenCV's 8-bit HSV)
/// of every pixel of the crop, normalised to sum 1.
std::vector<float> hsv_histogram(const cv::Mat& rgb);

/// LOMO descriptors of `crops` (rows of a CV_32F matrix), on OpenCV's threads.
cv::Mat lomo_descriptors(const std::vector<Crop>& crops, const std::vector<std::size_t>& which,
                         const LomoParams& params = {});

/// What oi-train-reid fits.
struct TrainingOptions {
  std::vector<std::uint64_t> seeds;
  SamplingOptions sampling;
  XqdaOptions xqda;
  LomoParams lomo;
  std::function<void(const std::string&)> progress;  ///< one line per step, or nothing
};

/// Collects the crops of the seeds, fits XQDA on their LOMO descriptors (labels: seed and
/// identity; cameras: the camera index) and returns the model with its provenance.
ReidModel train_reid_model(const TrainingOptions& options);

/// One method's results on the evaluation seeds.
struct MethodResult {
  std::string name;
  oi::cctv::ReidMetrics pooled;  ///< every seed's queries together (each against its seed's gallery)
  std::vector<oi::cctv::ReidMetrics> per_seed;
};

/// The watchlist protocol (open-set identification): per seed, the identities seen in at least
/// two cameras; half of them (chosen by a hash of seed and identity) are enrolled from one crop
/// of the first camera they appear in; the probes are one crop of every (identity, camera) for
/// the other cameras: mated probes for enrolled identities, non-mated ones for the others.
/// A probe's score is its best cosine similarity over its seed's gallery (normalised
/// embeddings). The threshold is set so that at most `fpir` of the non-mated probes (all seeds
/// together) score above it; TPIR is the share of mated probes whose best entry is their own
/// identity and scores above it.
struct WatchlistResult {
  double fpir_target = 0.01;
  double threshold = 0;  ///< cosine similarity; an alert needs more
  double fpir = 0;       ///< the non-mated share above the threshold
  double tpir = 0;       ///< true-positive identification rate at that threshold
  double rank1 = 0;      ///< mated probes whose best entry is their own, any score
  std::size_t enrolled = 0, mated = 0, non_mated = 0;
  std::vector<float> mated_scores,
      non_mated_scores;  ///< best scores (mated: of the right entry at rank 1, else -2)
};

/// Evaluates on each seed's split: LOMO+XQDA by Euclidean distance of the un-normalised
/// embeddings (the XQDA distance) and by cosine distance of the normalised ones, LOMO alone
/// (Euclidean), and the control (plain HSV histogram, Euclidean).
/// With `watchlist` set, also runs the watchlist protocol on the same crops.
std::vector<MethodResult> evaluate(const ReidModel& model, const std::vector<std::uint64_t>& seeds,
                                   const SamplingOptions& sampling,
                                   const std::function<void(const std::string&)>& progress = {},
                                   WatchlistResult* watchlist = nullptr);

/// The probes' scores of one seed (normalised embeddings, one row per crop) added to `result`
/// by the watchlist protocol (see WatchlistResult).
void add_watchlist_seed(const std::vector<Crop>& crops, const cv::Mat& normalised, WatchlistResult& result);
/// Sets the threshold, FPIR, TPIR and rank-1 from the scores gathered.
void finish_watchlist(WatchlistResult& result);

/// Writes, for the first `count` identities of `seed` (by identity number) seen in the
/// site's first camera and in at least one other, the middle crop of the first camera as
/// `person_<identity>.png`, and `enrolment.json` listing them for reid.watchlist's
/// `enrolment` (label, a sample legal basis and officer, 30 days). Returns the pictures written.
std::size_t export_enrolment(std::uint64_t seed, const SamplingOptions& sampling, int count,
                             const std::filesystem::path& folder);

/// Merges per-seed results as if all queries were one set (CMC and mAP over the union of
/// valid queries).
oi::cctv::ReidMetrics pool(const std::vector<oi::cctv::ReidMetrics>& parts);

}  // namespace oi::reid::training
