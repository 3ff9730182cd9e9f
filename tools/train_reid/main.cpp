// oi-train-reid: fits reid.embed's learnt metric (LOMO + XQDA) on person crops of the
// simulated site and evaluates it with the Market-1501 protocol (docs/reid.md, "Training and
// evaluation").
//
//   oi-train-reid --seeds 1-8 -o reid_lomo_xqda.oirm [--dims 96] [--evaluate 101-105]
//   oi-train-reid --model reid_lomo_xqda.oirm --evaluate 101-105
//
// Training uses tuning seeds only; evaluation seeds (101-105) are for the reported figures.
// The evaluation prints rank-1/5/10 and mAP of LOMO+XQDA (XQDA distance; cosine of the
// normalised embedding that reid.embed emits), of LOMO alone, and of the control (a plain
// whole-body HSV histogram, Euclidean distance).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <opencv2/core.hpp>

#include "oi/error.hpp"
#include "reid_dataset.hpp"

namespace {

namespace tr = oi::reid::training;

void print_results(const std::vector<tr::MethodResult>& results, const std::string& seeds, bool per_seed) {
  const tr::MethodResult& first = results.front();
  std::printf(
      "Market-1501 protocol (torchreid eval_market1501), evaluation seeds %s: %zu queries, %zu valid "
      "(%zu without a match in another camera, skipped)\n",
      seeds.c_str(), first.pooled.queries, first.pooled.valid_queries, first.pooled.skipped_queries);
  std::printf("%-48s %7s %7s %7s %7s\n", "method", "rank-1", "rank-5", "rank-10", "mAP");
  for (const tr::MethodResult& r : results) {
    std::printf("%-48s %7.3f %7.3f %7.3f %7.3f\n", r.name.c_str(), r.pooled.rank(1), r.pooled.rank(5),
                r.pooled.rank(10), r.pooled.map);
  }
  if (!per_seed) return;
  std::printf("per seed (rank-1 / mAP):\n");
  for (const tr::MethodResult& r : results) {
    std::printf("  %-46s", r.name.c_str());
    for (const auto& m : r.per_seed) std::printf("  %.3f/%.3f", m.valid_queries ? m.rank(1) : 0.0, m.map);
    std::printf("\n");
  }
}

nlohmann::json results_json(const std::vector<tr::MethodResult>& results,
                            const std::vector<std::uint64_t>& seeds) {
  nlohmann::json out = {{"seeds", seeds}, {"methods", nlohmann::json::array()}};
  for (const tr::MethodResult& r : results) {
    nlohmann::json per_seed = nlohmann::json::array();
    for (const auto& m : r.per_seed) per_seed.push_back(oi::cctv::to_json(m));
    out["methods"].push_back(
        {{"name", r.name}, {"pooled", oi::cctv::to_json(r.pooled)}, {"per_seed", per_seed}});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Fits reid.embed's learnt metric (LOMO + XQDA) on simulated persons and evaluates it with the "
      "Market-1501 protocol (docs/reid.md)."};
  tr::TrainingOptions options;
  // Training: one crop per identity and camera, every 10 s: the most identities for the
  // rendering time (chosen on tuning seeds; every 5 s or 2-3 crops per cell did no better).
  options.sampling.per_cell = 1;
  options.sampling.every = 100;
  // Evaluation: the protocol's sampling (every crop, every 5 s of 5 minutes per seed).
  tr::SamplingOptions evaluation;
  std::string train_seeds = "1-8", eval_seeds;
  std::filesystem::path output, model_path, json_path;
  bool all_intra_pairs = false, per_seed = false;
  app.add_option("--seeds", train_seeds, "training (tuning) seeds, e.g. 1-8")->capture_default_str();
  app.add_option("-o,--output", output, "model file to write (.oirm)");
  app.add_option("--model", model_path, "evaluate this model instead of training one");
  app.add_option("--evaluate", eval_seeds, "evaluation seeds, e.g. 101-105 (never train or tune on them)");
  app.add_option("--frames", options.sampling.frames,
                 "frames of the site clock per training seed (10 frames/s)")
      ->capture_default_str();
  app.add_option("--every", options.sampling.every, "a crop of each person every this many frames (training)")
      ->capture_default_str();
  app.add_option("--per-cell", options.sampling.per_cell,
                 "most training crops per identity and camera (evenly spaced; 0 = all)")
      ->capture_default_str();
  app.add_option("--min-visible", options.sampling.min_visible, "visible share of the body a crop needs")
      ->capture_default_str();
  app.add_option("--min-height", options.sampling.min_height_px, "smallest box height of a crop, pixels")
      ->capture_default_str();
  app.add_option("--density", options.sampling.persons_per_minute, "persons arriving per minute")
      ->capture_default_str();
  app.add_option("--site", options.sampling.site, "simulated site")->capture_default_str();
  app.add_option("--eval-frames", evaluation.frames, "frames per evaluation seed")->capture_default_str();
  app.add_option("--eval-every", evaluation.every,
                 "a crop of each person every this many frames (evaluation)")
      ->capture_default_str();
  app.add_option("--dims", options.xqda.dims, "most XQDA dimensions (those with eigenvalue > 1)")
      ->capture_default_str();
  app.add_option("--lambda", options.xqda.lambda, "regulariser of the intra-personal covariance")
      ->capture_default_str();
  app.add_option("--pca-dims", options.xqda.pca_dims, "most PCA components before XQDA (0 = all)")
      ->capture_default_str();
  app.add_option("--pca-samples", options.xqda.pca_samples,
                 "most samples whose Gram matrix gives the PCA basis (0 = all; bounds the fit's time)")
      ->capture_default_str();
  app.add_flag("--all-intra-pairs", all_intra_pairs,
               "intra-personal pairs also from one camera (default: different cameras only)");
  app.add_flag("--keep-dims-below-one", options.xqda.keep_dims_below_one,
               "keep --dims components even when fewer have eigenvalue > 1");
  app.add_flag("--per-seed", per_seed, "also print rank-1 and mAP per evaluation seed");
  app.add_option("--json", json_path, "write the evaluation figures to this JSON file");
  std::filesystem::path export_dir;
  std::string export_seed = "101";
  int export_count = 3;
  std::int64_t export_frames = 300;
  app.add_option(
      "--export-enrolment", export_dir,
      "write pictures of persons of one seed, taken in the site's first camera, and an enrolment file "
      "for reid.watchlist into this folder (the samples' watchlist)");
  app.add_option("--export-seed", export_seed, "seed of --export-enrolment")->capture_default_str();
  app.add_option("--export-count", export_count, "persons of --export-enrolment")->capture_default_str();
  app.add_option("--export-frames", export_frames, "frames of --export-enrolment's run")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.xqda.cross_camera_intra = !all_intra_pairs;
  if (!export_dir.empty()) {
    try {
      tr::SamplingOptions sampling = options.sampling;
      sampling.frames = export_frames;
      sampling.every = 10;
      sampling.per_cell = 0;
      const std::size_t written =
          tr::export_enrolment(tr::parse_seeds(export_seed).at(0), sampling, export_count, export_dir);
      std::printf("wrote %zu pictures and %s\n", written, (export_dir / "enrolment.json").string().c_str());
      return written > 0 ? 0 : 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "oi-train-reid: %s\n", e.what());
      return 1;
    }
  }
  if (output.empty() && model_path.empty()) {
    std::fprintf(stderr, "oi-train-reid: pass -o FILE to train a model, or --model FILE --evaluate SEEDS\n");
    return 2;
  }
  if (!model_path.empty() && eval_seeds.empty()) {
    std::fprintf(stderr, "oi-train-reid: --model evaluates a model; pass --evaluate SEEDS too\n");
    return 2;
  }
  const auto progress = [](const std::string& line) { std::fprintf(stderr, "  %s\n", line.c_str()); };
  options.progress = progress;
  try {
    const auto t0 = std::chrono::steady_clock::now();
    oi::reid::ReidModel model;
    if (!model_path.empty()) {
      model = oi::reid::load_reid_model(model_path);
    } else {
      options.seeds = tr::parse_seeds(train_seeds);
      model = tr::train_reid_model(options);
      model.provenance["command"] = [&] {
        std::string line;
        for (int i = 0; i < argc; ++i) line += (i ? " " : "") + std::string(argv[i]);
        return line;
      }();
      oi::reid::save_reid_model(model, output);
      std::printf("wrote %s: %d x %d projection, trained on seeds %s (%.1f s)\n", output.string().c_str(),
                  model.projection.rows, model.projection.cols, train_seeds.c_str(),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      std::fflush(stdout);
    }
    if (!eval_seeds.empty()) {
      tr::SamplingOptions sampling = options.sampling;  // site, density, visibility and height rules
      sampling.per_cell = 0;                            // every crop of the evaluation seeds
      sampling.frames = evaluation.frames;
      sampling.every = evaluation.every;
      const std::vector<std::uint64_t> seeds = tr::parse_seeds(eval_seeds);
      const auto t1 = std::chrono::steady_clock::now();
      tr::WatchlistResult watchlist;
      const std::vector<tr::MethodResult> results =
          tr::evaluate(model, seeds, sampling, progress, &watchlist);
      print_results(results, eval_seeds, per_seed);
      std::printf(
          "watchlist (half of the identities seen in two or more cameras enrolled from their first camera; "
          "one probe "
          "per other camera): TPIR %.3f at FPIR %.3f (threshold %.3f; target FPIR %.2f), rank-1 %.3f; %zu "
          "enrolled, "
          "%zu mated and %zu non-mated probes\n",
          watchlist.tpir, watchlist.fpir, watchlist.threshold, watchlist.fpir_target, watchlist.rank1,
          watchlist.enrolled, watchlist.mated, watchlist.non_mated);
      std::printf("(%lld frames every %d per seed, crops visible >= %.2f and >= %.0f px tall; %.1f s)\n",
                  static_cast<long long>(sampling.frames), sampling.every, sampling.min_visible,
                  sampling.min_height_px,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count());
      if (!json_path.empty()) {
        std::ofstream out(json_path);
        nlohmann::json figures = results_json(results, seeds);
        figures["watchlist"] = {{"tpir", watchlist.tpir},
                                {"fpir", watchlist.fpir},
                                {"fpir_target", watchlist.fpir_target},
                                {"threshold", watchlist.threshold},
                                {"rank1", watchlist.rank1},
                                {"enrolled", watchlist.enrolled},
                                {"mated_probes", watchlist.mated},
                                {"non_mated_probes", watchlist.non_mated}};
        out << figures.dump(2) << "\n";
        if (!out) throw oi::Error("cannot write " + json_path.string());
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oi-train-reid: %s\n", e.what());
    return 1;
  }
  return 0;
}
