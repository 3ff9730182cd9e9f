#include "reid_dataset.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <utility>

#include "oi/error.hpp"
#include "oi/version.hpp"
#include "site_camera.hpp"
#include "site_layout.hpp"

namespace oi::reid::training {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

void say(const std::function<void(const std::string&)>& progress, const std::string& line) {
  if (progress) progress(line);
}

std::string format(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

nlohmann::json sampling_json(const SamplingOptions& s) {
  return {{"site", s.site},
          {"persons_per_minute", s.persons_per_minute},
          {"frames", s.frames},
          {"every", s.every},
          {"min_visible", s.min_visible},
          {"min_height_px", s.min_height_px},
          {"per_cell", s.per_cell}};
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// Distances between the rows of two CV_32F matrices (query x gallery, row-major): Euclidean
// (not squared) or cosine, from the row products (the reference loops of reid_metrics are too
// slow for 26,960-value descriptors).
std::vector<float> row_distances(const cv::Mat& query, const cv::Mat& gallery, bool cosine) {
  const cv::Mat dots = row_products(query, gallery);
  auto squared_norms = [](const cv::Mat& rows) {
    std::vector<double> out(static_cast<std::size_t>(rows.rows));
    for (int i = 0; i < rows.rows; ++i) out[static_cast<std::size_t>(i)] = rows.row(i).dot(rows.row(i));
    return out;
  };
  const std::vector<double> qn = squared_norms(query), gn = squared_norms(gallery);
  std::vector<float> out(static_cast<std::size_t>(query.rows) * static_cast<std::size_t>(gallery.rows));
  for (int q = 0; q < query.rows; ++q) {
    for (int g = 0; g < gallery.rows; ++g) {
      const double dot = dots.at<double>(q, g);
      const double qq = qn[static_cast<std::size_t>(q)], gg = gn[static_cast<std::size_t>(g)];
      double d;
      if (cosine) {
        d = qq > 0.0 && gg > 0.0 ? 1.0 - dot / std::sqrt(qq * gg) : 1.0;
      } else {
        d = std::sqrt(std::max(0.0, qq + gg - 2.0 * dot));
      }
      out[static_cast<std::size_t>(q) * static_cast<std::size_t>(gallery.rows) +
          static_cast<std::size_t>(g)] = static_cast<float>(d);
    }
  }
  return out;
}

// The protocol's result, or (no query of the seed has a match in another camera) every query
// counted as skipped.
oi::cctv::ReidMetrics evaluate_or_skip(const std::vector<float>& distances,
                                       const std::vector<oi::cctv::ReidItem>& query,
                                       const std::vector<oi::cctv::ReidItem>& gallery) {
  bool any = false;
  for (const auto& q : query) {
    for (const auto& g : gallery) any = any || (g.identity == q.identity && g.camera != q.camera);
  }
  if (any) return oi::cctv::evaluate_market1501(distances, query, gallery);
  oi::cctv::ReidMetrics none;
  none.queries = none.skipped_queries = query.size();
  none.average_precision.assign(query.size(), 0.0);
  none.first_match_rank.assign(query.size(), 0);
  return none;
}

cv::Mat rows_of(const cv::Mat& all, const std::vector<std::size_t>& which) {
  cv::Mat out(static_cast<int>(which.size()), all.cols, CV_32F);
  for (std::size_t i = 0; i < which.size(); ++i)
    all.row(static_cast<int>(which[i])).copyTo(out.row(static_cast<int>(i)));
  return out;
}

}  // namespace

std::vector<std::uint64_t> parse_seeds(const std::string& text) {
  std::vector<std::uint64_t> seeds;
  std::size_t at = 0;
  auto bad = [&text]() -> oi::ConfigError {
    return oi::ConfigError("seeds '" + text + "' are not a list of seeds or ranges, e.g. 1-8 or 1,3,5-7");
  };
  while (at <= text.size()) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    const std::string part = text.substr(at, comma - at);
    if (part.empty()) throw bad();
    const std::size_t dash = part.find('-');
    try {
      std::size_t used = 0;
      const std::string first_text = part.substr(0, dash);
      const unsigned long long first = std::stoull(first_text, &used);
      if (used != first_text.size()) throw bad();
      unsigned long long last = first;
      if (dash != std::string::npos) {
        const std::string last_text = part.substr(dash + 1);
        last = std::stoull(last_text, &used);
        if (used != last_text.size() || last < first) throw bad();
      }
      if (last - first > 100000) throw bad();
      for (unsigned long long s = first; s <= last; ++s) seeds.push_back(s);
    } catch (const std::logic_error&) {
      throw bad();
    }
    at = comma + 1;
  }
  return seeds;
}

std::vector<Crop> collect_crops(std::uint64_t seed, const SamplingOptions& options) {
  if (options.frames < 1 || options.every < 1) {
    throw oi::ConfigError("frames and every must be at least 1 (frames " + std::to_string(options.frames) +
                          ", every " + std::to_string(options.every) + ")");
  }
  const oi::sim_cctv::SiteLayout& site = oi::sim_cctv::site_layout(options.site);
  const int cameras = static_cast<int>(site.cameras.size());
  std::vector<std::vector<Crop>> per_camera(static_cast<std::size_t>(cameras));
  cv::parallel_for_(cv::Range(0, cameras), [&](const cv::Range& range) {
    for (int c = range.start; c < range.end; ++c) {
      oi::sim_cctv::SiteCameraConfig config;  // the driver's default picture
      config.site = options.site;
      config.camera = static_cast<std::size_t>(c);
      config.seed = seed;
      config.persons_per_minute = options.persons_per_minute;
      oi::sim_cctv::SiteCamera camera(config);
      cv::Mat image(config.picture.height, config.picture.width, CV_8UC3);
      std::vector<oi::cctv::GroundTruthPerson> truth;
      std::vector<Crop>& out = per_camera[static_cast<std::size_t>(c)];
      for (std::int64_t f = 0; f < options.frames; f += options.every) {
        camera.render(f, image.data, image.step, truth);
        std::sort(truth.begin(), truth.end(),
                  [](const auto& a, const auto& b) { return a.identity < b.identity; });
        for (const oi::cctv::GroundTruthPerson& person : truth) {
          if (person.visible < options.min_visible || person.box.h < options.min_height_px) continue;
          const cv::Mat view = crop_person(image, person.box);
          if (view.empty()) continue;
          out.push_back({seed, person.identity, c, f, person.box, person.visible, view.clone()});
        }
      }
    }
  });
  std::vector<Crop> crops;
  for (auto& list : per_camera) {
    for (Crop& crop : list) crops.push_back(std::move(crop));
  }
  return thin_per_cell(std::move(crops), options.per_cell);
}

std::vector<Crop> thin_per_cell(std::vector<Crop> crops, int per_cell) {
  if (per_cell <= 0) return crops;
  std::map<std::tuple<std::uint64_t, std::int64_t, int>, std::vector<std::size_t>> cells;
  for (std::size_t i = 0; i < crops.size(); ++i)
    cells[{crops[i].seed, crops[i].identity, crops[i].camera}].push_back(i);
  std::vector<std::size_t> keep;
  const std::size_t wanted = static_cast<std::size_t>(per_cell);
  for (const auto& [cell, members] : cells) {
    const std::size_t count = members.size();
    if (count <= wanted) {
      keep.insert(keep.end(), members.begin(), members.end());
      continue;
    }
    // Evenly spaced: the middle one for one; the first, the last and even steps between for more.
    for (std::size_t k = 0; k < wanted; ++k) {
      const std::size_t pick = wanted == 1 ? count / 2 : (k * (count - 1) + (wanted - 1) / 2) / (wanted - 1);
      keep.push_back(members[pick]);
    }
  }
  std::sort(keep.begin(), keep.end());
  std::vector<Crop> out;
  out.reserve(keep.size());
  for (const std::size_t i : keep) out.push_back(std::move(crops[i]));
  return out;
}

Split market_split(const std::vector<Crop>& crops) {
  std::map<std::tuple<std::uint64_t, std::int64_t, int>, std::vector<std::size_t>> cells;
  for (std::size_t i = 0; i < crops.size(); ++i)
    cells[{crops[i].seed, crops[i].identity, crops[i].camera}].push_back(i);
  std::vector<char> is_query(crops.size(), 0);
  for (const auto& [key, members] : cells) {
    const auto& [seed, identity, camera] = key;
    const std::uint64_t h = mix64(seed * 0x9E3779B97F4A7C15ull ^ mix64(static_cast<std::uint64_t>(identity)) ^
                                  (static_cast<std::uint64_t>(camera) << 48));
    is_query[members[h % members.size()]] = 1;
  }
  Split split;
  for (std::size_t i = 0; i < crops.size(); ++i) (is_query[i] ? split.query : split.gallery).push_back(i);
  return split;
}

std::vector<float> hsv_histogram(const cv::Mat& rgb) {
  if (rgb.empty() || rgb.type() != CV_8UC3)
    throw oi::Error("hsv_histogram: the crop must be a non-empty CV_8UC3 image");
  cv::Mat hsv;
  cv::cvtColor(rgb, hsv, cv::COLOR_RGB2HSV);  // H 0..179, S and V 0..255
  std::vector<float> histogram(512, 0.0f);
  for (int y = 0; y < hsv.rows; ++y) {
    const cv::Vec3b* row = hsv.ptr<cv::Vec3b>(y);
    for (int x = 0; x < hsv.cols; ++x) {
      const int h = std::min(7, row[x][0] * 8 / 180), s = row[x][1] >> 5, v = row[x][2] >> 5;
      histogram[static_cast<std::size_t>((h * 8 + s) * 8 + v)] += 1.0f;
    }
  }
  const float total = static_cast<float>(hsv.total());
  for (float& value : histogram) value /= total;
  return histogram;
}

cv::Mat lomo_descriptors(const std::vector<Crop>& crops, const std::vector<std::size_t>& which,
                         const LomoParams& params) {
  cv::Mat out(static_cast<int>(which.size()), static_cast<int>(lomo_dimension(params)), CV_32F);
  cv::parallel_for_(cv::Range(0, static_cast<int>(which.size())), [&](const cv::Range& range) {
    for (int i = range.start; i < range.end; ++i) {
      const std::vector<float> d = lomo_descriptor(crops[which[static_cast<std::size_t>(i)]].rgb, params);
      std::copy(d.begin(), d.end(), out.ptr<float>(i));
    }
  });
  return out;
}

ReidModel train_reid_model(const TrainingOptions& options) {
  if (options.seeds.empty()) throw oi::ConfigError("no training seeds; pass --seeds, e.g. 1-8");
  const auto start = Clock::now();
  std::vector<Crop> crops;
  for (const std::uint64_t seed : options.seeds) {
    std::vector<Crop> more = collect_crops(seed, options.sampling);
    for (Crop& crop : more) crops.push_back(std::move(crop));
  }
  const double seconds_collect = seconds_since(start);
  std::map<std::pair<std::uint64_t, std::int64_t>, std::set<int>> cameras_of;
  std::vector<std::int64_t> labels, cameras;
  std::map<std::pair<std::uint64_t, std::int64_t>, std::int64_t> label_of;
  std::vector<std::size_t> all(crops.size());
  std::vector<std::int64_t> per_camera;
  for (std::size_t i = 0; i < crops.size(); ++i) {
    const auto key = std::make_pair(crops[i].seed, crops[i].identity);
    labels.push_back(label_of.emplace(key, static_cast<std::int64_t>(label_of.size())).first->second);
    cameras.push_back(crops[i].camera);
    cameras_of[key].insert(crops[i].camera);
    if (per_camera.size() <= static_cast<std::size_t>(crops[i].camera))
      per_camera.resize(crops[i].camera + 1, 0);
    ++per_camera[static_cast<std::size_t>(crops[i].camera)];
    all[i] = i;
  }
  std::size_t multi_camera = 0;
  for (const auto& [key, set] : cameras_of) multi_camera += set.size() > 1 ? 1 : 0;
  say(options.progress, std::to_string(crops.size()) + " crops of " + std::to_string(label_of.size()) +
                            " identities (" + std::to_string(multi_camera) +
                            " seen by several cameras) from " + std::to_string(options.seeds.size()) +
                            " seeds" + format(" (%.1f s)", seconds_collect));
  const auto t_lomo = Clock::now();
  cv::Mat descriptors = lomo_descriptors(crops, all, options.lomo);
  const double seconds_lomo = seconds_since(t_lomo);
  say(options.progress, "LOMO descriptors: " + std::to_string(descriptors.rows) + " x " +
                            std::to_string(descriptors.cols) + format(" (%.1f s)", seconds_lomo));
  crops.clear();
  const XqdaFit fit = fit_xqda(std::move(descriptors), labels, cameras, options.xqda);
  say(options.progress,
      "XQDA: " + std::to_string(fit.pca_dims) + " PCA components (" + format("%.3f", fit.pca_energy) +
          " of the variance), " + std::to_string(fit.eigenvalues_above_one) + " eigenvalues > 1, kept " +
          std::to_string(fit.projection.cols) +
          (fit.clipped ? " (" + std::to_string(fit.clipped) + " clipped to 0)" : std::string()) +
          format(" (%.1f s", fit.seconds_total) + format(", Gram %.1f s)", fit.seconds_gram));

  ReidModel model;
  model.descriptor = options.lomo;
  model.mean = fit.mean;
  model.projection = fit.projection;
  nlohmann::json seeds = nlohmann::json::array();
  for (const std::uint64_t s : options.seeds) seeds.push_back(s);
  model.provenance = {
      {"tool", "oi-train-reid"},
      {"tool_version", oi::kSdkVersion},
      {"method", "LOMO + XQDA (Liao et al., CVPR 2015)"},
      {"date", utc_now()},
      {"seeds", seeds},
      {"sampling", sampling_json(options.sampling)},
      {"samples",
       {{"crops", labels.size()},
        {"identities", label_of.size()},
        {"multi_camera_identities", multi_camera},
        {"per_camera", per_camera}}},
      {"xqda",
       {{"dims", options.xqda.dims},
        {"lambda", options.xqda.lambda},
        {"pca_dims_limit", options.xqda.pca_dims},
        {"pca_samples_limit", options.xqda.pca_samples},
        {"pca_samples", fit.pca_samples},
        {"cross_camera_intra", options.xqda.cross_camera_intra},
        {"keep_dims_below_one", options.xqda.keep_dims_below_one},
        {"pca_dims", fit.pca_dims},
        {"pca_energy", fit.pca_energy},
        {"eigenvalues_above_one", fit.eigenvalues_above_one},
        {"embedding_size", fit.projection.cols},
        {"clipped", fit.clipped},
        {"eigenvalues", fit.eigenvalues},
        {"intra_pairs", fit.intra_pairs},
        {"extra_pairs", fit.extra_pairs}}},
      {"seconds", {{"collect", seconds_collect}, {"lomo", seconds_lomo}, {"xqda", fit.seconds_total}}}};
  return model;
}

oi::cctv::ReidMetrics pool(const std::vector<oi::cctv::ReidMetrics>& parts) {
  oi::cctv::ReidMetrics out;
  std::size_t ranks = 0;
  double ap_sum = 0.0;
  for (const auto& part : parts) {
    ranks = std::max(ranks, part.cmc.size());
    out.queries += part.queries;
    out.valid_queries += part.valid_queries;
    out.skipped_queries += part.skipped_queries;
    out.average_precision.insert(out.average_precision.end(), part.average_precision.begin(),
                                 part.average_precision.end());
    out.first_match_rank.insert(out.first_match_rank.end(), part.first_match_rank.begin(),
                                part.first_match_rank.end());
  }
  out.cmc.assign(ranks, 0.0);
  for (std::size_t q = 0; q < out.first_match_rank.size(); ++q) {
    const int r = out.first_match_rank[q];
    if (r == 0) continue;
    ap_sum += out.average_precision[q];
    for (std::size_t k = static_cast<std::size_t>(r) - 1; k < ranks; ++k) out.cmc[k] += 1.0;
  }
  if (out.valid_queries > 0) {
    for (double& c : out.cmc) c /= static_cast<double>(out.valid_queries);
    out.map = ap_sum / static_cast<double>(out.valid_queries);
  }
  return out;
}

std::size_t export_enrolment(std::uint64_t seed, const SamplingOptions& sampling, int count,
                             const std::filesystem::path& folder) {
  const std::vector<Crop> crops = collect_crops(seed, sampling);
  std::map<std::int64_t, std::map<int, std::vector<std::size_t>>> seen;  // identity -> camera -> crops
  for (std::size_t i = 0; i < crops.size(); ++i) seen[crops[i].identity][crops[i].camera].push_back(i);
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) throw oi::Error("cannot create " + folder.string() + ": " + error.message());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [identity, cameras] : seen) {
    if (static_cast<int>(list.size()) >= count) break;
    if (cameras.size() < 2 || cameras.begin()->first != 0) continue;
    const std::vector<std::size_t>& first = cameras.begin()->second;
    const Crop& crop = crops[first[first.size() / 2]];
    cv::Mat bgr;
    cv::cvtColor(crop.rgb, bgr, cv::COLOR_RGB2BGR);
    const std::string name = "person_" + std::to_string(identity) + ".png";
    if (!cv::imwrite((folder / name).string(), bgr))
      throw oi::Error("cannot write " + (folder / name).string());
    list.push_back(
        {{"image", name},
         {"label", "seed " + std::to_string(seed) + " person " + std::to_string(identity)},
         {"legal_basis", "sample: a warrant under the national customs code (replace with the real one)"},
         {"authorised_by", "sample: duty officer"},
         {"expires_in_days", 30},
         {"source",
          {{"seed", seed}, {"identity", identity}, {"camera", crop.camera}, {"frame", crop.frame}}}});
  }
  std::ofstream out(folder / "enrolment.json");
  out << list.dump(2) << "\n";
  if (!out) throw oi::Error("cannot write " + (folder / "enrolment.json").string());
  return list.size();
}

