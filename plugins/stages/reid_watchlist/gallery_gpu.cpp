// The watchlist gallery on Vulkan (gallery_gpu.hpp): the host copy (GallerySearch) mirrored
// into two GPU buffers, one dispatch of gallery_topk.comp per search, and the merge of the
// workgroups' per-slice lists on the host.
#include "gallery_gpu.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "oi/error.hpp"
#include "oi/gpu/command_recorder.hpp"
#include "oi/gpu/device.hpp"
#include "oi/gpu/kernel.hpp"
#include "oi/gpu/plane_memory.hpp"
#include "oi/gpu/stage_backend.hpp"
#include "oi_reid_gallery_shaders.hpp"

namespace oi::reid {
namespace {

// gallery_topk.comp's push-constant block.
struct TopkPush {
  std::uint32_t count;
  std::uint32_t slice;
  std::uint32_t slices;
  std::uint32_t query_count;
  std::uint32_t k;
  float min_score;
};

constexpr std::uint32_t kLanes = 64;  // the shader's local_size_x
constexpr std::uint32_t kMaxK = GallerySearch::kMaxK;
// Slices: a CPU device (lavapipe) runs a few workgroups at once and pays a workgroup's first
// merges again for each, so few large slices; a GPU wants thousands of invocations in flight.
constexpr std::size_t kCpuMinSliceSlots = 32768;
constexpr std::uint32_t kCpuTargetWorkgroups = 32;
constexpr std::size_t kGpuMinSliceSlots = 2048;
constexpr std::uint32_t kGpuTargetWorkgroups = 1024;

// Shared memory of the kernel for `queries` a workgroup and `round` slots an invocation.
std::uint32_t shared_bytes(std::uint32_t queries, std::uint32_t round) {
  return queries * (kMaxK * 16 + kLanes * round * 8 + 12) + kLanes * 16 + kMaxK * 16;
}

// A one-row u8 GPU plane of `bytes`.
Plane flat_plane(const std::shared_ptr<gpu::Device>& device, std::size_t bytes, gpu::Residency residency,
                 gpu::InitialContents contents) {
  return gpu::make_gpu_plane(device, PixelFormat::kU8, static_cast<int>(std::max<std::size_t>(bytes, 16)), 1,
                             residency, contents);
}

std::span<const std::byte> bytes_of(const TopkPush& push) {
  return std::as_bytes(std::span<const TopkPush, 1>(&push, 1));
}

}  // namespace

GalleryGpu::GalleryGpu(gpu::StageBackend& backend, int dimension, gpu::Residency residency)
    : host_(dimension), residency_(residency), device_(backend.device()), recorder_(&backend.recorder()) {
  if (!device_->info().shader_int64)
    throw ConfigError("watchlist gallery: the Vulkan device " + device_->info().name +
                      " has no 64-bit integers in shaders (shaderInt64), which the search's loads use; "
                      "use the CPU backend");
  const auto quads = static_cast<std::uint32_t>(host_.stride() / 4);
  // The common dimensions have kernels with fixed loops (faster on a CPU device); others take
  // the row length as a specialization constant.
  const bool fixed = quads == 8 || quads == 16 || quads == 32;
  // Queries a workgroup scores together: 4 (their kept lists fill the workgroup memory).
  tile_queries_ = fixed ? 4u : std::clamp<std::uint32_t>(512u / quads, 1u, 4u);
  // Workgroup memory: at most 16 KiB, whatever the device reports. lavapipe (Mesa 22.3)
  // reports 32 KiB, yet a search using more than 16 KiB returned wrong lists there (the
  // tests catch it).
  const std::uint32_t shared_limit =
      std::min<std::uint32_t>(device_->limits().maxComputeSharedMemorySize, 16384u);
  // Slots an invocation scores between merges, at most: as many as the shared candidate
  // lists allow, up to 16 (fewer barriers a slot).
  const auto round_for = [&](std::uint32_t queries, std::uint32_t most) {
    std::uint32_t round = most;
    while (round > 1 && shared_bytes(queries, round) > shared_limit) round /= 2;
    if (shared_bytes(queries, round) > shared_limit)
      throw ConfigError("watchlist gallery: the Vulkan device has " + std::to_string(shared_limit) +
                        " bytes of workgroup memory, the search needs " +
                        std::to_string(shared_bytes(queries, round)) + "; use the CPU backend");
    return round;
  };
  single_round_ = round_for(1, 16);
  tile_round_ = round_for(tile_queries_, std::max<std::uint32_t>(1u, 16u / tile_queries_));

  const auto make = [&](std::uint32_t queries, std::uint32_t round) {
    const std::string shader = fixed ? "reid_watchlist/gallery_topk_d" + std::to_string(4 * quads) + "_q" +
                                           std::to_string(queries) + ".comp"
                                     : std::string("reid_watchlist/gallery_topk.comp");
    gpu::KernelDesc k;
    k.name = "reid.watchlist:" + shader;
    k.spirv = oi_reid_gallery_shaders::words(shader);
    k.bindings = {{"gallery", gpu::Access::kRead},
                  {"ids", gpu::Access::kRead},
                  {"queries", gpu::Access::kRead},
                  {"pairs", gpu::Access::kWrite}};
    k.push_constant_bytes = sizeof(TopkPush);
    k.push_layout = {OI_PUSH_MEMBER(TopkPush, count),  OI_PUSH_MEMBER(TopkPush, slice),
                     OI_PUSH_MEMBER(TopkPush, slices), OI_PUSH_MEMBER(TopkPush, query_count),
                     OI_PUSH_MEMBER(TopkPush, k),      OI_PUSH_MEMBER(TopkPush, min_score)};
    if (!fixed)
      k.spec_constants = {gpu::SpecConstant::u32(0, quads), gpu::SpecConstant::u32(1, queries),
                          gpu::SpecConstant::u32(2, round)};
    k.workgroup = {kLanes, 1, 1};
    return backend.kernel(k);
  };
  single_kernel_ = make(1, single_round_);
  tile_kernel_ = tile_queries_ > 1 ? make(tile_queries_, tile_round_) : single_kernel_;
}

GalleryGpu::~GalleryGpu() = default;

void GalleryGpu::reserve(std::size_t entries) {
  if (entries <= capacity_) return;
  const std::size_t capacity = std::max({entries, 2 * capacity_, std::size_t{1024}});
  const std::size_t row_bytes = static_cast<std::size_t>(host_.stride()) * 2;
  // Every slot below size() is written before a search reads it; the rest is never read.
  rows_ = flat_plane(device_, capacity * row_bytes, residency_, gpu::InitialContents::kUndefined);
  ids_ = flat_plane(device_, capacity * 8, residency_, gpu::InitialContents::kUndefined);
  capacity_ = capacity;
  write_slots(0, host_.size());
}

void GalleryGpu::write_slots(std::size_t first, std::size_t count) {
  if (count == 0) return;
  const std::size_t stride = static_cast<std::size_t>(host_.stride());
  std::memcpy(rows_.row<std::uint16_t>(0) + first * stride, host_.halves().data() + first * stride,
              count * stride * sizeof(std::uint16_t));
  // Ids as (low, high) words: the little-endian uint64 bytes.
  std::memcpy(ids_.row<std::uint64_t>(0) + first, host_.slot_ids().data() + first,
              count * sizeof(std::uint64_t));
}

void GalleryGpu::add(std::uint64_t id, std::span<const float> embedding) {
  add(std::span<const std::uint64_t>(&id, 1), embedding);
}

void GalleryGpu::add(std::span<const std::uint64_t> ids, std::span<const float> embeddings) {
  const std::size_t first = host_.size();
  host_.add(ids, embeddings);
  if (host_.size() > capacity_) {
    reserve(host_.size());  // writes every slot
  } else {
    write_slots(first, ids.size());
  }
}

bool GalleryGpu::remove(std::uint64_t id) {
  const std::size_t slot = host_.slot_of(id);
  if (!host_.remove(id)) return false;
  if (slot < host_.size()) write_slots(slot, 1);  // the last entry moved here
  return true;
}

GalleryResults GalleryGpu::search(std::span<const float> queries, int k, float min_score) {
  GallerySearch::check_k(k);
  const std::vector<float> prepared = host_.prepare_queries(queries);
  const auto stride = static_cast<std::size_t>(host_.stride());
  const std::size_t query_count = prepared.size() / stride;
  GalleryResults results(query_count);
  if (query_count == 0 || host_.empty()) return results;

  const bool tiled = query_count >= 4 && tile_queries_ > 1;
  const gpu::Kernel& kernel = tiled ? *tile_kernel_ : *single_kernel_;
  const std::uint32_t per_group = tiled ? tile_queries_ : 1u;
  const std::size_t tiles = (query_count + per_group - 1) / per_group;
  const std::uint32_t max_groups = device_->limits().maxComputeWorkGroupCount[1];
  if (tiles > max_groups)
    throw Error("watchlist gallery search: a batch of " + std::to_string(query_count) +
                " queries exceeds the device's " + std::to_string(max_groups) +
                " workgroups; search in smaller batches");
  // Slices: about the target number of workgroups in all, each of at least the minimum slots.
  const bool cpu = device_->info().type == gpu::DeviceType::kCpu;
  const std::size_t count = host_.size(), unit = kLanes;
  const std::size_t wanted =
      std::max<std::size_t>(1, (cpu ? kCpuTargetWorkgroups : kGpuTargetWorkgroups) / tiles);
  std::size_t slice = (count + wanted - 1) / wanted;
  slice = std::max(slice, cpu ? kCpuMinSliceSlots : kGpuMinSliceSlots);
  slice = (slice + unit - 1) / unit * unit;
  const std::size_t slices = (count + slice - 1) / slice;
  const auto kk = static_cast<std::size_t>(k);

  const std::size_t query_bytes = query_count * stride * sizeof(float);
  if (!queries_.valid() || queries_.row_bytes() < query_bytes)
    queries_ = flat_plane(device_, std::max(query_bytes, 2 * queries_.row_bytes()), residency_,
                          gpu::InitialContents::kUndefined);
  std::memcpy(queries_.row<float>(0), prepared.data(), query_bytes);
  const std::size_t pair_bytes = query_count * slices * kk * 8;
  if (!pairs_.valid() || pairs_.row_bytes() < pair_bytes)
    pairs_ = flat_plane(device_, std::max(pair_bytes, 2 * pairs_.row_bytes()), residency_,
                        gpu::InitialContents::kUndefined);

  const TopkPush push{static_cast<std::uint32_t>(count),  static_cast<std::uint32_t>(slice),
                      static_cast<std::uint32_t>(slices), static_cast<std::uint32_t>(query_count),
                      static_cast<std::uint32_t>(k),      min_score};
  const gpu::BufferRef bindings[] = {rows_, ids_, queries_, pairs_};
  Status s = recorder_->dispatch(kernel, bindings, bytes_of(push),
                                 {static_cast<std::uint32_t>(slices), static_cast<std::uint32_t>(tiles), 1u});
  if (!s.is_ok()) {
    recorder_->reset();
    throw Error("watchlist gallery search on the GPU: " + s.message());
  }
  // A generous wait: a CPU device scores about 10 million rows a second per query.
  const double work =
      static_cast<double>(count) * static_cast<double>(query_count) * static_cast<double>(stride);
  const auto timeout_ns = static_cast<std::uint64_t>(10e9 + work * 2.0);
  if (s = recorder_->submit(); s.is_ok()) s = recorder_->wait(timeout_ns);
  if (!s.is_ok()) {
    // A failed wait may leave the work running: never reuse its output buffer.
    pairs_ = Plane{};
    throw Error("watchlist gallery search on the GPU: " + s.message());
  }

  // Merge the slices' lists of each query.
  const auto* pairs = std::as_const(pairs_).row<std::uint32_t>(0);
  const std::span<const std::uint64_t> ids = host_.slot_ids();
  std::vector<GalleryHit> merged;
  for (std::size_t q = 0; q < query_count; ++q) {
    merged.clear();
    for (std::size_t i = 0; i < slices * kk; ++i) {
      const std::uint32_t* pair = pairs + 2 * (q * slices * kk + i);
      if (pair[1] == 0xffffffffu) continue;  // a slice with fewer than k
      merged.push_back({ids[pair[1]], std::bit_cast<float>(pair[0])});
    }
    const std::size_t keep = std::min(kk, merged.size());
    std::partial_sort(merged.begin(), merged.begin() + static_cast<std::ptrdiff_t>(keep), merged.end(),
                      ranks_before);
    results[q].assign(merged.begin(), merged.begin() + static_cast<std::ptrdiff_t>(keep));
  }
  return results;
}

}  // namespace oi::reid
