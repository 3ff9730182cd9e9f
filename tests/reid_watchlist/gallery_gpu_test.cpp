// The watchlist gallery's Vulkan search (GalleryGpu, shaders/reid_watchlist/gallery_topk.comp)
// against its CPU reference (GallerySearch) with the Khronos validation layer on; skipped
// without a Vulkan device. Test names ReidGalleryGpu.*.
//
// Tolerance: both sides score the same half values against the same normalised float
// queries, summing four-component dot products in the same order; the device may fuse the
// multiply-adds or reorder the four products, which moves a score (|score| <= 1, 64 products)
// by a few float ulps. Scores must agree within 2e-6 rank by rank; ids must be equal except
// where two entries' reference scores lie within 2e-6 (a near tie, counted and reported).
// Identical embeddings score identically on the device, so exact ties (the duplicates test)
// must give exactly the reference's ids: the lower id first.

#include "gallery_gpu.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <vector>

#include "gallery_test_support.hpp"
#include "gpu_test_fixture.hpp"
#include "oi/error.hpp"
#include "oi/gpu/runtime.hpp"
#include "oi/gpu/stage_backend.hpp"

namespace oi::reid::testing {
namespace {

constexpr float kTolerance = 2e-6f;

class ReidGalleryGpu : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ::setenv("OI_CACHE_DIR", oi::gpu::testing::test_cache_dir().c_str(), 1);
    ::setenv("OI_VK_VALIDATION", "1", 0);
  }
  void SetUp() override {
    if (!oi::gpu::available())
      GTEST_SKIP() << "no Vulkan device (mesa-vulkan-drivers gives lavapipe): "
                   << oi::gpu::unavailable_reason();
    ASSERT_TRUE(oi::gpu::validation_enabled())
        << "GPU tests run with the Khronos validation layer (OI_VK_VALIDATION=1): "
        << (oi::gpu::validation_problem().empty() ? "OI_VK_VALIDATION is not 1 in this environment"
                                                  : oi::gpu::validation_problem());
    oi::gpu::clear_validation_messages();
    ASSERT_TRUE(backend_.start(StageConfig{"watchlist", "reid.watchlist", "", {}, {}, {}}));
    used_ = true;
  }
  void TearDown() override {
    if (!used_) return;
    backend_.stop();
    for (const oi::gpu::ValidationMessage& m : oi::gpu::validation_messages())
      ADD_FAILURE() << "validation " << (m.error ? "error" : "warning") << " " << m.id_name << ": " << m.text;
    oi::gpu::clear_validation_messages();
  }

  // Searches `gpu` and its reference with the same arguments and compares them.
  int compare(GalleryGpu& gpu, const std::vector<float>& queries, int k,
              float min_score = -std::numeric_limits<float>::infinity()) {
    const GalleryResults expected = gpu.reference().search(queries, k, min_score);
    const GalleryResults actual = gpu.search(queries, k, min_score);
    return expect_same_results(actual, expected, gpu.reference(), queries, kTolerance);
  }

  oi::gpu::StageBackend backend_;
  bool used_ = false;
};

TEST_F(ReidGalleryGpu, HandMadeGalleryGivesTheKnownAnswer) {
  GalleryGpu g(backend_, 4);
  g.add(10, std::vector<float>{2, 0, 0, 0});
  g.add(20, std::vector<float>{0, 1, 0, 0});
  g.add(30, std::vector<float>{1, 1, 0, 0});
  g.add(5, std::vector<float>{1, 0, 0, 0});
  const std::vector<float> query{3, 0, 0, 0};
  EXPECT_EQ(g.search(query, 3)[0], (std::vector<GalleryHit>{{5, 1.0f}, {10, 1.0f}, {30, 0.70703125f}}));
  EXPECT_EQ(g.search(query, 64)[0],
            (std::vector<GalleryHit>{{5, 1.0f}, {10, 1.0f}, {30, 0.70703125f}, {20, 0.0f}}));
  EXPECT_EQ(g.search(query, 64, 0.8f)[0], (std::vector<GalleryHit>{{5, 1.0f}, {10, 1.0f}}));
  EXPECT_EQ(g.search(query, 1)[0], (std::vector<GalleryHit>{{5, 1.0f}}));
  ASSERT_TRUE(g.remove(5));
  EXPECT_EQ(g.search(query, 2)[0], (std::vector<GalleryHit>{{10, 1.0f}, {30, 0.70703125f}}));
}

