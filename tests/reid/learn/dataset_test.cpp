// oi-train-reid's data set code (tools/train_reid/reid_dataset.hpp): seed lists, crops from
// the simulated site that obey the sampling rules, the Market-1501-like split, the control's
// HSV histogram, pooling per-seed results; and the tool itself end to end on a tiny setting
// (it writes a loadable model and prints the evaluation table).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <opencv2/core.hpp>
#include <set>

#include "oi/error.hpp"
#include "process.hpp"
#include "reid_dataset.hpp"
#include "scratch.hpp"

namespace {

namespace tr = oi::reid::training;
using testing::HasSubstr;

TEST(ReidLearnDataset, ParsesSeedLists) {
  EXPECT_EQ(tr::parse_seeds("1-3,7"), (std::vector<std::uint64_t>{1, 2, 3, 7}));
  EXPECT_EQ(tr::parse_seeds("101-105"), (std::vector<std::uint64_t>{101, 102, 103, 104, 105}));
  EXPECT_EQ(tr::parse_seeds("5"), (std::vector<std::uint64_t>{5}));
  for (const char* bad : {"", "3-1", "a", "1,,2", "1-", "-2", "1x", "2,"}) {
    EXPECT_THROW(tr::parse_seeds(bad), oi::ConfigError) << bad;
  }
}

TEST(ReidLearnDataset, CropsFollowTheSamplingRules) {
  tr::SamplingOptions options;
  options.frames = 101;  // frames 0, 50, 100
  options.every = 50;
  const std::vector<tr::Crop> crops = tr::collect_crops(3, options);
  ASSERT_GT(crops.size(), 5u);
  std::set<int> cameras;
  for (const tr::Crop& c : crops) {
    EXPECT_EQ(c.seed, 3u);
    EXPECT_GE(c.visible, 0.7);
    EXPECT_GE(c.box.h, 60.0);
    EXPECT_EQ(c.frame % 50, 0);
    EXPECT_LE(c.frame, 100);
    EXPECT_EQ(c.rgb.type(), CV_8UC3);
    EXPECT_NEAR(c.rgb.rows, c.box.h, 2.0);
    EXPECT_NEAR(c.rgb.cols, c.box.w, 2.0);
    cameras.insert(c.camera);
  }
  EXPECT_GE(cameras.size(), 3u);  // the site's four cameras all see people at the start
}

TEST(ReidLearnDataset, ThinPerCellKeepsEvenlySpacedCrops) {
  std::vector<tr::Crop> crops;
  auto add = [&crops](std::int64_t identity, int camera, int count) {
    for (int k = 0; k < count; ++k) {
      tr::Crop c;
      c.seed = 1;
      c.identity = identity;
      c.camera = camera;
      c.frame = k;
      crops.push_back(c);
    }
  };
  add(1, 0, 10);  // 3 of 10: frames 0, 5, 9
  add(2, 0, 2);   // fewer than 3: both
  add(1, 1, 4);   // 3 of 4: frames 0, 2, 3 (rounded halfway)
  const std::vector<tr::Crop> three = tr::thin_per_cell(crops, 3);
  std::vector<std::tuple<std::int64_t, int, std::int64_t>> got;
  for (const tr::Crop& c : three) got.emplace_back(c.identity, c.camera, c.frame);
  EXPECT_EQ(got,
            (std::vector<std::tuple<std::int64_t, int, std::int64_t>>{
                {1, 0, 0}, {1, 0, 5}, {1, 0, 9}, {2, 0, 0}, {2, 0, 1}, {1, 1, 0}, {1, 1, 2}, {1, 1, 3}}));
  const std::vector<tr::Crop> one = tr::thin_per_cell(crops, 1);  // the middle one
  got.clear();
  for (const tr::Crop& c : one) got.emplace_back(c.identity, c.camera, c.frame);
  EXPECT_EQ(got, (std::vector<std::tuple<std::int64_t, int, std::int64_t>>{{1, 0, 5}, {2, 0, 1}, {1, 1, 2}}));
  EXPECT_EQ(tr::thin_per_cell(crops, 0).size(), crops.size());
}

TEST(ReidLearnDataset, MarketSplitTakesOneQueryPerIdentityAndCamera) {
  std::vector<tr::Crop> crops;
  // (identity, camera) cells with 1, 3 and 2 crops, on two seeds.
  for (std::uint64_t seed : {1u, 2u}) {
    for (auto [identity, camera, count] :
         std::vector<std::tuple<int, int, int>>{{1, 0, 1}, {1, 1, 3}, {2, 0, 2}}) {
      for (int k = 0; k < count; ++k) {
        tr::Crop c;
        c.seed = seed;
        c.identity = identity;
        c.camera = camera;
        c.frame = k;
        crops.push_back(c);
      }
    }
  }
  const tr::Split split = tr::market_split(crops);
  EXPECT_EQ(split.query.size(), 6u);
  EXPECT_EQ(split.gallery.size(), 6u);
  std::map<std::tuple<std::uint64_t, std::int64_t, int>, int> per_cell;
  for (std::size_t i : split.query) ++per_cell[{crops[i].seed, crops[i].identity, crops[i].camera}];
  EXPECT_EQ(per_cell.size(), 6u);
  for (const auto& [cell, n] : per_cell) EXPECT_EQ(n, 1);
  std::set<std::size_t> all(split.query.begin(), split.query.end());
  all.insert(split.gallery.begin(), split.gallery.end());
  EXPECT_EQ(all.size(), crops.size());
}

TEST(ReidLearnDataset, HsvHistogramOfKnownColours) {
  cv::Mat image(10, 4, CV_8UC3, cv::Scalar(255, 0, 0));  // RGB red: H 0, S 255, V 255
  image.rowRange(5, 10).setTo(cv::Scalar(0, 0, 255));    // blue: H 120 (of 180), S 255, V 255
  const std::vector<float> h = tr::hsv_histogram(image);
  ASSERT_EQ(h.size(), 512u);
  EXPECT_FLOAT_EQ(h[(0 * 8 + 7) * 8 + 7], 0.5f);
  EXPECT_FLOAT_EQ(h[(5 * 8 + 7) * 8 + 7], 0.5f);  // 120 * 8 / 180 = 5
  float total = 0;
  for (float v : h) total += v;
  EXPECT_FLOAT_EQ(total, 1.0f);
  EXPECT_THROW(tr::hsv_histogram(cv::Mat()), oi::Error);
}

TEST(ReidLearnDataset, PoolingWeighsEveryQuery) {
  oi::cctv::ReidMetrics a, b;
  a.queries = 2, a.valid_queries = 2;
  a.first_match_rank = {1, 3};
  a.average_precision = {1.0, 0.5};
  a.cmc = {0.5, 0.5, 1.0};
  b.queries = 2, b.valid_queries = 1, b.skipped_queries = 1;
  b.first_match_rank = {2, 0};
  b.average_precision = {0.25, 0.0};
  b.cmc = {0.0, 1.0};
  const oi::cctv::ReidMetrics p = tr::pool({a, b});
  EXPECT_EQ(p.queries, 4u);
  EXPECT_EQ(p.valid_queries, 3u);
  EXPECT_EQ(p.skipped_queries, 1u);
  ASSERT_EQ(p.cmc.size(), 3u);
  EXPECT_DOUBLE_EQ(p.rank(1), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(p.rank(2), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(p.rank(3), 1.0);
  EXPECT_DOUBLE_EQ(p.map, (1.0 + 0.5 + 0.25) / 3.0);
}

// The watchlist's operating point by hand: 100 non-mated probes scoring 0.00 .. 0.99; at
// FPIR 0.01 the threshold is the second best (0.98), so only 0.99 is a false alarm; of four
// mated probes, two beat it, one is right but below it, one found the wrong entry.
TEST(ReidLearnDataset, WatchlistThresholdAtOnePercentFpir) {
  tr::WatchlistResult r;
  for (int i = 0; i < 100; ++i) r.non_mated_scores.push_back(static_cast<float>(i) / 100.0f);
  r.mated_scores = {0.995f, 0.985f, 0.5f, -2.0f};
  tr::finish_watchlist(r);
  EXPECT_FLOAT_EQ(static_cast<float>(r.threshold), 0.98f);
  EXPECT_DOUBLE_EQ(r.fpir, 0.01);
  EXPECT_DOUBLE_EQ(r.tpir, 0.5);
  EXPECT_DOUBLE_EQ(r.rank1, 0.75);
}

// The watchlist protocol on four made-up crops of one seed: identity 1 in cameras 0 and 1,
// identity 2 in cameras 0 and 2, identity 3 in camera 0 only (not used). Embeddings: each
// identity its own axis, so a mated probe finds its entry at score 1.
TEST(ReidLearnDataset, WatchlistProtocolEnrolsFromTheFirstCameraAndProbesTheOthers) {
  std::vector<tr::Crop> crops;
  auto crop = [&](std::int64_t identity, int camera) {
    tr::Crop c;
    c.seed = 7;
    c.identity = identity;
    c.camera = camera;
    crops.push_back(c);
  };
  crop(1, 0), crop(1, 1), crop(2, 0), crop(2, 2), crop(3, 0);
  cv::Mat e = cv::Mat::zeros(5, 4, CV_32F);
  e.at<float>(0, 1) = e.at<float>(1, 1) = 1.0f;
  e.at<float>(2, 2) = e.at<float>(3, 2) = 1.0f;
  e.at<float>(4, 3) = 1.0f;
  tr::WatchlistResult r;
  tr::add_watchlist_seed(crops, e, r);
  // Each of identities 1 and 2 is enrolled or not by the hash; together one probe each.
  EXPECT_EQ(r.mated + r.non_mated, 2u);
  EXPECT_EQ(r.enrolled, r.mated);
  for (float s : r.mated_scores) EXPECT_FLOAT_EQ(s, 1.0f);
  for (float s : r.non_mated_scores) EXPECT_LT(s, 0.5f);
}

// oi-train-reid on a tiny setting: tuning seeds only, few frames. It must write a model
// that loads, and print the evaluation table with the four methods.
TEST(ReidLearnTool, TrainsWritesAndEvaluates) {
  const std::filesystem::path dir = oi::test::scratch_dir("reid-learn-tool", "tiny");
  const std::filesystem::path model = dir / "tiny.oirm";
  const std::vector<std::string> train = {OI_TRAIN_REID_EXE,
                                          "--seeds",
                                          "1",
                                          "--frames",
                                          "1200",
                                          "--every",
                                          "150",
                                          "--dims",
                                          "16",
                                          "--pca-dims",
                                          "100",
                                          "-o",
                                          model.string(),
                                          "--evaluate",
                                          "2",
                                          "--eval-frames",
                                          "900",
                                          "--eval-every",
                                          "150",
                                          "--json",
                                          (dir / "eval.json").string()};
  const oi::test::ProcessResult r = oi::test::run_process(train);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("wrote " + model.string()));
  EXPECT_THAT(r.out, HasSubstr("rank-1"));
  EXPECT_THAT(r.out, testing::ContainsRegex("LOMO\\+XQDA, Euclidean \\(XQDA distance\\) +[01]\\.[0-9]{3}"));
  EXPECT_THAT(r.out, testing::ContainsRegex("control: whole-body HSV histogram, Euclidean +[01]\\.[0-9]{3}"));
  EXPECT_THAT(r.out, testing::ContainsRegex("watchlist .*TPIR [01]\\.[0-9]{3} at FPIR"));
  const oi::reid::ReidModel loaded = oi::reid::load_reid_model(model);
  EXPECT_GE(loaded.embedding_size(), 1);
  EXPECT_LE(loaded.embedding_size(), 16);
  EXPECT_EQ(loaded.provenance["tool"], "oi-train-reid");
  EXPECT_EQ(loaded.provenance["seeds"], nlohmann::json::array({1}));
  EXPECT_EQ(loaded.provenance["sampling"]["frames"], 1200);
  EXPECT_GT(loaded.provenance["samples"]["crops"].get<int>(), 20);
  const nlohmann::json eval = nlohmann::json::parse(oi::test::read_text(dir / "eval.json"));
  EXPECT_EQ(eval["methods"].size(), 4u);
  // The learnt metric must beat the plain histogram even on this tiny setting.
  EXPECT_GT(eval["methods"][0]["pooled"]["rank1"].get<double>(),
            eval["methods"][3]["pooled"]["rank1"].get<double>());

  // Evaluating a saved model, and the errors a user can make.
  const oi::test::ProcessResult again =
      oi::test::run_process({OI_TRAIN_REID_EXE, "--model", model.string(), "--evaluate", "2", "--eval-frames",
                             "300", "--eval-every", "150"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("mAP"));
  const oi::test::ProcessResult no_output = oi::test::run_process({OI_TRAIN_REID_EXE, "--seeds", "1"});
  EXPECT_EQ(no_output.exit_code, 2);
  EXPECT_THAT(no_output.err, HasSubstr("-o FILE"));
  const oi::test::ProcessResult missing =
      oi::test::run_process({OI_TRAIN_REID_EXE, "--model", (dir / "none.oirm").string(), "--evaluate", "2"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("does not exist"));
}

}  // namespace
