#pragma once
/// @file
/// The watchlist's gallery and its top-k search, CPU reference (docs/reid.md, "Watchlist").
///
/// A gallery holds L2-normalised embeddings of one dimension D in IEEE half precision (16
/// bits a component; rows padded with zeros to a multiple of 16 components, 32 bytes, the
/// kernel's load), each under a stable 64-bit entry id. A search takes a batch of float32 query embeddings
/// and returns, for each query, the k entries of highest cosine similarity (the dot product of the normalised
/// query with the stored half values), best first, ties broken by the lower id, optionally
/// only those scoring at least a minimum. GalleryGpu (gallery_gpu.hpp) is the same gallery
/// searched by a Vulkan kernel; both compute their scores from the same half values.
///
/// Storage is dense: entries occupy slots 0..size()-1; removing an entry moves the last entry
/// into its slot (one row rewritten, never a shift of the whole gallery). Slot order therefore
/// changes with removals and is no part of the results, which are ordered by (score, id).
///
/// @code
/// oi::reid::GallerySearch gallery(64);
/// gallery.add(17, embedding_of_person_17);            // 64 floats, normalised here
/// auto hits = gallery.search(query, /*k=*/5, /*min_score=*/0.6f);  // hits[0]: query 0's list
/// @endcode

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <unordered_map>
#include <vector>

namespace oi::reid {

/// IEEE 754 binary16 bits of `value`, rounded to nearest, ties to even; overflow gives
/// infinity, NaN stays NaN (quiet), subnormal results are kept.
std::uint16_t float_to_half(float value);
/// The float of the binary16 bits `half` (exact: every half is a float).
float half_to_float(std::uint16_t half);
/// float_to_half() as the gallery stores a component: results that would be subnormal
/// halves (magnitude below 2^-14) are stored as zero of the same sign, so no device that
/// flushes subnormals computes a different score. A normalised component that small changes a
/// score by less than 2^-14.
std::uint16_t gallery_half(float value);

/// One result of a search.
struct GalleryHit {
  std::uint64_t id = 0;  ///< the entry's id
  float score = 0.0f;    ///< cosine similarity, -1 .. 1 (up to half-precision rounding)
  friend bool operator==(const GalleryHit&, const GalleryHit&) = default;
};

/// A search's results: one list per query, best first.
using GalleryResults = std::vector<std::vector<GalleryHit>>;

/// See the file comment. Not thread-safe for writes; concurrent const searches are fine.
class GallerySearch {
 public:
  /// The largest k a search accepts (the GPU kernel's selection size).
  static constexpr int kMaxK = 64;
  /// The largest embedding dimension.
  static constexpr int kMaxDimension = 512;

  /// An empty gallery of `dimension`-component embeddings (1 .. kMaxDimension).
  /// @throws oi::ConfigError for another dimension.
  explicit GallerySearch(int dimension);

  /// Components of an embedding.
  int dimension() const { return dimension_; }
  /// Halves per stored row: dimension() rounded up to a multiple of 16 (padding is zero).
  int stride() const { return stride_; }
  /// Entries in the gallery.
  std::size_t size() const { return ids_.size(); }
  /// True when no entry is enrolled.
  bool empty() const { return ids_.empty(); }
  /// True when `id` is in the gallery.
  bool contains(std::uint64_t id) const { return slots_.count(id) != 0; }

  /// Adds `embedding` (dimension() finite floats, not all zero) under `id`; it is
  /// L2-normalised, then stored in half precision. @throws oi::Error when `id` is already in
  /// the gallery or the embedding is malformed (nothing is added then).
  void add(std::uint64_t id, std::span<const float> embedding);
  /// Adds `ids.size()` entries; `embeddings` holds them one after another. All or nothing:
  /// every id and embedding is checked before the first is added.
  /// @throws oi::Error as add() does, naming the entry, or when the sizes disagree.
  void add(std::span<const std::uint64_t> ids, std::span<const float> embeddings);
  /// Removes entry `id`; returns false when it was not in the gallery. The last entry moves
  /// into the freed slot (see the file comment).
  bool remove(std::uint64_t id);
  /// Removes every entry.
  void clear();

  /// The top-k entries of each query. `queries` holds `queries.size() / dimension()`
  /// embeddings one after another; each is L2-normalised before scoring. Entries scoring
  /// below `min_score` are left out, so a list may be shorter than k (also when the gallery
  /// has fewer than k entries). @throws oi::Error for k outside 1..kMaxK, a size that is not a
  /// multiple of dimension(), or a query that is not finite or all zero.
  GalleryResults search(std::span<const float> queries, int k,
                        float min_score = -std::numeric_limits<float>::infinity()) const;

  /// The reference score of entry `id` for one query (normalised here), computed as
  /// search() computes it. @throws oi::Error when `id` is not in the gallery.
  float score(std::uint64_t id, std::span<const float> query) const;

  /// The stored rows, slot by slot: size() * stride() halves.
  std::span<const std::uint16_t> halves() const { return halves_; }
  /// The id of each slot.
  std::span<const std::uint64_t> slot_ids() const { return ids_; }
  /// The slot of `id`, or size() when it is not in the gallery.
  std::size_t slot_of(std::uint64_t id) const;

  /// The queries of a search normalised and padded to stride() floats each (zeros after
  /// dimension()), as both implementations score them. @throws oi::Error as search() does.
  std::vector<float> prepare_queries(std::span<const float> queries) const;
  /// Checks k as search() does. @throws oi::Error.
  static void check_k(int k);

 private:
  void check_embedding(std::span<const float> embedding, std::uint64_t id) const;
  void store(std::size_t slot, std::span<const float> embedding);

  int dimension_;
  int stride_;
  std::vector<std::uint16_t> halves_;  // size() * stride_
  std::vector<std::uint64_t> ids_;     // per slot
  std::unordered_map<std::uint64_t, std::size_t> slots_;
};

/// True when hit `a` ranks before hit `b`: higher score, or the same score and a lower id.
inline bool ranks_before(const GalleryHit& a, const GalleryHit& b) {
  return a.score > b.score || (a.score == b.score && a.id < b.id);
}

}  // namespace oi::reid