TEST_F(ReidGalleryGpu, RandomGalleriesMatchTheReference) {
  std::mt19937 rng(1234);
  const int d = 64;
  int near_ties = 0, ranks = 0;
  for (std::size_t n : {std::size_t{1}, std::size_t{100}, std::size_t{10000}}) {
    GalleryGpu g(backend_, d);
    const std::vector<float> rows = random_embeddings(rng, n, d);
    g.add(random_ids(rng, n), rows);
    for (std::size_t batch : {std::size_t{1}, std::size_t{64}}) {
      const std::vector<float> queries = queries_near(rng, rows, batch, d);
      for (int k : {1, 5, 64}) {
        SCOPED_TRACE("n " + std::to_string(n) + ", batch " + std::to_string(batch) + ", k " +
                     std::to_string(k));
        near_ties += compare(g, queries, k);
        ranks += static_cast<int>(batch * std::min<std::size_t>(n, static_cast<std::size_t>(k)));
        if (HasFatalFailure()) return;
      }
    }
  }
  std::printf("random galleries: %d near ties in %d ranks\n", near_ties, ranks);
  EXPECT_LE(near_ties, ranks / 1000 + 2) << "ids differ too often for rounding alone";
}

TEST_F(ReidGalleryGpu, BatchSizesDimensionsAndMinimumScore) {
  std::mt19937 rng(99);
  // 3: the kernel with specialization constants; 128: a fixed one (as 32 and 64).
  for (int d : {3, 128}) {
    GalleryGpu g(backend_, d);
    const std::vector<float> rows = random_embeddings(rng, 2000, d);
    g.add(random_ids(rng, 2000), rows);
    for (std::size_t batch : {std::size_t{3}, std::size_t{13}}) {
      SCOPED_TRACE("d " + std::to_string(d) + ", batch " + std::to_string(batch));
      const std::vector<float> queries = queries_near(rng, rows, batch, d, 0.5f);
      compare(g, queries, 10);
      compare(g, queries, 64, 0.2f);    // lists shorter than k for the random queries
      compare(g, queries, 7, 0.9999f);  // mostly empty lists
    }
  }
}

TEST_F(ReidGalleryGpu, ExactTiesGiveTheLowerIdFirst) {
  // 70,000 entries with only 12 distinct embeddings: every score ties with about 5,800 others,
  // across rounds, merges and (on lavapipe) three slices merged on the host; the ids must be
  // the reference's exactly. A batch of 9 (4 queries a workgroup) and a single query.
  std::mt19937 rng(5);
  const int d = 64;
  const std::vector<float> distinct = random_embeddings(rng, 12, d);
  const std::size_t n = 70000;
  std::vector<float> rows;
  for (std::size_t i = 0; i < n; ++i)
    rows.insert(rows.end(), distinct.begin() + static_cast<std::ptrdiff_t>((i % 12) * d),
                distinct.begin() + static_cast<std::ptrdiff_t>((i % 12 + 1) * d));
  GalleryGpu g(backend_, d);
  g.add(random_ids(rng, n), rows);
  const std::vector<float> batch = queries_near(rng, distinct, 9, d, 0.2f);
  const std::vector<float> single(batch.begin(), batch.begin() + d);
  for (const std::vector<float>* queries : {&batch, &single}) {
    for (int k : {1, 33, 64}) {
      const GalleryResults expected = g.reference().search(*queries, k);
      const GalleryResults actual = g.search(*queries, k);
      ASSERT_EQ(actual.size(), expected.size());
      for (std::size_t q = 0; q < actual.size(); ++q) {
        ASSERT_EQ(actual[q].size(), expected[q].size());
        for (std::size_t r = 0; r < actual[q].size(); ++r) {
          EXPECT_EQ(actual[q][r].id, expected[q][r].id) << "query " << q << ", k " << k << ", rank " << r;
          EXPECT_NEAR(actual[q][r].score, expected[q][r].score, kTolerance);
        }
      }
    }
  }
}

