// Re-ID metrics (oi/cctv/reid_metrics.hpp) on cases computed by hand with torchreid's
// eval_market1501 definitions: same-identity same-camera gallery items removed, queries
// without a match skipped, CMC from the first match, AP as the mean precision at each match.
#include "oi/cctv/reid_metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "oi/error.hpp"

namespace {

using oi::cctv::ReidItem;

TEST(ReidLearnMetrics, HeaderExample) {
  const std::vector<ReidItem> query = {{1, 0}, {2, 0}};
  const std::vector<ReidItem> gallery = {{1, 1}, {2, 1}, {1, 0}};
  const std::vector<float> d = {0.5f, 0.2f, 0.1f, 0.3f, 0.4f, 0.9f};
  const auto m = oi::cctv::evaluate_market1501(d, query, gallery);
  // Query 1: gallery 2 (identity 1, camera 0) is removed; ranking 1 (wrong), 0 (right).
  // Query 2: ranking 0 (wrong), 1 (right), 2 (wrong).
  ASSERT_EQ(m.cmc.size(), 3u);  // the curve is cut to the gallery's size
  EXPECT_DOUBLE_EQ(m.rank(1), 0.0);
  EXPECT_DOUBLE_EQ(m.rank(2), 1.0);
  EXPECT_DOUBLE_EQ(m.rank(10), 1.0);
  EXPECT_DOUBLE_EQ(m.map, 0.5);
  EXPECT_EQ(m.first_match_rank, (std::vector<int>{2, 2}));
  EXPECT_EQ(m.valid_queries, 2u);
  EXPECT_EQ(m.skipped_queries, 0u);
}

TEST(ReidLearnMetrics, SeveralMatchesSkippedQueryAndRemoval) {
  const std::vector<ReidItem> gallery = {{1, 1}, {2, 1}, {1, 2}, {3, 1}, {1, 0}, {2, 0}};
  const std::vector<ReidItem> query = {{1, 0}, {4, 0}, {2, 1}};
  const std::vector<float> d = {
      // query (1, 0): sorted 4 (removed), 1 x, 3 x, 0 ok (rank 3), 5 x, 2 ok (rank 5)
      0.3f, 0.1f, 0.5f, 0.2f, 0.05f, 0.4f,
      // query (4, 0): identity 4 is not in the gallery: skipped
      0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f,
      // query (2, 1): sorted 1 (removed: same identity, same camera), 5 ok (rank 1), ...
      0.9f, 0.1f, 0.8f, 0.7f, 0.6f, 0.2f};
  const auto m = oi::cctv::evaluate_market1501(d, query, gallery, 50);
  EXPECT_EQ(m.queries, 3u);
  EXPECT_EQ(m.valid_queries, 2u);
  EXPECT_EQ(m.skipped_queries, 1u);
  EXPECT_EQ(m.first_match_rank, (std::vector<int>{3, 0, 1}));
  // AP of query 1: (1/3 + 2/5) / 2; of query 3: 1.
  EXPECT_NEAR(m.average_precision[0], (1.0 / 3.0 + 2.0 / 5.0) / 2.0, 1e-12);
  EXPECT_DOUBLE_EQ(m.average_precision[1], 0.0);
  EXPECT_DOUBLE_EQ(m.average_precision[2], 1.0);
  EXPECT_NEAR(m.map, ((1.0 / 3.0 + 2.0 / 5.0) / 2.0 + 1.0) / 2.0, 1e-12);
  EXPECT_DOUBLE_EQ(m.rank(1), 0.5);
  EXPECT_DOUBLE_EQ(m.rank(2), 0.5);
  EXPECT_DOUBLE_EQ(m.rank(3), 1.0);
  EXPECT_DOUBLE_EQ(m.rank(5), 1.0);
  const nlohmann::json j = oi::cctv::to_json(m);
  EXPECT_DOUBLE_EQ(j["rank1"].get<double>(), 0.5);
  EXPECT_EQ(j["skipped_queries"].get<int>(), 1);
}

TEST(ReidLearnMetrics, TiesKeepGalleryOrder) {
  const std::vector<ReidItem> query = {{1, 0}};
  const std::vector<ReidItem> gallery = {{2, 1}, {1, 1}};
  const auto m = oi::cctv::evaluate_market1501(std::vector<float>{0.5f, 0.5f}, query, gallery);
  EXPECT_EQ(m.first_match_rank[0], 2);
  EXPECT_DOUBLE_EQ(m.map, 0.5);
  const auto swapped = oi::cctv::evaluate_market1501(std::vector<float>{0.5f, 0.5f}, query,
                                                     std::vector<ReidItem>{{1, 1}, {2, 1}});
  EXPECT_EQ(swapped.first_match_rank[0], 1);
}

TEST(ReidLearnMetrics, MaxRankCutsTheCurve) {
  std::vector<ReidItem> gallery;
  std::vector<float> d;
  for (int g = 0; g < 30; ++g) {
    gallery.push_back({g == 25 ? 7 : 100 + g, 1});
    d.push_back(static_cast<float>(g));
  }
  const auto m = oi::cctv::evaluate_market1501(d, {{7, 0}}, gallery, 10);
  ASSERT_EQ(m.cmc.size(), 10u);
  EXPECT_DOUBLE_EQ(m.rank(10), 0.0);  // the first match is at rank 26
  EXPECT_EQ(m.first_match_rank[0], 26);
  EXPECT_NEAR(m.map, 1.0 / 26.0, 1e-12);
}

TEST(ReidLearnMetrics, RefusesBadInput) {
  const std::vector<ReidItem> query = {{1, 0}};
  const std::vector<ReidItem> gallery = {{1, 1}, {2, 1}};
  EXPECT_THROW(oi::cctv::evaluate_market1501(std::vector<float>{0.1f}, query, gallery), oi::Error);
  EXPECT_THROW(oi::cctv::evaluate_market1501(
                   std::vector<float>{0.1f, std::numeric_limits<float>::quiet_NaN()}, query, gallery),
               oi::Error);
  EXPECT_THROW(oi::cctv::evaluate_market1501(std::vector<float>{0.1f, 0.2f}, query, gallery, 0), oi::Error);
  // The only match is in the query's own camera: no valid query at all.
  try {
    oi::cctv::evaluate_market1501(std::vector<float>{0.1f, 0.2f}, query,
                                  std::vector<ReidItem>{{1, 0}, {2, 1}});
    FAIL() << "evaluated a split without a valid query";
  } catch (const oi::Error& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("no query has a gallery item"));
  }
}

TEST(ReidLearnMetrics, Distances) {
  const std::vector<float> q = {3, 4};
  const std::vector<float> g = {0, 0, 3, 0, -3, -4};
  const std::vector<float> e = oi::cctv::euclidean_distances(q, g, 2);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_FLOAT_EQ(e[0], 5.0f);
  EXPECT_FLOAT_EQ(e[1], 4.0f);
  EXPECT_FLOAT_EQ(e[2], 10.0f);
  const std::vector<float> c = oi::cctv::cosine_distances(q, g, 2);
  EXPECT_FLOAT_EQ(c[0], 1.0f);  // a zero row
  EXPECT_FLOAT_EQ(c[1], 1.0f - 0.6f);
  EXPECT_FLOAT_EQ(c[2], 2.0f);
  EXPECT_THROW(oi::cctv::euclidean_distances(q, std::vector<float>{1, 2, 3}, 2), oi::Error);
}

}  // namespace
