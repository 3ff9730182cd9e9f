#pragma once
/// @file
/// The watchlist gallery searched on Vulkan (shaders/reid_watchlist/gallery_topk*.comp): the
/// same gallery and results as GallerySearch (gallery_search.hpp), whose host copy it keeps
/// and mirrors into device memory.
///
/// Device memory: the rows (half precision, GallerySearch::stride() halves a row) and the
/// slot ids live in two GPU buffers, grown by doubling. add() writes the new rows, remove()
/// the one row that moved into the freed slot; on unified memory (lavapipe, integrated GPUs)
/// these are writes into the mapped buffer, on a discrete GPU the next search uploads the
/// buffer once (the whole buffer: enrolments are rare next to searches).
///
/// A search is one dispatch of shaders/reid_watchlist/gallery_topk.glsl: workgroups over
/// (gallery slices) x (groups of queries: one query a workgroup for a batch of fewer than 4,
/// else 4), each scoring its slice and keeping its best k per query in workgroup memory; per
/// query and slice only those k (score, slot) pairs come back, and the host merges them
/// (slices x k pairs per query, a few thousand at 1,000,000 entries). Scores are the kernel's:
/// equal to the reference's within float rounding of the sums (the tests allow 2e-6).
///
/// Requirements: shaderInt64 (rows are read 32 bytes a load as four 64-bit words; every
/// desktop GPU and lavapipe have it; without it the constructor throws oi::ConfigError, and
/// the caller uses GallerySearch) and 16 KiB of workgroup memory. Rows of 32, 64 and 128
/// components use kernels compiled for that length; others a specialised generic one.
///
/// Speed on lavapipe (Mesa 22.3, docs/performance.md): that driver loads storage buffers one
/// invocation and one component at a time, so the search runs at under a tenth of memcpy's
/// bandwidth there; on a GPU the same kernel is bound by memory bandwidth.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>

#include "gallery_search.hpp"
#include "oi/frame.hpp"
#include "oi/gpu/plane_memory.hpp"

namespace oi::gpu {
class Kernel;
class StageBackend;
class CommandRecorder;
class Device;
}  // namespace oi::gpu

namespace oi::reid {

/// See the file comment. Not thread-safe: one per stage (it uses the backend's recorder).
class GalleryGpu {
 public:
  /// An empty gallery of `dimension`-component embeddings searched through `backend`
  /// (started on the GPU; it owns the kernels and the recorder and outlives this object).
  /// `residency` kStaged exercises the discrete-GPU path on any device (tests).
  /// @throws oi::ConfigError (dimension, as GallerySearch), oi::gpu::GpuError (Vulkan).
  GalleryGpu(gpu::StageBackend& backend, int dimension, gpu::Residency residency = gpu::Residency::kAuto);
  ~GalleryGpu();
  GalleryGpu(const GalleryGpu&) = delete;
  GalleryGpu& operator=(const GalleryGpu&) = delete;

  /// As GallerySearch.
  int dimension() const { return host_.dimension(); }
  /// As GallerySearch.
  std::size_t size() const { return host_.size(); }
  /// As GallerySearch.
  bool contains(std::uint64_t id) const { return host_.contains(id); }
  /// As GallerySearch::add(); the row is written to the device buffer.
  /// @throws oi::Error as GallerySearch, oi::gpu::GpuError when the buffer cannot grow.
  void add(std::uint64_t id, std::span<const float> embedding);
  /// As GallerySearch::add() of many.
  void add(std::span<const std::uint64_t> ids, std::span<const float> embeddings);
  /// As GallerySearch::remove().
  bool remove(std::uint64_t id);
  /// As GallerySearch::clear() (the device buffers are kept).
  void clear() { host_.clear(); }

  /// As GallerySearch::search(), on the device. @throws oi::Error as GallerySearch does, and
  /// naming the Vulkan failure when the dispatch fails.
  GalleryResults search(std::span<const float> queries, int k,
                        float min_score = -std::numeric_limits<float>::infinity());

  /// The host copy: GallerySearch::search() on it is the CPU reference of search().
  const GallerySearch& reference() const { return host_; }
  /// Queries one workgroup scores together in a batch (a batch of fewer than 4 queries uses
  /// one query a workgroup).
  std::uint32_t queries_per_workgroup() const { return tile_queries_; }

 private:
  void reserve(std::size_t entries);
  void write_slots(std::size_t first, std::size_t count);

  GallerySearch host_;
  gpu::Residency residency_;
  std::shared_ptr<gpu::Device> device_;
  gpu::CommandRecorder* recorder_;  // the backend's
  std::shared_ptr<gpu::Kernel> single_kernel_, tile_kernel_;
  std::uint32_t single_round_ = 1, tile_round_ = 1, tile_queries_ = 1;
  std::size_t capacity_ = 0;  // rows the device buffers hold
  Plane rows_, ids_;          // u8 planes of one row: the gallery's rows, the slot ids
  Plane queries_, pairs_;     // the batch's queries, the workgroups' (score, slot) pairs
};

}  // namespace oi::reid