void add_watchlist_seed(const std::vector<Crop>& crops, const cv::Mat& normalised, WatchlistResult& result) {
  // Cells (identity, camera) -> crops, and each identity's cameras in index order.
  std::map<std::pair<std::int64_t, int>, std::vector<std::size_t>> cells;
  for (std::size_t i = 0; i < crops.size(); ++i) cells[{crops[i].identity, crops[i].camera}].push_back(i);
  std::map<std::int64_t, std::vector<int>> cameras;
  for (const auto& [key, members] : cells) cameras[key.first].push_back(key.second);
  auto middle = [&](std::int64_t identity, int camera) {
    const std::vector<std::size_t>& members = cells.at({identity, camera});
    return members[members.size() / 2];
  };
  std::vector<std::int64_t> enrolled;
  std::vector<std::size_t> gallery;
  for (const auto& [identity, seen] : cameras) {
    if (seen.size() < 2) continue;
    const std::uint64_t h =
        mix64(crops.front().seed * 0x9E3779B97F4A7C15ull ^ mix64(static_cast<std::uint64_t>(identity)));
    if (h % 2 == 0) {
      enrolled.push_back(identity);
      gallery.push_back(middle(identity, seen.front()));
    }
  }
  result.enrolled += enrolled.size();
  for (const auto& [identity, seen] : cameras) {
    if (seen.size() < 2) continue;
    const bool mated = std::find(enrolled.begin(), enrolled.end(), identity) != enrolled.end();
    for (std::size_t c = 1; c < seen.size(); ++c) {
      const cv::Mat probe = normalised.row(static_cast<int>(middle(identity, seen[c])));
      float best = -2.0f;
      std::int64_t best_identity = -1;
      for (std::size_t g = 0; g < gallery.size(); ++g) {
        const float score = static_cast<float>(probe.dot(normalised.row(static_cast<int>(gallery[g]))));
        if (score > best) best = score, best_identity = enrolled[g];
      }
      if (mated) {
        result.mated_scores.push_back(best_identity == identity ? best : -2.0f);
        ++result.mated;
      } else {
        result.non_mated_scores.push_back(best);
        ++result.non_mated;
      }
    }
  }
}

