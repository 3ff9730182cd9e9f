// The watchlist gallery's CPU reference (GallerySearch): the half-precision conversion against
// hand-computed bit patterns, the search on hand-made galleries whose answer is known (ties,
// minimum score, k larger than the gallery, removal moving the last entry), and its errors.
// Test names ReidGallery.*.

#include "gallery_search.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "gallery_test_support.hpp"
#include "oi/error.hpp"

namespace oi::reid::testing {
namespace {

TEST(ReidGallery, HalfConversionMatchesHandComputedBits) {
  EXPECT_EQ(float_to_half(0.0f), 0x0000);
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(float_to_half(0.5f), 0x3800);
  EXPECT_EQ(float_to_half(65504.0f), 0x7bff);                    // the largest half
  EXPECT_EQ(float_to_half(65519.0f), 0x7bff);                    // rounds down
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00);                    // rounds to infinity
  EXPECT_EQ(float_to_half(0.1f), 0x2e66);                        // 0.0999755859375
  EXPECT_EQ(float_to_half(0.70710678f), 0x39a8);                 // 1448 / 2048
  EXPECT_EQ(float_to_half(1.0f + 0x1p-11f), 0x3c00);             // tie: to even
  EXPECT_EQ(float_to_half(1.0f + 3 * 0x1p-11f), 0x3c02);         // tie: to even (up)
  EXPECT_EQ(float_to_half(1.0f + 0x1p-11f + 0x1p-20f), 0x3c01);  // above the tie
  EXPECT_EQ(float_to_half(0x1p-14f), 0x0400);                    // smallest normal
  EXPECT_EQ(float_to_half(0x1p-24f), 0x0001);                    // smallest subnormal
  EXPECT_EQ(float_to_half(0x1p-25f), 0x0000);                    // tie: to even (zero)
  EXPECT_EQ(float_to_half(0x1p-25f * 1.5f), 0x0001);
  EXPECT_EQ(float_to_half(3 * 0x1p-25f), 0x0002);  // 1.5 ulp: tie to even
  EXPECT_EQ(float_to_half(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_EQ(float_to_half(-std::numeric_limits<float>::infinity()), 0xfc00);
  EXPECT_EQ(float_to_half(std::numeric_limits<float>::quiet_NaN()) & 0x7e00, 0x7e00);
  EXPECT_EQ(half_to_float(0x3c00), 1.0f);
  EXPECT_EQ(half_to_float(0x39a8), 0.70703125f);
  EXPECT_EQ(half_to_float(0x0001), 0x1p-24f);
  EXPECT_EQ(half_to_float(0x83ff), -1023 * 0x1p-24f);
  EXPECT_EQ(half_to_float(0xfc00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(half_to_float(0x7e00)));
  // Every half survives the round trip; every float rounds to the nearer neighbour.
  for (std::uint32_t h = 0; h < 65536; ++h) {
    const auto half = static_cast<std::uint16_t>(h);
    if ((half & 0x7c00) == 0x7c00 && (half & 0x3ff) != 0) continue;  // NaN
    ASSERT_EQ(float_to_half(half_to_float(half)), half) << h;
  }
  // The gallery stores subnormal results as signed zero.
  EXPECT_EQ(gallery_half(1e-5f), 0x0000);
  EXPECT_EQ(gallery_half(-1e-5f), 0x8000);
  EXPECT_EQ(gallery_half(0x1p-14f), 0x0400);
}

// Four entries whose scores for query (1, 0, 0, 0) are known: 5 and 10 tie at 1.
GallerySearch hand_made() {
  GallerySearch g(4);
  g.add(10, std::vector<float>{2, 0, 0, 0});
  g.add(20, std::vector<float>{0, 1, 0, 0});
  g.add(30, std::vector<float>{1, 1, 0, 0});  // 0.70710678 each: 0.70703125 in half
  g.add(5, std::vector<float>{1, 0, 0, 0});
  return g;
}

TEST(ReidGallery, HandMadeGalleryGivesTheKnownAnswer) {
  GallerySearch g = hand_made();
  EXPECT_EQ(g.size(), 4u);
  const std::vector<float> query{3, 0, 0, 0};
  GalleryResults r = g.search(query, 3);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], (std::vector<GalleryHit>{{5, 1.0f}, {10, 1.0f}, {30, 0.70703125f}}));
  // k larger than the gallery: all four; a minimum score: those at or above it.
  r = g.search(query, 64);
  EXPECT_EQ(r[0], (std::vector<GalleryHit>{{5, 1.0f}, {10, 1.0f}, {30, 0.70703125f}, {20, 0.0f}}));
  r = g.search(query, 64, 0.70703125f);
  EXPECT_EQ(r[0], (std::vector<GalleryHit>{{5, 1.0f}, {10, 1.0f}, {30, 0.70703125f}}));
  r = g.search(query, 64, 0.8f);
  EXPECT_EQ(r[0], (std::vector<GalleryHit>{{5, 1.0f}, {10, 1.0f}}));
  // A batch of two: the second query is (0, -1, 0, 0).
  r = g.search(std::vector<float>{3, 0, 0, 0, 0, -1, 0, 0}, 2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1], (std::vector<GalleryHit>{{5, 0.0f}, {10, 0.0f}}));
  EXPECT_EQ(g.score(30, query), 0.70703125f);
}

TEST(ReidGallery, RemoveMovesTheLastEntryAndAddReusesNothingStale) {
  GallerySearch g = hand_made();
  EXPECT_EQ(g.slot_of(10), 0u);
  EXPECT_EQ(g.slot_of(5), 3u);
  EXPECT_TRUE(g.remove(10));
  EXPECT_FALSE(g.remove(10));
  EXPECT_FALSE(g.contains(10));
  EXPECT_EQ(g.size(), 3u);
  EXPECT_EQ(g.slot_of(5), 0u);   // the last entry moved into the freed slot
  EXPECT_EQ(g.slot_of(10), 3u);  // size(): absent
  const std::vector<float> query{1, 0, 0, 0};
  EXPECT_EQ(g.search(query, 5)[0], (std::vector<GalleryHit>{{5, 1.0f}, {30, 0.70703125f}, {20, 0.0f}}));
  g.add(10, std::vector<float>{0, 0, 0, 1});  // the id again, another embedding
  EXPECT_EQ(g.search(query, 5)[0],
            (std::vector<GalleryHit>{{5, 1.0f}, {30, 0.70703125f}, {10, 0.0f}, {20, 0.0f}}));
  g.clear();
  EXPECT_TRUE(g.empty());
  const GalleryResults r = g.search(query, 5);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].empty());
}

