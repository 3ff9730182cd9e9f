// Scene speed: render_line (what the simulator pays per line) and generate_scene (what it
// pays per object). Run by hand on a quiet machine:
//   build/bin/bench_sim_scenes
#include <benchmark/benchmark.h>

#include "scene.hpp"

namespace {

using oi::sim::LinePaths;
using oi::sim::SceneConfig;

SceneConfig config(const char* kind, double clutter) {
  SceneConfig c;
  c.kind = kind;
  c.seed = 1;
  c.clutter = clutter;
  c.threat_rate = 1.0;
  return c;
}

// Lines per second over whole scans of several objects, as the driver renders them.
void render_lines(benchmark::State& state, const char* kind, double clutter) {
  std::vector<std::unique_ptr<oi::sim::Scene>> scenes;
  SceneConfig c = config(kind, clutter);
  for (std::uint64_t i = 0; i < 8; ++i) {
    c.index = i;
    scenes.push_back(oi::sim::generate_scene(c));
  }
  LinePaths line;
  line.reset(static_cast<int>(oi::sim::standard_materials().size()), c.pixels);
  std::size_t s = 0;
  int y = 0;
  for (auto _ : state) {
    scenes[s]->render_line(y, line);
    benchmark::DoNotOptimize(line.cm.data());
    if (++y == scenes[s]->lines()) y = 0, s = (s + 1) % scenes.size();
  }
  state.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(render_lines, parcels, "parcels", 1.0);
BENCHMARK_CAPTURE(render_lines, parcels_clutter3, "parcels", 3.0);
BENCHMARK_CAPTURE(render_lines, bags, "bags", 1.0);
BENCHMARK_CAPTURE(render_lines, wedges, "wedges", 1.0);

void generate(benchmark::State& state, const char* kind) {
  SceneConfig c = config(kind, 1.0);
  for (auto _ : state) {
    auto scene = oi::sim::generate_scene(c);
    benchmark::DoNotOptimize(scene.get());
    ++c.index;
  }
  state.counters["scenes/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(generate, parcels, "parcels")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(generate, bags, "bags")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(generate, wedges, "wedges")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
