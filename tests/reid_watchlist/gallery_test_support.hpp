#pragma once
// Shared helpers of the watchlist gallery tests: random galleries and queries, and the
// comparison of a search's results with the reference's.

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "gallery_search.hpp"

namespace oi::reid::testing {

/// `count` random embeddings of `dimension` (normal components, not normalised).
std::vector<float> random_embeddings(std::mt19937& rng, std::size_t count, int dimension);

/// `count` queries: every other one a noisy copy of a random row of `gallery` (so high scores
/// exist), the rest random.
std::vector<float> queries_near(std::mt19937& rng, const std::vector<float>& gallery, std::size_t count,
                                int dimension, float noise = 0.3f);

/// Shuffled distinct ids.
std::vector<std::uint64_t> random_ids(std::mt19937& rng, std::size_t count);

/// Expects `actual` to be the reference's results `expected` up to score rounding: the same
/// number of hits per query, scores within `tolerance` rank by rank, and where the ids differ
/// a near tie: the reference's own score of the other id within `tolerance` of the rank's
/// score. Returns the number of ranks whose ids differ (near ties).
int expect_same_results(const GalleryResults& actual, const GalleryResults& expected,
                        const GallerySearch& reference, const std::vector<float>& queries, float tolerance);

}  // namespace oi::reid::testing
