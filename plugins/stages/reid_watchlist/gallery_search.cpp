// The gallery's storage and its CPU reference search (gallery_search.hpp). Scores are summed
// as the kernel sums them (shaders/reid_watchlist/gallery_topk.comp): one four-component dot
// product per group of four halves, added in row order; the GPU may fuse or reorder the four
// products, which moves a score by a few units in the last place (the tests' tolerance).
#include "gallery_search.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <string>

#include "oi/error.hpp"

namespace oi::reid {
namespace {

// half_to_float() of every half, for the reference's inner loop.
const std::array<float, 65536>& half_table() {
  static const std::array<float, 65536> table = [] {
    std::array<float, 65536> t{};
    for (std::uint32_t h = 0; h < 65536; ++h) t[h] = half_to_float(static_cast<std::uint16_t>(h));
    return t;
  }();
  return table;
}

// The L2 norm of `v`, or 0 when a component is not finite.
double norm_of(std::span<const float> v) {
  double sum = 0.0;
  for (float x : v) {
    if (!std::isfinite(x)) return 0.0;
    sum += static_cast<double>(x) * static_cast<double>(x);
  }
  return std::sqrt(sum);
}

// The score of one stored row for one prepared query (stride floats).
float row_score(const float* row, const float* query, int stride) {
  float s = 0.0f;
  for (int w = 0; w < stride; w += 4)
    s +=
        row[w] * query[w] + row[w + 1] * query[w + 1] + row[w + 2] * query[w + 2] + row[w + 3] * query[w + 3];
  return s;
}

}  // namespace

std::uint16_t float_to_half(float value) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(value);
  const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t magnitude = x & 0x7fffffffu;
  if (magnitude >= 0x7f800000u)  // infinity, NaN (made quiet)
    return static_cast<std::uint16_t>(sign | (magnitude > 0x7f800000u ? 0x7e00u : 0x7c00u));
  if (magnitude >= 0x477ff000u)  // 65520 and above round to infinity
    return static_cast<std::uint16_t>(sign | 0x7c00u);
  if (magnitude < 0x38800000u) {               // below 2^-14: a subnormal half or zero
    if (magnitude < 0x33000000u) return sign;  // below 2^-25 (2^-25 itself ties to 0)
    const std::uint32_t exponent = magnitude >> 23;
    const std::uint32_t mantissa = (magnitude & 0x7fffffu) | 0x800000u;
    const std::uint32_t shift = 126u - exponent;  // 14 .. 24: value / 2^-24 = mantissa >> shift
    std::uint32_t h = mantissa >> shift;
    const std::uint32_t rest = mantissa & ((1u << shift) - 1u), half_way = 1u << (shift - 1u);
    if (rest > half_way || (rest == half_way && (h & 1u))) ++h;
    return static_cast<std::uint16_t>(sign | h);
  }
  std::uint32_t h = (magnitude - 0x38000000u) >> 13;  // exponent rebased from 127 to 15
  const std::uint32_t rest = magnitude & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // may carry into the exponent: right
  return static_cast<std::uint16_t>(sign | h);
}

float half_to_float(std::uint16_t half) {
  const std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000u) << 16;
  const std::uint32_t exponent = (half >> 10) & 0x1fu;
  const std::uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float.
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return std::bit_cast<float>(sign | std::bit_cast<std::uint32_t>(magnitude));
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

std::uint16_t gallery_half(float value) {
  const std::uint16_t h = float_to_half(value);
  return (h & 0x7c00u) == 0 ? static_cast<std::uint16_t>(h & 0x8000u) : h;
}

GallerySearch::GallerySearch(int dimension) : dimension_(dimension), stride_((dimension + 15) / 16 * 16) {
  if (dimension < 1 || dimension > kMaxDimension)
    throw ConfigError("watchlist gallery: embedding dimension " + std::to_string(dimension) +
                      " is outside 1.." + std::to_string(kMaxDimension) +
                      " (the dimension of the embeddings the gallery is built from)");
}

void GallerySearch::check_k(int k) {
  if (k < 1 || k > kMaxK)
    throw Error("watchlist gallery search: k = " + std::to_string(k) + " is outside 1.." +
                std::to_string(kMaxK) + " (ask for at most " + std::to_string(kMaxK) + " entries a query)");
}

void GallerySearch::check_embedding(std::span<const float> embedding, std::uint64_t id) const {
  if (embedding.size() != static_cast<std::size_t>(dimension_))
    throw Error("watchlist gallery: the embedding of entry " + std::to_string(id) + " has " +
                std::to_string(embedding.size()) + " components, the gallery " + std::to_string(dimension_));
  if (norm_of(embedding) == 0.0)
    throw Error("watchlist gallery: the embedding of entry " + std::to_string(id) +
                " is all zero or not finite; it cannot be normalised");
}

void GallerySearch::store(std::size_t slot, std::span<const float> embedding) {
  const double norm = norm_of(embedding);
  std::uint16_t* row = halves_.data() + slot * static_cast<std::size_t>(stride_);
  for (int i = 0; i < dimension_; ++i)
    row[i] =
        gallery_half(static_cast<float>(static_cast<double>(embedding[static_cast<std::size_t>(i)]) / norm));
  for (int i = dimension_; i < stride_; ++i) row[i] = 0;
}

void GallerySearch::add(std::uint64_t id, std::span<const float> embedding) {
  add(std::span<const std::uint64_t>(&id, 1), embedding);
}