TEST_F(ReidGalleryGpu, RemovesAndAddsKeepTheDeviceCopyCurrent) {
  for (gpu::Residency residency : {gpu::Residency::kAuto, gpu::Residency::kStaged}) {
    SCOPED_TRACE(residency == gpu::Residency::kAuto ? "in place" : "staged");
    std::mt19937 rng(77);
    const int d = 64;
    GalleryGpu g(backend_, d, residency);
    std::vector<float> rows = random_embeddings(rng, 1500, d);
    std::vector<std::uint64_t> ids = random_ids(rng, 1500);
    g.add(ids, rows);
    const std::vector<float> queries = queries_near(rng, rows, 16, d);
    compare(g, queries, 20);
    // Remove every third entry (the last entries move into their slots), then the best hit of
    // each query: it must disappear from the results.
    for (std::size_t i = 0; i < ids.size(); i += 3) ASSERT_TRUE(g.remove(ids[i]));
    const GalleryResults before = g.search(queries, 5);
    for (const auto& list : before)
      if (!list.empty()) g.remove(list[0].id);
    const GalleryResults after = g.search(queries, 64);
    for (std::size_t q = 0; q < before.size(); ++q)
      for (const GalleryHit& hit : after[q]) EXPECT_NE(hit.id, before[q].empty() ? ~0ull : before[q][0].id);
    compare(g, queries, 64);
    // Grow past the first buffers (1024 rows, doubled): the rows are rewritten.
    const std::vector<float> more = random_embeddings(rng, 3000, d);
    std::vector<std::uint64_t> more_ids;
    for (std::uint64_t i = 0; i < 3000; ++i) more_ids.push_back((1ull << 40) + i);
    g.add(more_ids, more);
    compare(g, queries_near(rng, more, 16, d), 64);
    compare(g, queries, 64);
    // One at a time, then remove everything: empty lists.
    g.add(1, std::vector<float>(static_cast<std::size_t>(d), 1.0f));
    EXPECT_EQ(g.search(std::vector<float>(static_cast<std::size_t>(d), 2.0f), 1)[0][0].id, 1u);
    g.clear();
    const GalleryResults none = g.search(queries, 64);
    ASSERT_EQ(none.size(), 16u);
    for (const auto& list : none) EXPECT_TRUE(list.empty());
  }
}

TEST_F(ReidGalleryGpu, EmptyGalleryAndKLargerThanTheGallery) {
  std::mt19937 rng(3);
  GalleryGpu g(backend_, 64);
  const std::vector<float> queries = random_embeddings(rng, 5, 64);
  const GalleryResults none = g.search(queries, 64);
  ASSERT_EQ(none.size(), 5u);
  for (const auto& list : none) EXPECT_TRUE(list.empty());
  const std::vector<float> rows = random_embeddings(rng, 7, 64);
  g.add(std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7}, rows);
  const GalleryResults all = g.search(queries, 64);
  for (const auto& list : all) EXPECT_EQ(list.size(), 7u);
  compare(g, queries, 64);
  compare(g, queries, 3);
  EXPECT_THROW(g.search(queries, 65), Error);
  EXPECT_THROW(g.search(queries, 0), Error);
}

}  // namespace
}  // namespace oi::reid::testing
