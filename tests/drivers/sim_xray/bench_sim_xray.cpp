// Lines per second of the simulated scanner (issue: at least 4000 lines/s of 1024 dual-energy
// pixels on the 2-core reference machine, as fast as possible). Recorded in
// docs/performance.md; run on a quiet machine:
//   build/bin/bench_sim_xray --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "scene.hpp"
#include "scene_prefetcher.hpp"
#include "simulator.hpp"

namespace {

using namespace oi::sim;

SimulatorConfig config(int pixels, int threads) {
  SimulatorConfig c;
  c.pixels = pixels;
  c.threads = threads;
  return c;
}

SceneConfig scene_config(const char* kind, std::uint64_t index, int pixels) {
  SceneConfig s;
  s.kind = kind;
  s.seed = 7;
  s.index = index;
  s.pixels = pixels;
  return s;
}

// Everything the driver does per scan, in 64-line blocks: generate the scene (the next one in
// the background, as the driver does), render each line's paths, integrate over the spectrum,
// add noise, write 16-bit rows. Arg 0: threads rendering each block.
void BM_SimulateScans(benchmark::State& state, const char* kind) {
  constexpr int kPixels = 1024, kBlock = 64;
  XraySimulator sim(config(kPixels, static_cast<int>(state.range(0))));
  std::vector<std::uint16_t> low(kBlock * kPixels), high(kBlock * kPixels);
  std::int64_t lines = 0;
  std::uint64_t index = 0;
  ScenePrefetcher prefetcher;
  for (auto _ : state) {
    const std::unique_ptr<Scene> scene =
        prefetcher.take(scene_config(kind, index, kPixels), scene_config(kind, index + 1, kPixels));
    ++index;
    for (int first = 0; first < scene->lines(); first += kBlock) {
      const int count = std::min(kBlock, scene->lines() - first);
      sim.render(*scene, first, count, index, {low.data(), kPixels}, {high.data(), kPixels});
    }
    benchmark::DoNotOptimize(low.data());
    lines += scene->lines();
  }
  state.counters["lines_per_s"] = benchmark::Counter(static_cast<double>(lines), benchmark::Counter::kIsRate);
  state.counters["lines_per_scan"] = static_cast<double>(lines) / static_cast<double>(state.iterations());
}
BENCHMARK_CAPTURE(BM_SimulateScans, parcels, "parcels")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_SimulateScans, bags, "bags")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_SimulateScans, wedges, "wedges")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The worst case for the integral: every pixel behind a different stack of two materials
// (no air, no repeated neighbours), one thread, no noise: the transmission integral alone.
void BM_TransmissionIntegralWorstCase(benchmark::State& state) {
  constexpr int kPixels = 1024;
  XraySimulator sim(config(kPixels, 1));
  LinePaths paths;
  paths.reset(static_cast<int>(standard_materials().size()), kPixels);
  for (int x = 0; x < kPixels; ++x) {
    paths.of(material_index("water"))[x] = 1.0f + 0.01f * x;
    paths.of(material_index("aluminium"))[x] = 0.2f + 0.001f * x;
  }
  std::vector<PixelSignal> out;
  for (auto _ : state) {
    sim.model().integrate_line(paths, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["lines_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["bins"] = sim.model().bins();
}
BENCHMARK(BM_TransmissionIntegralWorstCase)->Unit(benchmark::kMicrosecond);

// Noise and digitisation of one line of air (per-pixel Poisson + read noise, 2 channels).
void BM_NoiseAndDigitisation(benchmark::State& state) {
  constexpr int kPixels = 1024;
  XraySimulator sim(config(kPixels, 1));
  std::vector<std::uint16_t> low(kPixels), high(kPixels);
  std::uint64_t line = 0;
  for (auto _ : state) {
    sim.reference(true, 1, line++, {low.data(), kPixels}, {high.data(), kPixels});
    benchmark::DoNotOptimize(low.data());
  }
  state.counters["lines_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_NoiseAndDigitisation)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
