#include "gallery_test_support.hpp"

#include <cmath>
#include <numeric>
#include <set>
#include <span>

namespace oi::reid::testing {

std::vector<float> random_embeddings(std::mt19937& rng, std::size_t count, int dimension) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> out(count * static_cast<std::size_t>(dimension));
  for (float& x : out) x = normal(rng);
  return out;
}

std::vector<float> queries_near(std::mt19937& rng, const std::vector<float>& gallery, std::size_t count,
                                int dimension, float noise) {
  const auto d = static_cast<std::size_t>(dimension);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> out = random_embeddings(rng, count, dimension);
  const std::size_t rows = gallery.size() / d;
  if (rows == 0) return out;
  std::uniform_int_distribution<std::size_t> pick(0, rows - 1);
  for (std::size_t q = 0; q < count; q += 2) {
    const std::size_t row = pick(rng);
    for (std::size_t i = 0; i < d; ++i) out[q * d + i] = gallery[row * d + i] + noise * normal(rng);
  }
  return out;
}

std::vector<std::uint64_t> random_ids(std::mt19937& rng, std::size_t count) {
  std::set<std::uint64_t> seen;
  std::vector<std::uint64_t> ids;
  std::uniform_int_distribution<std::uint64_t> any;
  while (ids.size() < count) {
    // Both halves of the 64 bits matter to the kernel's id comparison: mix small and large.
    const std::uint64_t id = ids.size() % 3 == 0 ? any(rng) % 100000 : any(rng);
    if (seen.insert(id).second) ids.push_back(id);
  }
  return ids;
}

int expect_same_results(const GalleryResults& actual, const GalleryResults& expected,
                        const GallerySearch& reference, const std::vector<float>& queries, float tolerance) {
  EXPECT_EQ(actual.size(), expected.size());
  const auto d = static_cast<std::size_t>(reference.dimension());
  int near_ties = 0;
  for (std::size_t q = 0; q < std::min(actual.size(), expected.size()); ++q) {
    SCOPED_TRACE("query " + std::to_string(q));
    const auto& a = actual[q];
    const auto& e = expected[q];
    EXPECT_EQ(a.size(), e.size());
    std::set<std::uint64_t> ids;
    for (std::size_t r = 0; r < std::min(a.size(), e.size()); ++r) {
      SCOPED_TRACE("rank " + std::to_string(r));
      EXPECT_NEAR(a[r].score, e[r].score, tolerance);
      EXPECT_TRUE(ids.insert(a[r].id).second) << "id " << a[r].id << " listed twice";
      if (a[r].id != e[r].id) {
        ++near_ties;
        if (!reference.contains(a[r].id)) {
          ADD_FAILURE() << "id " << a[r].id << " is not in the gallery";
          continue;
        }
        const float own = reference.score(a[r].id, std::span<const float>(queries).subspan(q * d, d));
        EXPECT_NEAR(own, e[r].score, tolerance)
            << "id " << a[r].id << " instead of " << e[r].id << " is no near tie";
      }
    }
  }
  return near_ties;
}

}  // namespace oi::reid::testing