TEST(ReidGallery, DimensionNotAMultipleOfSixteenIsPadded) {
  GallerySearch g(3);
  EXPECT_EQ(g.stride(), 16);
  EXPECT_EQ(GallerySearch(64).stride(), 64);
  EXPECT_EQ(GallerySearch(65).stride(), 80);
  g.add(std::vector<std::uint64_t>{1, 2}, std::vector<float>{0, 0, 1, 0, 3, 4});
  ASSERT_EQ(g.halves().size(), 32u);
  for (int i = 3; i < 16; ++i) EXPECT_EQ(g.halves()[static_cast<std::size_t>(i)], 0);
  for (int i = 19; i < 32; ++i) EXPECT_EQ(g.halves()[static_cast<std::size_t>(i)], 0);
  const GalleryResults r = g.search(std::vector<float>{0, 0, 2}, 2);
  // Entry 2 is (0, 0.6, 0.8): 0.8 is 0.7998046875 in half.
  EXPECT_EQ(r[0], (std::vector<GalleryHit>{{1, 1.0f}, {2, 0.7998046875f}}));
}

TEST(ReidGallery, HeapSelectionEqualsAFullSort) {
  std::mt19937 rng(7);
  const int d = 24;
  GallerySearch g(d);
  const std::vector<float> rows = random_embeddings(rng, 500, d);
  const std::vector<std::uint64_t> ids = random_ids(rng, 500);
  g.add(ids, rows);
  const std::vector<float> queries = queries_near(rng, rows, 5, d);
  const GalleryResults r = g.search(queries, 64, 0.05f);
  for (std::size_t q = 0; q < 5; ++q) {
    std::vector<GalleryHit> all;
    for (std::uint64_t id : ids) {
      const float s = g.score(id, std::span<const float>(queries).subspan(q * d, d));
      if (s >= 0.05f) all.push_back({id, s});
    }
    std::sort(all.begin(), all.end(), ranks_before);
    all.resize(std::min<std::size_t>(all.size(), 64));
    EXPECT_EQ(r[q], all) << "query " << q;
  }
}

TEST(ReidGallery, MalformedInputIsRefusedWithNothingChanged) {
  EXPECT_THROW(GallerySearch(0), ConfigError);
  EXPECT_THROW(GallerySearch(GallerySearch::kMaxDimension + 1), ConfigError);
  GallerySearch g = hand_made();
  EXPECT_THROW(g.add(5, std::vector<float>{1, 0, 0, 0}), Error);  // enrolled already
  EXPECT_THROW(g.add(6, std::vector<float>{1, 0, 0}), Error);     // wrong size
  EXPECT_THROW(g.add(6, std::vector<float>{0, 0, 0, 0}), Error);  // cannot be normalised
  EXPECT_THROW(g.add(6, std::vector<float>{std::numeric_limits<float>::quiet_NaN(), 0, 0, 1}), Error);
  // All or nothing: the second of two is bad, the first is not added either.
  EXPECT_THROW(g.add(std::vector<std::uint64_t>{7, 8}, std::vector<float>{1, 0, 0, 0, 0, 0, 0, 0}), Error);
  EXPECT_THROW(g.add(std::vector<std::uint64_t>{7, 7}, std::vector<float>{1, 0, 0, 0, 0, 1, 0, 0}), Error);
  EXPECT_FALSE(g.contains(7));
  EXPECT_EQ(g.size(), 4u);
  const std::vector<float> query{1, 0, 0, 0};
  EXPECT_THROW(g.search(query, 0), Error);
  EXPECT_THROW(g.search(query, GallerySearch::kMaxK + 1), Error);
  EXPECT_THROW(g.search(std::vector<float>{1, 0, 0}, 1), Error);
  EXPECT_THROW(g.search(std::vector<float>{0, 0, 0, 0}, 1), Error);
  EXPECT_THROW(g.score(99, query), Error);
  EXPECT_TRUE(g.search(std::vector<float>{}, 1).empty());
}

}  // namespace
}  // namespace oi::reid::testing
