// Watchlist gallery search: milliseconds per single query and per batch of 64 queries at
// 10,000, 100,000 and 1,000,000 entries, on the Vulkan device (lavapipe here), on the CPU
// reference, and a memcpy of the gallery's bytes, all in the same run. docs/performance.md
// quotes the figures:
//
//   nice build/bin/bench_watchlist_search --benchmark_counters_tabular=true [--dimension=64]
//
// Counters: `ms_per_query` and `ms_per_batch`; `gallery_GB_per_s`, the gallery's bytes (entries
// x stride x 2) divided by the time of one search (one batch), the effective bandwidth; and
// `of_memcpy`, that bandwidth as a fraction of memcpy's at the same size (the goal is
// >= 0.5 at 1,000,000 for the Vulkan search). k = 10. Times are wall-clock (the device works in
// its own threads).

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gallery_gpu.hpp"
#include "gallery_search.hpp"
#include "oi/gpu/runtime.hpp"
#include "oi/gpu/stage_backend.hpp"

namespace {

int g_dimension = 64;
constexpr int kK = 10;

oi::gpu::StageBackend& backend() {
  static oi::gpu::StageBackend b;
  static const bool started = b.start(oi::StageConfig{"watchlist", "reid.watchlist", "", {}, {}, {}});
  (void)started;
  return b;
}

// The gallery of `entries` random normalised embeddings (one at a time: the last one built).
oi::reid::GalleryGpu& gallery(std::size_t entries) {
  static std::unique_ptr<oi::reid::GalleryGpu> current;
  static std::size_t current_entries = 0;
  if (!current || current_entries != entries) {
    current.reset();
    current = std::make_unique<oi::reid::GalleryGpu>(backend(), g_dimension);
    std::mt19937 rng(static_cast<unsigned>(entries));
    std::normal_distribution<float> normal;
    const std::size_t chunk = 65536;
    std::vector<float> rows;
    std::vector<std::uint64_t> ids;
    for (std::size_t first = 0; first < entries; first += chunk) {
      const std::size_t n = std::min(chunk, entries - first);
      rows.resize(n * static_cast<std::size_t>(g_dimension));
      for (float& x : rows) x = normal(rng);
      ids.resize(n);
      for (std::size_t i = 0; i < n; ++i) ids[i] = first + i;
      current->add(ids, rows);
    }
    current_entries = entries;
  }
  return *current;
}

std::vector<float> queries(std::size_t count) {
  std::mt19937 rng(42);
  std::normal_distribution<float> normal;
  std::vector<float> q(count * static_cast<std::size_t>(g_dimension));
  for (float& x : q) x = normal(rng);
  return q;
}

std::size_t gallery_bytes(const oi::reid::GalleryGpu& g) {
  return g.size() * static_cast<std::size_t>(g.reference().stride()) * 2;
}

// memcpy's bandwidth (gallery bytes / s) per gallery size, from BM_Memcpy (registered first).
std::map<std::size_t, double>& memcpy_rate() {
  static std::map<std::size_t, double> rates;
  return rates;
}

void report(benchmark::State& state, std::size_t bytes, std::size_t batch, double seconds_per_search) {
  state.counters["ms_per_batch"] = seconds_per_search * 1e3;
  state.counters["ms_per_query"] = seconds_per_search * 1e3 / static_cast<double>(batch);
  const double rate = static_cast<double>(bytes) / seconds_per_search;
  state.counters["gallery_GB_per_s"] = rate / 1e9;
  const auto it = memcpy_rate().find(bytes);
  if (it != memcpy_rate().end()) state.counters["of_memcpy"] = rate / it->second;
}

void BM_Memcpy(benchmark::State& state) {
  const auto entries = static_cast<std::size_t>(state.range(0));
  const oi::reid::GalleryGpu& g = gallery(entries);
  const std::size_t bytes = gallery_bytes(g);
  std::vector<std::byte> target(bytes);
  const auto* source = reinterpret_cast<const std::byte*>(g.reference().halves().data());
  std::memcpy(target.data(), source, bytes);  // fault the pages in
  double seconds = 0;
  std::int64_t copies = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    std::memcpy(target.data(), source, bytes);
    benchmark::DoNotOptimize(target.data());
    benchmark::ClobberMemory();
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++copies;
  }
  memcpy_rate()[bytes] = static_cast<double>(bytes) * static_cast<double>(copies) / seconds;
  report(state, bytes, 1, seconds / static_cast<double>(copies));
}

void search(benchmark::State& state, bool on_gpu) {
  const auto entries = static_cast<std::size_t>(state.range(0));
  const auto batch = static_cast<std::size_t>(state.range(1));
  oi::reid::GalleryGpu& g = gallery(entries);
  const std::vector<float> q = queries(batch);
  if (on_gpu) g.search(q, kK);  // warm: pipelines, buffers
  double seconds = 0;
  std::int64_t searches = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    oi::reid::GalleryResults r = on_gpu ? g.search(q, kK) : g.reference().search(q, kK);
    benchmark::DoNotOptimize(r.data());
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++searches;
  }
  report(state, gallery_bytes(g), batch, seconds / static_cast<double>(searches));
}

void BM_Vulkan(benchmark::State& state) {
  if (!oi::gpu::available()) {
    state.SkipWithError(("no Vulkan device: " + oi::gpu::unavailable_reason()).c_str());
    return;
  }
  search(state, true);
}

void BM_Cpu(benchmark::State& state) { search(state, false); }

void register_all() {
  for (std::int64_t entries : {10'000, 100'000, 1'000'000}) {
    benchmark::RegisterBenchmark("memcpy", BM_Memcpy)
        ->Arg(entries)
        ->ArgName("entries")
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    for (std::int64_t batch : {1, 64}) {
      benchmark::RegisterBenchmark("vulkan", BM_Vulkan)
          ->Args({entries, batch})
          ->ArgNames({"entries", "batch"})
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->MinTime(0.5);
      benchmark::RegisterBenchmark("cpu_reference", BM_Cpu)
          ->Args({entries, batch})
          ->ArgNames({"entries", "batch"})
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->MinTime(0.5);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  // --dimension=N (default 64) before Google Benchmark's own flags.
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--dimension=", 12) == 0) {
      g_dimension = std::atoi(argv[i] + 12);
    } else {
      rest.push_back(argv[i]);
    }
  }
  int rest_count = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_count, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_count, rest.data())) return 1;
  register_all();
  benchmark::AddCustomContext("dimension", std::to_string(g_dimension));
  benchmark::AddCustomContext("k", std::to_string(kK));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