void finish_watchlist(WatchlistResult& result) {
  std::vector<float> non_mated = result.non_mated_scores;
  std::sort(non_mated.begin(), non_mated.end(), std::greater<>());
  // Alert when the score is above the threshold: at most floor(fpir * N) non-mated probes are.
  const std::size_t allowed = static_cast<std::size_t>(std::floor(result.fpir_target * non_mated.size()));
  result.threshold = non_mated.empty() ? 1.0 : non_mated[std::min(allowed, non_mated.size() - 1)];
  std::size_t false_alarms = 0, hits = 0, right = 0;
  for (float s : non_mated) false_alarms += s > result.threshold;
  for (float s : result.mated_scores) {
    hits += s > result.threshold;
    right += s > -2.0f;
  }
  result.fpir = non_mated.empty() ? 0 : static_cast<double>(false_alarms) / non_mated.size();
  result.tpir = result.mated_scores.empty() ? 0 : static_cast<double>(hits) / result.mated_scores.size();
  result.rank1 = result.mated_scores.empty() ? 0 : static_cast<double>(right) / result.mated_scores.size();
}

std::vector<MethodResult> evaluate(const ReidModel& model, const std::vector<std::uint64_t>& seeds,
                                   const SamplingOptions& sampling,
                                   const std::function<void(const std::string&)>& progress,
                                   WatchlistResult* watchlist) {
  std::vector<MethodResult> results = {{"LOMO+XQDA, Euclidean (XQDA distance)", {}, {}},
                                       {"LOMO+XQDA, cosine of the normalised embedding", {}, {}},
                                       {"LOMO alone, Euclidean", {}, {}},
                                       {"control: whole-body HSV histogram, Euclidean", {}, {}}};
  for (const std::uint64_t seed : seeds) {
    const auto start = Clock::now();
    const std::vector<Crop> crops = collect_crops(seed, sampling);
    const Split split = market_split(crops);
    std::vector<std::size_t> all(crops.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    const cv::Mat lomo = lomo_descriptors(crops, all, model.descriptor);
    const int r = model.embedding_size();
    cv::Mat raw(lomo.rows, r, CV_32F), normalised(lomo.rows, r, CV_32F), hsv(lomo.rows, 512, CV_32F);
    cv::parallel_for_(cv::Range(0, lomo.rows), [&](const cv::Range& range) {
      for (int i = range.start; i < range.end; ++i) {
        const std::vector<float> e = project_reid_model(model, lomo.ptr<float>(i));
        std::copy(e.begin(), e.end(), raw.ptr<float>(i));
        const std::vector<float> u = apply_reid_model(model, lomo.ptr<float>(i));
        std::copy(u.begin(), u.end(), normalised.ptr<float>(i));
        const std::vector<float> h = hsv_histogram(crops[static_cast<std::size_t>(i)].rgb);
        std::copy(h.begin(), h.end(), hsv.ptr<float>(i));
      }
    });
    std::vector<oi::cctv::ReidItem> query, gallery;
    for (std::size_t i : split.query) query.push_back({crops[i].identity, crops[i].camera});
    for (std::size_t i : split.gallery) gallery.push_back({crops[i].identity, crops[i].camera});
    const std::vector<std::pair<const cv::Mat*, bool>> methods = {
        {&raw, false}, {&normalised, true}, {&lomo, false}, {&hsv, false}};
    for (std::size_t m = 0; m < methods.size(); ++m) {
      const cv::Mat q = rows_of(*methods[m].first, split.query),
                    g = rows_of(*methods[m].first, split.gallery);
      results[m].per_seed.push_back(evaluate_or_skip(row_distances(q, g, methods[m].second), query, gallery));
    }
    if (watchlist) add_watchlist_seed(crops, normalised, *watchlist);
    say(progress, "seed " + std::to_string(seed) + ": " + std::to_string(crops.size()) + " crops, " +
                      std::to_string(split.query.size()) + " queries, " +
                      std::to_string(split.gallery.size()) + " gallery" +
                      format(" (%.1f s)", seconds_since(start)));
  }
  for (MethodResult& result : results) result.pooled = pool(result.per_seed);
  if (watchlist) finish_watchlist(*watchlist);
  return results;
}

}  // namespace oi::reid::training