void GallerySearch::add(std::span<const std::uint64_t> ids, std::span<const float> embeddings) {
  const auto d = static_cast<std::size_t>(dimension_);
  if (embeddings.size() != ids.size() * d)
    throw Error("watchlist gallery: " + std::to_string(ids.size()) + " ids need " +
                std::to_string(ids.size() * d) + " embedding components, got " +
                std::to_string(embeddings.size()));
  std::unordered_map<std::uint64_t, std::size_t> seen;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (contains(ids[i]) || !seen.emplace(ids[i], i).second)
      throw Error("watchlist gallery: entry " + std::to_string(ids[i]) +
                  " is already enrolled (remove it first to replace its embedding)");
    check_embedding(embeddings.subspan(i * d, d), ids[i]);
  }
  const std::size_t first = ids_.size();
  halves_.resize((first + ids.size()) * static_cast<std::size_t>(stride_));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    store(first + i, embeddings.subspan(i * d, d));
    ids_.push_back(ids[i]);
    slots_.emplace(ids[i], first + i);
  }
}

bool GallerySearch::remove(std::uint64_t id) {
  const auto it = slots_.find(id);
  if (it == slots_.end()) return false;
  const std::size_t slot = it->second, last = ids_.size() - 1;
  slots_.erase(it);
  if (slot != last) {
    const auto s = static_cast<std::size_t>(stride_);
    std::copy_n(halves_.begin() + static_cast<std::ptrdiff_t>(last * s), s,
                halves_.begin() + static_cast<std::ptrdiff_t>(slot * s));
    ids_[slot] = ids_[last];
    slots_[ids_[slot]] = slot;
  }
  ids_.pop_back();
  halves_.resize(ids_.size() * static_cast<std::size_t>(stride_));
  return true;
}

void GallerySearch::clear() {
  halves_.clear();
  ids_.clear();
  slots_.clear();
}

std::size_t GallerySearch::slot_of(std::uint64_t id) const {
  const auto it = slots_.find(id);
  return it == slots_.end() ? ids_.size() : it->second;
}

std::vector<float> GallerySearch::prepare_queries(std::span<const float> queries) const {
  const auto d = static_cast<std::size_t>(dimension_), s = static_cast<std::size_t>(stride_);
  if (queries.size() % d != 0)
    throw Error("watchlist gallery search: " + std::to_string(queries.size()) +
                " query components are not a whole number of " + std::to_string(d) + "-component embeddings");
  const std::size_t count = queries.size() / d;
  std::vector<float> out(count * s, 0.0f);
  for (std::size_t q = 0; q < count; ++q) {
    const std::span<const float> query = queries.subspan(q * d, d);
    const double norm = norm_of(query);
    if (norm == 0.0)
      throw Error("watchlist gallery search: query " + std::to_string(q) +
                  " is all zero or not finite; it cannot be normalised");
    for (std::size_t i = 0; i < d; ++i)
      out[q * s + i] = static_cast<float>(static_cast<double>(query[i]) / norm);
  }
  return out;
}

GalleryResults GallerySearch::search(std::span<const float> queries, int k, float min_score) const {
  check_k(k);
  const std::vector<float> prepared = prepare_queries(queries);
  const auto s = static_cast<std::size_t>(stride_);
  const std::size_t count = prepared.size() / s;
  GalleryResults results(count);
  if (ids_.empty()) return results;
  const std::array<float, 65536>& table = half_table();
  const auto capacity = static_cast<std::size_t>(k);
  // Per query a heap whose front is the hit that ranks last (the one to replace).
  for (auto& r : results) r.reserve(capacity);
  std::vector<float> row(s);
  for (std::size_t slot = 0; slot < ids_.size(); ++slot) {
    const std::uint16_t* h = halves_.data() + slot * s;
    for (std::size_t i = 0; i < s; ++i) row[i] = table[h[i]];
    for (std::size_t q = 0; q < count; ++q) {
      const float score = row_score(row.data(), prepared.data() + q * s, stride_);
      if (!(score >= min_score)) continue;
      std::vector<GalleryHit>& heap = results[q];
      const GalleryHit hit{ids_[slot], score};
      if (heap.size() < capacity) {
        heap.push_back(hit);
        std::push_heap(heap.begin(), heap.end(), ranks_before);
      } else if (ranks_before(hit, heap.front())) {
        std::pop_heap(heap.begin(), heap.end(), ranks_before);
        heap.back() = hit;
        std::push_heap(heap.begin(), heap.end(), ranks_before);
      }
    }
  }
  for (auto& r : results) std::sort(r.begin(), r.end(), ranks_before);
  return results;
}

float GallerySearch::score(std::uint64_t id, std::span<const float> query) const {
  const std::size_t slot = slot_of(id);
  if (slot == ids_.size())
    throw Error("watchlist gallery: entry " + std::to_string(id) + " is not in the gallery");
  const std::vector<float> prepared = prepare_queries(query);
  if (prepared.size() != static_cast<std::size_t>(stride_))
    throw Error("watchlist gallery: score() takes one query of " + std::to_string(dimension_) +
                " components");
  const auto s = static_cast<std::size_t>(stride_);
  std::vector<float> row(s);
  for (std::size_t i = 0; i < s; ++i) row[i] = half_to_float(halves_[slot * s + i]);
  return row_score(row.data(), prepared.data(), stride_);
}

}  // namespace oi::reid
